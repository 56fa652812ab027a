"""Chapter 02_backprop: mistakes students make, and correct implementations unlike the instructor's.

Each function is notebook code for one exercise (see dlcourse.grading.library): it may use what the
chapter's first cell imports (np, activations, layers, ActivationCache, ...) and the student's other
functions (mlp_backward may call linear_backward), never the reference of its own exercise.
"""
import math  # noqa: F401 (the notebook code below imports what it uses; this keeps linters quiet)

import numpy as np  # noqa: F401

from dlcourse import activations  # noqa: F401
from dlcourse.grading.library import correct, mistake
from dlcourse.layers import activation_backward  # noqa: F401

# ---------------------------------------------------------------------- sigmoid_derivative


@mistake("sigmoid_derivative", "returns sigma(a)", "sigma(a) itself")
def sigmoid_derivative(a):
    return activations.sigmoid(a)


@mistake("sigmoid_derivative", "a (1 - a)", "applied to a instead of sigma(a)")
def sigmoid_derivative(a):
    return a * (1 - a)


@mistake("sigmoid_derivative", "sigma (1 + sigma)", "a sign error")
def sigmoid_derivative(a):
    s = activations.sigmoid(a)
    return s * (1 + s)


@mistake("sigmoid_derivative", "exp(-a) / (1 + exp(-a))^2, nan at a = -800", "contains nan")
def sigmoid_derivative(a):
    e = np.exp(-a)
    return e / (1 + e) ** 2


@mistake("sigmoid_derivative", "overwrites its input", "changed its input a")
def sigmoid_derivative(a):
    a[...] = activations.sigmoid(a)
    return a * (1 - a)


@correct("sigmoid_derivative", "exp(-|a|) / (1 + exp(-|a|))^2")
def sigmoid_derivative(a):
    e = np.exp(-np.abs(a))
    return e / (1 + e) ** 2


@correct("sigmoid_derivative", "naive sigmoid that overflows (a warning) but is right")
def sigmoid_derivative(a):
    s = 1 / (1 + np.exp(-a))
    return s * (1 - s)


@correct("sigmoid_derivative", "a loop with math.exp")
def sigmoid_derivative(a):
    import math

    def one(v):
        s = 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
        return s * (1 - s)
    return np.array([one(float(v)) for v in np.ravel(a)]).reshape(np.shape(a))


@mistake("sigmoid_derivative", "forgets to return", "is None")
def sigmoid_derivative(a):
    s = activations.sigmoid(a)
    s * (1 - s)


@mistake("sigmoid_derivative", "returns a list", "should be a numpy array")
def sigmoid_derivative(a):
    s = activations.sigmoid(a)
    return list(s * (1 - s))


# ---------------------------------------------------------------------- tanh_derivative


@mistake("tanh_derivative", "1 - tanh(a)", "the square is missing")
def tanh_derivative(a):
    return 1 - np.tanh(a)


@mistake("tanh_derivative", "1 - a^2", "applied to a instead of tanh(a)")
def tanh_derivative(a):
    return 1 - a ** 2


@mistake("tanh_derivative", "1 + tanh(a)^2", "a sign error")
def tanh_derivative(a):
    return 1 + np.tanh(a) ** 2


@mistake("tanh_derivative", "returns tanh(a)", "tanh(a) itself")
def tanh_derivative(a):
    return np.tanh(a)


@correct("tanh_derivative", "1 / cosh(a)^2, overflows (a warning) but is right")
def tanh_derivative(a):
    return 1 / np.cosh(a) ** 2


@correct("tanh_derivative", "float32")
def tanh_derivative(a):
    return 1 - np.tanh(np.asarray(a, dtype=np.float32)) ** 2


@correct("tanh_derivative", "a loop with math.tanh")
def tanh_derivative(a):
    import math
    return np.array([1 - math.tanh(float(v)) ** 2 for v in np.ravel(a)]).reshape(np.shape(a))


@mistake("tanh_derivative", "1 - tanh(a^2): the square in the wrong place", "is wrong")
def tanh_derivative(a):
    return 1 - np.tanh(a ** 2)


@mistake("tanh_derivative", "returns a list", "should be a numpy array")
def tanh_derivative(a):
    return [1 - np.tanh(v) ** 2 for v in a]


# ---------------------------------------------------------------------- relu_derivative


