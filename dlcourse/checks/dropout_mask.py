"""Checks for chapter 07_dropout, exercise 1: the dropout mask, statistically.

Book: chapter 07_dropout. A mask is random, so it is held to its contract (a boolean array of the given shape,
drawn from the given generator only: reproducible, numpy's global state untouched) and to its distribution, with
fixed seeds and bounds that a correct implementation fails with probability below 1e-6 (each bound says how):
the fraction kept, the independence of examples and units (rows, columns, a chi-square test of the number kept
per example) and the fraction ``torch.nn.functional.dropout`` keeps. torch's global random state is left as it was.
"""
import math

import numpy as np

from .core import Checker

__all__ = ["check_dropout_mask"]

SIGMAS = 6.0  # a binomial proportion strays 6 standard deviations from its mean with probability < 2e-9
KEEP_DROP = ("keep/drop swapped: True must mean *keep*, with probability 1 - p (p is torch's drop probability; "
             "cs231n's assignments call the keep probability p)")


def _mask_dtype(checker, mask, p, context):
    """A mask of floats is named: the scaled mask of inverted dropout, or 0.0/1.0."""
    __tracebackhide__ = True
    if isinstance(mask, np.ndarray) and mask.dtype.kind in "fiu" and mask.size:
        values = set(np.unique(mask).tolist())
        if p < 1 and values <= {0.0, 1.0 / (1.0 - p)} and 1.0 / (1.0 - p) in values and p > 0:
            checker.fail(f"the mask holds 0 and 1/(1 - p) = {1 / (1 - p):.4g} {context}: return the boolean mask "
                         "(True keeps the entry); the scaling by 1/(1 - p) belongs in dropout_forward.")
        if values <= {0, 1}:
            checker.fail(f"the mask is an array of 0s and 1s (dtype {mask.dtype}) {context}: return booleans, "
                         "True where the entry is kept, e.g. a comparison such as `rng.random(shape) >= p`.")


def _global_state():
    state = np.random.get_state()
    return state[1].copy(), state[2]


def _same_global_state(before):
    after = _global_state()
    return np.array_equal(before[0], after[0]) and before[1] == after[1]


# chi2.isf(1e-7, df) (scipy.stats; tests/test_checks_dropout.py recomputes them): a correct mask's chi-square
# statistic exceeds CHI2_BOUNDS[df] with probability 1e-7. Written out, so that a check does not import scipy.stats.
CHI2_BOUNDS = {1: 28.37, 2: 32.24, 3: 35.41, 4: 38.24, 5: 40.86}


def _row_counts_fit_binomial(mask, p):
    """Whether the number of kept entries per row of ``mask`` (R, D <= 5) follows Binomial(D, 1 - p): a chi-square
    test whose rare outcomes (expected count < 50) are merged into their neighbours."""
    rows, d = mask.shape
    expected = rows * np.array([math.comb(d, k) * (1.0 - p) ** k * p ** (d - k) for k in range(d + 1)])
    observed = np.bincount(mask.sum(axis=1), minlength=d + 1).astype(float)
    groups, exp_total, obs_total = [], 0.0, 0.0
    for e, o in zip(expected, observed):
        exp_total, obs_total = exp_total + e, obs_total + o
        if exp_total >= 50:
            groups.append((exp_total, obs_total))
            exp_total, obs_total = 0.0, 0.0
    if groups and exp_total:
        last_e, last_o = groups.pop()
        groups.append((last_e + exp_total, last_o + obs_total))
    statistic = sum((o - e) ** 2 / e for e, o in groups)
    return len(groups) < 2 or statistic <= CHI2_BOUNDS[len(groups) - 1]


