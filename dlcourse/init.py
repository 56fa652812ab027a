"""Parameter initialisation: variance scaling with gains (LeCun, Glorot/Xavier, He/Kaiming), torch's
conventions and nn.Linear's default, orthogonal matrices, and data-dependent rescaling (LSUV).

Book: chapter 03_initialisation derives and tests these; chapter 02_backprop and later chapters use
``init_mlp``. Weights use torch's (out_features, in_features) layout, so fan_in = shape[1] and
fan_out = shape[0] (times the receptive field for a convolution kernel (out, in, k1, k2, ...)).
Every variance-scaling scheme draws w with Var[w] = gain^2 / fan:

| scheme | gain | fan | torch |
|---|---|---|---|
| LeCun | 1 | fan_in | ``kaiming_normal_(w, nonlinearity="linear")`` |
| Glorot / Xavier | 1 | (fan_in + fan_out) / 2 | ``xavier_normal_``, ``xavier_uniform_`` |
| He / Kaiming | sqrt(2) | fan_in (or fan_out) | ``kaiming_normal_(w, nonlinearity="relu")`` |
| nn.Linear's default | sqrt(1/3) | fan_in | ``kaiming_uniform_(w, a=sqrt(5))`` |

A normal draw has standard deviation std = gain / sqrt(fan); a uniform draw U(-bound, bound) has the same
variance when bound = sqrt(3) std.
"""
import math

import numpy as np

from .activations import get_activation

__all__ = ["calculate_gain", "fans", "init_scale", "variance_scaling", "orthogonal", "linear_default",
           "linear_default_mlp", "lsuv_init", "INIT_SCHEMES", "init_weight", "init_mlp"]

