"""Checks for chapter 01_sgd: the inverse-time learning-rate schedule and Polyak averaging."""
import math

import numpy as np

from .. import averaging, schedules
from .core import RTOL, Checker, describe, unchanged

__all__ = ["check_inverse_time_decay", "check_polyak_averages"]


# ---------------------------------------------------------------- the learning-rate schedule

def _same_number(a, b):
    """Whether a and b are (close to) the same number; True when they are not numbers (the next checks say so)."""
    try:
        return bool(np.allclose(float(a), float(b), rtol=1e-12, atol=0.0))
    except (TypeError, ValueError):
        return True


def _schedule_mistakes(eta0, decay, steps):
    """(description, values at ``steps``) of the usual mistakes; a mistake is named only when it gives every value."""
    k = np.asarray(steps, dtype=float)
    with np.errstate(divide="ignore"):
        return [
            ("eta0 / (1 + decay (k + 1)), the schedule one step later: the first update (k = 0) uses eta0, update "
             "t uses schedule(t - 1)", eta0 / (1 + decay * (k + 1))),
            ("eta0 / (1 + eta0 decay k): here the decay multiplies k alone", eta0 / (1 + eta0 * decay * k)),
            ("eta0 decay k: the learning rate is eta0 divided by (1 + decay k)", eta0 * decay * k),
            ("eta0 (1 + decay k): divide by (1 + decay k), do not multiply", eta0 * (1 + decay * k)),
            ("eta0 / (1 + decay)^k, an exponential decay", eta0 * (1.0 + decay) ** -k),
            ("eta0 / (decay k): the 1 + is missing", np.where(decay * k > 0, eta0 / (decay * k), math.inf)),
            ("eta0 / 1 + decay k: the brackets are missing, write eta0 / (1 + decay * k)", eta0 + decay * k),
            ("eta0 / (1 + decay k) rounded: return the number itself, not a rounded one",
             np.round(eta0 / (1 + decay * k), 4)),
        ]


def check_inverse_time_decay(inverse_time_decay, cases=((0.5, 0.1), (1.0, 0.0), (0.03, 2.0), (2, 1)),
                             steps=(0, 1, 2, 5, 10, 100, 1000)):
    """eta = eta0 / (1 + decay k) for (eta0, decay) in ``cases`` (integers too) after k = ``steps`` updates
    (schedule(0) is the rate of the first update), each value a real number, compared value by value with a
    relative tolerance (a rate of 1e-9 off by a factor of 10 fails like a rate of 1 would)."""
    __tracebackhide__ = True
    checker = Checker("inverse_time_decay")
    for eta0, decay in cases:
        context = f"for eta0={eta0!r}, decay={decay!r}"
        schedule = checker.call(inverse_time_decay, eta0, decay)
        checker.require(callable(schedule), f"should return a function k -> eta (e.g. a lambda), but returned "
                                            f"{describe(schedule)} {context}.")
        probe = checker.call(inverse_time_decay, eta0, decay)
        repeated = [checker.call(probe, k) for k in (0, 5, 5, 0)]
        checker.require(_same_number(repeated[0], repeated[3]) and _same_number(repeated[1], repeated[2]),
                        f"calling a new schedule with k = 0, 5, 5 and 0 gave {repeated} {context}: it must be a "
                        "function of k alone, without a counter inside (the training loop passes k).")
        values = []
        for k in steps:
            got = checker.call(schedule, np.int64(k) if k % 2 else k)
            checker.conforms(f"the learning rate after k={k} updates", got, 0.0, context=context)
            values.append(float(got))
        reference = schedules.inverse_time_decay(eta0, decay)
        want = np.array([reference(k) for k in steps])
        wrong = ~np.isclose(values, want, rtol=RTOL, atol=0.0)
        if not wrong.any():
            checker.ok()
            continue
        first = int(np.argmax(wrong))
        named = [(description, values[first]) for description, mistake in _schedule_mistakes(eta0, decay, steps)
                 if np.allclose(values, mistake, rtol=1e-9, atol=0.0)]
        checker.close(f"the learning rate after k={steps[first]} updates", values[first], want[first], named[:1],
                      atol=0.0, context=context)
    checker.done()


