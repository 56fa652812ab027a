"""Chapter 03_initialisation: mistakes students make, and correct implementations unlike the instructor's.

Each function is notebook code for one exercise (see dlcourse.grading.library): it may use what the
chapter's first cell imports (math, np, activations, layers, network, signal, ...) and the student's other
functions (variance_scaling may call init_scale), never the reference of its own exercise. Among the mistakes
are the lecture notes' errors (He's scale as randn / sqrt(2 n), LeCun's rule as a uniform bound) and PyTorch's
conventions that trip people ((out, in) weights, kaiming_normal_'s default slope 0, the sample std of
Tensor.std(), the bound of a uniform draw).
"""
import math  # noqa: F401 (the notebook code below uses what the notebook imports; this keeps linters quiet)

import numpy as np  # noqa: F401

from dlcourse import activations, layers, network, signal  # noqa: F401
from dlcourse.grading.library import correct, mistake

# ---------------------------------------------------------------------- calculate_gain


@mistake("calculate_gain", "tanh gain 1 (the linear regime)", "torch's gain for tanh is 5/3")
def calculate_gain(nonlinearity, param=None):
    if nonlinearity in ("linear", "sigmoid", "tanh"):
        return 1.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1.0 + slope ** 2))
    if nonlinearity == "selu":
        return 0.75
    raise ValueError(nonlinearity)


@mistake("calculate_gain", "relu gain 2, the variance factor", "the factor on the variance")
def calculate_gain(nonlinearity, param=None):
    gains = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5 / 3, "relu": 2.0, "selu": 0.75}
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return 2.0 / (1.0 + slope ** 2)
    if nonlinearity not in gains:
        raise ValueError(nonlinearity)
    return gains[nonlinearity]


@mistake("calculate_gain", "leaky gain sqrt(2 / (1 + a)): slope not squared", "the slope nu enters squared")
def calculate_gain(nonlinearity, param=None):
    if nonlinearity in ("linear", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1.0 + slope))
    if nonlinearity == "selu":
        return 0.75
    raise ValueError(nonlinearity)


@mistake("calculate_gain", "leaky gain 2 / (1 + a^2): the variance factor", "the gain is its square root")
def calculate_gain(nonlinearity, param=None):
    if nonlinearity in ("linear", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return 2.0 / (1.0 + slope ** 2)
    if nonlinearity == "selu":
        return 0.75
    raise ValueError(nonlinearity)


@mistake("calculate_gain", "param or 0.01: the slope 0 (kaiming_normal_'s default a=0) becomes 0.01",
         "`param or 0.01`")
def calculate_gain(nonlinearity, param=None):
    if nonlinearity in ("linear", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = param or 0.01
        return math.sqrt(2.0 / (1.0 + slope ** 2))
    if nonlinearity == "selu":
        return 0.75
    raise ValueError(nonlinearity)


@mistake("calculate_gain", "leaky_relu ignores param", "use the slope param when it is given")
def calculate_gain(nonlinearity, param=None):
    if nonlinearity in ("linear", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        return math.sqrt(2.0 / (1.0 + 0.01 ** 2))
    if nonlinearity == "selu":
        return 0.75
    raise ValueError(nonlinearity)


@mistake("calculate_gain", "sigmoid gain 4 = 1 / sigma'(0)", "torch's gain for the sigmoid is 1")
def calculate_gain(nonlinearity, param=None):
    gains = {"linear": 1.0, "sigmoid": 4.0, "tanh": 5 / 3, "relu": math.sqrt(2), "selu": 0.75}
    if nonlinearity == "leaky_relu":
        return math.sqrt(2.0 / (1.0 + (0.01 if param is None else param) ** 2))
    if nonlinearity not in gains:
        raise ValueError(nonlinearity)
    return gains[nonlinearity]


@mistake("calculate_gain", "selu gain 1", "torch's gain for selu is 3/4")
def calculate_gain(nonlinearity, param=None):
    gains = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5 / 3, "relu": math.sqrt(2), "selu": 1.0}
    if nonlinearity == "leaky_relu":
        return math.sqrt(2.0 / (1.0 + (0.01 if param is None else param) ** 2))
    if nonlinearity not in gains:
        raise ValueError(nonlinearity)
    return gains[nonlinearity]


@mistake("calculate_gain", "gain 1 for a name it does not know", "should raise ValueError")
def calculate_gain(nonlinearity, param=None):
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1.0 + slope ** 2))
    if nonlinearity == "selu":
        return 0.75
    return 1.0


@correct("calculate_gain", "a dict of functions of the slope")
def calculate_gain(nonlinearity, param=None):
    slope = 0.01 if param is None else param
    table = {"linear": lambda: 1, "sigmoid": lambda: 1, "tanh": lambda: 5 / 3, "relu": lambda: 2 ** 0.5,
             "leaky_relu": lambda: (2 / (1 + slope * slope)) ** 0.5, "selu": lambda: 3 / 4}
    if nonlinearity not in table:
        raise ValueError(f"no gain for {nonlinearity}")
    return table[nonlinearity]()


@correct("calculate_gain", "numpy floats, ReLU as leaky ReLU with slope 0")
def calculate_gain(nonlinearity, param=None):
    if nonlinearity == "relu":
        return calculate_gain("leaky_relu", 0.0)
    if nonlinearity == "leaky_relu":
        a = 0.01 if param is None else float(param)
        return np.sqrt(2.0) / np.sqrt(1.0 + a ** 2)
    if nonlinearity == "tanh":
        return np.float64(5) / 3
    if nonlinearity == "selu":
        return np.float64(0.75)
    if nonlinearity in ["linear", "sigmoid"]:
        return np.float64(1)
    raise ValueError("unsupported nonlinearity")


