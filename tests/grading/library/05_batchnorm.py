"""Chapter 05_batchnorm: mistakes students make, and correct implementations unlike the instructor's.

Each function is notebook code for one exercise (see dlcourse.grading.library): it may use what the chapter's
first cell imports (np, BatchNormState, BatchNormCache, LayerNormCache, ...) and the student's other functions,
never the reference of its own exercise. torch's conventions that trip people (momentum as the weight of the new
batch, the unbiased running variance, the biased variance in the normalisation, eps inside the square root,
running_var starting at 1, momentum=None) are among the named mistakes.
"""
import numpy as np  # noqa: F401 (the notebook code below uses what the notebook imports; this keeps linters quiet)

from dlcourse.grading.library import correct, mistake
from dlcourse.normalization import BatchNormCache, BatchNormState, LayerNormCache  # noqa: F401

# ---------------------------------------------------------------------- batchnorm_init


@mistake("batchnorm_init", "running_var starts at 0 (cs231n)", "zeros (cs231n's initial value)")
def batchnorm_init(d, dtype=np.float64):
    return (np.ones(d, dtype=dtype), np.zeros(d, dtype=dtype),
            BatchNormState(np.zeros(d, dtype=dtype), np.zeros(d, dtype=dtype), 0))


@mistake("batchnorm_init", "gamma starts at 0", "zeros: gamma starts at 1")
def batchnorm_init(d, dtype=np.float64):
    return (np.zeros(d, dtype=dtype), np.zeros(d, dtype=dtype),
            BatchNormState(np.zeros(d, dtype=dtype), np.ones(d, dtype=dtype), 0))


@mistake("batchnorm_init", "beta starts at 1", "ones: beta starts at 0")
def batchnorm_init(d, dtype=np.float64):
    return (np.ones(d, dtype=dtype), np.ones(d, dtype=dtype),
            BatchNormState(np.zeros(d, dtype=dtype), np.ones(d, dtype=dtype), 0))


@mistake("batchnorm_init", "a plain tuple for the state", "should be a BatchNormState")
def batchnorm_init(d, dtype=np.float64):
    return np.ones(d, dtype=dtype), np.zeros(d, dtype=dtype), (np.zeros(d, dtype=dtype), np.ones(d, dtype=dtype), 0)


@mistake("batchnorm_init", "num_batches_tracked starts at 1", "num_batches_tracked should be the integer 0")
def batchnorm_init(d, dtype=np.float64):
    return (np.ones(d, dtype=dtype), np.zeros(d, dtype=dtype),
            BatchNormState(np.zeros(d, dtype=dtype), np.ones(d, dtype=dtype), 1))


@mistake("batchnorm_init", "dtype ignored", "should have dtype float32")
def batchnorm_init(d, dtype=np.float64):
    return np.ones(d), np.zeros(d), BatchNormState(np.zeros(d), np.ones(d), 0)


@mistake("batchnorm_init", "column vectors (d, 1)", "has shape (3, 1), expected (3,)")
def batchnorm_init(d, dtype=np.float64):
    return (np.ones((d, 1), dtype=dtype), np.zeros((d, 1), dtype=dtype),
            BatchNormState(np.zeros((d, 1), dtype=dtype), np.ones((d, 1), dtype=dtype), 0))


@mistake("batchnorm_init", "the state's fields returned loose", "should return a tuple (gamma, beta, state)")
def batchnorm_init(d, dtype=np.float64):
    return np.ones(d, dtype=dtype), np.zeros(d, dtype=dtype), np.zeros(d, dtype=dtype), np.ones(d, dtype=dtype)


@correct("batchnorm_init", "np.full and a keyword state")
def batchnorm_init(d, dtype=np.float64):
    state = BatchNormState(running_mean=np.full(d, 0.0, dtype=dtype), running_var=np.full(d, 1.0, dtype=dtype),
                           num_batches_tracked=0)
    return np.full(d, 1.0, dtype=dtype), np.full(d, 0.0, dtype=dtype), state


@correct("batchnorm_init", "ones_like / zeros_like of one array")
def batchnorm_init(d, dtype=np.float64):
    zeros = np.zeros(d, dtype=dtype)
    return np.ones_like(zeros), zeros.copy(), BatchNormState(zeros.copy(), np.ones_like(zeros), 0)


# ---------------------------------------------------------------------- batchnorm_forward


@mistake("batchnorm_forward", "unbiased variance in the normalisation", "unbiased batch variance (ddof=1) in the norm")
def batchnorm_forward(x, gamma, beta, state, train, momentum=0.1, eps=1e-5):
    if train:
        if x.shape[0] < 2:
            raise ValueError("need two examples")
        mean, var = x.mean(axis=0), x.var(axis=0, ddof=1)
        count = state.num_batches_tracked + 1
        w = 1.0 / count if momentum is None else momentum
        new_state = BatchNormState((1 - w) * state.running_mean + w * mean, (1 - w) * state.running_var + w * var,
                                   count)
    else:
        mean, var, new_state = state.running_mean, state.running_var, state
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, BatchNormCache(x_hat, inv_std, gamma, train), new_state