# ---------------------------------------------------------------- Polyak averaging

def _steps(iterates):
    """t = 1..T, shaped to broadcast against the rows of ``iterates``."""
    return np.arange(1, len(iterates) + 1).reshape((-1,) + (1,) * (iterates.ndim - 1))


def _one_step_behind(iterates, averages):
    """Row t holds the average of row t - 1 (row 0 the first iterate): each average without its newest iterate."""
    return np.concatenate([iterates[:1], averages[:-1]], axis=0)


def _uniform_mistakes(iterates):
    total = np.cumsum(iterates, axis=0)
    return [
        ("the average with an extra zero iterate at the start (dividing the sum of theta_1..theta_t by t + 1): the "
         "average starts from the first iterate", total / (_steps(iterates) + 1)),
        ("the running sum, not divided by t", total),
        ("the average of all T iterates in every row: row t - 1 averages theta_1..theta_t only",
         np.broadcast_to(iterates.mean(axis=0), iterates.shape)),
        ("the average of theta_1..theta_{t-1}, one step behind: row t - 1 includes theta_t",
         _one_step_behind(iterates, averaging.uniform_average(iterates))),
    ]


def _exponential_mistakes(iterates, decay):
    # The running average started from an extra zero iterate: avg_t = decay avg_{t-1} + (1 - decay) w_t, avg_0 = 0.
    from_zero = averaging.exponential_average(np.concatenate([np.zeros_like(iterates[:1]), iterates]), decay)[1:]
    return [
        ("the average started from 0 instead of from the first iterate (row 0 must be theta_1)", from_zero),
        ("the average with decay and 1 - decay swapped: the old average gets the weight decay",
         averaging.exponential_average(iterates, 1 - decay)),
        ("Adam's bias-corrected average started from 0; here the average starts at theta_1, with no correction",
         from_zero / (1 - decay ** _steps(iterates))),
        ("the average one step behind: row t - 1 must include theta_t",
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
                     "t - 1 averages theta_1..theta_t, so count t from 1 (np.arange(1, T + 1)).")
    checker.close(what, got, want, mistakes, context=context)


def _iterates(rng, shapes, scale):
    """Float iterates of each shape around 3 * scale, then integer iterates of shape (5, 2)."""
    return [scale * (3.0 + rng.standard_normal(shape)) for shape in shapes] + [rng.integers(-5, 6, size=(5, 2))]


def _described(iterates):
    kind = "integer " if iterates.dtype.kind in "iu" else ""
    return f"for {kind}iterates of shape {iterates.shape}"


def check_polyak_averages(uniform_average, exponential_average, seed=0, shapes=((6,), (5, 3), (4, 2, 2), (1, 3)),
                          decays=(0.9, 0.5), scale=1.0):
    """Running uniform and exponential averages of iterates of the given (T, ...) ``shapes`` (of size ``scale``)
    and of integer iterates, for each decay: float arrays of the iterates' shape."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    inputs = _iterates(rng, shapes, scale)
    uniform = Checker("uniform_average")
    for iterates in inputs:
        saved = iterates.copy()
        got = uniform.call(uniform_average, iterates)
        unchanged(uniform, "iterates", saved, iterates)
        _check_average(uniform, "the uniform average", got, averaging.uniform_average(iterates),
                       _uniform_mistakes(iterates.astype(float)), _described(iterates))
    uniform.done()
    exponential = Checker("exponential_average")
    for iterates in inputs:
        for decay in decays:
            saved = iterates.copy()
            got = exponential.call(exponential_average, iterates, decay)
            unchanged(exponential, "iterates", saved, iterates)
            _check_average(exponential, "the exponential average", got,
                           averaging.exponential_average(iterates, decay),
                           _exponential_mistakes(iterates.astype(float), decay),
                           f"{_described(iterates)} and decay={decay!r}")
    exponential.done()