# ---------------------------------------------------------------------- init_scale


@mistake("init_scale", "fan_in = shape[0]: the (in, out) layout", "fan_in and fan_out swapped")
def init_scale(shape, gain=1.0, mode="fan_in", distribution="normal"):
    if len(shape) < 2:
        raise ValueError("shape")
    field = math.prod(shape[2:])
    fan_in, fan_out = shape[0] * field, shape[1] * field
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    std = gain / math.sqrt(fan)
    return {"normal": std, "uniform": math.sqrt(3) * std}[distribution]


@mistake("init_scale", "no receptive field for kernels", "without the receptive field")
def init_scale(shape, gain=1.0, mode="fan_in", distribution="normal"):
    if len(shape) < 2:
        raise ValueError("shape")
    fan_in, fan_out = shape[1], shape[0]
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    std = gain / math.sqrt(fan)
    return {"normal": std, "uniform": math.sqrt(3) * std}[distribution]


@mistake("init_scale", "fan_avg as fan_in + fan_out", "where their average belongs")
def init_scale(shape, gain=1.0, mode="fan_in", distribution="normal"):
    if len(shape) < 2:
        raise ValueError("shape")
    field = math.prod(shape[2:])
    fan_in, fan_out = shape[1] * field, shape[0] * field
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": fan_in + fan_out}[mode]
    std = gain / math.sqrt(fan)
    return {"normal": std, "uniform": math.sqrt(3) * std}[distribution]


@mistake("init_scale", "uniform bound = std", "the standard deviation, not the bound")
def init_scale(shape, gain=1.0, mode="fan_in", distribution="normal"):
    if len(shape) < 2 or distribution not in ("normal", "uniform"):
        raise ValueError("shape or distribution")
    field = math.prod(shape[2:])
    fan_in, fan_out = shape[1] * field, shape[0] * field
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    return gain / math.sqrt(fan)


@mistake("init_scale", "uniform bound = 3 std", "3 std")
def init_scale(shape, gain=1.0, mode="fan_in", distribution="normal"):
    if len(shape) < 2:
        raise ValueError("shape")
    field = math.prod(shape[2:])
    fan_in, fan_out = shape[1] * field, shape[0] * field
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    std = gain / math.sqrt(fan)
    return {"normal": std, "uniform": 3 * std}[distribution]


@mistake("init_scale", "returns the variance", "return the standard deviation itself")
def init_scale(shape, gain=1.0, mode="fan_in", distribution="normal"):
    if len(shape) < 2:
        raise ValueError("shape")
    field = math.prod(shape[2:])
    fan_in, fan_out = shape[1] * field, shape[0] * field
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    var = gain ** 2 / fan
    return {"normal": var, "uniform": 3 * var}[distribution]


@mistake("init_scale", "divides by the gain: the notes' randn / sqrt(2 n)", "dividing by the gain")
def init_scale(shape, gain=1.0, mode="fan_in", distribution="normal"):
    if len(shape) < 2:
        raise ValueError("shape")
    field = math.prod(shape[2:])
    fan_in, fan_out = shape[1] * field, shape[0] * field
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    std = 1 / (gain * math.sqrt(fan))
    return {"normal": std, "uniform": math.sqrt(3) * std}[distribution]


@mistake("init_scale", "gain squared in the std", "gain^2 / sqrt(fan)")
def init_scale(shape, gain=1.0, mode="fan_in", distribution="normal"):
    if len(shape) < 2:
        raise ValueError("shape")
    field = math.prod(shape[2:])
    fan_in, fan_out = shape[1] * field, shape[0] * field
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    std = gain ** 2 / math.sqrt(fan)
    return {"normal": std, "uniform": math.sqrt(3) * std}[distribution]


@mistake("init_scale", "mode ignored", "the mode was ignored")
def init_scale(shape, gain=1.0, mode="fan_in", distribution="normal"):
    if len(shape) < 2 or mode not in ("fan_in", "fan_out", "fan_avg"):
        raise ValueError("shape or mode")
    std = gain / math.sqrt(shape[1] * math.prod(shape[2:]))
    return {"normal": std, "uniform": math.sqrt(3) * std}[distribution]


