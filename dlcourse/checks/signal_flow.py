"""Checks for chapter 03_initialisation, exercises 4 to 6: signal_statistics, predicted_variances and lsuv_init.

Book: chapter 03_initialisation, sections "Measuring the signal", "What the theory predicts" and
"Data-dependent initialisation".
Each result is compared with the reference in ``dlcourse.signal`` / ``dlcourse.init`` (itself tested against
torch in float64, tests/test_init_torch.py); the error signals of ``signal_statistics`` also against numerical
gradients. A wrong result is named when it equals what a known mistake gives, computed by the small variant
implementations below, field by field.
"""
import math

import numpy as np

from .. import activations as act
from ..gradcheck import numerical_gradient
from ..init import init_mlp, lsuv_init as reference_lsuv_init
from ..network import mlp_forward
from ..signal import predicted_variances as reference_predicted_variances
from ..signal import gaussian_expectation, second_moments
from ..signal import signal_statistics as reference_signal_statistics
from .core import Checker, describe, unchanged

__all__ = ["check_signal_statistics", "check_predicted_variances", "check_lsuv_init"]


def _random_network(rng, sizes, bias_scale=0.5, weight_scale=None):
    params = init_mlp(sizes, rng, scheme="glorot")
    for key in params:
        if key.startswith("b"):
            params[key] = bias_scale * rng.standard_normal(params[key].shape)
        elif weight_scale is not None:
            params[key] = weight_scale * rng.standard_normal(params[key].shape)
    return params


# ---------------------------------------------------------------- signal_statistics

STATISTICS_CONFIGS = (((5, 7, 6, 3), "tanh", 4), ((3, 6, 4, 5, 2), "relu", 5), ((4, 3, 2), "sigmoid", 6))
_SPREADS = {
    "std": np.std,
    "ddof1": lambda v: np.std(v, ddof=1),
    "per_unit": lambda v: np.mean(np.std(v, axis=0)),
    "rms": lambda v: np.sqrt(np.mean(v ** 2)),
    "var": np.var,
}


def _statistics_variant(params, x, dout, activation, spread="std", forward_of="a", delta_of="a", slope_at="a"):
    """What signal_statistics returns, with switches for the ways it goes wrong."""
    out, caches = mlp_forward(params, x, activation)
    h = act.get_activation(activation)
    f = _SPREADS[spread]
    hidden = [cache.activation.a for cache in caches[:-1]]
    forward = [f(h.function(a) if forward_of == "z" else a) for a in hidden] + [f(out)]
    weight_gradient = lambda delta, layer: delta.T @ caches[layer].linear.x     # dJ/dW^(layer + 1)
    backward, delta = [f(weight_gradient(dout, -1) if delta_of == "dw" else dout)], dout
    for layer in range(len(caches) - 1, 0, -1):
        dz = delta @ caches[layer].linear.w
        a = hidden[layer - 1]
        delta = dz * h.derivative(h.function(a) if slope_at == "z" else a)
        recorded = {"a": delta, "z": dz, "dw": weight_gradient(delta, layer - 1)}[delta_of]
        backward.append(f(recorded))
    return np.array(forward), np.array(backward[::-1])


def _statistics_mistakes(params, x, dout, activation):
    def variant(**switches):
        return lambda: _statistics_variant(params, x, dout, activation, **switches)

    right = reference_signal_statistics(params, x, dout, activation)
    return [
        ("the sample std with ddof=1 (torch's default .std()); use the population std over all entries, np.std",
         variant(spread="ddof1")),
        ("the average over units of each unit's std over the batch; take one std over all N M_l entries",
         variant(spread="per_unit")),
        ("the root mean square sqrt(mean(v^2)): the std subtracts the mean", variant(spread="rms")),
        ("the variances, not the standard deviations", variant(spread="var")),
        ("the statistics of the activations z = h(a) in place of the pre-activations a", variant(forward_of="z")),
        ("the spread of dJ/dz in place of dJ/da = dJ/dz * h'(a) for the hidden layers", variant(delta_of="z")),
        ("error signals with h'(z) in place of h'(a): the derivative is taken at the pre-activation",
         variant(slope_at="z")),
        ("the spread of the weight gradients dJ/dW^(l) = Delta^(l)T Z^(l-1): the exercise asks for the error "
         "signals Delta^(l) themselves", variant(delta_of="dw")),
        ("the backward statistics in the order output to input; index l-1 should hold layer l",
         lambda: (right[0], right[1][::-1])),
        ("the statistics of the hidden layers only: the output layer's a^(L) and Delta^(L) = dout count too",
         lambda: (right[0][:-1], right[1][:-1])),
    ]