@mistake("relu_derivative", "comparison flipped", "the comparison is flipped")
def relu_derivative(a):
    return (a < 0).astype(float)


@mistake("relu_derivative", "ones everywhere", "1 everywhere")
def relu_derivative(a):
    return np.ones_like(a)


@mistake("relu_derivative", "returns relu(a)", "relu(a) itself")
def relu_derivative(a):
    return np.maximum(a, 0)


@mistake("relu_derivative", "a single number", "but it is a single number")
def relu_derivative(a):
    return float(np.any(a > 0))


@mistake("relu_derivative", "1 at the kink (a >= 0)", "1 at the kink a = 0")
def relu_derivative(a):
    return (a >= 0).astype(float)


@mistake("relu_derivative", "a boolean mask, not the float array the docstring promises", "its dtype is bool")
def relu_derivative(a):
    return a > 0


@correct("relu_derivative", "np.heaviside")
def relu_derivative(a):
    return np.heaviside(a, 0.0)


@correct("relu_derivative", "np.where")
def relu_derivative(a):
    return np.where(a > 0, 1.0, 0.0)


@correct("relu_derivative", "a loop over the entries")
def relu_derivative(a):
    return np.array([1.0 if v > 0 else 0.0 for v in np.ravel(a)]).reshape(np.shape(a))


# ---------------------------------------------------------------------- linear_backward


@mistake("linear_backward", "dx divided by N", "dout already contains the 1/N")
def linear_backward(dout, cache):
    x, w = cache
    return dout @ w / len(dout), dout.T @ x, dout.sum(axis=0)


@mistake("linear_backward", "dW divided by N", "dout^T x / N")
def linear_backward(dout, cache):
    x, w = cache
    return dout @ w, dout.T @ x / len(dout), dout.sum(axis=0)


@mistake("linear_backward", "dW transposed", "It looks transposed")
def linear_backward(dout, cache):
    x, w = cache
    return dout @ w, x.T @ dout, dout.sum(axis=0)


@mistake("linear_backward", "db is the mean", "the mean of dout over the batch")
def linear_backward(dout, cache):
    x, w = cache
    return dout @ w, dout.T @ x, dout.mean(axis=0)


@mistake("linear_backward", "db summed over the outputs", "the sum of dout over the outputs")
def linear_backward(dout, cache):
    x, w = cache
    return dout @ w, dout.T @ x, dout.sum(axis=1)


@mistake("linear_backward", "dx = dout W^T", "linear_backward raised ValueError")
def linear_backward(dout, cache):
    x, w = cache
    return dout @ w.T, dout.T @ x, dout.sum(axis=0)


@mistake("linear_backward", "returns (dx, dW)", "should return a tuple (dx, dw, db)")
def linear_backward(dout, cache):
    x, w = cache
    return dout @ w, dout.T @ x


@mistake("linear_backward", "drops the axis of dx when D = 1", visible=False)
def linear_backward(dout, cache):
    x, w = cache
    dx = dout @ w
    if dx.shape[1] == 1:
        dx = dx[:, 0]
    return dx, dout.T @ x, dout.sum(axis=0)


@mistake("linear_backward", "zeroes x in the cache", "changed its input x")
def linear_backward(dout, cache):
    x, w = cache
    dw = dout.T @ x
    x[...] = 0.0
    return dout @ w, dw, dout.sum(axis=0)


@correct("linear_backward", "a loop over the examples")
def linear_backward(dout, cache):
    x, w = cache
    dx, dw, db = np.zeros(x.shape), np.zeros(w.shape), np.zeros(w.shape[0])
    for n in range(x.shape[0]):
        dx[n] = w.T @ dout[n]
        dw += np.outer(dout[n], x[n])
        db += dout[n]
    return dx, dw, db


@correct("linear_backward", "einsum")
def linear_backward(dout, cache):
    return (np.einsum("nm,md->nd", dout, cache.w), np.einsum("nm,nd->md", dout, cache.x),
            np.einsum("nm->m", dout))


@correct("linear_backward", "float32")
def linear_backward(dout, cache):
    x, w, dout = (np.asarray(v, dtype=np.float32) for v in (cache.x, cache.w, dout))
    return dout @ w, dout.T @ x, dout.sum(axis=0)