@mistake("batchnorm_forward", "biased variance stored in running_var (cs231n, d2l)", "biased batch variance stored in")
def batchnorm_forward(x, gamma, beta, state, train, momentum=0.1, eps=1e-5):
    if train:
        if x.shape[0] < 2:
            raise ValueError("need two examples")
        mean, var = x.mean(axis=0), x.var(axis=0)
        count = state.num_batches_tracked + 1
        w = 1.0 / count if momentum is None else momentum
        new_state = BatchNormState((1 - w) * state.running_mean + w * mean, (1 - w) * state.running_var + w * var,
                                   count)
    else:
        mean, var, new_state = state.running_mean, state.running_var, state
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, BatchNormCache(x_hat, inv_std, gamma, train), new_state


@mistake("batchnorm_forward", "momentum as the weight of the old value (cs231n, Keras)", "weight of the old value")
def batchnorm_forward(x, gamma, beta, state, train, momentum=0.1, eps=1e-5):
    if train:
        n = x.shape[0]
        if n < 2:
            raise ValueError("need two examples")
        mean, var = x.mean(axis=0), x.var(axis=0)
        count = state.num_batches_tracked + 1
        m = 1 - 1.0 / count if momentum is None else momentum
        new_state = BatchNormState(m * state.running_mean + (1 - m) * mean,
                                   m * state.running_var + (1 - m) * var * n / (n - 1), count)
    else:
        mean, var, new_state = state.running_mean, state.running_var, state
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, BatchNormCache(x_hat, inv_std, gamma, train), new_state


