"""Learning-rate schedules: functions of the number of updates made so far that return the learning rate.

Book: chapter 01_sgd, section "Learning-rate schedules" (the Robbins-Monro conditions), used again in
04_optimisers. Every factory returns a callable ``s -> eta``; s counts the updates done so far and starts
at 0, so the book's update t = 1, 2, ... uses eta_t = ``schedule(t - 1)``, and ``schedule(0)`` = eta0 is the
rate of the first update. ``s`` may also be a numpy array (for plotting); a scalar s gives a Python float.

Equivalents in ``torch.optim.lr_scheduler`` (after s calls of ``scheduler.step()``, the optimiser's lr is
``schedule(s)``; tests/test_schedules_averaging.py checks it): ``constant`` = ConstantLR(factor=1),
``inverse_time_decay`` = LambdaLR(lambda s: 1 / (1 + decay s)) and Adagrad's ``lr_decay``,
``step_decay`` = StepLR, ``exponential_decay`` = ExponentialLR, ``cosine_decay`` = CosineAnnealingLR for
0 <= s <= total_steps (torch's cosine rises again after total_steps; ours stays at eta_min).
"""
import numpy as np

__all__ = ["constant", "inverse_time_decay", "step_decay", "exponential_decay", "cosine_decay"]


def _as_output(value):
    """A float for a scalar step, an array for an array of steps."""
    return float(value) if np.ndim(value) == 0 else value


def constant(eta0):
    """eta_s = eta0.

    Shapes: s scalar or array -> eta of the same shape.
    """
    return lambda s: _as_output(np.full(np.shape(s), float(eta0)))


def inverse_time_decay(eta0, decay):
    """eta_s = eta0 / (1 + decay s), i.e. eta_t = eta0 / (1 + decay (t - 1)) for the update t = s + 1.

    Shapes: s scalar or array -> eta of the same shape. Satisfies the Robbins-Monro conditions
    sum eta_s = inf, sum eta_s^2 < inf for decay > 0.
    """
    return lambda s: _as_output(eta0 / (1.0 + decay * np.asarray(s, dtype=float)))


def step_decay(eta0, drop, every):
    """eta_s = eta0 drop^floor(s / every)   (multiply by ``drop`` every ``every`` steps, torch StepLR).

    Shapes: s scalar or array -> eta of the same shape.
    """
    return lambda s: _as_output(eta0 * drop ** (np.asarray(s) // every))


def exponential_decay(eta0, gamma):
    """eta_s = eta0 gamma^s   (torch ExponentialLR).

    Shapes: s scalar or array -> eta of the same shape.
    """
    return lambda s: _as_output(eta0 * gamma ** np.asarray(s, dtype=float))


def cosine_decay(eta0, total_steps, eta_min=0.0):
    """eta_s = eta_min + (eta0 - eta_min) (1 + cos(pi s / total_steps)) / 2 for s <= total_steps, then eta_min.

    Shapes: s scalar or array -> eta of the same shape. torch CosineAnnealingLR(T_max=total_steps) for
    s <= total_steps (Loshchilov & Hutter 2017 without restarts).
    """
    def schedule(s):
        s = np.minimum(np.asarray(s, dtype=float), total_steps)
        return _as_output(eta_min + (eta0 - eta_min) * (1.0 + np.cos(np.pi * s / total_steps)) / 2)
    return schedule