def _numerical_spreads(params, x, dout, activation):
    """The std of dJ/dA^(l) for every layer, by central differences of sum(out * dout) with respect to A^(l)."""
    _, caches = mlp_forward(params, x, activation)
    depth = len(caches)
    h = act.get_activation(activation).function
    spreads = []
    for layer in range(1, depth + 1):
        a = caches[layer - 1].activation.a if layer < depth else None

        def objective(a_l, layer=layer):
            out = a_l
            for above in range(layer + 1, depth + 1):
                out = h(out) @ params[f"W{above}"].T + params[f"b{above}"]
            return float(np.sum(out * dout))
        if a is None:
            a = mlp_forward(params, x, activation)[0]
        spreads.append(numerical_gradient(objective, a.copy()).std())
    return np.array(spreads)


def check_signal_statistics(signal_statistics, seed=0, configs=STATISTICS_CONFIGS):
    """(forward, backward) stds for networks with random weights and biases, against the reference and against
    numerical gradients. ``configs`` holds (layer sizes, activation, batch size N)."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("signal_statistics")
    for sizes, activation, n in configs:
        params = _random_network(rng, sizes)
        x = 2.0 * rng.standard_normal((n, sizes[0])) + 1.0
        dout = (rng.standard_normal((n, sizes[-1])) + 0.5) / n
        inputs = [("x", x), ("dout", dout)] + list(params.items())
        saved = [array.copy() for _, array in inputs]
        result = checker.call(signal_statistics, params, x, dout, activation)
        for (what, array), before in zip(inputs, saved):
            unchanged(checker, what, before, array)
        context = f"for layer sizes {list(sizes)}, {activation}, N={n}"
        forward, backward = checker.unpack(result, ("forward", "backward"), context)
        want_forward, want_backward = reference_signal_statistics(params, x, dout, activation)
        checker.close_all([("forward (the std of each a^(l))", forward, want_forward),
                           ("backward (the std of each Delta^(l) = dJ/dA^(l))", backward, want_backward)],
                          _statistics_mistakes(params, x, dout, activation), context=context)
        checker.close("backward compared with the std of numerical gradients dJ/dA^(l)", backward,
                      _numerical_spreads(params, x, dout, activation), rtol=1e-5, atol=1e-7, context=context)
    checker.done()


# ---------------------------------------------------------------- predicted_variances

PREDICTION_CONFIGS = (
    {"sizes": (20, 50, 30, 40, 10), "weight_vars": (0.05, 0.02, 0.06, 0.03), "activation": "relu"},
    {"sizes": (8, 16, 4, 12), "weight_vars": (0.2, 0.1, 0.3), "activation": "tanh", "input_var": 2.0,
     "output_grad_var": 0.5},
    {"sizes": (10, 6, 9, 5), "weight_vars": (0.1, 0.3, 0.15), "activation": "identity", "input_var": 1.5,
     "output_grad_var": 2.0},
    {"sizes": (6, 12, 8, 3), "weight_vars": (0.5, 0.2, 0.4), "activation": "sigmoid", "output_grad_var": 3.0},
)


def _moments_variant(activation, q, relu="second", sigmoid="second", linear=False):
    if linear:
        return float(q), 1.0
    second, slope = second_moments(activation, q)
    if activation == "relu" and relu == "variance":
        second = (0.5 - 0.5 / math.pi) * q
    if activation == "sigmoid" and sigmoid == "variance":
        second -= gaussian_expectation(act.sigmoid, q) ** 2
    return second, slope


def _predicted_variant(sizes, weight_vars, activation="relu", input_var=1.0, output_grad_var=1.0,
                       forward_fan="in", backward_fan="next", backward_weight="next", slope_layer="this",
                       slopes=True, relu_first=False, **moments):
    """What predicted_variances returns, with switches for the ways it goes wrong."""
    depth = len(sizes) - 1
    forward, slope_of = np.zeros(depth), np.zeros(depth)
    second = input_var / 2 if relu_first and activation == "relu" else input_var
    for i in range(depth):
        fan = sizes[i] if forward_fan == "in" else sizes[i + 1]
        forward[i] = fan * weight_vars[i] * second
        second, slope_of[i] = _moments_variant(activation, forward[i], **moments)
    backward = np.zeros(depth)
    backward[-1] = output_grad_var
    for i in range(depth - 2, -1, -1):
        fan = sizes[i + 2] if backward_fan == "next" else sizes[i + 1]
        weight = weight_vars[i + 1] if backward_weight == "next" else weight_vars[i]
        slope = (slope_of[i] if slope_layer == "this" else slope_of[i + 1]) if slopes else 1.0
        backward[i] = fan * weight * slope * backward[i + 1]
    return forward, backward


def _prediction_mistakes(config):
    def variant(**switches):
        return lambda: _predicted_variant(**{**config, **switches})

    return [
        ("the prediction with fan_out M_l in the forward recursion: a^(l) sums over the M_{l-1} inputs",
         variant(forward_fan="out")),
        ("the prediction with M_l in the backward recursion: delta^(l) sums over the M_{l+1} units of layer l+1",
         variant(backward_fan="this")),
        ("the prediction with h'(a^(l+1)) in the backward recursion: the slope is that of layer l itself",
         variant(slope_layer="next")),
        ("the prediction without E[h'(a)^2] in the backward recursion (the linear regime)", variant(slopes=False)),
        ("the prediction with Var[relu(a)] = (1/2 - 1/(2 pi)) q: the recursion needs the second moment "
         "E[relu(a)^2] = q / 2", variant(relu="variance")),
        ("the prediction with ReLU's factor 1/2 on the input too: x is not the output of a ReLU",
         variant(relu_first=True)),
        ("the prediction of a linear network: the activation's moments E[h^2] and E[h'^2] are missing",
         variant(linear=True)),
        ("the prediction with Var[sigma(a)] in place of E[sigma(a)^2]: the mean 1/2 of the sigmoid counts",
         variant(sigmoid="variance")),
        ("the prediction with the weight variance of layer l in the backward step: delta^(l) is carried by "
         "W^(l+1)", variant(backward_weight="this")),
        ("the prediction with input_var = 1: use the argument", variant(input_var=1.0)),
        ("the prediction with output_grad_var = 1: use the argument", variant(output_grad_var=1.0)),
    ]


def check_predicted_variances(predicted_variances, configs=PREDICTION_CONFIGS):
    """(forward, backward) of the variance recursion for every config (the keyword arguments of one call)."""
    __tracebackhide__ = True
    checker = Checker("predicted_variances")
    for config in configs:
        shown = ", ".join(f"{key}={value!r}" for key, value in config.items())
        context = f"for predicted_variances({shown})"
        result = checker.call(predicted_variances, **config)
        forward, backward = checker.unpack(result, ("forward", "backward"), context)
        want_forward, want_backward = reference_predicted_variances(**config)
        checker.close_all([("forward (Var[a^(l)], l = 1..L)", forward, want_forward),
                           ("backward (Var[delta^(l)], l = 1..L)", backward, want_backward)],
                          _prediction_mistakes(config), context=context, rtol=1e-7, atol=1e-12)
    checker.done()


# ---------------------------------------------------------------- lsuv_init

LSUV_CONFIGS = (((10, 20, 15, 5), "relu", 30, 0.01, 10), ((6, 12, 12, 12, 4), "tanh", 25, 0.05, 10),
                ((8, 10, 3), "relu", 20, 0.01, 1))


def _lsuv_variant(params, x, activation, tol, max_iter, sequential=True, divide_by="std", target="a",
                  scale_bias=False, iterations="loop", moment="var", skip_output=False, ddof=0):
    """What lsuv_init returns, with switches for the ways it goes wrong."""
    params = {key: value.copy() for key, value in params.items()}
    h = act.get_activation(activation).function
    depth = sum(1 for key in params if key.startswith("W"))
    original = mlp_forward(params, x, activation)[1]
    spread = {"var": lambda v: np.var(v, ddof=ddof), "second": lambda v: np.mean(v ** 2)}[moment]
    z = x
    for layer in range(1, depth + 1 - skip_output):
        w, b = params[f"W{layer}"], params[f"b{layer}"]
        if not sequential:
            z = original[layer - 1].linear.x

        def variance(w, b):
            a = z @ w.T + b
            return spread(h(a) if target == "z" and layer < depth else a)
        v = variance(w, b)
        rounds = {"loop": max_iter, "once": 1, "extra": max_iter + 1}[iterations]
        for _ in range(rounds):
            if abs(v - 1.0) < tol and iterations != "once":
                break
            factor = np.sqrt(v) if divide_by == "std" else v
            w = w / factor
            if scale_bias:
                b = b / factor
            v = variance(w, b)
        params[f"W{layer}"], params[f"b{layer}"] = w, b
        z = h(z @ w.T + b)
    return params


def _lsuv_mistakes(params, x, activation, tol, max_iter, keys):
    def variant(**switches):
        return lambda: [_lsuv_variant(params, x, activation, tol, max_iter, **switches)[key] for key in keys]

    return [
        ("the rescaling of every layer by the variances of the original network: rescale layer by layer, each "
         "measured after the layers below it were rescaled", variant(sequential=False)),
        ("W divided by Var[a] instead of its square root: Var[c a] = c^2 Var[a]", variant(divide_by="var")),
        ("the variance of z = h(a) set to 1 instead of that of the pre-activations a", variant(target="z")),
        ("the biases rescaled with the weights: LSUV only rescales W", variant(scale_bias=True)),
        ("one rescaling per layer: repeat until |Var[a] - 1| < tol (at most max_iter times)",
         variant(iterations="once")),
        ("max_iter + 1 rescalings: at most max_iter", variant(iterations="extra")),
        ("the second moment mean(a^2) in place of the variance: Var subtracts the mean", variant(moment="second")),
        ("the hidden layers only: the output layer is rescaled too", variant(skip_output=True)),
        ("the variance with ddof=1; use np.var (ddof 0)", variant(ddof=1)),
    ]


def check_lsuv_init(lsuv_init, seed=0, configs=LSUV_CONFIGS):
    """The rescaled parameters for networks with badly scaled weights and random biases. ``configs`` holds
    (layer sizes, activation, batch size N, tol, max_iter)."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("lsuv_init")
    for sizes, activation, n, tol, max_iter in configs:
        params = _random_network(rng, sizes, bias_scale=0.6, weight_scale=0.7)
        x = rng.standard_normal((n, sizes[0])) + 0.5
        saved = {key: value.copy() for key, value in params.items()}
        x_saved = x.copy()
        context = f"for layer sizes {list(sizes)}, {activation}, N={n}, tol={tol}, max_iter={max_iter}"
        got = checker.call(lsuv_init, params, x, activation, tol=tol, max_iter=max_iter)
        unchanged(checker, "x", x_saved, x)
        for key in params:
            unchanged(checker, f"params[{key!r}]", saved[key], params[key])
        checker.require(isinstance(got, dict) and sorted(got) == sorted(params),
                        f"should return a new dict with the keys {sorted(params)}, got {describe(got)}"
                        + (f" with the keys {sorted(got)}" if isinstance(got, dict) else "") + f" {context}.")
        want = reference_lsuv_init(params, x, activation, tol=tol, max_iter=max_iter)
        keys = sorted(params, key=lambda key: (int(key[1:]), key[0] == "b"))
        checker.close_all([(f"params[{key!r}]", got[key], want[key]) for key in keys],
                          _lsuv_mistakes(params, x, activation, tol, max_iter, keys), context=context, rtol=1e-8,
                          atol=1e-12)
    checker.done()
