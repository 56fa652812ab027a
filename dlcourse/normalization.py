"""Batch and layer normalisation with torch's conventions: pure forward/backward pairs, immutable state.

Book: chapter 05_batchnorm. The stateful-layer protocol (``dlcourse.sequential``) wraps them as layers.

**Batch normalisation.** In training, every feature j of a minibatch x (N, D) is normalised with the
batch's own statistics,

    mu_j = mean_n x_nj,   s2_j = mean_n (x_nj - mu_j)^2   (the *biased* variance),
    x_hat = (x - mu) / sqrt(s2 + eps),   out = gamma * x_hat + beta,

and the running statistics that evaluation uses are updated as ``torch.nn.BatchNorm1d`` does:
momentum is the weight of the *new* batch (torch's 0.1; cs231n and Keras call 0.9 or 0.99 the weight of the
old value), and the running variance stores the *unbiased* batch variance s2 N / (N - 1), while the
normalisation uses the biased one. Running statistics start at mean 0 and variance 1. ``momentum=None``
gives the cumulative average over all batches seen, as torch's does (it counts them in
``num_batches_tracked``). In evaluation, x_hat = (x - running_mean) / sqrt(running_var + eps).

**Layer normalisation** (``nn.LayerNorm(D)``) normalises every example over its D features instead; it
keeps no running statistics and computes the same function in training and evaluation.

**Inference.** ``fold_batchnorm`` folds an evaluation-mode batch norm into the linear layer before it
(``torch.nn.utils.fusion.fuse_linear_bn_eval``); ``population_statistics`` averages the statistics of
many batches as ``BatchNorm1d(momentum=None)`` does (Ioffe & Szegedy's Algorithm 2).
"""
from typing import NamedTuple

import numpy as np

__all__ = ["BatchNormState", "BatchNormCache", "batchnorm_init", "batchnorm_forward", "batchnorm_backward",
           "LayerNormCache", "layernorm_forward", "layernorm_backward", "fold_batchnorm",
           "population_statistics"]


class BatchNormState(NamedTuple):
    """The running statistics of one batch-norm layer (what ``BatchNorm1d`` keeps as buffers)."""

    running_mean: np.ndarray
    running_var: np.ndarray
    num_batches_tracked: int = 0


class BatchNormCache(NamedTuple):
    """What batchnorm_backward needs: x_hat (N, D), 1/sqrt(var + eps) (D,), gamma (D,), and the mode."""

    x_hat: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray
    train: bool


def batchnorm_init(d, dtype=np.float64):
    """gamma = 1, beta = 0, running mean 0, running variance 1 (torch's initial values).

    Shapes: -> gamma (D,), beta (D,), BatchNormState with (D,) arrays.
    """
    return (np.ones(d, dtype=dtype), np.zeros(d, dtype=dtype),
            BatchNormState(np.zeros(d, dtype=dtype), np.ones(d, dtype=dtype), 0))


def batchnorm_forward(x, gamma, beta, state, train, momentum=0.1, eps=1e-5):
    """out = gamma (x - mu) / sqrt(s2 + eps) + beta, with batch statistics (train) or running ones (eval).

    Shapes: x (N, D), gamma (D,), beta (D,), state BatchNormState of (D,) arrays
    -> out (N, D), BatchNormCache, new BatchNormState (the input state is not modified).
    """
    if train:
        n = x.shape[0]
        if n < 2:
            raise ValueError(f"batch normalisation in training needs more than one example per batch, got N={n} "
                             "(the batch variance of one example is 0); use train=False to evaluate one example.")
        mean, var = x.mean(axis=0), x.var(axis=0)
        tracked = state.num_batches_tracked + 1
        weight = 1.0 / tracked if momentum is None else momentum
        state = BatchNormState((1 - weight) * state.running_mean + weight * mean,
                               (1 - weight) * state.running_var + weight * var * n / (n - 1), tracked)
    else:
        mean, var = state.running_mean, state.running_var
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, BatchNormCache(x_hat, inv_std, gamma, train), state


def batchnorm_backward(dout, cache):
    """dx = gamma/(N sigma) (N dout - sum_n dout - x_hat sum_n dout x_hat) in training (gamma/sigma dout in eval);
    dgamma = sum_n dout x_hat, dbeta = sum_n dout.

    Shapes: dout (N, D) -> dx (N, D), dgamma (D,), dbeta (D,).
    """
    x_hat, inv_std, gamma, train = cache
    dgamma, dbeta = (dout * x_hat).sum(axis=0), dout.sum(axis=0)
    if not train:
        return dout * gamma * inv_std, dgamma, dbeta
    n = dout.shape[0]
    dx = gamma * inv_std / n * (n * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta


class LayerNormCache(NamedTuple):
    """What layernorm_backward needs: x_hat (N, D), 1/sqrt(var + eps) per example (N, 1), gamma (D,)."""

    x_hat: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """out = gamma (x - mu_n) / sqrt(s2_n + eps) + beta, with the mean and biased variance of each row n.

    Shapes: x (N, D), gamma (D,), beta (D,) -> out (N, D), LayerNormCache. The same in training and evaluation.
    """
    mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, LayerNormCache(x_hat, inv_std, gamma)


def layernorm_backward(dout, cache):
    """dx = (1/sigma_n) (g - mean_j g - x_hat mean_j(g x_hat)) with g = gamma dout, row by row;
    dgamma = sum_n dout x_hat, dbeta = sum_n dout.

    Shapes: dout (N, D) -> dx (N, D), dgamma (D,), dbeta (D,).
    """
    x_hat, inv_std, gamma = cache
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=1, keepdims=True) - x_hat * (g * x_hat).mean(axis=1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def fold_batchnorm(w, b, gamma, beta, state, eps=1e-5):
    """W' = diag(gamma / sqrt(running_var + eps)) W,  b' = gamma (b - running_mean) / sqrt(running_var + eps) + beta.

    Shapes: w (M, D), b (M,), gamma, beta (M,), state BatchNormState of (M,) arrays -> w' (M, D), b' (M,).
    A linear layer with (w', b') computes what the linear layer (w, b) followed by batch norm in evaluation does.
    """
    scale = gamma / np.sqrt(state.running_var + eps)
    return w * scale[:, None], (b - state.running_mean) * scale + beta


def population_statistics(batches):
    """running_mean = (1/K) sum_k mu_k, running_var = (1/K) sum_k s2_k N_k / (N_k - 1) over K batches.

    Shapes: batches, a sequence of K arrays (N_k, D) with N_k >= 2 -> BatchNormState((D,), (D,), K): the state
    ``BatchNorm1d(D, momentum=None)`` holds after training on these batches (every batch weighs the same).
    """
    if len(batches) == 0:
        raise ValueError("population_statistics needs at least one batch.")
    means = [batch.mean(axis=0) for batch in batches]
    variances = [batch.var(axis=0, ddof=1) for batch in batches]
    return BatchNormState(np.mean(means, axis=0), np.mean(variances, axis=0), len(batches))
