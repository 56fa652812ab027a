"""Polyak averaging of iterates: the uniform average and the exponential running average.

Book: chapter 01_sgd, section "Averaging the iterates" (Polyak & Juditsky 1992), used again in
04_optimisers. SGD with a constant learning rate ends up bouncing around a minimum; the average of its
iterates is much closer to it than any single iterate.

The ``*_update`` functions take and return either one array or a dict of arrays (such as
``dlcourse.init.init_mlp`` returns), so a training loop can average all its parameters at once. They never
modify their inputs. Conventions are those of ``torch.optim.swa_utils.AveragedModel``: the average starts at
the first iterate (t = 1), so neither average is biased towards 0.
"""
import numpy as np

__all__ = ["uniform_average_update", "uniform_average", "ema_update", "exponential_average"]


def _map(fn, avg, w):
    """fn(avg, w), applied per key when avg and w are dicts of arrays."""
    if isinstance(avg, dict):
        return {key: fn(avg[key], w[key]) for key in avg}
    return fn(avg, w)


def uniform_average_update(avg, w, t):
    """avg_t = avg_{t-1} + (w_t - avg_{t-1}) / t, i.e. avg_t = (w_1 + ... + w_t) / t.

    Shapes: avg, w same shape (or dicts of arrays with the same keys) -> avg_t, same shape.
    t >= 1 counts the iterates averaged so far including w; at t = 1 avg is ignored and avg_1 = w_1
    (torch AveragedModel's default average).
    """
    return _map(lambda a, x: a + (x - a) / t, avg, w)


def uniform_average(iterates):
    """avg_t = (w_1 + ... + w_t) / t for t = 1..T: the running uniform average of a whole trajectory.

    Shapes: iterates (T, ...) -> (T, ...); the last row is the average of all T iterates.
    """
    iterates = np.asarray(iterates, dtype=float)
    counts = np.arange(1, len(iterates) + 1).reshape((-1,) + (1,) * (iterates.ndim - 1))
    return np.cumsum(iterates, axis=0) / counts


def ema_update(avg, w, decay):
    """avg <- decay avg + (1 - decay) w   (computed as avg + (1 - decay) (w - avg), like torch's lerp).

    Shapes: avg, w same shape (or dicts of arrays with the same keys) -> avg, same shape.
    The weight of an iterate k steps old is (1 - decay) decay^k: an average over about 1 / (1 - decay)
    recent iterates (torch.optim.swa_utils.get_ema_multi_avg_fn(decay)).
    """
    return _map(lambda a, x: a + (1 - decay) * (x - a), avg, w)


def exponential_average(iterates, decay):
    """avg_1 = w_1,  avg_t = decay avg_{t-1} + (1 - decay) w_t for t = 2..T.

    Shapes: iterates (T, ...) -> (T, ...). Closed form: avg_t = decay^(t-1) w_1 + sum_{k=2..t}
    (1 - decay) decay^(t-k) w_k (torch AveragedModel with get_ema_multi_avg_fn(decay)).
    """
    iterates = np.asarray(iterates, dtype=float)
    out = np.empty_like(iterates)
    out[0] = iterates[0]
    for t in range(1, len(iterates)):
        out[t] = ema_update(out[t - 1], iterates[t], decay)
    return out
