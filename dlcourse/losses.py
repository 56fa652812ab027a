"""Losses derived from maximum likelihood, each returning ``(loss, dloss/dprediction)``.

Book: chapter 02_backprop ("Softmax and cross-entropy") and chapter 01_sgd (maximum likelihood).
Every loss is the average over the N examples of a minibatch, J = (1/N) sum_n E_n, so every
gradient carries a factor 1/N.
"""
import numpy as np

from .activations import as_float, log_softmax, sigmoid

__all__ = [
    "mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "softmax_cross_entropy", "one_hot",
]


def mse_loss(pred, target):
    """J = 1/(2N) sum_n ||yhat_n - y_n||^2;  dJ/dyhat = (yhat - y) / N.

    Shapes: pred (N, K) or (N,), target same -> loss (), grad like pred.
    The negative log-likelihood of Gaussian noise with unit variance, up to a constant.
    torch's MSELoss is (1/(N K)) sum (yhat - y)^2 instead: ours is K/2 times it.
    """
    pred, target = as_float(pred), as_float(target)
    n = pred.shape[0]
    residual = pred - target
    return 0.5 * np.sum(residual ** 2) / n, residual / n


def binary_cross_entropy(prob, target):
    """J = -1/N sum_n [y log p + (1 - y) log(1 - p)];  dJ/dp = (p - y) / (p (1 - p)) / N.

    Shapes: prob (N,), target (N,) in {0, 1} -> loss (), grad (N,).
    The negative log-likelihood of a Bernoulli variable. Prefer the ``_with_logits`` form,
    which stays finite when p reaches 0 or 1. (Averaged over all elements, as torch does.)
    """
    p, y = as_float(prob), as_float(target)
    n = p.size
    loss = -np.sum(y * np.log(p) + (1 - y) * np.log1p(-p)) / n
    return loss, (p - y) / (p * (1 - p)) / n


def binary_cross_entropy_with_logits(logits, target):
    """J = 1/N sum_n [log(1 + exp(s)) - y s] with p = sigma(s);  dJ/ds = (sigma(s) - y) / N.

    Shapes: logits (N,), target (N,) in {0, 1} -> loss (), grad (N,).
    """
    s, y = as_float(logits), as_float(target)
    n = s.size
    return np.sum(np.logaddexp(0.0, s) - y * s) / n, (sigmoid(s) - y) / n


def one_hot(labels, n_classes):
    """Y[n, k] = 1 if labels[n] == k else 0.

    Shapes: labels (N,) integers -> (N, n_classes).
    """
    labels = np.asarray(labels)
    out = np.zeros((labels.shape[0], n_classes))
    out[np.arange(labels.shape[0]), labels] = 1.0
    return out


def softmax_cross_entropy(logits, labels):
    """J = -1/N sum_n log softmax(s_n)[y_n];  dJ/ds = (softmax(s) - Y) / N with Y one-hot.

    Shapes: logits (N, K), labels (N,) integers in [0, K) -> loss (), grad (N, K).
    Computed with log-softmax, so logits of +-1000 give finite values.
    """
    logits = as_float(logits)
    labels = np.asarray(labels)
    n = logits.shape[0]
    log_probs = log_softmax(logits)
    loss = -np.sum(log_probs[np.arange(n), labels]) / n
    grad = np.exp(log_probs)
    grad[np.arange(n), labels] -= 1.0
    return loss, grad / n
