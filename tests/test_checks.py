"""The checks that nbgrader test cells call: correct code passes quietly, wrong code fails helpfully.

Every exercise is a dlcourse function; a check receives the student's version. Variants (correct
alternatives) and mutants (the mistakes students make) are data: (exercise, description, function[,
a distinctive part of the failure message]).
"""
import math
import warnings

import numpy as np
import pytest

import check_cases
from dlcourse import activations as act
from dlcourse import checks, fallback, gradcheck, layers, losses, network, training

# exercise -> (the check that tests it, the exercises that check takes, in order)
CHECKS = {
    "sigmoid_derivative": (checks.check_activation_derivatives,
                           ("sigmoid_derivative", "tanh_derivative", "relu_derivative")),
    "tanh_derivative": (checks.check_activation_derivatives,
                        ("sigmoid_derivative", "tanh_derivative", "relu_derivative")),
    "relu_derivative": (checks.check_activation_derivatives,
                        ("sigmoid_derivative", "tanh_derivative", "relu_derivative")),
    "linear_backward": (checks.check_linear_backward, ("linear_backward",)),
    "softmax_cross_entropy": (checks.check_softmax_cross_entropy, ("softmax_cross_entropy",)),
    "mlp_backward": (checks.check_mlp_backward, ("mlp_backward",)),
    "numerical_gradient": (checks.check_numerical_gradient, ("numerical_gradient",)),
}
REFERENCE = {
    "sigmoid_derivative": act.sigmoid_derivative, "tanh_derivative": act.tanh_derivative,
    "relu_derivative": act.relu_derivative, "linear_backward": layers.linear_backward,
    "softmax_cross_entropy": losses.softmax_cross_entropy, "mlp_backward": network.mlp_backward,
    "numerical_gradient": gradcheck.numerical_gradient,
}
# Arguments like a hidden test's: another seed and edge cases (N = 1, K = 1, square and one-layer networks).
ACTIVATION_EDGES = {"seed": 5, "shapes": ((2, 3, 4), (1,), (50,), (1, 1))}
EDGES = {
    **dict.fromkeys(("sigmoid_derivative", "tanh_derivative", "relu_derivative"), ACTIVATION_EDGES),
    "linear_backward": {"seed": 5, "shapes": ((3, 8, 5), (10, 1, 4), (1, 1, 1), (2, 6, 6))},
    "softmax_cross_entropy": {"seed": 5, "shapes": ((6, 2), (3, 12), (2, 1), (16, 5))},
    "mlp_backward": {"seed": 5, "configs": (((5, 4, 4, 4, 2), "sigmoid", 3), ((1, 8, 1), "relu", 6),
                                            ((3, 2), "tanh", 5), ((2, 6, 6, 3), "elu", 4),
                                            ((4, 3, 3), "leaky_relu", 1))},
    "numerical_gradient": {"seed": 5, "shapes": ((1,), (3, 3), (2, 2, 2), (1, 5))},
}
SETTINGS = ("seed 0", "seed 3", "edge cases")


def check_arguments(exercise, setting):
    return EDGES[exercise] if setting == "edge cases" else {"seed": int(setting.split()[1])}


def run_check(exercise, student, **kwargs):
    """Run the check of ``exercise`` on ``student``, with the reference for the other exercises it takes."""
    check_cases.run_check(CHECKS, REFERENCE, exercise, student, **kwargs)


def assert_passes_quietly(exercise, student, capsys, **kwargs):
    """The check passes with warnings turned into errors, prints one line per function, nothing to stderr."""
    check_cases.assert_passed_quietly(check_cases.outcome(run_check, exercise, student, **kwargs), capsys,
                                      CHECKS[exercise][1])


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("exercise", list(CHECKS))
def test_reference_passes(exercise, setting, capsys):
    assert_passes_quietly(exercise, REFERENCE[exercise], capsys, **check_arguments(exercise, setting))


# ---------------------------------------------------------------- correct alternative implementations

def elementwise(scalar_fn):
    """A loop over the elements, as a student who does not vectorise writes it."""
    return lambda a: np.array([scalar_fn(float(v)) for v in np.ravel(a)]).reshape(np.shape(a))