@mistake("init_scale", "an unknown mode falls back to fan_in", "mode='fan_sum'")
def init_scale(shape, gain=1.0, mode="fan_in", distribution="normal"):
    if len(shape) < 2:
        raise ValueError("shape")
    field = math.prod(shape[2:])
    fan_in, fan_out = shape[1] * field, shape[0] * field
    fan = {"fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}.get(mode, fan_in)
    std = gain / math.sqrt(fan)
    return {"normal": std, "uniform": math.sqrt(3) * std}[distribution]


@mistake("init_scale", "a one-entry shape is taken as its own fan", "a shape with one entry")
def init_scale(shape, gain=1.0, mode="fan_in", distribution="normal"):
    field = math.prod(shape[2:])
    fan_out = shape[0] * field
    fan_in = shape[1] * field if len(shape) > 1 else fan_out
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    std = gain / math.sqrt(fan)
    return {"normal": std, "uniform": math.sqrt(3) * std}[distribution]


@correct("init_scale", "the variance first, torch's Glorot formula, np.prod")
def init_scale(shape, gain=1.0, mode="fan_in", distribution="normal"):
    if len(shape) < 2:
        raise ValueError("need (out, in, ...)")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
    if mode == "fan_avg":
        variance = gain ** 2 * 2.0 / (fan_in + fan_out)
    elif mode in ("fan_in", "fan_out"):
        variance = gain ** 2 / (fan_in if mode == "fan_in" else fan_out)
    else:
        raise ValueError(mode)
    if distribution not in ("normal", "uniform"):
        raise ValueError(distribution)
    return float(np.sqrt(3 * variance if distribution == "uniform" else variance))


@correct("init_scale", "a loop over the kernel dimensions, bound from the variance of U(-b, b)")
def init_scale(shape, gain=1.0, mode="fan_in", distribution="normal"):
    shape = tuple(shape)
    if len(shape) < 2:
        raise ValueError("a weight has at least two dimensions")
    fan_in, fan_out = shape[1], shape[0]
    for k in shape[2:]:
        fan_in, fan_out = fan_in * k, fan_out * k
    fans = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": 0.5 * (fan_in + fan_out)}
    if mode not in fans or distribution not in ("normal", "uniform"):
        raise ValueError("unknown mode or distribution")
    std = gain * fans[mode] ** -0.5
    if distribution == "uniform":
        return (3 * std ** 2) ** 0.5        # Var U(-b, b) = b^2 / 3
    return std


# ---------------------------------------------------------------------- variance_scaling


@mistake("variance_scaling", "numpy's global random state", "numpy's global random state")
def variance_scaling(shape, rng, gain=1.0, mode="fan_in", distribution="normal"):
    scale = init_scale(shape, gain, mode, distribution)
    if distribution == "normal":
        return scale * np.random.randn(*shape)
    return np.random.uniform(-scale, scale, size=shape)


@mistake("variance_scaling", "rng.normal(0, std**2): the variance as the scale", "passed as the standard deviation")
def variance_scaling(shape, rng, gain=1.0, mode="fan_in", distribution="normal"):
    scale = init_scale(shape, gain, mode, distribution)
    if distribution == "normal":
        return rng.normal(0.0, scale ** 2, size=shape)
    return rng.uniform(-scale, scale, size=shape)


@mistake("variance_scaling", "uniform on [0, bound]", "drawn from [0, bound]")
def variance_scaling(shape, rng, gain=1.0, mode="fan_in", distribution="normal"):
    scale = init_scale(shape, gain, mode, distribution)
    if distribution == "normal":
        return scale * rng.standard_normal(shape)
    return scale * rng.random(shape)


@mistake("variance_scaling", "uniform with the std as bound", "the standard deviation, not the bound")
def variance_scaling(shape, rng, gain=1.0, mode="fan_in", distribution="normal"):
    std = init_scale(shape, gain, mode, "normal")
    if distribution == "normal":
        return std * rng.standard_normal(shape)
    return rng.uniform(-std, std, size=shape)


@mistake("variance_scaling", "always a normal draw", "do not look uniform")
def variance_scaling(shape, rng, gain=1.0, mode="fan_in", distribution="normal"):
    std = init_scale(shape, gain, mode, "normal")
    return std * rng.standard_normal(shape)


@mistake("variance_scaling", "a fresh generator with a fixed seed", "gave the same weights")
def variance_scaling(shape, rng, gain=1.0, mode="fan_in", distribution="normal"):
    own = np.random.default_rng(0)
    scale = init_scale(shape, gain, mode, distribution)
    if distribution == "normal":
        return scale * own.standard_normal(shape)
    return own.uniform(-scale, scale, size=shape)


@mistake("variance_scaling", "clipped at two standard deviations", "your draws")
def variance_scaling(shape, rng, gain=1.0, mode="fan_in", distribution="normal"):
    scale = init_scale(shape, gain, mode, distribution)
    if distribution == "normal":
        return scale * np.clip(rng.standard_normal(shape), -2, 2)
    return rng.uniform(-scale, scale, size=shape)


@mistake("variance_scaling", "the (in, out) shape", "It looks transposed")
def variance_scaling(shape, rng, gain=1.0, mode="fan_in", distribution="normal"):
    scale = init_scale(shape, gain, mode, distribution)
    if distribution == "normal":
        return scale * rng.standard_normal(shape[::-1])
    return rng.uniform(-scale, scale, size=shape[::-1])


@correct("variance_scaling", "rng.normal with a scale, uniform from rng.random")
def variance_scaling(shape, rng, gain=1.0, mode="fan_in", distribution="normal"):
    scale = init_scale(shape, gain, mode, distribution)
    if distribution == "uniform":
        return scale * (2.0 * rng.random(shape) - 1.0)
    return rng.normal(0.0, scale, size=shape)


@correct("variance_scaling", "drawn in another order and transposed back, without init_scale")
def variance_scaling(shape, rng, gain=1.0, mode="fan_in", distribution="normal"):
    field = math.prod(shape[2:])
    fan = {"fan_in": shape[1] * field, "fan_out": shape[0] * field,
           "fan_avg": (shape[0] + shape[1]) * field / 2}[mode]
    std = gain / math.sqrt(fan)
    if distribution == "normal":
        return std * rng.standard_normal(tuple(shape)[::-1]).T
    bound = math.sqrt(3.0) * std
    return rng.uniform(-bound, bound, size=tuple(shape)[::-1]).T


# ---------------------------------------------------------------------- signal_statistics


@mistake("signal_statistics", "Tensor.std()'s ddof=1", "ddof=1")
def signal_statistics(params, x, dout, activation="relu"):
    out, caches = network.mlp_forward(params, x, activation)
    forward = [c.activation.a.std(ddof=1) for c in caches[:-1]] + [out.std(ddof=1)]
    backward, delta = [], dout
    for l in range(len(caches), 0, -1):
        backward.insert(0, delta.std(ddof=1))
        if l > 1:
            delta = layers.activation_backward(delta @ params[f"W{l}"], caches[l - 2].activation)
    return np.array(forward), np.array(backward)


@mistake("signal_statistics", "per-unit std averaged", "the average over units")
def signal_statistics(params, x, dout, activation="relu"):
    out, caches = network.mlp_forward(params, x, activation)
    forward = [c.activation.a.std(axis=0).mean() for c in caches[:-1]] + [out.std(axis=0).mean()]
    backward, delta = [], dout
    for l in range(len(caches), 0, -1):
        backward.insert(0, delta.std(axis=0).mean())
        if l > 1:
            delta = layers.activation_backward(delta @ params[f"W{l}"], caches[l - 2].activation)
    return np.array(forward), np.array(backward)


@mistake("signal_statistics", "statistics of z = h(a)", "the activations z = h(a)")
def signal_statistics(params, x, dout, activation="relu"):
    h = activations.get_activation(activation).function
    out, caches = network.mlp_forward(params, x, activation)
    forward = [h(c.activation.a).std() for c in caches[:-1]] + [out.std()]
    backward, delta = [], dout
    for l in range(len(caches), 0, -1):
        backward.insert(0, delta.std())
        if l > 1:
            delta = layers.activation_backward(delta @ params[f"W{l}"], caches[l - 2].activation)
    return np.array(forward), np.array(backward)


@mistake("signal_statistics", "dJ/dz recorded for hidden layers", "the spread of dJ/dz")
def signal_statistics(params, x, dout, activation="relu"):
    out, caches = network.mlp_forward(params, x, activation)
    forward = [c.activation.a.std() for c in caches[:-1]] + [out.std()]
    backward, delta = [dout.std()], dout
    for l in range(len(caches), 1, -1):
        dz = delta @ params[f"W{l}"]
        backward.insert(0, dz.std())
        delta = layers.activation_backward(dz, caches[l - 2].activation)
    return np.array(forward), np.array(backward)


@mistake("signal_statistics", "h'(z) instead of h'(a)", "h'(z) in place of h'(a)")
def signal_statistics(params, x, dout, activation="relu"):
    h = activations.get_activation(activation)
    out, caches = network.mlp_forward(params, x, activation)
    forward = [c.activation.a.std() for c in caches[:-1]] + [out.std()]
    backward, delta = [], dout
    for l in range(len(caches), 0, -1):
        backward.insert(0, delta.std())
        if l > 1:
            a = caches[l - 2].activation.a
            delta = (delta @ params[f"W{l}"]) * h.derivative(h.function(a))
    return np.array(forward), np.array(backward)


@mistake("signal_statistics", "backward listed from the output down", "in the order output to input")
def signal_statistics(params, x, dout, activation="relu"):
    out, caches = network.mlp_forward(params, x, activation)
    forward = [c.activation.a.std() for c in caches[:-1]] + [out.std()]
    backward, delta = [], dout
    for l in range(len(caches), 0, -1):
        backward.append(delta.std())
        if l > 1:
            delta = layers.activation_backward(delta @ params[f"W{l}"], caches[l - 2].activation)
    return np.array(forward), np.array(backward)


@mistake("signal_statistics", "hidden layers only", "the hidden layers only")
def signal_statistics(params, x, dout, activation="relu"):
    _, caches = network.mlp_forward(params, x, activation)
    forward = [c.activation.a.std() for c in caches[:-1]]
    backward, delta = [], dout
    for l in range(len(caches), 1, -1):
        delta = layers.activation_backward(delta @ params[f"W{l}"], caches[l - 2].activation)
        backward.insert(0, delta.std())
    return np.array(forward), np.array(backward)


@mistake("signal_statistics", "root mean square", "the root mean square")
def signal_statistics(params, x, dout, activation="relu"):
    out, caches = network.mlp_forward(params, x, activation)
    rms = lambda v: np.sqrt(np.mean(v ** 2))
    forward = [rms(c.activation.a) for c in caches[:-1]] + [rms(out)]
    backward, delta = [], dout
    for l in range(len(caches), 0, -1):
        backward.insert(0, rms(delta))
        if l > 1:
            delta = layers.activation_backward(delta @ params[f"W{l}"], caches[l - 2].activation)
    return np.array(forward), np.array(backward)


@mistake("signal_statistics", "variances", "the variances, not the standard deviations")
def signal_statistics(params, x, dout, activation="relu"):
    out, caches = network.mlp_forward(params, x, activation)
    forward = [c.activation.a.var() for c in caches[:-1]] + [out.var()]
    backward, delta = [], dout
    for l in range(len(caches), 0, -1):
        backward.insert(0, delta.var())
        if l > 1:
            delta = layers.activation_backward(delta @ params[f"W{l}"], caches[l - 2].activation)
    return np.array(forward), np.array(backward)


@mistake("signal_statistics", "the weight gradients instead of the error signals", "the weight gradients dJ/dW")
def signal_statistics(params, x, dout, activation="relu"):
    out, caches = network.mlp_forward(params, x, activation)
    forward = [c.activation.a.std() for c in caches[:-1]] + [out.std()]
    grads = network.mlp_backward(dout, caches)
    backward = [grads[f"W{l}"].std() for l in range(1, len(caches) + 1)]
    return np.array(forward), np.array(backward)


@correct("signal_statistics", "its own forward loop, std by hand")
def signal_statistics(params, x, dout, activation="relu"):
    h = activations.get_activation(activation)
    depth = len([key for key in params if key.startswith("W")])
    spread = lambda v: np.sqrt(np.mean((v - v.mean()) ** 2))
    z, pre = x, []
    for l in range(1, depth + 1):
        a = z @ params[f"W{l}"].T + params[f"b{l}"]
        pre.append(a)
        z = h.function(a)
    deltas = [dout]
    for l in range(depth, 1, -1):
        deltas.insert(0, (deltas[0] @ params[f"W{l}"]) * h.derivative(pre[l - 2]))
    return np.array([spread(a) for a in pre]), np.array([spread(d) for d in deltas])


@correct("signal_statistics", "mlp_forward caches, a list comprehension at the end")
def signal_statistics(params, x, dout, activation="relu"):
    out, caches = network.mlp_forward(params, x, activation)
    pre = [cache.activation.a for cache in caches[:-1]] + [out]
    deltas = [dout]
    for cache_below, cache in zip(reversed(caches[:-1]), reversed(caches[1:])):
        deltas.append(layers.activation_backward(deltas[-1] @ cache.linear.w, cache_below.activation))
    return np.array([np.std(a) for a in pre]), np.array([np.std(d) for d in reversed(deltas)])


# ---------------------------------------------------------------------- predicted_variances


@mistake("predicted_variances", "fan_out in the forward recursion", "with fan_out M_l in the forward")
def predicted_variances(sizes, weight_vars, activation="relu", input_var=1.0, output_grad_var=1.0):
    def moments(q):
        if activation == "identity":
            return q, 1.0
        if activation == "relu":
            return q / 2, 0.5
        h = activations.get_activation(activation)
        return (signal.gaussian_expectation(lambda a: h.function(a) ** 2, q),
                signal.gaussian_expectation(lambda a: h.derivative(a) ** 2, q))
    L = len(sizes) - 1
    forward, slopes, second = np.zeros(L), np.zeros(L), input_var
    for i in range(L):
        forward[i] = sizes[i + 1] * weight_vars[i] * second
        second, slopes[i] = moments(forward[i])
    backward = np.zeros(L)
    backward[-1] = output_grad_var
    for i in range(L - 2, -1, -1):
        backward[i] = sizes[i + 2] * weight_vars[i + 1] * slopes[i] * backward[i + 1]
    return forward, backward


@mistake("predicted_variances", "M_l in the backward recursion", "with M_l in the backward")
def predicted_variances(sizes, weight_vars, activation="relu", input_var=1.0, output_grad_var=1.0):
    def moments(q):
        if activation == "identity":
            return q, 1.0
        if activation == "relu":
            return q / 2, 0.5
        h = activations.get_activation(activation)
        return (signal.gaussian_expectation(lambda a: h.function(a) ** 2, q),
                signal.gaussian_expectation(lambda a: h.derivative(a) ** 2, q))
    L = len(sizes) - 1
    forward, slopes, second = np.zeros(L), np.zeros(L), input_var
    for i in range(L):
        forward[i] = sizes[i] * weight_vars[i] * second
        second, slopes[i] = moments(forward[i])
    backward = np.zeros(L)
    backward[-1] = output_grad_var
    for i in range(L - 2, -1, -1):
        backward[i] = sizes[i + 1] * weight_vars[i + 1] * slopes[i] * backward[i + 1]
    return forward, backward


@mistake("predicted_variances", "slope of the layer above", "with h'(a^(l+1))")
def predicted_variances(sizes, weight_vars, activation="relu", input_var=1.0, output_grad_var=1.0):
    def moments(q):
        if activation == "identity":
            return q, 1.0
        if activation == "relu":
            return q / 2, 0.5
        h = activations.get_activation(activation)
        return (signal.gaussian_expectation(lambda a: h.function(a) ** 2, q),
                signal.gaussian_expectation(lambda a: h.derivative(a) ** 2, q))
    L = len(sizes) - 1
    forward, slopes, second = np.zeros(L), np.zeros(L), input_var
    for i in range(L):
        forward[i] = sizes[i] * weight_vars[i] * second
        second, slopes[i] = moments(forward[i])
    backward = np.zeros(L)
    backward[-1] = output_grad_var
    for i in range(L - 2, -1, -1):
        backward[i] = sizes[i + 2] * weight_vars[i + 1] * slopes[i + 1] * backward[i + 1]
    return forward, backward


@mistake("predicted_variances", "no E[h'^2] in the backward recursion", "without E[h'(a)^2]")
def predicted_variances(sizes, weight_vars, activation="relu", input_var=1.0, output_grad_var=1.0):
    def second_moment(q):
        if activation == "identity":
            return q
        if activation == "relu":
            return q / 2
        h = activations.get_activation(activation).function
        return signal.gaussian_expectation(lambda a: h(a) ** 2, q)
    L = len(sizes) - 1
    forward, second = np.zeros(L), input_var
    for i in range(L):
        forward[i] = sizes[i] * weight_vars[i] * second
        second = second_moment(forward[i])
    backward = np.zeros(L)
    backward[-1] = output_grad_var
    for i in range(L - 2, -1, -1):
        backward[i] = sizes[i + 2] * weight_vars[i + 1] * backward[i + 1]
    return forward, backward


@mistake("predicted_variances", "Var[relu(a)] instead of E[relu(a)^2]", "(1/2 - 1/(2 pi)) q")
def predicted_variances(sizes, weight_vars, activation="relu", input_var=1.0, output_grad_var=1.0):
    def moments(q):
        if activation == "identity":
            return q, 1.0
        if activation == "relu":
            return (0.5 - 1 / (2 * math.pi)) * q, 0.5
        h = activations.get_activation(activation)
        return (signal.gaussian_expectation(lambda a: h.function(a) ** 2, q),
                signal.gaussian_expectation(lambda a: h.derivative(a) ** 2, q))
    L = len(sizes) - 1
    forward, slopes, second = np.zeros(L), np.zeros(L), input_var
    for i in range(L):
        forward[i] = sizes[i] * weight_vars[i] * second
        second, slopes[i] = moments(forward[i])
    backward = np.zeros(L)
    backward[-1] = output_grad_var
    for i in range(L - 2, -1, -1):
        backward[i] = sizes[i + 2] * weight_vars[i + 1] * slopes[i] * backward[i + 1]
    return forward, backward


@mistake("predicted_variances", "ReLU's 1/2 on the input too", "ReLU's factor 1/2 on the input")
def predicted_variances(sizes, weight_vars, activation="relu", input_var=1.0, output_grad_var=1.0):
    factor = {"identity": (1.0, 1.0), "relu": (0.5, 0.5)}
    L = len(sizes) - 1
    forward, slopes = np.zeros(L), np.zeros(L)
    second = input_var * (0.5 if activation == "relu" else 1.0)
    for i in range(L):
        forward[i] = sizes[i] * weight_vars[i] * second
        if activation in factor:
            second, slopes[i] = factor[activation][0] * forward[i], factor[activation][1]
        else:
            h = activations.get_activation(activation)
            second = signal.gaussian_expectation(lambda a: h.function(a) ** 2, forward[i])
            slopes[i] = signal.gaussian_expectation(lambda a: h.derivative(a) ** 2, forward[i])
    backward = np.zeros(L)
    backward[-1] = output_grad_var
    for i in range(L - 2, -1, -1):
        backward[i] = sizes[i + 2] * weight_vars[i + 1] * slopes[i] * backward[i + 1]
    return forward, backward


@mistake("predicted_variances", "every activation treated as linear", "the prediction of a linear network")
def predicted_variances(sizes, weight_vars, activation="relu", input_var=1.0, output_grad_var=1.0):
    L = len(sizes) - 1
    forward, second = np.zeros(L), input_var
    for i in range(L):
        forward[i] = sizes[i] * weight_vars[i] * second
        second = forward[i]
    backward = np.zeros(L)
    backward[-1] = output_grad_var
    for i in range(L - 2, -1, -1):
        backward[i] = sizes[i + 2] * weight_vars[i + 1] * backward[i + 1]
    return forward, backward


@mistake("predicted_variances", "Var[sigma(a)] instead of E[sigma(a)^2]", "the mean 1/2 of the sigmoid counts")
def predicted_variances(sizes, weight_vars, activation="relu", input_var=1.0, output_grad_var=1.0):
    def moments(q):
        if activation == "identity":
            return q, 1.0
        if activation == "relu":
            return q / 2, 0.5
        h = activations.get_activation(activation)
        mean = signal.gaussian_expectation(h.function, q)
        return (signal.gaussian_expectation(lambda a: h.function(a) ** 2, q) - mean ** 2,
                signal.gaussian_expectation(lambda a: h.derivative(a) ** 2, q))
    L = len(sizes) - 1
    forward, slopes, second = np.zeros(L), np.zeros(L), input_var
    for i in range(L):
        forward[i] = sizes[i] * weight_vars[i] * second
        second, slopes[i] = moments(forward[i])
    backward = np.zeros(L)
    backward[-1] = output_grad_var
    for i in range(L - 2, -1, -1):
        backward[i] = sizes[i + 2] * weight_vars[i + 1] * slopes[i] * backward[i + 1]
    return forward, backward


@mistake("predicted_variances", "the weight variance of layer l in the backward step", "delta^(l) is carried by")
def predicted_variances(sizes, weight_vars, activation="relu", input_var=1.0, output_grad_var=1.0):
    def moments(q):
        if activation == "identity":
            return q, 1.0
        if activation == "relu":
            return q / 2, 0.5
        h = activations.get_activation(activation)
        return (signal.gaussian_expectation(lambda a: h.function(a) ** 2, q),
                signal.gaussian_expectation(lambda a: h.derivative(a) ** 2, q))
    L = len(sizes) - 1
    forward, slopes, second = np.zeros(L), np.zeros(L), input_var
    for i in range(L):
        forward[i] = sizes[i] * weight_vars[i] * second
        second, slopes[i] = moments(forward[i])
    backward = np.zeros(L)
    backward[-1] = output_grad_var
    for i in range(L - 2, -1, -1):
        backward[i] = sizes[i + 2] * weight_vars[i] * slopes[i] * backward[i + 1]
    return forward, backward


@mistake("predicted_variances", "output_grad_var ignored", "output_grad_var = 1", visible=True)
def predicted_variances(sizes, weight_vars, activation="relu", input_var=1.0, output_grad_var=1.0):
    def moments(q):
        if activation == "identity":
            return q, 1.0
        if activation == "relu":
            return q / 2, 0.5
        h = activations.get_activation(activation)
        return (signal.gaussian_expectation(lambda a: h.function(a) ** 2, q),
                signal.gaussian_expectation(lambda a: h.derivative(a) ** 2, q))
    L = len(sizes) - 1
    forward, slopes, second = np.zeros(L), np.zeros(L), input_var
    for i in range(L):
        forward[i] = sizes[i] * weight_vars[i] * second
        second, slopes[i] = moments(forward[i])
    backward = np.ones(L)
    for i in range(L - 2, -1, -1):
        backward[i] = sizes[i + 2] * weight_vars[i + 1] * slopes[i] * backward[i + 1]
    return forward, backward


@correct("predicted_variances", "scipy's quad for tanh and sigmoid, lists")
def predicted_variances(sizes, weight_vars, activation="relu", input_var=1.0, output_grad_var=1.0):
    from scipy.integrate import quad

    def gauss(f, q):
        if q == 0:
            return float(f(np.array(0.0)))
        density = lambda a: math.exp(-a * a / (2 * q)) / math.sqrt(2 * math.pi * q)
        bound = 12 * math.sqrt(q)
        return quad(lambda a: float(f(np.array(a))) * density(a), -bound, bound, limit=200, epsabs=0,
                    epsrel=1e-12)[0]
    if activation == "identity":
        second, slope = (lambda q: q), (lambda q: 1.0)
    elif activation == "relu":
        second, slope = (lambda q: 0.5 * q), (lambda q: 0.5)
    else:
        h = activations.get_activation(activation)
        second = lambda q: gauss(lambda a: h.function(a) ** 2, q)
        slope = lambda q: gauss(lambda a: h.derivative(a) ** 2, q)
    forward = [sizes[0] * weight_vars[0] * input_var]
    for l in range(1, len(sizes) - 1):
        forward.append(sizes[l] * weight_vars[l] * second(forward[-1]))
    backward = [output_grad_var]
    for l in range(len(sizes) - 2, 0, -1):
        backward.insert(0, sizes[l + 1] * weight_vars[l] * slope(forward[l - 1]) * backward[0])
    return np.array(forward), np.array(backward)


@correct("predicted_variances", "the backward pass as a cumulative product")
def predicted_variances(sizes, weight_vars, activation="relu", input_var=1.0, output_grad_var=1.0):
    sizes, weight_vars = np.asarray(sizes, dtype=float), np.asarray(weight_vars, dtype=float)
    h = activations.get_activation(activation)
    forward = np.empty(len(weight_vars))
    slopes = np.empty(len(weight_vars))
    second = input_var
    for i, (fan_in, var) in enumerate(zip(sizes[:-1], weight_vars)):
        forward[i] = fan_in * var * second
        if activation in ("identity", "relu"):
            keep = 1.0 if activation == "identity" else 0.5
            second, slopes[i] = keep * forward[i], keep
        else:
            second = signal.gaussian_expectation(lambda a: h.function(a) ** 2, forward[i])
            slopes[i] = signal.gaussian_expectation(lambda a: h.derivative(a) ** 2, forward[i])
    factors = sizes[2:] * weight_vars[1:] * slopes[:-1]          # Var[delta^(l)] / Var[delta^(l+1)]
    backward = output_grad_var * np.append(np.cumprod(factors[::-1])[::-1], 1.0)
    return forward, backward


# ---------------------------------------------------------------------- lsuv_init


@mistake("lsuv_init", "all layers from one forward pass", "rescale layer by layer")
def lsuv_init(params, x, activation="relu", tol=0.01, max_iter=10):
    _, caches = network.mlp_forward(params, x, activation)
    new = dict(params)
    for l, cache in enumerate(caches, start=1):
        w, b = params[f"W{l}"], params[f"b{l}"]
        z = cache.linear.x
        v = np.var(z @ w.T + b)
        for _ in range(max_iter):
            if abs(v - 1) < tol:
                break
            w = w / np.sqrt(v)
            v = np.var(z @ w.T + b)
        new[f"W{l}"] = w
    return new


@mistake("lsuv_init", "divides by the variance", "instead of its square root")
def lsuv_init(params, x, activation="relu", tol=0.01, max_iter=10):
    h = activations.get_activation(activation).function
    new, z = dict(params), x
    for l in range(1, len([k for k in params if k[0] == "W"]) + 1):
        w, b = params[f"W{l}"], params[f"b{l}"]
        v = np.var(z @ w.T + b)
        for _ in range(max_iter):
            if abs(v - 1) < tol:
                break
            w = w / v
            v = np.var(z @ w.T + b)
        new[f"W{l}"] = w
        z = h(z @ w.T + b)
    return new


@mistake("lsuv_init", "targets Var[z]", "the variance of z = h(a) set to 1")
def lsuv_init(params, x, activation="relu", tol=0.01, max_iter=10):
    h = activations.get_activation(activation).function
    depth = len([k for k in params if k[0] == "W"])
    new, z = dict(params), x
    for l in range(1, depth + 1):
        w, b = params[f"W{l}"], params[f"b{l}"]
        out = (lambda w: h(z @ w.T + b)) if l < depth else (lambda w: z @ w.T + b)
        v = np.var(out(w))
        for _ in range(max_iter):
            if abs(v - 1) < tol:
                break
            w = w / np.sqrt(v)
            v = np.var(out(w))
        new[f"W{l}"] = w
        z = h(z @ w.T + b)
    return new


@mistake("lsuv_init", "rescales the biases too", "the biases rescaled with the weights")
def lsuv_init(params, x, activation="relu", tol=0.01, max_iter=10):
    h = activations.get_activation(activation).function
    new, z = dict(params), x
    for l in range(1, len([k for k in params if k[0] == "W"]) + 1):
        w, b = params[f"W{l}"], params[f"b{l}"]
        v = np.var(z @ w.T + b)
        for _ in range(max_iter):
            if abs(v - 1) < tol:
                break
            w, b = w / np.sqrt(v), b / np.sqrt(v)
            v = np.var(z @ w.T + b)
        new[f"W{l}"], new[f"b{l}"] = w, b
        z = h(z @ w.T + b)
    return new


@mistake("lsuv_init", "one rescaling per layer", "one rescaling per layer")
def lsuv_init(params, x, activation="relu", tol=0.01, max_iter=10):
    h = activations.get_activation(activation).function
    new, z = dict(params), x
    for l in range(1, len([k for k in params if k[0] == "W"]) + 1):
        w, b = params[f"W{l}"], params[f"b{l}"]
        w = w / np.sqrt(np.var(z @ w.T + b))
        new[f"W{l}"] = w
        z = h(z @ w.T + b)
    return new


@mistake("lsuv_init", "max_iter + 1 rescalings", "max_iter + 1 rescalings")
def lsuv_init(params, x, activation="relu", tol=0.01, max_iter=10):
    h = activations.get_activation(activation).function
    new, z = dict(params), x
    for l in range(1, len([k for k in params if k[0] == "W"]) + 1):
        w, b = params[f"W{l}"], params[f"b{l}"]
        v, rounds = np.var(z @ w.T + b), 0
        while abs(v - 1) >= tol and rounds <= max_iter:
            w = w / np.sqrt(v)
            v, rounds = np.var(z @ w.T + b), rounds + 1
        new[f"W{l}"] = w
        z = h(z @ w.T + b)
    return new


@mistake("lsuv_init", "mean(a^2) instead of the variance", "the second moment mean(a^2)")
def lsuv_init(params, x, activation="relu", tol=0.01, max_iter=10):
    h = activations.get_activation(activation).function
    new, z = dict(params), x
    for l in range(1, len([k for k in params if k[0] == "W"]) + 1):
        w, b = params[f"W{l}"], params[f"b{l}"]
        v = np.mean((z @ w.T + b) ** 2)
        for _ in range(max_iter):
            if abs(v - 1) < tol:
                break
            w = w / np.sqrt(v)
            v = np.mean((z @ w.T + b) ** 2)
        new[f"W{l}"] = w
        z = h(z @ w.T + b)
    return new


@mistake("lsuv_init", "skips the output layer", "the output layer is rescaled too")
def lsuv_init(params, x, activation="relu", tol=0.01, max_iter=10):
    h = activations.get_activation(activation).function
    new, z = dict(params), x
    for l in range(1, len([k for k in params if k[0] == "W"])):
        w, b = params[f"W{l}"], params[f"b{l}"]
        v = np.var(z @ w.T + b)
        for _ in range(max_iter):
            if abs(v - 1) < tol:
                break
            w = w / np.sqrt(v)
            v = np.var(z @ w.T + b)
        new[f"W{l}"] = w
        z = h(z @ w.T + b)
    return new


@mistake("lsuv_init", "rescales the given arrays in place", "changed its input")
def lsuv_init(params, x, activation="relu", tol=0.01, max_iter=10):
    h = activations.get_activation(activation).function
    z = x
    for l in range(1, len([k for k in params if k[0] == "W"]) + 1):
        w, b = params[f"W{l}"], params[f"b{l}"]
        v = np.var(z @ w.T + b)
        for _ in range(max_iter):
            if abs(v - 1) < tol:
                break
            w /= np.sqrt(v)
            v = np.var(z @ w.T + b)
        z = h(z @ w.T + b)
    return dict(params)


@mistake("lsuv_init", "the variance with ddof=1", "ddof=1")
def lsuv_init(params, x, activation="relu", tol=0.01, max_iter=10):
    h = activations.get_activation(activation).function
    new, z = dict(params), x
    for l in range(1, len([k for k in params if k[0] == "W"]) + 1):
        w, b = params[f"W{l}"], params[f"b{l}"]
        v = np.var(z @ w.T + b, ddof=1)
        for _ in range(max_iter):
            if abs(v - 1) < tol:
                break
            w = w / np.sqrt(v)
            v = np.var(z @ w.T + b, ddof=1)
        new[f"W{l}"] = w
        z = h(z @ w.T + b)
    return new


@correct("lsuv_init", "a while loop, std instead of var")
def lsuv_init(params, x, activation="relu", tol=0.01, max_iter=10):
    h = activations.get_activation(activation).function
    result = {key: value for key, value in params.items()}
    z = x
    layer = 1
    while f"W{layer}" in params:
        w, b = params[f"W{layer}"], params[f"b{layer}"]
        std = np.std(z @ w.T + b)
        rounds = 0
        while abs(std ** 2 - 1) >= tol and rounds < max_iter:
            w = w / std
            std = np.std(z @ w.T + b)
            rounds += 1
        result[f"W{layer}"] = w
        z = h(z @ w.T + b)
        layer += 1
    return result


@correct("lsuv_init", "mlp_forward on the layers so far, every time")
def lsuv_init(params, x, activation="relu", tol=0.01, max_iter=10):
    out = {key: np.array(value, copy=True) for key, value in params.items()}
    depth = sum(key.startswith("W") for key in params)
    for l in range(1, depth + 1):
        def variance():
            prefix = {f"{kind}{k}": out[f"{kind}{k}"] for k in range(1, l + 1) for kind in "Wb"}
            return np.var(network.mlp_forward(prefix, x, activation)[0])
        for _ in range(max_iter):
            v = variance()
            if abs(v - 1) < tol:
                break
            out[f"W{l}"] = out[f"W{l}"] / np.sqrt(v)
    return out
