"""Explicit regularisation: penalties on the weights, their closed forms, and norm constraints.

Book: chapter 06_regularisation, sections "L2 regularisation" to "Noise on the inputs".

The loss is the book's average, J(w) = 1/(2N) sum_n ||W x_n + b - y_n||^2 for a linear model, and a penalty
is added to it: the L2 penalty mu/2 ||W||_F^2 (``mu`` is torch's ``weight_decay``), the L1 penalty
nu ||w||_1. Biases are never penalised: they only shift the output and do not make a model more complex.

Conventions elsewhere (the tests prove each relation):

- ``torch.optim.SGD(weight_decay=mu)`` adds mu w to the gradient: the gradient of mu/2 ||w||^2 (coupled L2),
  for every parameter of its group, biases included unless a group excludes them;
- ``sklearn.linear_model.Ridge(alpha)`` minimises ||y - X w - b||^2 + alpha ||w||^2, a sum without 1/N and
  without 1/2: alpha = N mu;
- ``sklearn.linear_model.Lasso(alpha)`` minimises 1/(2N) ||y - X w - b||^2 + alpha ||w||_1: alpha = nu;
- ``torch.nn.functional.softshrink(w, lambd)`` is the soft-thresholding operator with threshold lambd;
- ``torch.renorm(w, 2, 0, r)`` rescales the rows of w with norm above r to norm r / (1 + 1e-7 / norm).
"""
import numpy as np

from .sequential import is_weight

__all__ = ["l2_penalty", "ridge_regression", "ridge_filter", "gd_filter", "gd_least_squares", "soft_threshold",
           "ista_step", "l1_subgradient_step", "max_norm", "noisy_input_loss"]


def l2_penalty(params, mu):
    """Omega = mu/2 sum over weight matrices ||W||_F^2;  dOmega/dW = mu W, dOmega/db = 0.

    Shapes: params a flat dict of arrays keyed like ``sequential`` ("0.W", "0.b", ...) -> (value (), grads: a
    dict with the same keys and shapes). Weights are the keys for which ``sequential.is_weight`` is True.
    Book: 06_regularisation, "L2 regularisation".
    """
    value = 0.5 * mu * sum(float(np.sum(w * w)) for key, w in params.items() if is_weight(key))
    grads = {key: mu * w if is_weight(key) else np.zeros_like(w, dtype=float) for key, w in params.items()}
    return value, grads


def ridge_regression(x, y, mu):
    """(w, b) = argmin 1/(2N) ||X w + b - y||^2 + mu/2 ||w||^2: (Xc^T Xc / N + mu I) w = Xc^T yc / N, b = ybar - xbar w.

    Shapes: x (N, D), y (N,), mu > 0 -> (w (D,), b ()). Xc and yc are the centred data: the bias is not
    penalised, so it absorbs the means. sklearn's ``Ridge(alpha=N * mu)`` solves the same problem.
    Book: 06_regularisation, "Ridge regression".
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n, d = x.shape
    x_mean, y_mean = x.mean(axis=0), y.mean()
    xc, yc = x - x_mean, y - y_mean
    w = np.linalg.solve(xc.T @ xc / n + mu * np.eye(d), xc.T @ yc / n)
    return w, float(y_mean - x_mean @ w)


def ridge_filter(eigvals, mu):
    """f_i = lambda_i / (lambda_i + mu): how much of w* the L2 solution keeps along eigenvector i of the Hessian.

    Shapes: eigvals any shape -> same shape. Book: 06_regularisation, "What L2 does to a quadratic".
    """
    eigvals = np.asarray(eigvals, dtype=float)
    return eigvals / (eigvals + mu)


def gd_filter(eigvals, lr, steps):
    """f_i(t) = 1 - (1 - lr lambda_i)^t: how much of w* gradient descent from w_0 = 0 has reached after t steps.

    Shapes: eigvals any shape -> same shape. Book: 06_regularisation, "Early stopping as regularisation".
    """
    eigvals = np.asarray(eigvals, dtype=float)
    return 1.0 - (1.0 - lr * eigvals) ** steps


def gd_least_squares(x, y, lr, steps):
    """w_t of gradient descent on J(w) = 1/(2N) ||X w - y||^2 from w_0 = 0, for t = 0..steps (no bias).

    Shapes: x (N, D), y (N,) -> (steps + 1, D). Book: 06_regularisation, "Early stopping as regularisation".
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = len(x)
    path = np.zeros((steps + 1, x.shape[1]))
    for t in range(steps):
        path[t + 1] = path[t] - lr * x.T @ (x @ path[t] - y) / n
    return path


def soft_threshold(w, threshold):
    """soft_nu(w) = sign(w) max(|w| - nu, 0) with nu = threshold, elementwise: the proximal operator of nu ||w||_1.

    Shapes: w any shape -> same shape. torch's ``F.softshrink(w, nu)``. Book: 06_regularisation, "L1".
    """
    w = np.asarray(w, dtype=float)
    return np.sign(w) * np.maximum(np.abs(w) - threshold, 0.0)


def ista_step(w, dw, lr, nu):
    """w <- S_{lr nu}(w - lr dw): a gradient step on J, then the proximal step of the L1 penalty nu ||w||_1.

    Shapes: w, dw same shape -> same shape. Book: 06_regularisation, "L1 regularisation and sparsity".
    """
    return soft_threshold(np.asarray(w, dtype=float) - lr * np.asarray(dw, dtype=float), lr * nu)


def l1_subgradient_step(w, dw, lr, nu):
    """w <- w - lr (dw + nu sign(w)): a subgradient step on J + nu ||w||_1 (what many notes teach).

    Shapes: w, dw same shape -> same shape. It oscillates around 0 and almost never lands on it.
    """
    w = np.asarray(w, dtype=float)
    return w - lr * (np.asarray(dw, dtype=float) + nu * np.sign(w))


def max_norm(w, r):
    """Each row (one unit's incoming weights) projected onto the ball of radius r: w_j <- min(1, r/||w_j||) w_j.

    Shapes: w (out, in) -> (out, in); rows inside the ball, all-zero rows included, are unchanged.
    Book: 06_regularisation, "Norm constraints".
    """
    w = np.asarray(w, dtype=float)
    norms = np.linalg.norm(w, axis=1, keepdims=True)
    return w * np.minimum(1.0, r / np.maximum(norms, np.finfo(float).tiny))


def noisy_input_loss(x, y, w, b, sigma):
    """E_xi[J] for inputs x + xi, xi ~ N(0, sigma^2 I): J(W, b) + sigma^2/2 ||W||_F^2, and its gradients.

    J = 1/(2N) sum_n ||W x_n + b - y_n||^2 (the linear model of ``layers.linear_forward``).
    Shapes: x (N, D), y (N, K), w (K, D), b (K,) -> (loss (), dw (K, D), db (K,)).
    Book: 06_regularisation, "Noise on the inputs" (Bishop 1995): input noise is an L2 penalty with mu = sigma^2.
    """
    x, y, w, b = (np.asarray(a, dtype=float) for a in (x, y, w, b))
    n = len(x)
    residual = x @ w.T + b - y
    loss = 0.5 * np.sum(residual ** 2) / n + 0.5 * sigma ** 2 * np.sum(w ** 2)
    return float(loss), residual.T @ x / n + sigma ** 2 * w, residual.sum(axis=0) / n