_UNIT_GAIN = ("linear", "sigmoid", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d")


def calculate_gain(nonlinearity, param=None):
    """gain(h): linear, sigmoid 1; tanh 5/3; relu sqrt(2); leaky_relu sqrt(2 / (1 + slope^2)); selu 3/4.

    Shapes: a name (and, for leaky_relu, the negative slope ``param``, default 0.01) -> a float.
    The same values as ``torch.nn.init.calculate_gain``: the factor by which to multiply 1/sqrt(fan).
    """
    if nonlinearity in _UNIT_GAIN:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"the negative slope of leaky_relu must be a number, got {slope!r}")
        return math.sqrt(2.0 / (1.0 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4.0
    raise ValueError(f"unknown nonlinearity {nonlinearity!r}; choose one of linear, sigmoid, tanh, relu, "
                     "leaky_relu, selu")


def fans(shape):
    """(fan_in, fan_out) = (shape[1] r, shape[0] r), r = prod(shape[2:]) the receptive field (1 for a matrix).

    Shapes: a weight shape (out, in, ...) with at least two entries -> two ints, as torch computes them.
    """
    shape = tuple(int(n) for n in shape)
    if len(shape) < 2:
        raise ValueError(f"fan_in and fan_out need a weight shape (out, in, ...) with at least 2 entries, got {shape}")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def init_scale(shape, gain=1.0, mode="fan_in", distribution="normal"):
    """std = gain / sqrt(fan) for "normal", bound = sqrt(3) gain / sqrt(fan) for "uniform"; fan by ``mode``.

    Shapes: weight shape (out, in, ...) -> a float. ``mode`` is "fan_in", "fan_out" or "fan_avg"
    ((fan_in + fan_out) / 2, Glorot's compromise).
    """
    fan_in, fan_out = fans(shape)
    try:
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    except KeyError:
        raise ValueError(f"unknown mode {mode!r}; choose 'fan_in', 'fan_out' or 'fan_avg'") from None
    std = gain / math.sqrt(fan)
    if distribution == "normal":
        return std
    if distribution == "uniform":
        return math.sqrt(3.0) * std
    raise ValueError(f"unknown distribution {distribution!r}; choose 'normal' or 'uniform'")


def variance_scaling(shape, rng, gain=1.0, mode="fan_in", distribution="normal"):
    """w ~ N(0, std^2) or U(-bound, bound) with ``init_scale``: Var[w] = gain^2 / fan either way.

    Shapes: weight shape (out, in, ...) -> float64 array of that shape, drawn from ``rng`` only.
    """
    scale = init_scale(shape, gain, mode, distribution)
    if distribution == "normal":
        return scale * rng.standard_normal(shape)
    return rng.uniform(-scale, scale, size=shape)


def orthogonal(shape, rng, gain=1.0):
    """gain Q, with Q from the QR decomposition of a standard normal matrix (signs fixed by diag(R) > 0).

    Shapes: (out, in, ...) -> array of that shape whose rows (out <= in) or columns (out > in) of the
    flattened (out, in * ...) matrix are orthonormal, times gain. torch.nn.init.orthogonal_'s algorithm.
    """
    rows = shape[0]
    cols = math.prod(shape[1:])
    flat = rng.standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return gain * q.reshape(shape)


def linear_default(d_in, d_out, rng, dtype=np.float64):
    """torch.nn.Linear's parameters: W, b ~ U(-1/sqrt(d_in), 1/sqrt(d_in)), i.e. Var[w] = 1 / (3 d_in).

    Shapes: -> W (d_out, d_in), b (d_out,). torch draws W by kaiming_uniform_(a=sqrt(5)) (gain sqrt(1/3)).
    """
    bound = 1.0 / math.sqrt(d_in)
    w = rng.uniform(-bound, bound, size=(d_out, d_in))
    b = rng.uniform(-bound, bound, size=d_out)
    return w.astype(dtype), b.astype(dtype)


def linear_default_mlp(sizes, rng, dtype=np.float64):
    """params {W1, b1, ..., WL, bL} as a stack of torch.nn.Linear layers starts them (``linear_default`` per layer).

    Shapes: W_l (sizes[l], sizes[l-1]), b_l (sizes[l],).
    """
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{layer}"], params[f"b{layer}"] = linear_default(fan_in, fan_out, rng, dtype)
    return params


def lsuv_init(params, x, activation="relu", tol=0.01, max_iter=10):
    """Layer by layer from the input: W^(l) <- W^(l) / sqrt(Var[a^(l)]) until |Var[a^(l)] - 1| < tol.

    Shapes: params {W1, b1, ..., WL, bL} (dlcourse.network), x (N, D) -> new params, same keys and shapes.
    Var is over all N M_l entries of a^(l) on the batch x (ddof 0), computed with the layers below already
    rescaled; at most ``max_iter`` rescalings per layer; biases are kept. Mishkin & Matas (2016).
    """
    params = {key: value.copy() for key, value in params.items()}
    h = get_activation(activation).function
    z = x
    for layer in range(1, sum(1 for key in params if key.startswith("W")) + 1):
        w, b = params[f"W{layer}"], params[f"b{layer}"]
        variance = np.var(z @ w.T + b)
        for _ in range(max_iter):
            if abs(variance - 1.0) < tol:
                break
            w = w / np.sqrt(variance)
            variance = np.var(z @ w.T + b)
        params[f"W{layer}"] = w
        z = h(z @ w.T + b)
    return params


INIT_SCHEMES = {
    "he": lambda fan_in, fan_out: init_scale((fan_out, fan_in), gain=math.sqrt(2.0)),    # He et al. 2015, ReLU
    "glorot": lambda fan_in, fan_out: init_scale((fan_out, fan_in), mode="fan_avg"),      # Glorot & Bengio 2010
    "lecun": lambda fan_in, fan_out: init_scale((fan_out, fan_in)),                      # LeCun et al. 1998
    "small": lambda fan_in, fan_out: 0.01,
}


def init_weight(fan_in, fan_out, rng, scheme="he", dtype=np.float64):
    """W_ij ~ N(0, std^2) with std given by ``scheme`` (he: sqrt(2/fan_in), glorot: sqrt(2/(fan_in+fan_out)), ...).

    Shapes: -> (fan_out, fan_in).
    """
    try:
        std = INIT_SCHEMES[scheme](fan_in, fan_out)
    except KeyError:
        raise ValueError(f"unknown scheme {scheme!r}; choose one of {sorted(INIT_SCHEMES)}") from None
    return (std * rng.standard_normal((fan_out, fan_in))).astype(dtype)


def init_mlp(sizes, rng, scheme="he", dtype=np.float64):
    """params = {W1, b1, ..., WL, bL} for layer sizes [D, M1, ..., K], biases zero.

    ``scheme`` is a name of INIT_SCHEMES or a function ``(shape, rng) -> W``, e.g.
    ``functools.partial(variance_scaling, gain=calculate_gain("tanh"))``.
    Shapes: W_l (sizes[l], sizes[l-1]), b_l (sizes[l],).
    """
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        if callable(scheme):
            params[f"W{layer}"] = np.asarray(scheme((fan_out, fan_in), rng), dtype=dtype)
        else:
            params[f"W{layer}"] = init_weight(fan_in, fan_out, rng, scheme, dtype)
        params[f"b{layer}"] = np.zeros(fan_out, dtype=dtype)
    return params
