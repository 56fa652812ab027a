"""Checks for chapter 06_regularisation, exercises 5 and 7: the early-stopping rule and bootstrap samples.

Book: chapter 06_regularisation. ``check_early_stopping`` runs the rule on worked sequences whose answers are
written out below (each one separates some of the usual mistakes) and on noisy random curves against the
reference. ``check_bootstrap_indices`` tests the contract exactly (shape, integer dtype, range, that the
result comes from the generator it is given) and the distribution statistically, with bounds that a correct
implementation exceeds with probability below 1e-6 (each bound says how).
"""
import math
import numbers

import numpy as np

from ..stopping import early_stopping as reference_early_stopping
from .core import Checker, describe

__all__ = ["check_early_stopping", "check_bootstrap_indices"]

NAN = float("nan")
# (val_losses, patience, min_delta, (best_epoch, stop_epoch)): worked by hand, epochs counted from 0.
WORKED = (
    ([1.0, 0.8, 0.7, 0.75, 0.72, 0.71, 0.74, 0.73], 3, 0.0, (2, 5)),     # stops after 3 epochs without progress
    ([5.0, 4.0, 3.0, 2.0, 1.0], 2, 0.0, (4, 4)),                          # never stops: ends at the last epoch
    ([1.0, 0.5, 0.5, 0.5, 0.6, 0.7], 2, 0.0, (1, 3)),                     # a tie is not an improvement
    ([1.0, 0.9, 0.92, 0.95, 0.97], 2, 0.05, (1, 3)),                      # a rise smaller than min_delta is no progress
    ([1.0, 0.9, 0.89, 0.885, 0.88, 0.7], 2, 0.05, (1, 3)),                # improvements below min_delta do not count
    ([1.0, 0.9, 0.95, 0.85, 0.9, 0.95, 0.8], 2, 0.0, (3, 5)),             # the count restarts after an improvement
    ([1.0, 0.8, NAN, 0.9, 0.95, 0.99], 2, 0.0, (1, 3)),                   # NaN never improves
    ([1.0, 0.8, NAN, NAN, NAN], 2, 0.0, (1, 3)),                          # a diverged run stops
    ([3.0, 2.0, 2.5, 1.0], 1, 0.0, (1, 2)),                               # patience 1
)


def _rule(val_losses, patience, min_delta=0.0, late=False, reset=True, ties=False, use_delta=True, nan_improves=False,
          delta_sign=1.0):
    """The early-stopping rule with one of the usual mistakes: -> (best_epoch, stop_epoch) or None."""
    best, best_epoch, waited = math.inf, 0, 0
    delta = delta_sign * min_delta if use_delta else 0.0
    for epoch, loss in enumerate(val_losses):
        improves = (loss <= best - delta) if ties else (loss < best - delta)
        if nan_improves:
            improves = not (loss >= best - delta)
        if improves:
            best, best_epoch, waited = loss, epoch, (0 if reset else waited)
            continue
        waited += 1
        if waited == patience + (1 if late else 0):
            return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


def _early_stopping_mistakes(val_losses, patience, min_delta):
    best, stop = reference_early_stopping(val_losses, patience, min_delta)
    finite = np.where(np.isnan(val_losses), np.inf, val_losses)
    return [
        ("the stop epoch as the best epoch: keep the parameters of the last epoch that improved", (stop, stop)),
        ("the rule one epoch too late (waited > patience): stop as soon as `patience` epochs in a row have not "
         "improved", _rule(val_losses, patience, min_delta, late=True)),
        ("the rule without restarting the count of epochs without improvement when an epoch improves",
         _rule(val_losses, patience, min_delta, reset=False)),
        ("ties counted as improvements: an epoch improves only when its loss is strictly below best - min_delta",
         _rule(val_losses, patience, min_delta, ties=True)),
        ("the rule with min_delta ignored", _rule(val_losses, patience, min_delta, use_delta=False)),
        ("the rule with loss < best + min_delta: min_delta has the wrong sign",
         _rule(val_losses, patience, min_delta, delta_sign=-1.0)),
        ("a NaN loss counted as an improvement", _rule(val_losses, patience, min_delta, nan_improves=True)),
        ("the best epoch of the whole sequence, epochs after the stop included: training has stopped, so they "
         "are never seen", (int(np.argmin(finite)), stop)),
        ("the rule with patience 1, whatever patience is", _rule(val_losses, 1, min_delta)),
        ("epochs counted from 1; count them from 0, as indices into val_losses", (best + 1, stop + 1)),
    ]


def _noisy_curve(rng, epochs):
    """A validation loss that falls, flattens and rises again, with noise: -> list of floats."""
    t = np.arange(epochs)
    minimum = rng.uniform(0.3, 0.7) * epochs
    return list(0.5 + ((t - minimum) / epochs) ** 2 + 0.03 * rng.standard_normal(epochs))


def _require_epoch(checker, what, value, context):
    __tracebackhide__ = True
    checker.require(isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)),
                    f"{what} should be an int (an epoch, an index into val_losses), but it is {describe(value)} "
                    f"{context}.")


