"""Logistic regression trained by stochastic gradient descent: loss, hand-derived gradient and Hessian, SGD loop.

Book: chapter 01_sgd, sections "Logistic regression" and "Minibatch SGD".

The model is p(y = 1 | x) = sigma(a) with the score a = x . w + b; the labels are y in {0, 1}. The loss is the
average negative log-likelihood of Bernoulli labels (the binary cross-entropy), written with the score so that
it stays finite for any s:

    J(w, b) = 1/N sum_n E_n,   E_n = log(1 + exp(a_n)) - y_n a_n = -y_n log p_n - (1 - y_n) log(1 - p_n).

It is ``losses.binary_cross_entropy_with_logits(x @ w + b, y)`` (and torch's ``binary_cross_entropy_with_logits``
with the default mean reduction). Differentiating E_n gives dE_n/da_n = sigma(a_n) - y_n, hence the gradient
and the Hessian below; tests/test_sgd_torch.py checks them against torch autograd in float64.
"""
import numpy as np

from .activations import as_float, sigmoid
from .losses import binary_cross_entropy_with_logits
from .training import minibatch_indices

__all__ = ["logistic_regression_loss", "logistic_regression_losses", "logistic_regression_gradient",
           "logistic_regression_hessian", "sgd_logistic_regression"]


def logistic_regression_loss(w, b, x, y):
    """J(w, b) = 1/N sum_n [log(1 + exp(a_n)) - y_n a_n] with a_n = x_n . w + b.

    Shapes: w (D,), b scalar, x (N, D), y (N,) in {0, 1} -> J, a float. Book: 01_sgd, "Logistic regression".
    """
    loss, _ = binary_cross_entropy_with_logits(as_float(x) @ w + b, y)
    return float(loss)


def logistic_regression_losses(ws, bs, x, y):
    """J(w_t, b_t) = 1/N sum_n [log(1 + exp(a_tn)) - y_n a_tn] with a_tn = x_n . w_t + b_t, for every row t.

    Shapes: ws (T, D), bs (T,), x (N, D), y (N,) in {0, 1} -> (T,). Book: 01_sgd, every training curve: the loss
    along a whole run of SGD (the rows of ``sgd_logistic_regression``'s result) in one matrix product.
    """
    a = as_float(x) @ np.asarray(ws, dtype=float).T + np.asarray(bs, dtype=float)
    return np.mean(np.logaddexp(0.0, a) - as_float(y)[:, None] * a, axis=0)


def logistic_regression_gradient(w, b, x, y):
    """dJ/dw = 1/N sum_n (sigma(a_n) - y_n) x_n,  dJ/db = 1/N sum_n (sigma(a_n) - y_n),  a_n = x_n . w + b.

    Shapes: w (D,), b scalar, x (N, D), y (N,) in {0, 1} -> (dw (D,), db float). Book: 01_sgd,
    "Logistic regression". In matrix form dw = X^T (sigma(a) - y) / N.
    """
    x = as_float(x)
    residual = sigmoid(x @ w + b) - as_float(y)
    n = x.shape[0]
    return x.T @ residual / n, float(np.sum(residual) / n)


def logistic_regression_hessian(w, b, x):
    """H = 1/N sum_n p_n (1 - p_n) [x_n; 1] [x_n; 1]^T with p_n = sigma(x_n . w + b)   (the bias is the last row).

    Shapes: w (D,), b scalar, x (N, D) -> H (D + 1, D + 1). Book: 01_sgd, "Convex and non-convex objectives".
    H is positive semi-definite for every (w, b), so J is convex. It does not depend on the labels.
    """
    x = as_float(x)
    p = sigmoid(x @ w + b)
    xb = np.concatenate([x, np.ones((x.shape[0], 1))], axis=1)
    return (xb * (p * (1.0 - p))[:, None]).T @ xb / x.shape[0]


def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    """For each epoch and each minibatch B of ``minibatch_indices(N, batch_size, rng)``, update t = 1, 2, ...:
    (w, b) <- (w, b) - eta_t (dJ_B/dw, dJ_B/db), with eta_t = lr(t - 1) if lr is callable else lr.

    Shapes: x (N, D), y (N,) in {0, 1}, w0 (D,) or None (zeros), b0 scalar -> (ws (T + 1, D), bs (T + 1,)),
    where T = epochs * ceil(N / batch_size) is the number of updates and row t holds the parameters after
    t updates (row 0 is the start w0, b0). Book: 01_sgd, "Minibatch SGD".
    J_B is the loss averaged over the minibatch B (``logistic_regression_gradient(w, b, x[B], y[B])``). A schedule
    lr is called with the number of updates made before this one, t - 1 = 0, 1, ..., over all epochs (the
    ``dlcourse.schedules`` convention, torch's: lr(0) is the rate of the first update). Each epoch draws its
    minibatches with one ``rng.permutation(N)``, so a call with ``epochs=2`` equals two calls with ``epochs=1``
    that share ``rng`` (warm-started with w0, b0) when lr is a number. Inputs are not modified.
    """
    n, d = np.shape(x)
    w = np.zeros(d) if w0 is None else np.array(w0, dtype=float)
    b = float(b0)
    ws, bs = [w], [b]
    step = 0
    for _ in range(epochs):
        for batch in minibatch_indices(n, batch_size, rng):
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = lr(step) if callable(lr) else lr
            w, b = w - eta * dw, b - eta * db
            ws.append(w)
            bs.append(b)
            step += 1
    return np.array(ws), np.array(bs)