def stable_sigmoid_scalar(v):
    return 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))


def naive_sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))   # overflows (RuntimeWarning) at a = -800, but the result is right


def linear_backward_loops(dout, cache):
    x, w = cache
    dx, dw, db = np.zeros(x.shape), np.zeros(w.shape), np.zeros(w.shape[0])
    for n in range(x.shape[0]):
        dx[n] = w.T @ dout[n]
        dw += np.outer(dout[n], x[n])
        db += dout[n]
    return dx, dw, db


def linear_backward_float32(dout, cache):
    x, w, dout = (np.asarray(v, dtype=np.float32) for v in (*cache, dout))
    return dout @ w, dout.T @ x, dout.sum(axis=0)


def softmax_cross_entropy_rows(logits, labels):
    n = len(logits)
    loss, grad = 0.0, np.zeros(logits.shape)
    for i in range(n):
        shifted = logits[i] - max(logits[i])
        log_z = math.log(sum(math.exp(v) for v in shifted))
        loss += (log_z - shifted[labels[i]]) / n
        grad[i] = np.exp(shifted - log_z) / n
        grad[i, labels[i]] -= 1.0 / n
    return loss, grad


def softmax_cross_entropy_float32(logits, labels):
    s = np.asarray(logits, dtype=np.float32)
    s = s - s.max(axis=1, keepdims=True)   # without the shift, float32 rounds log-sum-exp(1000, 999) to 6e-5
    log_p = s - np.logaddexp.reduce(s, axis=1, keepdims=True)
    onehot = np.eye(s.shape[1], dtype=np.float32)[labels]
    return -np.mean(np.sum(onehot * log_p, axis=1)), (np.exp(log_p) - onehot) / len(s)


def mlp_backward_per_example(dout, caches):
    """Backpropagate one example at a time and add up the outer products."""
    grads = {}
    for n in range(len(dout)):
        delta = dout[n]
        for layer in range(len(caches), 0, -1):
            (x, w), activation = caches[layer - 1]
            if activation is not None:
                delta = delta * act.get_activation(activation.name).derivative(activation.a[n])
            grads[f"W{layer}"] = grads.get(f"W{layer}", 0.0) + np.outer(delta, x[n])
            grads[f"b{layer}"] = grads.get(f"b{layer}", 0.0) + delta
            delta = w.T @ delta
    return grads


def mlp_backward_float32(dout, caches):
    """The reference algorithm run on float32 copies of everything."""
    def to32(cache):
        linear = layers.LinearCache(*(v.astype(np.float32) for v in cache.linear))
        activation = cache.activation and layers.ActivationCache(cache.activation.a.astype(np.float32),
                                                                 cache.activation.name)
        return network.LayerCache(linear, activation)
    return network.mlp_backward(dout.astype(np.float32), [to32(cache) for cache in caches])


def numerical_gradient_plus_minus(f, x, h=1e-5):
    """x[i] += h, x[i] -= 2h, x[i] += h: x comes back equal up to the last bit, not exactly."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += h
        f_plus = f(x)
        x[i] -= 2 * h
        f_minus = f(x)
        x[i] += h
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def numerical_gradient_copies(f, x, h=1e-5):
    """Never touches x: perturbs copies, flat index by flat index."""
    flat = x.ravel().astype(float)
    grad = np.zeros(flat.size)
    for i in range(flat.size):
        step = np.zeros(flat.size)
        step[i] = h
        grad[i] = (f((flat + step).reshape(x.shape)) - f((flat - step).reshape(x.shape))) / (2 * h)
    return grad.reshape(x.shape)


VARIANTS = [
    ("sigmoid_derivative", "exp(-|a|) / (1 + exp(-|a|))^2",
     lambda a: np.exp(-abs(a)) / (1 + np.exp(-abs(a))) ** 2),
    ("sigmoid_derivative", "naive sigmoid, overflow warning at -800",
     lambda a: naive_sigmoid(a) * (1 - naive_sigmoid(a))),
    ("sigmoid_derivative", "loop with math.exp",
     elementwise(lambda v: stable_sigmoid_scalar(v) * stable_sigmoid_scalar(-v))),
    ("sigmoid_derivative", "float32", lambda a: act.sigmoid_derivative(a.astype(np.float32)).astype(np.float32)),
    ("tanh_derivative", "1 / cosh(a)^2, overflow warning at 800", lambda a: 1 / np.cosh(a) ** 2),
    ("tanh_derivative", "float32 1 - tanh^2", lambda a: 1 - np.tanh(a.astype(np.float32)) ** 2),
    ("tanh_derivative", "loop with math.tanh", elementwise(lambda v: 1 - math.tanh(v) ** 2)),
    ("relu_derivative", "boolean mask", lambda a: a > 0),
    ("relu_derivative", "heaviside", lambda a: np.heaviside(a, 0.0)),
    ("relu_derivative", "loop", elementwise(lambda v: 1.0 if v > 0 else 0.0)),
    ("linear_backward", "loops over examples", linear_backward_loops),
    ("linear_backward", "einsum", lambda dout, cache: (np.einsum("nm,md->nd", dout, cache.w),
                                                       np.einsum("nm,nd->md", dout, cache.x),
                                                       np.einsum("nm->m", dout))),
    ("linear_backward", "float32", linear_backward_float32),
    ("linear_backward", "transposes and ones", lambda dout, cache: ((cache.w.T @ dout.T).T, (cache.x.T @ dout).T,
                                                                    np.ones(len(dout)) @ dout)),
    ("softmax_cross_entropy", "row loop with math", softmax_cross_entropy_rows),
    ("softmax_cross_entropy", "float32 logsumexp", softmax_cross_entropy_float32),
    ("mlp_backward", "one example at a time", mlp_backward_per_example),
    ("mlp_backward", "float32", mlp_backward_float32),
    ("numerical_gradient", "x[i] += h, -= 2h, += h", numerical_gradient_plus_minus),
    ("numerical_gradient", "perturbed copies", numerical_gradient_copies),
]


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("exercise, description, student", VARIANTS, ids=[f"{e}: {d}" for e, d, _ in VARIANTS])
def test_correct_alternative_passes(exercise, description, student, setting, capsys):
    assert_passes_quietly(exercise, student, capsys, **check_arguments(exercise, setting))


# ---------------------------------------------------------------- the mistakes students make

def in_place_sigmoid_derivative(a):
    s = act.sigmoid(a)
    a *= 0.0
    return s * (1 - s)


def linear_backward_wrong(dx_scale=1.0, dw_transposed=False, db=lambda dout: dout.sum(axis=0), arity=3):
    def student(dout, cache):
        x, w = cache
        dw = x.T @ dout if dw_transposed else dout.T @ x
        return (dout @ w * dx_scale, dw, db(dout))[:arity]
    return student


def linear_backward_edits_x(dout, cache):
    cache.x[...] = 0.0
    return layers.linear_backward(dout, cache)


def softmax_cross_entropy_wrong(softmax=act.softmax, loss=lambda losses_: losses_.mean(), grad_scale=1.0,
                                subtract_y=True, arity=2):
    def student(logits, labels):
        n = len(logits)
        p = softmax(logits)
        onehot = np.eye(logits.shape[1])[labels]
        return (loss(-np.log(p[np.arange(n), labels])), grad_scale * (p - subtract_y * onehot) / n)[:arity]
    return student


def naive_softmax(s):
    e = np.exp(s)
    return e / e.sum(axis=1, keepdims=True)


def mlp_backward_on(transform_cache):
    """The reference run on transformed caches: a mistake expressed as what the backward pass looks at."""
    return lambda dout, caches: network.mlp_backward(dout, [transform_cache(cache) for cache in caches])


def derivative_at_z(cache):
    if cache.activation is None:
        return cache
    a, name = cache.activation
    return cache._replace(activation=layers.ActivationCache(act.get_activation(name).function(a), name))


def mlp_backward_mapped(fn):
    """The reference gradients, each passed through ``fn(key, grad, dout)``; keys mapped to None are dropped."""
    def student(dout, caches):
        grads = {key: fn(key, grad, dout) for key, grad in network.mlp_backward(dout, caches).items()}
        return {key: grad for key, grad in grads.items() if grad is not None}
    return student


def numerical_gradient_wrong(kind):
    def student(f, x, h=1e-5):
        grad = np.zeros_like(x)
        f_x = f(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + h
            f_plus = f(x)
            x[i] = old - h
            f_minus = f(x)
            x[i] = old if kind != "no restore" else old + h
            grad[i] = {"forward": (f_plus - f_x) / h, "backward": (f_x - f_minus) / h,
                       "over h": (f_plus - f_minus) / h}.get(kind, (f_plus - f_minus) / (2 * h))
        return grad
    return student


def numerical_gradient_all_at_once(f, x, h=1e-5):
    return np.full(x.shape, (f(x + h) - f(x - h)) / (2 * h))


MUTANTS = [
    ("sigmoid_derivative", "returns sigma(a)", act.sigmoid, "sigma(a) itself"),
    ("sigmoid_derivative", "a (1 - a)", lambda a: a * (1 - a), "applied to a instead of sigma(a)"),
    ("sigmoid_derivative", "sigma (1 + sigma)", lambda a: act.sigmoid(a) * (1 + act.sigmoid(a)), "a sign error"),
    ("sigmoid_derivative", "unstable exp(-a) / (1 + exp(-a))^2", lambda a: np.exp(-a) / (1 + np.exp(-a)) ** 2,
     "contains nan"),
    ("sigmoid_derivative", "edits a in place", in_place_sigmoid_derivative, "changed its input a"),
    ("sigmoid_derivative", "returns None", lambda a: None, "is None for a of shape"),
    ("tanh_derivative", "1 - tanh(a)", lambda a: 1 - np.tanh(a), "the square is missing"),
    ("tanh_derivative", "1 - a^2", lambda a: 1 - a ** 2, "applied to a instead of tanh(a)"),
    ("tanh_derivative", "1 + tanh^2", lambda a: 1 + np.tanh(a) ** 2, "a sign error"),
    ("tanh_derivative", "returns tanh(a)", np.tanh, "tanh(a) itself"),
    ("relu_derivative", "comparison flipped", lambda a: (a < 0).astype(float), "the comparison is flipped"),
    ("relu_derivative", "ones", np.ones_like, "1 everywhere"),
    ("relu_derivative", "returns relu(a)", act.relu, "relu(a) itself"),
    ("relu_derivative", "a single number", lambda a: float(np.any(a > 0)), "has shape ()"),
    ("relu_derivative", "1 at the kink", lambda a: (a >= 0).astype(float), "1 at the kink a = 0"),
    ("linear_backward", "dx / N", lambda dout, c: (dout @ c.w / len(dout), dout.T @ c.x, dout.sum(0)),
     "dout already contains the 1/N"),
    ("linear_backward", "dw / N", lambda dout, c: (dout @ c.w, dout.T @ c.x / len(dout), dout.sum(0)),
     "dout^T x / N"),
    ("linear_backward", "dw transposed", linear_backward_wrong(dw_transposed=True), "It looks transposed"),
    ("linear_backward", "db mean", linear_backward_wrong(db=lambda dout: dout.mean(axis=0)),
     "the mean of dout over the batch"),
    ("linear_backward", "db summed over outputs", linear_backward_wrong(db=lambda dout: dout.sum(axis=1)),
     "the sum of dout over the outputs"),
    ("linear_backward", "dx with W^T", lambda dout, c: (dout @ c.w.T, dout.T @ c.x, dout.sum(0)),
     "linear_backward raised ValueError"),
    ("linear_backward", "returns (dx, dw)", linear_backward_wrong(arity=2), "should return a tuple (dx, dw, db)"),
    ("linear_backward", "returns None", lambda dout, cache: None, "did you forget a `return`?"),
    ("linear_backward", "edits x", linear_backward_edits_x, "changed its input x"),
    ("softmax_cross_entropy", "unstable softmax", softmax_cross_entropy_wrong(softmax=naive_softmax),
     "contains nan"),
    ("softmax_cross_entropy", "-log(softmax), inf when the label's logit is -1000", softmax_cross_entropy_wrong(),
     "contains inf"),
    ("softmax_cross_entropy", "loss summed", softmax_cross_entropy_wrong(loss=np.sum),
     "the loss is the average (divide by N)"),
    ("softmax_cross_entropy", "loss per example", softmax_cross_entropy_wrong(loss=lambda v: v),
     "the loss should be a single number"),
    ("softmax_cross_entropy", "grad without 1/N", lambda s, y: (losses.softmax_cross_entropy(s, y)[0],
                                                                 len(s) * losses.softmax_cross_entropy(s, y)[1]),
     "without the 1/N"),
    ("softmax_cross_entropy", "grad missing -Y", lambda s, y: (losses.softmax_cross_entropy(s, y)[0],
                                                                act.softmax(s) / len(s)),
     "the one-hot targets were not subtracted"),
    ("softmax_cross_entropy", "grad sign flipped", lambda s, y: (losses.softmax_cross_entropy(s, y)[0],
                                                                  -losses.softmax_cross_entropy(s, y)[1]),
     "the sign is flipped"),
    ("softmax_cross_entropy", "returns the loss only", lambda s, y: losses.softmax_cross_entropy(s, y)[0],
     "should return a tuple (loss, grad)"),
    ("mlp_backward", "h'(z) instead of h'(a)", mlp_backward_on(derivative_at_z), "h'(z) in place of h'(a)"),
    ("mlp_backward", "no activation derivative", mlp_backward_on(lambda c: c._replace(activation=None)),
     "without the activation derivative"),
    ("mlp_backward", "extra 1/N", mlp_backward_mapped(lambda key, grad, dout: grad / len(dout)),
     "divided by N once more"),
    ("mlp_backward", "db mean", mlp_backward_mapped(lambda key, g, dout: g / len(dout) if key[0] == "b" else g),
     "divided by N once more"),
    ("mlp_backward", "dW transposed", mlp_backward_mapped(lambda key, g, dout: g.T if key[0] == "W" else g),
     "It looks transposed"),
    ("mlp_backward", "stops before layer 1",
     mlp_backward_mapped(lambda key, g, dout: None if key[1:] == "1" else g),
     "the gradients of W1, b1 are missing"),
    ("mlp_backward", "returns a list", lambda dout, caches: list(network.mlp_backward(dout, caches).values()),
     "should return a dict of gradients, got list"),
    ("numerical_gradient", "forward difference", numerical_gradient_wrong("forward"), "the forward difference"),
    ("numerical_gradient", "backward difference", numerical_gradient_wrong("backward"), "the backward difference"),
    ("numerical_gradient", "divides by h", numerical_gradient_wrong("over h"), "the denominator should be 2h"),
    ("numerical_gradient", "x not restored", numerical_gradient_wrong("no restore"),
     "changed its input x (restore every entry"),
    ("numerical_gradient", "ignores h", lambda f, x, h: gradcheck.numerical_gradient(f, x),
     "use the step h you were given"),
    ("numerical_gradient", "all entries at once", numerical_gradient_all_at_once, "is wrong"),
    ("numerical_gradient", "returns None", lambda f, x, h: None, "is None"),
]


@pytest.mark.parametrize("setting", SETTINGS[::2])
@pytest.mark.parametrize("exercise, description, student, message", MUTANTS,
                         ids=[f"{e}: {d}" for e, d, *_ in MUTANTS])
def test_mistake_is_caught_and_named(exercise, description, student, message, setting, capsys):
    error = check_cases.outcome(run_check, exercise, student, **check_arguments(exercise, setting))
    check_cases.assert_failed_naming(error, capsys, exercise, description, message)


def raises(error):
    def student(*args):
        raise error
    return student


@pytest.mark.parametrize("exercise", list(CHECKS))
def test_stub_propagates_not_implemented(exercise, capsys):
    with pytest.raises(NotImplementedError, match=f"^{exercise} is not implemented yet: replace "
                                                  r"`raise NotImplementedError\(\)` with your code"):
        run_check(exercise, raises(NotImplementedError()))
    assert capsys.readouterr().err == ""