@mistake("linear_backward", "forgets to return", "did you forget a `return`?")
def linear_backward(dout, cache):
    x, w = cache
    dx, dw, db = dout @ w, dout.T @ x, dout.sum(axis=0)


@mistake("linear_backward", "returns a list [dx, dw, db]", "which makes a tuple")
def linear_backward(dout, cache):
    x, w = cache
    return [dout @ w, dout.T @ x, dout.sum(axis=0)]


@mistake("linear_backward", "divides all three by N", "all three divided by N")
def linear_backward(dout, cache):
    x, w = cache
    n = len(dout)
    return dout @ w / n, dout.T @ x / n, dout.sum(axis=0) / n


@mistake("linear_backward", "dx divided by N and dW transposed: two mistakes, neither named alone", "dx is wrong")
def linear_backward(dout, cache):
    x, w = cache
    return dout @ w / len(dout), x.T @ dout, dout.sum(axis=0)


@correct("linear_backward", "transposes and a vector of ones")
def linear_backward(dout, cache):
    x, w = cache
    return (w.T @ dout.T).T, (x.T @ dout).T, np.ones(len(dout)) @ dout


# ---------------------------------------------------------------------- softmax_cross_entropy


@mistake("softmax_cross_entropy", "softmax without subtracting the maximum", "contains nan")
def softmax_cross_entropy(logits, labels):
    n = len(logits)
    e = np.exp(logits)
    p = e / e.sum(axis=1, keepdims=True)
    grad = p.copy()
    grad[np.arange(n), labels] -= 1
    return float(-np.log(p[np.arange(n), labels]).mean()), grad / n


@mistake("softmax_cross_entropy", "-log(softmax): inf when the label's logit is -1000", "contains inf")
def softmax_cross_entropy(logits, labels):
    n = len(logits)
    p = activations.softmax(logits)
    grad = p.copy()
    grad[np.arange(n), labels] -= 1
    return float(-np.log(p[np.arange(n), labels]).mean()), grad / n


@mistake("softmax_cross_entropy", "loss summed over the batch", "the loss is the average (divide by N)")
def softmax_cross_entropy(logits, labels):
    n = len(logits)
    log_p = activations.log_softmax(logits)
    grad = np.exp(log_p)
    grad[np.arange(n), labels] -= 1
    return float(-log_p[np.arange(n), labels].sum()), grad / n


@mistake("softmax_cross_entropy", "one loss per example", "the loss should be a single number")
def softmax_cross_entropy(logits, labels):
    n = len(logits)
    log_p = activations.log_softmax(logits)
    grad = np.exp(log_p)
    grad[np.arange(n), labels] -= 1
    return -log_p[np.arange(n), labels], grad / n


@mistake("softmax_cross_entropy", "gradient without the 1/N", "without the 1/N")
def softmax_cross_entropy(logits, labels):
    n = len(logits)
    log_p = activations.log_softmax(logits)
    grad = np.exp(log_p)
    grad[np.arange(n), labels] -= 1
    return float(-log_p[np.arange(n), labels].mean()), grad


@mistake("softmax_cross_entropy", "gradient without - Y", "the one-hot targets were not subtracted")
def softmax_cross_entropy(logits, labels):
    n = len(logits)
    log_p = activations.log_softmax(logits)
    return float(-log_p[np.arange(n), labels].mean()), np.exp(log_p) / n


@mistake("softmax_cross_entropy", "gradient sign flipped", "the sign is flipped")
def softmax_cross_entropy(logits, labels):
    n = len(logits)
    log_p = activations.log_softmax(logits)
    grad = np.exp(log_p)
    grad[np.arange(n), labels] -= 1
    return float(-log_p[np.arange(n), labels].mean()), -grad / n


@correct("softmax_cross_entropy", "a loop over rows with math")
def softmax_cross_entropy(logits, labels):
    import math
    n = len(logits)
    loss, grad = 0.0, np.zeros(np.shape(logits))
    for i in range(n):
        shifted = logits[i] - max(logits[i])
        log_z = math.log(sum(math.exp(v) for v in shifted))
        loss += (log_z - shifted[labels[i]]) / n
        grad[i] = np.exp(shifted - log_z) / n
        grad[i, labels[i]] -= 1.0 / n
    return loss, grad


