"""What the usual mistakes in batch and layer normalisation compute, so that a check can name the one a student made.

Book: chapter 05_batchnorm. Each ``*_like`` function is a configurable implementation: with no flags it is correct,
and each flag turns on one known mistake. The ``*_mistakes`` functions list (description, flags) pairs; the
checks run a variant only when the student's result is wrong, and name it only when *every* field of the
student's result equals the variant's.
"""
import contextlib
import functools
import warnings

import numpy as np

from ..normalization import BatchNormState

__all__ = ["quietly", "batchnorm_forward_like", "BATCHNORM_FORWARD_MISTAKES", "batchnorm_backward_like",
           "BATCHNORM_BACKWARD_MISTAKES", "layernorm_forward_like", "LAYERNORM_FORWARD_MISTAKES",
           "layernorm_backward_like", "LAYERNORM_BACKWARD_MISTAKES"]


def quietly(check):
    """``check``, run with numpy's floating-point warnings silenced: the variants of a mistake (a variance with
    ddof=1 of one value, a division by a zero variance) must not write to stderr, where nbgrader would see them."""
    @functools.wraps(check)
    def run(*args, **kwargs):
        __tracebackhide__ = True
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return check(*args, **kwargs)
    return run


def batchnorm_forward_like(x, gamma, beta, state, train, momentum=0.1, eps=1e-5, *, ddof=0, running_ddof=1,
                           old_weight=False, eps_outside=False, eval_batch=False, eval_updates=False,
                           no_count=False, swapped=False, cumulative_as=None, train_running=False):
    """batchnorm_forward with mistakes -> (out, new state)."""
    mean, var = x.mean(axis=0), x.var(axis=0, ddof=ddof)
    new_state = state
    if train or eval_updates:
        n = x.shape[0]
        tracked = state.num_batches_tracked + (0 if no_count else 1)
        if momentum is None:
            weight = cumulative_as if cumulative_as is not None else 1.0 / max(state.num_batches_tracked + 1, 1)
        else:
            weight = momentum
        if old_weight:
            weight = 1 - weight
        unbiased = x.var(axis=0, ddof=running_ddof)
        new_state = BatchNormState((1 - weight) * state.running_mean + weight * mean,
                                   (1 - weight) * state.running_var + weight * unbiased, tracked)
    if (not train and not eval_batch) or (train and train_running):
        mean, var = state.running_mean, state.running_var
    std = np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps)
    x_hat = (x - mean) / std
    out = beta * x_hat + gamma if swapped else gamma * x_hat + beta
    return out, new_state


# (description, flags of batchnorm_forward_like); the descriptions complete "Your result equals ..."
BATCHNORM_FORWARD_MISTAKES = [
    ("the result with the unbiased batch variance (ddof=1) in the normalisation: normalise with the biased "
     "variance (divide by N), and keep the unbiased one for running_var only", {"ddof": 1}),
    ("the result with the biased batch variance stored in running_var (cs231n's convention): torch stores the "
     "unbiased variance s2 N / (N - 1) there", {"running_ddof": 0}),
    ("the result with momentum as the weight of the old value (cs231n's and Keras's convention): in torch the "
     "new batch gets the weight momentum, running = (1 - momentum) running + momentum batch", {"old_weight": True}),
    ("the result with eps outside the square root, (x - mu) / (sqrt(var) + eps): use sqrt(var + eps)",
     {"eps_outside": True}),
    ("the result of normalising with the batch's own statistics in evaluation: with train=False use "
     "running_mean and running_var", {"eval_batch": True}),
    ("the result of normalising with the running statistics in training: with train=True use the batch's own "
     "mean and variance (and update the running statistics)", {"train_running": True}),
    ("the result of updating the running statistics in evaluation too: with train=False return the state "
     "unchanged", {"eval_updates": True, "eval_batch": False}),
    ("the result without counting the batch in num_batches_tracked", {"no_count": True}),
    ("the result with gamma and beta swapped: out = gamma x_hat + beta", {"swapped": True}),
    ("the result with momentum=None treated as momentum 0.1: None means the cumulative average, the weight "
     "1 / num_batches_tracked", {"cumulative_as": 0.1}),
]


def batchnorm_backward_like(dout, cache, *, constants=False, no_var=False, no_mean=False, half_power=False,
                            swapped=False, means=False, sums=False, train_in_eval=False, no_gamma=False,
                            gamma_twice=False, var_not_std=False):
    """batchnorm_backward (staged through the graph) with mistakes -> (dx, dgamma, dbeta)."""
    x_hat, inv_std, gamma, train = cache
    n = dout.shape[0]
    reduce = (lambda a: a.mean(axis=0)) if means else (lambda a: a.sum(axis=0))
    dgamma, dbeta = reduce(dout * x_hat), reduce(dout)
    if swapped:
        dgamma, dbeta = dbeta, dgamma
    factor = 1.0 if no_gamma else (gamma * gamma if gamma_twice else gamma)
    dxhat = dout * factor
    if var_not_std:                                            # the closed form with 1 / (var + eps)
        if not train:
            return dxhat * inv_std ** 2, dgamma, dbeta
        return inv_std ** 2 * (dxhat - dxhat.mean(axis=0) - x_hat * (dxhat * x_hat).mean(axis=0)), dgamma, dbeta
    scale = inv_std
    if constants or not (train or train_in_eval):
        return dxhat * scale, dgamma, dbeta
    centred = x_hat / inv_std                                  # x - mu
    power = inv_std if half_power else inv_std ** 3            # (var + eps)^(-1/2) instead of ^(-3/2)
    dvar = -0.5 * (dxhat * centred).sum(axis=0) * power
    dmu = -(dxhat * scale).sum(axis=0)
    k = 1.0 if sums else 1.0 / n
    dx = dxhat * scale + (0 if no_var else dvar * 2 * centred * k) + (0 if no_mean else dmu * k)
    return dx, dgamma, dbeta


