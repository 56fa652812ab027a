"""Dropout with torch's convention: ``p`` is the probability of *dropping* a unit; 1 - p keeps it.

Book: chapter 07_dropout. The layer protocol (``dlcourse.sequential``) wraps it as a layer.

- **Masks and arithmetic apart.** ``dropout_mask`` draws a boolean mask from an explicit generator (True
  keeps the entry, with probability 1 - p); ``dropout_forward`` and ``dropout_backward`` only multiply, so
  their arithmetic can be tested exactly with any mask, torch's included.
- **Inverted dropout** (torch, d2l, cs231n's code): in training the survivors are scaled by 1/(1 - p), so
  that E[out] = x, and evaluation is the identity. *Vanilla* dropout (Srivastava et al. 2014) keeps the
  survivors unscaled and multiplies, at test time, the weights that leave each dropped layer by its keep
  probability 1 - p: ``weight_scaling``.
- **Prediction.** ``mc_dropout_predict`` averages the class probabilities of several passes in training
  mode (a Monte-Carlo estimate of the ensemble's prediction); evaluation mode (or weight scaling) is the
  one-pass approximation.
- **Linear regression.** For a linear model with dropout on its inputs the expected squared loss is the
  loss of the full model plus a data-dependent L2 penalty (``expected_dropout_loss``), minimised by a
  ridge-like solution (``dropout_ridge_solution``).

cs231n's assignments call the *keep* probability p; this package never does.
"""
from typing import NamedTuple, Optional

import numpy as np

from .activations import softmax

__all__ = ["DropoutCache", "dropout_mask", "all_masks", "dropout_forward", "dropout_backward", "mc_dropout_predict",
           "weight_scaling", "expected_dropout_loss", "dropout_ridge_solution"]


class DropoutCache(NamedTuple):
    """What dropout_backward needs: the boolean mask (True keeps; None is allowed in evaluation), the drop
    probability p and the mode."""

    mask: Optional[np.ndarray]
    p: float
    train: bool


def _check_p(p, upper_included=True):
    if not (0.0 <= p <= 1.0 if upper_included else 0.0 <= p < 1.0):
        bound = "[0, 1]" if upper_included else "[0, 1)"
        raise ValueError(f"the drop probability p must lie in {bound}, got {p}.")


def _keep_scale(p):
    """1 / (1 - p), and 0 when p = 1 (every unit dropped: torch returns zeros, not 0/0)."""
    return 0.0 if p == 1.0 else 1.0 / (1.0 - p)


def dropout_mask(shape, p, rng):
    """m_i ~ Bernoulli(1 - p), independently for every entry: True keeps the entry.

    Shapes: -> boolean array of ``shape`` (one mask entry per example and per unit).
    """
    _check_p(p)
    return rng.random(shape) >= p


def all_masks(n_units, p):
    """Every mask of ``n_units`` units and its probability prod_i (1 - p_i)^{m_i} p_i^{1 - m_i}: the 2^n sub-networks.

    Shapes: p a number or (n_units,) (one drop probability per unit) -> masks (2^n, n) boolean, probabilities
    (2^n,) summing to 1. For n <= 20.
    """
    p = np.asarray(p, dtype=float)
    if p.ndim > 1 or (p.ndim == 1 and len(p) != n_units) or not np.all((0.0 <= p) & (p <= 1.0)):
        raise ValueError(f"p must be one drop probability in [0, 1] or one for each of the {n_units} units, got {p}.")
    if not 0 <= n_units <= 20:
        raise ValueError(f"all_masks enumerates 2^n masks; n_units must lie in [0, 20], got {n_units}.")
    masks = (np.arange(2 ** n_units)[:, None] >> np.arange(n_units)[::-1] & 1).astype(bool)
    return masks, np.prod(np.where(masks, 1.0 - p, p), axis=1)