def check_early_stopping(early_stopping, seed=0, n_random=4):
    """(best_epoch, stop_epoch) on the worked sequences and on ``n_random`` noisy curves against the reference."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("early_stopping")
    cases = [(losses, patience, min_delta, expected) for losses, patience, min_delta, expected in WORKED]
    for case in range(n_random):
        losses = _noisy_curve(rng, int(rng.integers(30, 80)))
        patience, min_delta = int(rng.integers(2, 8)), float(rng.choice([0.0, 0.01]))
        cases.append((losses, patience, min_delta, reference_early_stopping(losses, patience, min_delta)))
    for index, (losses, patience, min_delta, expected) in enumerate(cases):
        given = np.array(losses) if index % 2 else list(losses)     # a list and an array alike
        saved = np.array(losses)
        context = (f"for val_losses={np.round(np.asarray(losses), 4).tolist()}, patience={patience}, "
                   f"min_delta={min_delta}" if len(losses) <= 10 else
                   f"for a noisy curve of {len(losses)} epochs, patience={patience}, min_delta={min_delta}")
        arguments = (given, patience) if min_delta == 0.0 and index % 3 == 0 else (given, patience, min_delta)
        best, stop = checker.unpack(checker.call(early_stopping, *arguments), ("best_epoch", "stop_epoch"), context)
        checker.require(np.array_equal(np.asarray(given, dtype=float), saved, equal_nan=True),
                        "your function changed val_losses; read it without modifying it.")
        _require_epoch(checker, "best_epoch", best, context)
        _require_epoch(checker, "stop_epoch", stop, context)
        checker.close_all([("best_epoch", best, expected[0]), ("stop_epoch", stop, expected[1])],
                          _early_stopping_mistakes(losses, patience, min_delta), context=context, rtol=0, atol=0)
    checker.done()


# ---------------------------------------------------------------- exercise 7: bootstrap samples

DISTINCT_BOUND = 0.09   # Hoeffding, mean of 1000 fractions in [0, 1]: P(|mean - E| > 0.09) <= 2 exp(-16.2) = 1.8e-7
COUNT_BOUND = 200       # Bernstein, Binomial(20000, 1/20) per index: P(|count - 1000| > 200) <= 5.8e-9, x20 = 1.2e-7


def _draw(checker, bootstrap_indices, n, n_models, seed, context):
    """The student's indices for np.random.default_rng(seed), with the contract checked."""
    __tracebackhide__ = True
    got = checker.call(bootstrap_indices, n, n_models, np.random.default_rng(seed))
    checker.conforms("the index array", got, np.zeros((n_models, n)), dtype="int", context=context)
    checker.require(got.min() >= 0 and got.max() < n,
                    f"the indices should lie in 0..{n - 1} {context}, but they range from {got.min()} to {got.max()}.")
    return got


def _check_statistics(checker, idx, n, context):
    __tracebackhide__ = True
    present = np.zeros(idx.shape, dtype=bool)
    present[np.arange(len(idx))[:, None], idx] = True
    fractions = present[:, :n].mean(axis=1)
    expected = 1 - (1 - 1 / n) ** n
    checker.require(not np.all(fractions == 1.0),
                    f"every sample holds every example exactly once {context}: that is a permutation (drawing "
                    "without replacement). A bootstrap sample draws with replacement, so only about 63.2 % of the "
                    "examples are in it.")
    checker.require(len({row.tobytes() for row in np.sort(idx, axis=1)}) > 1,
                    f"every model got the same bootstrap sample {context}: draw a new sample for each model.")
    checker.require(abs(fractions.mean() - expected) <= DISTINCT_BOUND,
                    f"a sample holds on average {fractions.mean():.3f} of the {n} examples {context}; with "
                    f"replacement it should be 1 - (1 - 1/n)^n = {expected:.3f}.")
    counts = np.bincount(idx.ravel(), minlength=n)
    worst = int(np.argmax(np.abs(counts - idx.size / n)))
    checker.require(np.all(np.abs(counts - idx.size / n) <= COUNT_BOUND),
                    f"index {worst} was drawn {counts[worst]} times in {idx.size} draws {context}, where about "
                    f"{idx.size / n:.0f} were expected: every index should be equally likely"
                    + (" (rng.integers(0, n) already excludes n, so it needs no n - 1)." if worst == n - 1 else "."))


def check_bootstrap_indices(bootstrap_indices, seed=0, cases=((20, 1000), (7, 3), (1, 2))):
    """Indices (n_models, n) drawn with replacement from rng alone, for (n, n_models) in ``cases``; the
    distribution is tested on the case with the most models."""
    __tracebackhide__ = True
    checker = Checker("bootstrap_indices")
    for case, (n, n_models) in enumerate(cases):
        context = f"for n={n}, n_models={n_models}"
        case_seed = 1000 * seed + case
        first = _draw(checker, bootstrap_indices, n, n_models, case_seed, context)
        again = _draw(checker, bootstrap_indices, n, n_models, case_seed, context)
        checker.require(np.array_equal(first, again),
                        f"two generators with the same seed gave different indices {context}: draw them with the "
                        "rng you are given (rng.integers), not with np.random, which uses numpy's global state.")
        if n * n_models >= 20:
            other = _draw(checker, bootstrap_indices, n, n_models, case_seed + 7919, context)
            checker.require(not np.array_equal(first, other),
                            f"generators with different seeds gave the same indices {context}: use the rng you are "
                            "given instead of creating a generator with a fixed seed.")
        if n_models >= 100:
            _check_statistics(checker, first, n, context)
    checker.done()