BATCHNORM_BACKWARD_MISTAKES = [
    ("the gradient with mu_B and sigma_B^2 treated as constants, dx = gamma dout / sigma: in training both depend "
     "on every x_n, and the gradient must flow through them too", {"constants": True}),
    ("the gradient without the path through sigma_B^2: add the term of dL/dsigma_B^2", {"no_var": True}),
    ("the gradient without the path through mu_B: add the term of dL/dmu_B", {"no_mean": True}),
    ("the gradient with (sigma^2 + eps)^(-1/2) in dL/dsigma_B^2: the derivative of (sigma^2 + eps)^(-1/2) is "
     "-1/2 (sigma^2 + eps)^(-3/2)", {"half_power": True}),
    ("the gradients with dgamma and dbeta swapped: dgamma = sum_n dout x_hat, dbeta = sum_n dout",
     {"swapped": True}),
    ("the gradients with means over the batch for dgamma and dbeta: dout already carries the 1/N, so sum",
     {"means": True}),
    ("the gradient without the 1/N in the paths through mu_B and sigma_B^2: dmu/dx_n = 1/N and dsigma^2/dx_n = "
     "2 (x_n - mu) / N", {"sums": True}),
    ("the training-mode gradient in evaluation: with train=False mu and sigma are the running statistics, "
     "constants, so dx = gamma dout / sigma", {"train_in_eval": True}),
    ("the gradient without gamma: dL/dx_hat = gamma dout", {"no_gamma": True}),
    ("the gradient with gamma applied twice", {"gamma_twice": True}),
    ("the gradient divided by sigma^2 instead of sigma", {"var_not_std": True}),
]


def layernorm_forward_like(x, gamma, beta, eps=1e-5, *, axis=1, ddof=0, eps_outside=False, swapped=False,
                           no_scale=False):
    """layernorm_forward with mistakes -> out."""
    mean, var = x.mean(axis=axis, keepdims=True), x.var(axis=axis, keepdims=True, ddof=ddof)
    std = np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps)
    x_hat = (x - mean) / std
    if no_scale:
        return x_hat
    return beta * x_hat + gamma if swapped else gamma * x_hat + beta


LAYERNORM_FORWARD_MISTAKES = [
    ("the result of normalising over the batch (axis 0), which is batch norm: layer norm takes the mean and "
     "variance of each row, over its D features", {"axis": 0}),
    ("the result with the unbiased variance (ddof=1): nn.LayerNorm divides by D", {"ddof": 1}),
    ("the result with eps outside the square root: use sqrt(var + eps)", {"eps_outside": True}),
    ("the result with gamma and beta swapped: out = gamma x_hat + beta", {"swapped": True}),
    ("x_hat, without gamma and beta: out = gamma x_hat + beta", {"no_scale": True}),
]


def layernorm_backward_like(dout, cache, *, gamma_outside=False, batch_axis=False, no_xhat=False, sums=False,
                            swapped=False, no_gamma=False):
    """layernorm_backward with mistakes -> (dx, dgamma, dbeta)."""
    x_hat, inv_std, gamma = cache
    axis = 0 if batch_axis else 1
    reduce = (lambda a: a.sum(axis=axis, keepdims=True)) if sums else (lambda a: a.mean(axis=axis, keepdims=True))
    g = dout if (gamma_outside or no_gamma) else dout * gamma
    dx = inv_std * (g - reduce(g) - (0 if no_xhat else x_hat * reduce(g * x_hat)))
    if gamma_outside:
        dx = gamma * dx
    dgamma, dbeta = (dout * x_hat).sum(axis=0), dout.sum(axis=0)
    return (dx, dbeta, dgamma) if swapped else (dx, dgamma, dbeta)


LAYERNORM_BACKWARD_MISTAKES = [
    ("batch norm's formula with gamma taken out of the bracket, gamma / sigma (dout - mean dout - x_hat "
     "mean(dout x_hat)): in layer norm gamma_j changes along the row you average over, so it must stay inside, "
     "g = gamma dout", {"gamma_outside": True}),
    ("the gradient with the means taken over the batch (axis 0), as in batch norm: layer norm's statistics "
     "are per row", {"batch_axis": True}),
    ("the gradient without the term x_hat mean_j(g x_hat), the path through the variance", {"no_xhat": True}),
    ("the gradient with sums over the features where means belong: the mean over a row has the factor 1/D",
     {"sums": True}),
    ("the gradients with dgamma and dbeta swapped", {"swapped": True}),
    ("the gradient without gamma: dL/dx_hat = gamma dout", {"no_gamma": True}),
]
