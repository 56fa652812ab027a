"""Checks for chapter 01_sgd: the inverse-time learning-rate schedule and Polyak averaging."""
import math

import numpy as np

from .. import averaging, schedules
from .core import Checker, describe, unchanged

__all__ = ["check_inverse_time_decay", "check_polyak_averages"]


# ---------------------------------------------------------------- the learning-rate schedule

def _same_number(a, b):
    """Whether a and b are (close to) the same number; True when they are not numbers (the next checks say so)."""
    try:
        return bool(np.allclose(float(a), float(b), rtol=1e-12, atol=0.0))
    except (TypeError, ValueError):
        return True


def check_inverse_time_decay(inverse_time_decay, cases=((0.5, 0.1), (1.0, 0.0), (0.03, 2.0)),
                             steps=(0, 1, 2, 5, 10, 100, 1000)):
    """eta_s = eta0 / (1 + decay s) for (eta0, decay) in ``cases`` at the steps ``steps`` (s counted from 0)."""
    __tracebackhide__ = True
    checker = Checker("inverse_time_decay")
    for eta0, decay in cases:
        schedule = checker.call(inverse_time_decay, eta0, decay)
        checker.require(callable(schedule), f"should return a function s -> eta_s (e.g. a lambda), but returned "
                                            f"{describe(schedule)}.")
        reference = schedules.inverse_time_decay(eta0, decay)
        context = f"for eta0={eta0}, decay={decay}"
        probe = checker.call(inverse_time_decay, eta0, decay)
        repeated = [checker.call(probe, s) for s in (5, 5)]
        checker.require(_same_number(*repeated),
                        f"calling the schedule twice with s = 5 gave two values, {repeated} {context}: it must be a "
                        "function of s alone, without a counter inside (the training loop passes s).")
        for s in steps:
            got = checker.call(schedule, np.int64(s) if s % 2 else s)
            checker.close(f"eta at step s={s}", got, reference(s), [
                ("eta0 / (1 + decay (s + 1)), the schedule one step later: s counts from 0 and the first "
                 "update (s = 0) uses eta0", eta0 / (1 + decay * (s + 1))),
                ("eta0 / (1 + eta0 decay s): here the decay multiplies s alone", eta0 / (1 + eta0 * decay * s)),
                ("eta0 decay s: the learning rate is eta0 divided by (1 + decay s)", eta0 * decay * s),
                ("eta0 (1 + decay s): divide by (1 + decay s), do not multiply", eta0 * (1 + decay * s)),
                ("eta0 / (1 + decay)^s, an exponential decay", eta0 * (1.0 + decay) ** -float(s)),
                ("eta0 / (decay s): the 1 + is missing", eta0 / (decay * s) if decay * s else math.inf),
                ("eta0 / 1 + decay s: the brackets are missing, write eta0 / (1 + decay * s)", eta0 + decay * s)],
                context=context)
    checker.done()


# ---------------------------------------------------------------- Polyak averaging

def _steps(iterates):
    """t = 1..T, shaped to broadcast against the rows of ``iterates``."""
    return np.arange(1, len(iterates) + 1).reshape((-1,) + (1,) * (iterates.ndim - 1))


def _one_step_behind(iterates, averages):
    """Row t holds the average of row t - 1 (row 1 the first iterate): the average without w_t."""
    return np.concatenate([iterates[:1], averages[:-1]], axis=0)


def _uniform_mistakes(iterates):
    total = np.cumsum(iterates, axis=0)
    return [
        ("the average with an extra zero iterate at the start (dividing the sum of w_1..w_t by t + 1): the "
         "average starts from the first iterate", total / (_steps(iterates) + 1)),
        ("the running sum, not divided by t", total),
        ("the average of all T iterates in every row: row t averages w_1..w_t only",
         np.broadcast_to(iterates.mean(axis=0), iterates.shape)),
        ("the average of w_1..w_{t-1}, one step behind: row t includes w_t",
         _one_step_behind(iterates, averaging.uniform_average(iterates))),
    ]


def _exponential_mistakes(iterates, decay):
    # The running average started from an extra zero iterate: avg_t = decay avg_{t-1} + (1 - decay) w_t, avg_0 = 0.
    from_zero = averaging.exponential_average(np.concatenate([np.zeros_like(iterates[:1]), iterates]), decay)[1:]
    return [
        ("the average started from 0 instead of from the first iterate (avg_1 must be w_1)", from_zero),
        ("the average with decay and 1 - decay swapped: the old average gets the weight decay",
         averaging.exponential_average(iterates, 1 - decay)),
        ("Adam's bias-corrected average started from 0; here avg_1 = w_1 and there is no correction",
         from_zero / (1 - decay ** _steps(iterates))),
        ("the average one step behind: row t must include w_t",
         _one_step_behind(iterates, averaging.exponential_average(iterates, decay))),
    ]


def _first_row_only_not_finite(got, want):
    """Whether ``got`` has the shape of ``want`` and is finite everywhere except in row 0 (a division by t = 0)."""
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return (got.shape == want.shape and len(got) > 0 and not np.isfinite(got[0]).all()
            and np.isfinite(got[1:]).all() and np.isfinite(want).all())


def _check_average(checker, what, got, want, mistakes, context):
    __tracebackhide__ = True
    if got is not None and np.shape(got) == want.shape[1:]:
        checker.fail(f"{what} has shape {np.shape(got)}, expected {want.shape} {context}: return one row per "
                     "step t (the running average), not only the final average.")
    if _first_row_only_not_finite(got, want):
        checker.fail(f"row 0 of {what} is not finite {context}, the other rows are: did you divide by t = 0? Row "
                     "t - 1 averages w_1..w_t, so count t from 1 (np.arange(1, T + 1)).")
    checker.close(what, got, want, mistakes, context=context)


def check_polyak_averages(uniform_average, exponential_average, seed=0, shapes=((6,), (5, 3), (4, 2, 2), (1, 3)),
                          decays=(0.9, 0.5)):
    """Running uniform and exponential averages of iterates of the given (T, ...) ``shapes``, for each decay."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    inputs = [3.0 + rng.standard_normal(shape) for shape in shapes]
    uniform = Checker("uniform_average")
    for iterates in inputs:
        saved = iterates.copy()
        got = uniform.call(uniform_average, iterates)
        unchanged(uniform, "iterates", saved, iterates)
        _check_average(uniform, "the uniform average", got, averaging.uniform_average(iterates),
                       _uniform_mistakes(iterates), f"for iterates of shape {iterates.shape}")
    uniform.done()
    exponential = Checker("exponential_average")
    for iterates in inputs:
        for decay in decays:
            saved = iterates.copy()
            got = exponential.call(exponential_average, iterates, decay)
            unchanged(exponential, "iterates", saved, iterates)
            _check_average(exponential, "the exponential average", got,
                           averaging.exponential_average(iterates, decay), _exponential_mistakes(iterates, decay),
                           f"for iterates of shape {iterates.shape} and decay={decay}")
    exponential.done()
