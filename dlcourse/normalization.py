"""Batch normalisation with torch's conventions, as a pure forward/backward pair with immutable state.

Book: chapter 05_batchnorm. The stateful-layer protocol (``dlcourse.sequential``) wraps it as a layer.

In training, every feature j of a minibatch x (N, D) is normalised with the batch's own statistics,

    mu_j = mean_n x_nj,   s2_j = mean_n (x_nj - mu_j)^2   (the *biased* variance),
    x_hat = (x - mu) / sqrt(s2 + eps),   out = gamma * x_hat + beta,

and the running statistics that evaluation uses are updated as ``torch.nn.BatchNorm1d`` does:
momentum is the weight of the *new* batch (torch's 0.1; cs231n and Keras call 0.9 the weight of the old
value), and the running variance stores the *unbiased* batch variance s2 N / (N - 1), while the
normalisation uses the biased one. Running statistics start at mean 0 and variance 1. ``momentum=None``
gives the cumulative average over all batches seen, as torch's does (it counts them in
``num_batches_tracked``). In evaluation, x_hat = (x - running_mean) / sqrt(running_var + eps).
"""
from typing import NamedTuple

import numpy as np

__all__ = ["BatchNormState", "BatchNormCache", "batchnorm_init", "batchnorm_forward", "batchnorm_backward"]


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