@correct("softmax_cross_entropy", "float32 with np.logaddexp")
def softmax_cross_entropy(logits, labels):
    s = np.asarray(logits, dtype=np.float32)
    s = s - s.max(axis=1, keepdims=True)
    log_p = s - np.logaddexp.reduce(s, axis=1, keepdims=True)
    onehot = np.eye(s.shape[1], dtype=np.float32)[labels]
    return -np.mean(np.sum(onehot * log_p, axis=1)), (np.exp(log_p) - onehot) / len(s)


@mistake("softmax_cross_entropy", "returns the loss only", "should return a tuple (loss, grad)")
def softmax_cross_entropy(logits, labels):
    n = len(logits)
    return float(-activations.log_softmax(logits)[np.arange(n), labels].mean())


@mistake("softmax_cross_entropy", "sums over the batch in the loss and the gradient", "sums over the batch in both")
def softmax_cross_entropy(logits, labels):
    n = len(logits)
    log_p = activations.log_softmax(logits)
    grad = np.exp(log_p)
    grad[np.arange(n), labels] -= 1
    return float(-log_p[np.arange(n), labels].sum()), grad


# ---------------------------------------------------------------------- mlp_backward


@mistake("mlp_backward", "h'(z) instead of h'(a)", "h'(z) in place of h'(a)")
def mlp_backward(dout, caches):
    grads, delta = {}, dout
    for layer in range(len(caches), 0, -1):
        linear_cache, activation_cache = caches[layer - 1]
        if activation_cache is not None:
            h = activations.get_activation(activation_cache.name)
            delta = delta * h.derivative(h.function(activation_cache.a))
        delta, grads[f"W{layer}"], grads[f"b{layer}"] = linear_backward(delta, linear_cache)
    return grads


@mistake("mlp_backward", "no activation derivative", "without the activation derivative")
def mlp_backward(dout, caches):
    grads, delta = {}, dout
    for layer in range(len(caches), 0, -1):
        delta, grads[f"W{layer}"], grads[f"b{layer}"] = linear_backward(delta, caches[layer - 1].linear)
    return grads


@mistake("mlp_backward", "dout divided by N again", "divided by N once more")
def mlp_backward(dout, caches):
    grads, delta = {}, dout / len(dout)
    for layer in range(len(caches), 0, -1):
        linear_cache, activation_cache = caches[layer - 1]
        if activation_cache is not None:
            delta = activation_backward(delta, activation_cache)
        delta, grads[f"W{layer}"], grads[f"b{layer}"] = linear_backward(delta, linear_cache)
    return grads


@mistake("mlp_backward", "dW transposed", "It looks transposed")
def mlp_backward(dout, caches):
    grads, delta = {}, dout
    for layer in range(len(caches), 0, -1):
        (x, w), activation_cache = caches[layer - 1]
        if activation_cache is not None:
            delta = activation_backward(delta, activation_cache)
        grads[f"W{layer}"], grads[f"b{layer}"] = x.T @ delta, delta.sum(axis=0)
        delta = delta @ w
    return grads


@mistake("mlp_backward", "stops before the first layer", "the gradients of W1, b1 are missing")
def mlp_backward(dout, caches):
    grads, delta = {}, dout
    for layer in range(len(caches), 1, -1):
        linear_cache, activation_cache = caches[layer - 1]
        if activation_cache is not None:
            delta = activation_backward(delta, activation_cache)
        delta, grads[f"W{layer}"], grads[f"b{layer}"] = linear_backward(delta, linear_cache)
    return grads


@mistake("mlp_backward", "returns a list", "should return a dict of gradients")
def mlp_backward(dout, caches):
    grads, delta = [], dout
    for layer in range(len(caches), 0, -1):
        linear_cache, activation_cache = caches[layer - 1]
        if activation_cache is not None:
            delta = activation_backward(delta, activation_cache)
        delta, dw, db = linear_backward(delta, linear_cache)
        grads += [dw, db]
    return grads


@correct("mlp_backward", "one example at a time")
def mlp_backward(dout, caches):
    grads = {}
    for n in range(len(dout)):
        delta = dout[n]
        for layer in range(len(caches), 0, -1):
            (x, w), activation_cache = caches[layer - 1]
            if activation_cache is not None:
                h = activations.get_activation(activation_cache.name)
                delta = delta * h.derivative(activation_cache.a[n])
            grads[f"W{layer}"] = grads.get(f"W{layer}", 0.0) + np.outer(delta, x[n])
            grads[f"b{layer}"] = grads.get(f"b{layer}", 0.0) + delta
            delta = w.T @ delta
    return grads