def _statistics(checker, dropout_mask, p, seed):
    """The fraction of kept entries, the independence of examples and units, and torch's kept fraction."""
    __tracebackhide__ = True
    shape = (2000, 100)
    mask = checker.call(dropout_mask, shape, p, np.random.default_rng(seed))
    checker.conforms("the mask", mask, np.zeros(shape), dtype="bool", context=f"for shape {shape}, p={p}")
    n, context = mask.size, f"for shape {shape} and p={p}"
    if (mask == mask[:1]).all():
        checker.fail(f"every row (example) of the mask is the same {context}: one mask for the whole batch. Every "
                     "example needs its own mask: draw one entry per example and unit, an array of the full shape.")
    if (mask == mask[:, :1]).all():
        checker.fail(f"each row of the mask is all True or all False {context}: one mask entry per example. Draw one "
                     "entry per example and unit, an array of the full shape.")
    checker.ok()
    kept = mask.mean()
    bound = SIGMAS * np.sqrt(p * (1 - p) / n)
    if abs(kept - (1 - p)) > bound:
        hint = f" Your result has {KEEP_DROP}." if abs(kept - p) <= bound else ""
        checker.fail(f"the mask keeps a fraction {kept:.4f} of the entries {context}; expected 1 - p = {1 - p:g} "
                     f"(a correct mask lies within {bound:.4f} of it).{hint}")
    checker.ok()
    small = checker.call(dropout_mask, (40000, 5), p, np.random.default_rng(seed + 1))
    checker.conforms("the mask", small, np.zeros((40000, 5)), dtype="bool", context=f"for shape (40000, 5), p={p}")
    if np.ptp(small.sum(axis=1)) == 0:
        checker.fail(f"every example keeps exactly {int(small[0].sum())} of its 5 units (shape (40000, 5), p={p}): "
                     "the same number of units kept in every example. Each unit must be kept independently, with "
                     "probability 1 - p, so the number kept varies from example to example.")
    checker.require(_row_counts_fit_binomial(small, p),
                    f"the number of kept units per example does not follow a Binomial(5, 1 - p) distribution "
                    f"(shape (40000, 5), p={p}): the entries are not kept independently of each other.")
    import torch
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        theirs = (torch.nn.functional.dropout(torch.ones(shape, dtype=torch.float64), p) != 0).numpy().mean()
    two_sample = SIGMAS * np.sqrt(2 * p * (1 - p) / n)
    checker.require(abs(kept - theirs) <= two_sample,
                    f"your mask keeps a fraction {kept:.4f} of the entries {context}, torch.nn.functional.dropout "
                    f"keeps {theirs:.4f}; they should agree within {two_sample:.4f}.")


def check_dropout_mask(dropout_mask, seed=0, ps=(0.2, 0.7), shapes=((3, 4), (2, 3, 5), (7,))):
    """Exercise 1: a boolean array of ``shape``, True with probability 1 - p, independently for every entry,
    drawn from ``rng`` only (reproducible, numpy's global state untouched)."""
    __tracebackhide__ = True
    checker = Checker("dropout_mask")
    for p in tuple(ps) + (0.0, 1.0):
        for shape in shapes:
            context = f"for shape {shape} and p={p}"
            before = _global_state()
            mask = checker.call(dropout_mask, shape, p, np.random.default_rng(seed))
            if not _same_global_state(before):
                checker.fail(f"the function changed numpy's global random state {context}: it uses numpy's global "
                             "random state (np.random.rand, np.random.random, ...). Draw from the generator you "
                             "are given, e.g. rng.random(shape).")
            _mask_dtype(checker, mask, p, context)
            checker.conforms("the mask", mask, np.zeros(shape), dtype="bool", context=context)
            again = checker.call(dropout_mask, shape, p, np.random.default_rng(seed))
            checker.require(np.array_equal(mask, again),
                            f"two generators with the same seed gave different masks {context}: draw from the rng "
                            "you are given, not from a new generator (np.random.default_rng()) or np.random.")
            if p in (0.0, 1.0):
                checker.require(bool(np.all(mask == (p == 0.0))),
                                f"with p={p} every entry should be {p == 0.0} ("
                                + ("nothing is dropped)." if p == 0 else "everything is dropped)."))
        if 0 < p < 1:
            big = (50, 40)
            masks = [checker.call(dropout_mask, big, p, np.random.default_rng(s)) for s in (seed, seed + 1)]
            checker.require(not np.array_equal(*masks),
                            f"generators with different seeds gave the same mask (shape {big}, p={p}): the function "
                            "ignores rng (a generator with a fixed seed inside?). Draw from the rng you are given.")
            _statistics(checker, dropout_mask, p, seed)
    checker.done()