def dropout_forward(x, mask, p, train=True):
    """out = x * m / (1 - p) in training (zeros when p = 1, as torch gives); out = x in evaluation.

    Shapes: x (any), mask (same shape, boolean; ignored and may be None when train=False) -> out (same shape),
    DropoutCache(mask, p, train).
    """
    _check_p(p)
    if not train:
        return x, DropoutCache(mask, p, False)
    return x * mask * _keep_scale(p), DropoutCache(mask, p, True)


def dropout_backward(dout, cache):
    """dx = dout * m / (1 - p) in training: the gradient flows only through the kept units, scaled like them;
    dx = dout in evaluation.

    Shapes: dout (any) -> dx (same shape).
    """
    if not cache.train:
        return dout
    return dout * cache.mask * _keep_scale(cache.p)


def mc_dropout_predict(net, params, state, x, rng, n_samples):
    """p(y | x) ~ (1/S) sum_s softmax(f(x; mask_s)): the class probabilities of S passes in training mode,
    averaged; pass s draws its masks from ``rng``, one pass after the other.

    Shapes: x (N, D) -> (N, K). ``net`` is a layer of ``dlcourse.sequential`` whose output is logits.
    """
    if int(n_samples) < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples}.")
    total = 0.0
    for _ in range(int(n_samples)):
        logits = net.forward(params, state, x, train=True, rng=rng)[0]
        total = total + softmax(logits, axis=1)
    return total / int(n_samples)


def weight_scaling(params, drop_probs):
    """W^(l) <- (1 - p_l) W^(l) for every linear layer l whose input went through dropout with probability
    p_l (vanilla dropout's test-time network); biases and all other parameters are unchanged.

    Shapes: params a flat dict ``{"1.W": (M, M_prev), "1.b": (M,), ...}`` as ``dlcourse.sequential`` makes it;
    drop_probs maps a linear layer's key prefix (``"1"``, ``"2.0"``) to p_l -> a new dict like params.
    """
    scaled = dict(params)
    for prefix, p in drop_probs.items():
        _check_p(p)
        key = f"{prefix}.W"
        if key not in params:
            raise KeyError(f"drop_probs names the layer {prefix!r}, but params has no {key!r}.")
        scaled[key] = (1.0 - p) * params[key]
    return scaled


def _penalty_weights(x):
    """c_j = (1/N) sum_n x_nj^2: the mean square of input j (the diagonal of X^T X / N)."""
    return np.mean(x * x, axis=0)


def expected_dropout_loss(x, y, w, p, inverted=True):
    """E_m[(1/2N) sum_n (y_n - s w^T (m_n * x_n))^2] with m_nj ~ Bernoulli(1 - p), s = 1/(1 - p) if inverted
    else 1; in closed form, with c_j = (1/N) sum_n x_nj^2:
    inverted:  (1/2N) ||y - X w||^2 + (1/2) (p / (1 - p)) sum_j c_j w_j^2;
    vanilla:   (1/2N) ||y - (1 - p) X w||^2 + (1/2) p (1 - p) sum_j c_j w_j^2.

    Shapes: x (N, D), y (N,), w (D,) -> float. 0 <= p < 1.
    """
    _check_p(p, upper_included=False)
    c = _penalty_weights(x)
    if inverted:
        residual, variance = y - x @ w, p / (1.0 - p)
    else:
        residual, variance = y - (1.0 - p) * (x @ w), p * (1.0 - p)
    return float(0.5 * np.mean(residual ** 2) + 0.5 * variance * np.sum(c * w * w))


def dropout_ridge_solution(x, y, p, inverted=True):
    """argmin_w of expected_dropout_loss: w = (X^T X + (p / (1 - p)) diag(X^T X))^{-1} X^T y if inverted;
    vanilla dropout's minimiser is that vector divided by 1 - p (its test-time weights (1 - p) w are the
    inverted solution).

    Shapes: x (N, D), y (N,) -> w (D,). 0 <= p < 1.
    """
    _check_p(p, upper_included=False)
    gram = x.T @ x
    w = np.linalg.solve(gram + (p / (1.0 - p)) * np.diag(np.diag(gram)), x.T @ y)
    return w if inverted else w / (1.0 - p)