@correct("mlp_backward", "the formulas written out, no helper functions")
def mlp_backward(dout, caches):
    grads, delta = {}, dout
    for layer in range(len(caches), 0, -1):
        (x, w), activation_cache = caches[layer - 1]
        if activation_cache is not None:
            delta = delta * activations.get_activation(activation_cache.name).derivative(activation_cache.a)
        grads[f"W{layer}"] = delta.T @ x
        grads[f"b{layer}"] = delta.sum(axis=0)
        delta = delta @ w
    return grads


@mistake("mlp_backward", "bias gradients averaged over the batch", "the bias gradients divided by N")
def mlp_backward(dout, caches):
    grads, delta = {}, dout
    for layer in range(len(caches), 0, -1):
        linear_cache, activation_cache = caches[layer - 1]
        if activation_cache is not None:
            delta = activation_backward(delta, activation_cache)
        grads[f"W{layer}"] = delta.T @ linear_cache.x
        grads[f"b{layer}"] = delta.mean(axis=0)
        delta = delta @ linear_cache.w
    return grads


@correct("mlp_backward", "float32 throughout")
def mlp_backward(dout, caches):
    grads, delta = {}, dout.astype(np.float32)
    for layer in range(len(caches), 0, -1):
        (x, w), activation_cache = caches[layer - 1]
        if activation_cache is not None:
            h_prime = activations.get_activation(activation_cache.name).derivative
            delta = delta * h_prime(activation_cache.a.astype(np.float32)).astype(np.float32)
        grads[f"W{layer}"] = delta.T @ x.astype(np.float32)
        grads[f"b{layer}"] = delta.sum(axis=0)
        delta = delta @ w.astype(np.float32)
    return grads


# ---------------------------------------------------------------------- numerical_gradient


@mistake("numerical_gradient", "forward difference", "the forward difference")
def numerical_gradient(f, x, h=1e-5):
    grad, fx = np.zeros(x.shape), f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        grad[i] = (f(x) - fx) / h
        x[i] = old
    return grad


@mistake("numerical_gradient", "backward difference", "the backward difference")
def numerical_gradient(f, x, h=1e-5):
    grad, fx = np.zeros(x.shape), f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old - h
        grad[i] = (fx - f(x)) / h
        x[i] = old
    return grad


@mistake("numerical_gradient", "divides by h instead of 2h", "the denominator should be 2h")
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / h
    return grad


@mistake("numerical_gradient", "does not restore x", "changed its input x")
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        grad[i] = (plus - minus) / (2 * h)
    return grad


@mistake("numerical_gradient", "ignores h (always 1e-7)", "use the step h you were given")
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + 1e-7
        plus = f(x)
        x[i] = old - 1e-7
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / 2e-7
    return grad


@mistake("numerical_gradient", "perturbs every entry at once", "is wrong")
def numerical_gradient(f, x, h=1e-5):
    return np.full(x.shape, (f(x + h) - f(x - h)) / (2 * h))


@correct("numerical_gradient", "x[i] += h, -= 2h, += h")
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += h
        plus = f(x)
        x[i] -= 2 * h
        minus = f(x)
        x[i] += h
        grad[i] = (plus - minus) / (2 * h)
    return grad


@correct("numerical_gradient", "perturbed copies, x never touched")
def numerical_gradient(f, x, h=1e-5):
    flat = x.ravel().astype(float)
    grad = np.zeros(flat.size)
    for i in range(flat.size):
        step = np.zeros(flat.size)
        step[i] = h
        grad[i] = (f((flat + step).reshape(x.shape)) - f((flat - step).reshape(x.shape))) / (2 * h)
    return grad.reshape(x.shape)


@mistake("numerical_gradient", "forgets to return", "is None")
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + h
        f_plus = f(x)
        x[index] = old - h
        f_minus = f(x)
        x[index] = old
        grad[index] = (f_plus - f_minus) / (2 * h)


@mistake("numerical_gradient", "another default step, h=1e-7", "must use h=1e-5")
def numerical_gradient(f, x, h=1e-7):
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + h
        f_plus = f(x)
        x[index] = old - h
        f_minus = f(x)
        x[index] = old
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad
