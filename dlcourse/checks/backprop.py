"""Checks for chapter 02_backprop: activation derivatives, linear_backward, softmax cross-entropy,
mlp_backward and the numerical gradient.
"""
import numpy as np

from .. import activations as act
from ..gradcheck import numerical_gradient as reference_numerical_gradient
from ..init import init_mlp
from ..layers import LinearCache
from ..losses import softmax_cross_entropy as reference_softmax_cross_entropy
from ..network import mlp_backward as reference_mlp_backward
from ..network import mlp_forward
from .core import Checker, describe, unchanged

__all__ = ["check_activation_derivatives", "check_linear_backward", "check_softmax_cross_entropy",
           "check_mlp_backward", "check_numerical_gradient"]

def check_activation_derivatives(sigmoid_derivative, tanh_derivative, relu_derivative, seed=0,
                                 shapes=((7,), (3, 4))):
    """sigma'(a), tanh'(a) and relu'(a) against the reference, on random and extreme inputs."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    inputs = [3.0 * rng.standard_normal(shape) for shape in shapes]
    inputs.append(np.array([-800.0, -40.0, -1e-3, 0.0, 1e-3, 40.0, 800.0]))
    inputs.append(np.array(0.5))                                   # "any shape" includes a single number
    inputs.append(rng.standard_normal(5).astype(np.float32))       # and float32 arrays
    cases = [
        ("sigmoid_derivative", sigmoid_derivative, act.sigmoid_derivative, lambda a: [
            ("sigma(a) itself, not its derivative", act.sigmoid(a)),
            ("a (1 - a): the formula applied to a instead of sigma(a)", a * (1 - a)),
            ("sigma(a) (1 + sigma(a)): a sign error", act.sigmoid(a) * (1 + act.sigmoid(a)))]),
        ("tanh_derivative", tanh_derivative, act.tanh_derivative, lambda a: [
            ("tanh(a) itself, not its derivative", np.tanh(a)),
            ("1 - a^2: the formula applied to a instead of tanh(a)", 1 - a ** 2),
            ("1 - tanh(a): the square is missing", 1 - np.tanh(a)),
            ("1 + tanh(a)^2: a sign error", 1 + np.tanh(a) ** 2)]),
        ("relu_derivative", relu_derivative, act.relu_derivative, lambda a: [
            ("relu(a) itself, not its derivative", act.relu(a)),
            ("1 everywhere: the derivative is 0 for a < 0", np.ones_like(a)),
            ("1 for a < 0 and 0 for a > 0: the comparison is flipped", (a < 0).astype(float)),
            ("1 at the kink a = 0 (a >= 0 instead of a > 0); like torch, use 0 there", (a >= 0).astype(float))]),
    ]
    for name, student, reference, mistakes in cases:
        checker = Checker(name)
        for a in inputs:
            a_before = a.copy()
            got = checker.call(student, a)
            unchanged(checker, "a", a_before, a)
            # scale 1: the derivatives are at most 1 and come from 1 - tanh^2 or sigma (1 - sigma), whose
            # round-off is that of numbers of size 1 even where the result is tiny
            checker.close("the derivative", got, reference(a), mistakes(a), context=f"for a of shape {a.shape}",
                          scale=1.0)
        checker.done()


def check_linear_backward(linear_backward, seed=0, shapes=((4, 3, 2), (1, 5, 1), (6, 2, 7))):
    """dx, dw, db of out = x W^T + b against the reference, for (N, D, M) in ``shapes``."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("linear_backward")
    for n, d, m in shapes:
        x, w, dout = rng.standard_normal((n, d)), rng.standard_normal((m, d)), rng.standard_normal((n, m))
        saved = (x.copy(), w.copy(), dout.copy())
        result = checker.call(linear_backward, dout, LinearCache(x, w))
        for what, before, after in zip(("x", "w", "dout"), saved, (x, w, dout)):
            unchanged(checker, what, before, after)
        context = f"for N={n}, D={d}, M={m}"
        dx, dw, db = checker.unpack(result, ("dx", "dw", "db"), context)
        want = (dout @ w, dout.T @ x, dout.sum(axis=0))
        checker.close_all(list(zip(("dx", "dw", "db"), (dx, dw, db), want)), [
            ("dout W / N for dx: dout already contains the 1/N", (want[0] / n, want[1], want[2])),
            ("dout^T x / N for dW: dout already contains the 1/N of the averaged loss",
             (want[0], want[1] / n, want[2])),
            ("all three divided by N: dout already contains the 1/N of the averaged loss",
             (want[0] / n, want[1] / n, want[2] / n)),
            ("x^T dout for dW, its transpose: weights are stored as (out, in), so dW = dout^T x",
             (want[0], x.T @ dout, want[2])),
            ("the mean of dout over the batch for db; it should be the sum (dout already contains the 1/N)",
             (want[0], want[1], dout.mean(axis=0))),
            ("the sum of dout over the outputs for db, instead of over the batch",
             (want[0], want[1], dout.sum(axis=1)))], context=context)
    checker.done()


def check_softmax_cross_entropy(softmax_cross_entropy, seed=0, shapes=((5, 3), (1, 4), (8, 10))):
    """Loss and gradient of softmax cross-entropy on logits, including logits of +-1000."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("softmax_cross_entropy")
    cases = [(3.0 * rng.standard_normal((n, k)), rng.integers(0, k, size=n)) for n, k in shapes]
    # The last row is confidently wrong: its label has logit -1000, so softmax underflows to 0 there and
    # -log(softmax) is inf; the log-softmax form gives the finite loss 2000.
    cases.append((np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0], [0.5, 0.5, 0.5],
                            [1000.0, 0.0, -1000.0]]),
                  np.array([0, 2, 1, 2])))
    for logits, labels in cases:
        n, k = logits.shape
        context = f"for logits of shape {logits.shape}" + (
            " with entries of size 1000" if np.abs(logits).max() > 100 else "")
        saved = logits.copy()
        result = checker.call(softmax_cross_entropy, logits, labels)
        unchanged(checker, "logits", saved, logits)
        loss, grad = checker.unpack(result, ("loss", "grad"), context)
        if isinstance(loss, np.ndarray) and loss.ndim:
            checker.fail(f"the loss should be a single number (the average over the batch), "
                         f"got an array of shape {loss.shape} {context}.")
        want_loss, want_grad = reference_softmax_cross_entropy(logits, labels)
        onehot = np.eye(k)[labels]
        checker.close_all([("the loss", loss, want_loss), ("the gradient", grad, want_grad)], [
            ("the sum over the batch for the loss; the loss is the average (divide by N)", (want_loss * n, want_grad)),
            ("(softmax - Y) without the 1/N of the average for the gradient", (want_loss, want_grad * n)),
            ("sums over the batch in both the loss and the gradient: J is the average, so both carry 1/N",
             (want_loss * n, want_grad * n)),
            ("softmax(a) / N for the gradient: the one-hot targets were not subtracted",
             (want_loss, act.softmax(logits) / n)),
            ("(Y - softmax) / N for the gradient: the sign is flipped", (want_loss, -want_grad)),
            ("-Y / N for the gradient: the softmax term is missing", (want_loss, -onehot / n))], context=context)
    shifted_loss, _ = checker.call(softmax_cross_entropy, cases[0][0] + 500.0, cases[0][1])
    checker.close("the loss after adding 500 to every logit", shifted_loss,
                  reference_softmax_cross_entropy(*cases[0])[0],
                  context="(softmax is shift invariant, so the loss must not change)")
    checker.done()


def _mlp_backward_variant(dout, caches, derivative_at):
    """The backward pass with one known mistake, to recognise it in a student's result."""
    grads, delta = {}, dout
    for layer in range(len(caches), 0, -1):
        linear, activation = caches[layer - 1]
        if activation is not None and derivative_at != "skip":
            a = activation.a
            point = act.get_activation(activation.name).function(a) if derivative_at == "z" else a
            delta = delta * act.get_activation(activation.name).derivative(point)
        grads[f"W{layer}"], grads[f"b{layer}"] = delta.T @ linear.x, delta.sum(axis=0)
        delta = delta @ linear.w
    return grads


def check_mlp_backward(mlp_backward, seed=0,
                       configs=(((3, 5, 2), "relu", 4), ((4, 6, 5, 3), "tanh", 7), ((2, 3, 1), "sigmoid", 1))):
    """Gradients of every W and b of an MLP, against the reference and a numerical gradient.

    ``configs`` holds (layer sizes, activation, batch size N).
    """
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("mlp_backward")
    for sizes, activation, n in configs:
        params = init_mlp(sizes, rng, scheme="glorot")
        for key in params:
            if key.startswith("b"):
                params[key] = 0.1 * rng.standard_normal(params[key].shape)
        x = rng.standard_normal((n, sizes[0]))
        out, caches = mlp_forward(params, x, activation)
        dout = rng.standard_normal(out.shape) / n
        inputs = [("dout", dout)] + [
            (f"caches[{layer}].{field}", array) for layer, (linear_cache, activation_cache) in enumerate(caches)
            for field, array in (("linear.x", linear_cache.x), ("linear.w", linear_cache.w))
            + ((("activation.a", activation_cache.a),) if activation_cache else ())]
        saved = [array.copy() for _, array in inputs]
        grads = checker.call(mlp_backward, dout, caches)
        for (what, array), before in zip(inputs, saved):
            unchanged(checker, what, before, array)
        context = f"for layer sizes {list(sizes)}, {activation}, N={n}"
        checker.require(isinstance(grads, dict),
                        f"should return a dict of gradients, got {describe(grads)}.")
        missing = sorted(set(params) - set(grads))
        checker.require(not missing, f"the gradients of {', '.join(missing)} are missing {context}.")
        want = reference_mlp_backward(dout, caches)
        variants = {what: _mlp_backward_variant(dout, caches, what) for what in ("z", "skip")}
        keys = list(params)
        checker.close_all([(f"grads[{key!r}]", grads[key], want[key]) for key in keys], [
            ("the gradient with h'(z) in place of h'(a): the derivative must be taken at the pre-activation a",
             [variants["z"][key] for key in keys]),
            ("the gradient without the activation derivative h'(a)", [variants["skip"][key] for key in keys]),
            ("the gradient divided by N once more (dout already carries the 1/N)", [want[key] / n for key in keys]),
            ("the bias gradients divided by N (a mean over the batch where the sum is right: dout carries the 1/N)",
             [want[key] / n if key.startswith("b") else want[key] for key in keys])], context=context)
        numerical = reference_numerical_gradient(
            lambda w: np.sum(mlp_forward({**params, "W1": w}, x, activation)[0] * dout), params["W1"].copy())
        checker.close("grads['W1'] compared with a numerical gradient", grads["W1"], numerical,
                      rtol=1e-4, atol=1e-6, context=context)
    checker.done()


def _test_function(x):
    """f(x) = sum(sin(x) x^2) + log(sum(exp(x))): smooth, not separable, with a known gradient."""
    return float(np.sum(np.sin(x) * x ** 2) + np.log(np.sum(np.exp(x))))


def _wiggly_function(x):
    """f(x) = sum(sin(100 x)): its central difference with h = 1e-5 is off by about h^2 100^2 / 6 ~ 2e-7 (relative)."""
    return float(np.sum(np.sin(100.0 * x)))


def _test_gradient(x):
    return np.cos(x) * x ** 2 + 2 * x * np.sin(x) + np.exp(x) / np.sum(np.exp(x))


def check_numerical_gradient(numerical_gradient, seed=0, shapes=((4,), (2, 3), (2, 1, 3))):
    """Central differences against the analytic gradient, and against the reference at a large step h."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("numerical_gradient")
    for shape in shapes:
        x = rng.standard_normal(shape)
        saved = x.copy()
        context = f"for x of shape {shape}"
        got = checker.call(numerical_gradient, _test_function, x, 1e-5)
        unchanged(checker, "x", saved, x, tolerance=1e-12,
                  advice="perturb one entry at a time and put its old value back before the next one.")
        checker.close("the numerical gradient with h=1e-5", got, _test_gradient(saved),
                      _difference_mistakes(saved, 1e-5), rtol=1e-6, atol=1e-7, context=context)
        h = 0.1
        got = checker.call(numerical_gradient, _test_function, saved.copy(), h)
        want = reference_numerical_gradient(_test_function, saved.copy(), h)
        checker.close(f"the numerical gradient with h={h}", got, want, _difference_mistakes(saved, h) + [
            ("the exact gradient, as if a much smaller step were used: use the step h you were given",
             _test_gradient(saved))], rtol=1e-7, atol=1e-9, context=context)
        # sin(100 x) has a large third derivative, so h = 1e-5 and another default step differ visibly
        got = checker.call(numerical_gradient, _wiggly_function, saved.copy())
        checker.close("the numerical gradient with the default step", got,
                      reference_numerical_gradient(_wiggly_function, saved.copy(), 1e-5),
                      rtol=1e-9, atol=1e-9, context=context + " (numerical_gradient(f, x) must use h=1e-5)")
    checker.done()


def _difference_mistakes(x, h):
    """What the usual mistakes in a numerical gradient with step ``h`` return, for ``Checker.close``."""
    def gradient(step, method="central"):
        return lambda: reference_numerical_gradient(_test_function, x.copy(), step, method=method)

    return [
        ("the forward difference (f(x+h) - f(x)) / h; use the central difference", gradient(h, "forward")),
        ("(f(x+h) - f(x-h)) / h: the denominator should be 2h", lambda: 2 * gradient(h)()),
        ("the backward difference (f(x) - f(x-h)) / h; use the central difference", gradient(-h, "forward"))]