@mistake("batchnorm_forward", "eps outside the square root", "eps outside the square root")
def batchnorm_forward(x, gamma, beta, state, train, momentum=0.1, eps=1e-5):
    def update(mean, unbiased):
        count = state.num_batches_tracked + 1
        weight = 1.0 / count if momentum is None else momentum
        return BatchNormState((1 - weight) * state.running_mean + weight * mean,
                              (1 - weight) * state.running_var + weight * unbiased, count)
    if train:
        n = x.shape[0]
        if n < 2:
            raise ValueError("need two examples")
        mean, var = x.mean(axis=0), x.var(axis=0)
        new_state = update(mean, var * n / (n - 1))
    else:
        mean, var, new_state = state.running_mean, state.running_var, state
    inv_std = 1 / (np.sqrt(var) + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, BatchNormCache(x_hat, inv_std, gamma, train), new_state


@mistake("batchnorm_forward", "batch statistics in evaluation", "the batch's own statistics in evaluation")
def batchnorm_forward(x, gamma, beta, state, train, momentum=0.1, eps=1e-5):
    def update(mean, unbiased):
        count = state.num_batches_tracked + 1
        weight = 1.0 / count if momentum is None else momentum
        return BatchNormState((1 - weight) * state.running_mean + weight * mean,
                              (1 - weight) * state.running_var + weight * unbiased, count)
    n = x.shape[0]
    if train and n < 2:
        raise ValueError("need two examples")
    mean, var = x.mean(axis=0), x.var(axis=0)
    new_state = update(mean, var * n / (n - 1)) if train else state
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, BatchNormCache(x_hat, inv_std, gamma, train), new_state


@mistake("batchnorm_forward", "running statistics in training", "the running statistics in training")
def batchnorm_forward(x, gamma, beta, state, train, momentum=0.1, eps=1e-5):
    def update(mean, unbiased):
        count = state.num_batches_tracked + 1
        weight = 1.0 / count if momentum is None else momentum
        return BatchNormState((1 - weight) * state.running_mean + weight * mean,
                              (1 - weight) * state.running_var + weight * unbiased, count)
    n = x.shape[0]
    if train and n < 2:
        raise ValueError("need two examples")
    new_state = update(x.mean(axis=0), x.var(axis=0, ddof=1)) if train else state
    inv_std = 1 / np.sqrt(state.running_var + eps)
    x_hat = (x - state.running_mean) * inv_std
    return gamma * x_hat + beta, BatchNormCache(x_hat, inv_std, gamma, train), new_state


@mistake("batchnorm_forward", "running statistics updated in evaluation too", "updating the running statistics in ev")
def batchnorm_forward(x, gamma, beta, state, train, momentum=0.1, eps=1e-5):
    def update(mean, unbiased):
        count = state.num_batches_tracked + 1
        weight = 1.0 / count if momentum is None else momentum
        return BatchNormState((1 - weight) * state.running_mean + weight * mean,
                              (1 - weight) * state.running_var + weight * unbiased, count)
    n = x.shape[0]
    if train and n < 2:
        raise ValueError("need two examples")
    new_state = update(x.mean(axis=0), x.var(axis=0, ddof=1))
    mean, var = (x.mean(axis=0), x.var(axis=0)) if train else (state.running_mean, state.running_var)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, BatchNormCache(x_hat, inv_std, gamma, train), new_state


@mistake("batchnorm_forward", "num_batches_tracked not counted", "without counting the batch")
def batchnorm_forward(x, gamma, beta, state, train, momentum=0.1, eps=1e-5):
    if train:
        n = x.shape[0]
        if n < 2:
            raise ValueError("need two examples")
        mean, var = x.mean(axis=0), x.var(axis=0)
        w = 1.0 / (state.num_batches_tracked + 1) if momentum is None else momentum
        new_state = BatchNormState((1 - w) * state.running_mean + w * mean,
                                   (1 - w) * state.running_var + w * var * n / (n - 1), state.num_batches_tracked)
    else:
        mean, var, new_state = state.running_mean, state.running_var, state
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, BatchNormCache(x_hat, inv_std, gamma, train), new_state


@mistake("batchnorm_forward", "gamma and beta swapped", "gamma and beta swapped")
def batchnorm_forward(x, gamma, beta, state, train, momentum=0.1, eps=1e-5):
    def update(mean, unbiased):
        count = state.num_batches_tracked + 1
        weight = 1.0 / count if momentum is None else momentum
        return BatchNormState((1 - weight) * state.running_mean + weight * mean,
                              (1 - weight) * state.running_var + weight * unbiased, count)
    if train:
        n = x.shape[0]
        if n < 2:
            raise ValueError("need two examples")
        mean, var = x.mean(axis=0), x.var(axis=0)
        new_state = update(mean, var * n / (n - 1))
    else:
        mean, var, new_state = state.running_mean, state.running_var, state
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return beta * x_hat + gamma, BatchNormCache(x_hat, inv_std, gamma, train), new_state


@mistake("batchnorm_forward", "momentum=None read as the default 0.1", "momentum=None treated as momentum 0.1")
def batchnorm_forward(x, gamma, beta, state, train, momentum=0.1, eps=1e-5):
    def update(mean, unbiased):
        count = state.num_batches_tracked + 1
        weight = 1.0 / count if momentum is None else momentum
        return BatchNormState((1 - weight) * state.running_mean + weight * mean,
                              (1 - weight) * state.running_var + weight * unbiased, count)
    momentum = 0.1 if momentum is None else momentum
    if train:
        n = x.shape[0]
        if n < 2:
            raise ValueError("need two examples")
        mean, var = x.mean(axis=0), x.var(axis=0)
        new_state = update(mean, var * n / (n - 1))
    else:
        mean, var, new_state = state.running_mean, state.running_var, state
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, BatchNormCache(x_hat, inv_std, gamma, train), new_state


@mistake("batchnorm_forward", "momentum=None not handled (TypeError)", "momentum=None means the cumulative average")
def batchnorm_forward(x, gamma, beta, state, train, momentum=0.1, eps=1e-5):
    if train:
        n = x.shape[0]
        if n < 2:
            raise ValueError("need two examples")
        mean, var = x.mean(axis=0), x.var(axis=0)
        new_state = BatchNormState((1 - momentum) * state.running_mean + momentum * mean,
                                   (1 - momentum) * state.running_var + momentum * var * n / (n - 1),
                                   state.num_batches_tracked + 1)
    else:
        mean, var, new_state = state.running_mean, state.running_var, state
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, BatchNormCache(x_hat, inv_std, gamma, train), new_state


@mistake("batchnorm_forward", "running statistics updated in place (cs231n's bn_param)", "in place")
def batchnorm_forward(x, gamma, beta, state, train, momentum=0.1, eps=1e-5):
    if train:
        n = x.shape[0]
        if n < 2:
            raise ValueError("need two examples")
        mean, var = x.mean(axis=0), x.var(axis=0)
        count = state.num_batches_tracked + 1
        w = 1.0 / count if momentum is None else momentum
        state.running_mean[:] = (1 - w) * state.running_mean + w * mean
        state.running_var[:] = (1 - w) * state.running_var + w * var * n / (n - 1)
        state = BatchNormState(state.running_mean, state.running_var, count)
    else:
        mean, var = state.running_mean, state.running_var
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, BatchNormCache(x_hat, inv_std, gamma, train), state


@mistake("batchnorm_forward", "no error for one example in training", "should raise a ValueError")
def batchnorm_forward(x, gamma, beta, state, train, momentum=0.1, eps=1e-5):
    def update(mean, unbiased):
        count = state.num_batches_tracked + 1
        weight = 1.0 / count if momentum is None else momentum
        return BatchNormState((1 - weight) * state.running_mean + weight * mean,
                              (1 - weight) * state.running_var + weight * unbiased, count)
    if train:
        n = x.shape[0]
        mean, var = x.mean(axis=0), x.var(axis=0)
        new_state = update(mean, var * n / max(n - 1, 1))
    else:
        mean, var, new_state = state.running_mean, state.running_var, state
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, BatchNormCache(x_hat, inv_std, gamma, train), new_state


@mistake("batchnorm_forward", "the cache holds the standard deviation", "store its reciprocal")
def batchnorm_forward(x, gamma, beta, state, train, momentum=0.1, eps=1e-5):
    def update(mean, unbiased):
        count = state.num_batches_tracked + 1
        weight = 1.0 / count if momentum is None else momentum
        return BatchNormState((1 - weight) * state.running_mean + weight * mean,
                              (1 - weight) * state.running_var + weight * unbiased, count)
    if train:
        n = x.shape[0]
        if n < 2:
            raise ValueError("need two examples")
        mean, var = x.mean(axis=0), x.var(axis=0)
        new_state = update(mean, var * n / (n - 1))
    else:
        mean, var, new_state = state.running_mean, state.running_var, state
    std = np.sqrt(var + eps)
    x_hat = (x - mean) / std
    return gamma * x_hat + beta, BatchNormCache(x_hat, std, gamma, train), new_state


@mistake("batchnorm_forward", "statistics over the features (axis 1)", "has shape")
def batchnorm_forward(x, gamma, beta, state, train, momentum=0.1, eps=1e-5):
    def update(mean, unbiased):
        count = state.num_batches_tracked + 1
        weight = 1.0 / count if momentum is None else momentum
        return BatchNormState((1 - weight) * state.running_mean + weight * mean,
                              (1 - weight) * state.running_var + weight * unbiased, count)
    n = x.shape[0]
    if train and n < 2:
        raise ValueError("need two examples")
    mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    new_state = update(x.mean(axis=0), x.var(axis=0, ddof=1)) if train else state
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, BatchNormCache(x_hat, inv_std, gamma, train), new_state


@mistake("batchnorm_forward", "x centred in place", "changed its input x")
def batchnorm_forward(x, gamma, beta, state, train, momentum=0.1, eps=1e-5):
    def update(mean, unbiased):
        count = state.num_batches_tracked + 1
        weight = 1.0 / count if momentum is None else momentum
        return BatchNormState((1 - weight) * state.running_mean + weight * mean,
                              (1 - weight) * state.running_var + weight * unbiased, count)
    if train:
        n = x.shape[0]
        if n < 2:
            raise ValueError("need two examples")
        mean, var = x.mean(axis=0), x.var(axis=0)
        new_state = update(mean, var * n / (n - 1))
    else:
        mean, var, new_state = state.running_mean, state.running_var, state
    inv_std = 1 / np.sqrt(var + eps)
    x -= mean
    x *= inv_std
    return gamma * x + beta, BatchNormCache(x.copy(), inv_std, gamma, train), new_state


@correct("batchnorm_forward", "E[x^2] - E[x]^2, ddof=1 for the running variance, division by the std")
def batchnorm_forward(x, gamma, beta, state, train, momentum=0.1, eps=1e-5):
    if train:
        n = len(x)
        if n <= 1:
            raise ValueError(f"expected more than 1 value per channel when training, got {n}")
        mean = x.sum(axis=0) / n
        var = (x * x).mean(axis=0) - mean * mean
        t = state.num_batches_tracked + 1
        m = momentum if momentum is not None else 1 / t
        running_mean = state.running_mean + m * (mean - state.running_mean)
        running_var = state.running_var + m * (x.var(axis=0, ddof=1) - state.running_var)
        new_state = BatchNormState(running_mean, running_var, t)
    else:
        mean, var, new_state = state.running_mean, state.running_var, state
    std = np.sqrt(var + eps)
    x_hat = (x - mean) / std
    return x_hat * gamma + beta, BatchNormCache(x_hat, 1 / std, gamma, train), new_state


@correct("batchnorm_forward", "a loop over the features with explicit sums")
def batchnorm_forward(x, gamma, beta, state, train, momentum=0.1, eps=1e-5):
    n, d = x.shape
    if train and n < 2:
        raise ValueError("batch norm needs a batch")
    x_hat, inv_std = np.empty((n, d)), np.empty(d)
    mean_new, var_new = np.array(state.running_mean, dtype=float), np.array(state.running_var, dtype=float)
    count = state.num_batches_tracked + (1 if train else 0)
    for j in range(d):
        column = x[:, j]
        if train:
            mu = sum(column) / n
            squares = sum((value - mu) ** 2 for value in column)
            var = squares / n
            weight = momentum if momentum is not None else 1.0 / count
            mean_new[j] = (1 - weight) * mean_new[j] + weight * mu
            var_new[j] = (1 - weight) * var_new[j] + weight * squares / (n - 1)
        else:
            mu, var = state.running_mean[j], state.running_var[j]
        inv_std[j] = 1.0 / np.sqrt(var + eps)
        x_hat[:, j] = (column - mu) * inv_std[j]
    new_state = BatchNormState(mean_new, var_new, count) if train else state
    return gamma * x_hat + beta, BatchNormCache(x_hat, inv_std, gamma, train), new_state


# ---------------------------------------------------------------------- batchnorm_backward


@mistake("batchnorm_backward", "mu and sigma treated as constants", "treated as constants")
def batchnorm_backward(dout, cache):
    x_hat, inv_std, gamma, train = cache
    return dout * gamma * inv_std, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@mistake("batchnorm_backward", "the path through the variance dropped", "without the path through sigma_B^2")
def batchnorm_backward(dout, cache):
    x_hat, inv_std, gamma, train = cache
    dxhat = dout * gamma
    dx = dxhat * inv_std - dxhat.mean(axis=0) * inv_std if train else dxhat * inv_std
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@mistake("batchnorm_backward", "the path through the mean dropped", "without the path through mu_B")
def batchnorm_backward(dout, cache):
    x_hat, inv_std, gamma, train = cache
    dxhat = dout * gamma
    if not train:
        return dxhat * inv_std, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
    dx = inv_std * (dxhat - x_hat * (dxhat * x_hat).mean(axis=0))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@mistake("batchnorm_backward", "exponent -1/2 instead of -3/2 in dvar", "the derivative of (sigma^2 + eps)^(-1/2)")
def batchnorm_backward(dout, cache):
    x_hat, inv_std, gamma, train = cache
    n = dout.shape[0]
    dxhat = dout * gamma
    if not train:
        return dxhat * inv_std, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
    xmu = x_hat / inv_std
    dvar = (dxhat * xmu).sum(axis=0) * -0.5 * inv_std
    dmu = -(dxhat * inv_std).sum(axis=0) + dvar * (-2 * xmu).mean(axis=0)
    dx = dxhat * inv_std + dvar * 2 * xmu / n + dmu / n
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@mistake("batchnorm_backward", "dgamma and dbeta swapped", "dgamma and dbeta swapped")
def batchnorm_backward(dout, cache):
    x_hat, inv_std, gamma, train = cache
    n = dout.shape[0]
    dbeta, dgamma = (dout * x_hat).sum(axis=0), dout.sum(axis=0)
    if not train:
        return dout * gamma * inv_std, dgamma, dbeta
    return gamma * inv_std / n * (n * dout - dgamma - x_hat * dbeta), dgamma, dbeta


@mistake("batchnorm_backward", "means for dgamma and dbeta", "means over the batch for dgamma and dbeta")
def batchnorm_backward(dout, cache):
    x_hat, inv_std, gamma, train = cache
    dgamma, dbeta = (dout * x_hat).mean(axis=0), dout.mean(axis=0)
    if not train:
        return dout * gamma * inv_std, dgamma, dbeta
    return gamma * inv_std * (dout - dbeta - x_hat * dgamma), dgamma, dbeta


@mistake("batchnorm_backward", "sums where the 1/N belongs", "without the 1/N in the paths")
def batchnorm_backward(dout, cache):
    x_hat, inv_std, gamma, train = cache
    dgamma, dbeta = (dout * x_hat).sum(axis=0), dout.sum(axis=0)
    if not train:
        return dout * gamma * inv_std, dgamma, dbeta
    return gamma * inv_std * (dout - dbeta - x_hat * dgamma), dgamma, dbeta


@mistake("batchnorm_backward", "the training formula in evaluation", "the training-mode gradient in evaluation")
def batchnorm_backward(dout, cache):
    x_hat, inv_std, gamma, train = cache
    n = dout.shape[0]
    dgamma, dbeta = (dout * x_hat).sum(axis=0), dout.sum(axis=0)
    return gamma * inv_std / n * (n * dout - dbeta - x_hat * dgamma), dgamma, dbeta


@mistake("batchnorm_backward", "gamma forgotten in dx", "the gradient without gamma")
def batchnorm_backward(dout, cache):
    x_hat, inv_std, gamma, train = cache
    n = dout.shape[0]
    dgamma, dbeta = (dout * x_hat).sum(axis=0), dout.sum(axis=0)
    if not train:
        return dout * inv_std, dgamma, dbeta
    return inv_std / n * (n * dout - dbeta - x_hat * dgamma), dgamma, dbeta


@mistake("batchnorm_backward", "divided by the variance", "divided by sigma^2 instead of sigma")
def batchnorm_backward(dout, cache):
    x_hat, inv_std, gamma, train = cache
    n = dout.shape[0]
    dgamma, dbeta = (dout * x_hat).sum(axis=0), dout.sum(axis=0)
    if not train:
        return dout * gamma * inv_std ** 2, dgamma, dbeta
    return gamma * inv_std ** 2 / n * (n * dout - dbeta - x_hat * dgamma), dgamma, dbeta


@mistake("batchnorm_backward", "returns only dx and dgamma", "should return a tuple (dx, dgamma, dbeta)")
def batchnorm_backward(dout, cache):
    x_hat, inv_std, gamma, train = cache
    n = dout.shape[0]
    dgamma, dbeta = (dout * x_hat).sum(axis=0), dout.sum(axis=0)
    if not train:
        return dout * gamma * inv_std, dgamma
    return gamma * inv_std / n * (n * dout - dbeta - x_hat * dgamma), dgamma


@correct("batchnorm_backward", "staged node by node (cs231n's graph)")
def batchnorm_backward(dout, cache):
    x_hat, inv_std, gamma, train = cache
    n = dout.shape[0]
    dgamma = np.sum(dout * x_hat, axis=0)
    dbeta = np.sum(dout, axis=0)
    dxhat = dout * gamma
    if not train:
        return dxhat * inv_std, dgamma, dbeta
    xmu = x_hat / inv_std
    dvar = np.sum(dxhat * xmu, axis=0) * -0.5 * inv_std ** 3
    dmu = np.sum(-dxhat * inv_std, axis=0) + dvar * np.mean(-2.0 * xmu, axis=0)
    dx = dxhat * inv_std + dvar * 2.0 * xmu / n + dmu / n
    return dx, dgamma, dbeta


@correct("batchnorm_backward", "the projection with means")
def batchnorm_backward(dout, cache):
    g = dout * cache.gamma
    dgamma, dbeta = np.einsum("nd,nd->d", dout, cache.x_hat), np.einsum("nd->d", dout)
    if cache.train:
        g = g - g.mean(axis=0) - cache.x_hat * (g * cache.x_hat).mean(axis=0)
    return g * cache.inv_std, dgamma, dbeta


# ---------------------------------------------------------------------- layernorm_forward


@mistake("layernorm_forward", "statistics over the batch (batch norm)", "normalising over the batch (axis 0)")
def layernorm_forward(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(axis=0, keepdims=True), x.var(axis=0, keepdims=True)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, LayerNormCache(x_hat, inv_std.T, gamma)


@mistake("layernorm_forward", "unbiased variance", "the unbiased variance (ddof=1)")
def layernorm_forward(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True, ddof=1)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, LayerNormCache(x_hat, inv_std, gamma)


@mistake("layernorm_forward", "eps outside the square root", "eps outside the square root")
def layernorm_forward(x, gamma, beta, eps=1e-5):
    mean, std = x.mean(axis=1, keepdims=True), x.std(axis=1, keepdims=True)
    x_hat = (x - mean) / (std + eps)
    return gamma * x_hat + beta, LayerNormCache(x_hat, 1 / (std + eps), gamma)


@mistake("layernorm_forward", "gamma and beta swapped", "gamma and beta swapped")
def layernorm_forward(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return beta * x_hat + gamma, LayerNormCache(x_hat, inv_std, gamma)


@mistake("layernorm_forward", "returns x_hat", "x_hat, without gamma and beta")
def layernorm_forward(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return x_hat, LayerNormCache(x_hat, inv_std, gamma)


@mistake("layernorm_forward", "keepdims forgotten", "x.mean(axis=1, keepdims=True)")
def layernorm_forward(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(axis=1), x.var(axis=1)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, LayerNormCache(x_hat, inv_std, gamma)


@mistake("layernorm_forward", "inv_std stored flat (N,)", "shape (N,): keep the axis")
def layernorm_forward(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(axis=1), x.var(axis=1)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean[:, None]) * inv_std[:, None]
    return gamma * x_hat + beta, LayerNormCache(x_hat, inv_std, gamma)


@mistake("layernorm_forward", "the cache holds the standard deviation", "store its reciprocal")
def layernorm_forward(x, gamma, beta, eps=1e-5):
    mean, std = x.mean(axis=1, keepdims=True), np.sqrt(x.var(axis=1, keepdims=True) + eps)
    x_hat = (x - mean) / std
    return gamma * x_hat + beta, LayerNormCache(x_hat, std, gamma)


@correct("layernorm_forward", "the transpose trick: batch-norm statistics of x.T")
def layernorm_forward(x, gamma, beta, eps=1e-5):
    xt = x.T
    mean, var = xt.mean(axis=0), xt.var(axis=0)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = ((xt - mean) * inv_std).T
    return gamma * x_hat + beta, LayerNormCache(x_hat, inv_std[:, None], gamma)


@correct("layernorm_forward", "a loop over the rows with np.std")
def layernorm_forward(x, gamma, beta, eps=1e-5):
    x_hat, inv_std = np.empty_like(x, dtype=float), np.empty((x.shape[0], 1))
    for n, row in enumerate(x):
        inv_std[n, 0] = 1.0 / np.sqrt(np.std(row) ** 2 + eps)
        x_hat[n] = (row - row.mean()) * inv_std[n, 0]
    return x_hat * gamma + beta, LayerNormCache(x_hat, inv_std, gamma)


# ---------------------------------------------------------------------- layernorm_backward


@mistake("layernorm_backward", "batch norm's formula, gamma outside the bracket", "gamma taken out of the bracket")
def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache
    dx = gamma * inv_std * (dout - dout.mean(axis=1, keepdims=True)
                            - x_hat * (dout * x_hat).mean(axis=1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@mistake("layernorm_backward", "means over the batch axis", "the means taken over the batch (axis 0)")
def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@mistake("layernorm_backward", "the variance path dropped", "without the term x_hat mean_j(g x_hat)")
def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache
    g = dout * gamma
    return inv_std * (g - g.mean(axis=1, keepdims=True)), (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@mistake("layernorm_backward", "sums instead of means over the row", "sums over the features where means belong")
def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache
    g = dout * gamma
    dx = inv_std * (g - g.sum(axis=1, keepdims=True) - x_hat * (g * x_hat).sum(axis=1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@mistake("layernorm_backward", "dgamma and dbeta swapped", "dgamma and dbeta swapped")
def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=1, keepdims=True) - x_hat * (g * x_hat).mean(axis=1, keepdims=True))
    return dx, dout.sum(axis=0), (dout * x_hat).sum(axis=0)


@mistake("layernorm_backward", "gamma forgotten", "the gradient without gamma")
def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache
    dx = inv_std * (dout - dout.mean(axis=1, keepdims=True) - x_hat * (dout * x_hat).mean(axis=1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@mistake("layernorm_backward", "dgamma summed over the features", "dgamma has shape")
def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=1, keepdims=True) - x_hat * (g * x_hat).mean(axis=1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=1), dout.sum(axis=1)


@correct("layernorm_backward", "staged through the graph, row statistics")
def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache
    d = x_hat.shape[1]
    dxhat = dout * gamma
    xmu = x_hat / inv_std
    dvar = np.sum(dxhat * xmu, axis=1, keepdims=True) * -0.5 * inv_std ** 3
    dmu = -np.sum(dxhat * inv_std, axis=1, keepdims=True)
    dx = dxhat * inv_std + dvar * 2 * xmu / d + dmu / d
    return dx, np.sum(dout * x_hat, axis=0), np.sum(dout, axis=0)


@correct("layernorm_backward", "the transpose trick with batch norm's projection")
def layernorm_backward(dout, cache):
    g, xt = (dout * cache.gamma).T, cache.x_hat.T            # (D, N): the statistics run along axis 0
    dxt = (g - g.mean(axis=0) - xt * (g * xt).mean(axis=0)) * cache.inv_std[:, 0]
    return dxt.T, np.einsum("nd,nd->d", dout, cache.x_hat), dout.sum(axis=0)


# ---------------------------------------------------------------------- population_statistics


@mistake("population_statistics", "torch's default running average (momentum 0.1)", "the running average with momentum")
def population_statistics(batches):
    mean, var = np.zeros(batches[0].shape[1]), np.ones(batches[0].shape[1])
    for batch in batches:
        mean = 0.9 * mean + 0.1 * batch.mean(axis=0)
        var = 0.9 * var + 0.1 * batch.var(axis=0, ddof=1)
    return BatchNormState(mean, var, len(batches))


@mistake("population_statistics", "biased batch variances", "the mean of the biased batch variances")
def population_statistics(batches):
    return BatchNormState(np.mean([b.mean(axis=0) for b in batches], axis=0),
                          np.mean([b.var(axis=0) for b in batches], axis=0), len(batches))


@mistake("population_statistics", "all batches pooled", "the variance of all the batches pooled together")
def population_statistics(batches):
    pooled = np.concatenate(batches)
    return BatchNormState(pooled.mean(axis=0), pooled.var(axis=0, ddof=1), len(batches))


@mistake("population_statistics", "averaged standard deviations", "the squared mean of the batch standard deviations")
def population_statistics(batches):
    stds = [b.std(axis=0, ddof=1) for b in batches]
    return BatchNormState(np.mean([b.mean(axis=0) for b in batches], axis=0), np.mean(stds, axis=0) ** 2, len(batches))


@mistake("population_statistics", "batches weighted by their size", "averages weighted by the batch sizes")
def population_statistics(batches):
    sizes = np.array([len(b) for b in batches], dtype=float)
    means = np.array([b.mean(axis=0) for b in batches])
    variances = np.array([b.var(axis=0, ddof=1) for b in batches])
    return BatchNormState(sizes @ means / sizes.sum(), sizes @ variances / sizes.sum(), len(batches))


@mistake("population_statistics", "the last batch only", "the statistics of the last batch only")
def population_statistics(batches):
    stats = None
    for batch in batches:
        stats = BatchNormState(batch.mean(axis=0), batch.var(axis=0, ddof=1), len(batches))
    return stats


@mistake("population_statistics", "returns (mean, var)", "should return a BatchNormState")
def population_statistics(batches):
    return (np.mean([b.mean(axis=0) for b in batches], axis=0),
            np.mean([b.var(axis=0, ddof=1) for b in batches], axis=0))


@mistake("population_statistics", "count off by one", "num_batches_tracked is wrong")
def population_statistics(batches):
    return BatchNormState(np.mean([b.mean(axis=0) for b in batches], axis=0),
                          np.mean([b.var(axis=0, ddof=1) for b in batches], axis=0), len(batches) - 1)


@correct("population_statistics", "torch's cumulative update, from the initial state")
def population_statistics(batches):
    d = batches[0].shape[1]
    state = BatchNormState(np.zeros(d), np.ones(d), 0)
    for batch in batches:
        t = state.num_batches_tracked + 1
        n = len(batch)
        state = BatchNormState(state.running_mean + (batch.mean(axis=0) - state.running_mean) / t,
                               state.running_var + (batch.var(axis=0) * n / (n - 1) - state.running_var) / t, t)
    return state


@correct("population_statistics", "sums in a loop")
def population_statistics(batches):
    total_mean, total_var = 0.0, 0.0
    for batch in batches:
        mu = batch.sum(axis=0) / len(batch)
        total_mean = total_mean + mu
        total_var = total_var + ((batch - mu) ** 2).sum(axis=0) / (len(batch) - 1)
    k = len(batches)
    return BatchNormState(total_mean / k, total_var / k, k)


# ---------------------------------------------------------------------- fold_batchnorm


@mistake("fold_batchnorm", "the linear bias forgotten", "the fold without the linear layer's bias b")
def fold_batchnorm(w, b, gamma, beta, state, eps=1e-5):
    scale = gamma / np.sqrt(state.running_var + eps)
    return w * scale[:, None], beta - state.running_mean * scale


@mistake("fold_batchnorm", "multiplied by sigma / gamma", "multiplied by sigma / gamma")
def fold_batchnorm(w, b, gamma, beta, state, eps=1e-5):
    scale = gamma / np.sqrt(state.running_var + eps)
    return w / scale[:, None], (b - state.running_mean) * scale + beta


@mistake("fold_batchnorm", "sqrt(var) + eps", "sqrt(running_var) + eps")
def fold_batchnorm(w, b, gamma, beta, state, eps=1e-5):
    scale = gamma / (np.sqrt(state.running_var) + eps)
    return w * scale[:, None], (b - state.running_mean) * scale + beta


@mistake("fold_batchnorm", "beta forgotten", "the fold without beta")
def fold_batchnorm(w, b, gamma, beta, state, eps=1e-5):
    scale = gamma / np.sqrt(state.running_var + eps)
    return w * scale[:, None], (b - state.running_mean) * scale


@mistake("fold_batchnorm", "the mean subtracted after scaling", "the mean not scaled")
def fold_batchnorm(w, b, gamma, beta, state, eps=1e-5):
    scale = gamma / np.sqrt(state.running_var + eps)
    return w * scale[:, None], b * scale + beta - state.running_mean


@mistake("fold_batchnorm", "variance in place of the standard deviation", "running_var in place of its square root")
def fold_batchnorm(w, b, gamma, beta, state, eps=1e-5):
    scale = gamma / (state.running_var + eps)
    return w * scale[:, None], (b - state.running_mean) * scale + beta


@mistake("fold_batchnorm", "the columns of w scaled", "multiplies the rows of w")
def fold_batchnorm(w, b, gamma, beta, state, eps=1e-5):
    scale = gamma / np.sqrt(state.running_var + eps)
    return w * scale, (b - state.running_mean) * scale + beta


@mistake("fold_batchnorm", "w' returned transposed", "It looks transposed")
def fold_batchnorm(w, b, gamma, beta, state, eps=1e-5):
    scale = gamma / np.sqrt(state.running_var + eps)
    return (w * scale[:, None]).T, (b - state.running_mean) * scale + beta


@correct("fold_batchnorm", "diag(s) W")
def fold_batchnorm(w, b, gamma, beta, state, eps=1e-5):
    s = gamma / np.sqrt(state.running_var + eps)
    return np.diag(s) @ w, s * b + (beta - s * state.running_mean)


@correct("fold_batchnorm", "einsum, division by the standard deviation")
def fold_batchnorm(w, b, gamma, beta, state, eps=1e-5):
    std = np.sqrt(state.running_var + eps)
    return np.einsum("m,md->md", gamma / std, w), beta + gamma * (b - state.running_mean) / std
