"""Checks for chapter 01_sgd: the logistic-regression gradient, the minibatch iterator and the SGD loop.

The chapter's other checks live in ``stationary.py`` and ``schedules_averaging.py``.
"""
import math

import numpy as np

from .. import logistic, schedules, training
from ..activations import sigmoid
from .core import Checker, describe, unchanged

__all__ = ["check_logistic_regression_gradient", "check_minibatch_indices", "check_sgd_logistic_regression"]


# ---------------------------------------------------------------- the logistic-regression gradient

def _labels(rng, n):
    """n labels in {0, 1} with both classes present when n >= 2 (so that every known mistake shows)."""
    y = rng.integers(0, 2, size=n)
    if n >= 2:
        y[:2] = [0, 1]
        rng.shuffle(y)
    return y


def _logistic_mistakes(w, b, x, y):
    """(description, (dw, db)) of the usual mistakes in the gradient of the logistic loss."""
    n = x.shape[0]
    s, y = x @ w + b, y.astype(float)
    pm = 2 * y - 1

    def from_residual(r):
        return x.T @ r / n, np.sum(r) / n

    p = sigmoid(s)
    return [
        ("the sum over the examples: the gradient of the average J has the factor 1/N",
         from_residual(n * (p - y))),
        ("the gradient with its sign flipped: the residual is sigma(s) - y, not y - sigma(s)", from_residual(y - p)),
        ("sigma applied twice: (sigma(sigma(s)) - y); apply the sigmoid once, to the score s = x w + b",
         from_residual(sigmoid(p) - y)),
        ("the formula for labels in {-1, +1}, -y sigma(-y s) x, applied to labels in {0, 1}",
         from_residual(-y * sigmoid(-y * s))),
        ("the {-1, +1} formula -t sigma(-t s) x with t = 2y - 1 but without the minus sign",
         from_residual(pm * sigmoid(-pm * s))),
        ("the gradient of the squared error (sigma(s) - y)^2 / 2, not of the cross-entropy: drop the factor "
         "sigma(s) (1 - sigma(s))", from_residual((p - y) * p * (1 - p))),
        ("(s - y) x / N: the sigmoid is missing (that is the gradient of linear least squares)",
         from_residual(s - y)),
        ("sigma(-s) in place of sigma(s): the sigmoid is 1 / (1 + exp(-s)), so p(y = 1) = sigma(s)",
         from_residual(sigmoid(-s) - y)),
        ("the gradient at b = 0: the score is s = x w + b, do not forget the bias", from_residual(sigmoid(x @ w) - y)),
        ("the gradient divided by D (x.shape[1]) instead of by N (x.shape[0])",
         (x.T @ (p - y) / x.shape[1], np.sum(p - y) / x.shape[1])),
    ]


def _torch_gradient(w, b, x, y):
    """dJ/dw and dJ/db from torch autograd in float64 (imported here: importing torch takes seconds)."""
    import torch

    w_t = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    b_t = torch.tensor(float(b), dtype=torch.float64, requires_grad=True)
    scores = torch.tensor(x, dtype=torch.float64) @ w_t + b_t
    loss = torch.nn.functional.binary_cross_entropy_with_logits(scores, torch.tensor(y, dtype=torch.float64))
    loss.backward()
    return w_t.grad.numpy(), b_t.grad.item()


def check_logistic_regression_gradient(logistic_regression_gradient, seed=0, shapes=((8, 3), (1, 4), (20, 1))):
    """dJ/dw and dJ/db of the logistic loss against the reference and torch autograd (float64), for (N, D) in
    ``shapes`` and for scores of size 1000."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("logistic_regression_gradient")
    cases = []
    for index, (n, d) in enumerate(shapes):
        y = _labels(rng, n)
        cases.append((rng.standard_normal(d), float(rng.standard_normal()), 2.0 * rng.standard_normal((n, d)),
                      y if index % 2 else y.astype(float)))
    cases.append((np.array([2.0, -1.0]), 0.5, np.array([[500.0, 0.0], [-500.0, 0.0], [0.0, 1000.0], [1.0, 2.0]]),
                  np.array([0.0, 1.0, 1.0, 0.0])))
    for w, b, x, y in cases:
        n, d = x.shape
        context = f"for N={n}, D={d}" + (" with scores of size 1000" if np.abs(x @ w).max() > 100 else "")
        saved = (w.copy(), x.copy(), y.copy())
        result = checker.call(logistic_regression_gradient, w, b, x, y)
        for what, before, after in zip(("w", "x", "y"), saved, (w, x, y)):
            unchanged(checker, what, before, after)
        checker.require(isinstance(result, (tuple, list)) and len(result) == 2,
                        f"should return a tuple (dw, db), but returned {describe(result)}.")
        dw, db = result
        checker.require(np.ndim(db) == 0, f"db should be a single number {context}, but it is "
                                          f"{describe(db)}: dJ/db is the average of sigma(s_n) - y_n.")
        want_dw, want_db = logistic.logistic_regression_gradient(w, b, x, y)
        mistakes = _logistic_mistakes(w, b, x, y)
        checker.close("dw", dw, want_dw, [(what, value[0]) for what, value in mistakes], context=context)
        checker.close("db", db, want_db, [(what, value[1]) for what, value in mistakes], context=context)
        torch_dw, torch_db = _torch_gradient(w, b, x, y)
        checker.close("dw compared with torch autograd", dw, torch_dw, context=context)
        checker.close("db compared with torch autograd", db, torch_db, context=context)
    checker.done()


# ---------------------------------------------------------------- the minibatch iterator

def _collect(minibatch_indices):
    """The student's function, its batches gathered into a list (a generator runs inside Checker.call)."""
    def run(*args, **kwargs):
        result = minibatch_indices(*args, **kwargs)
        return None if result is None else [np.asarray(batch) for batch in result]
    return run


def _state(rng):
    return repr(rng.bit_generator.state)


def _check_one_epoch(checker, batches, n, batch_size, context):
    """Every example exactly once, in batches of batch_size (the last one partial)."""
    __tracebackhide__ = True
    checker.require(batches is not None, f"returned None {context}. Did you forget to return or yield the batches?")
    checker.require(all(np.issubdtype(batch.dtype, np.integer) and batch.ndim == 1 for batch in batches),
                    f"every batch should be a 1-D array of integer indices {context}, got "
                    f"{[str(batch.dtype) + str(batch.shape) for batch in batches][:3]}.")
    sizes = [len(batch) for batch in batches]
    order = np.concatenate(batches) if batches else np.zeros(0, dtype=int)
    remainder = n % batch_size
    if len(order) == n - remainder and remainder and all(size == batch_size for size in sizes):
        left = f"{remainder} example" + ("s" if remainder > 1 else "")
        checker.fail(f"the last, partial batch is missing {context}: the {left} left over after the full batches "
                     "must form a last, smaller batch (every example is used once per epoch).")
    checker.require(np.all((order >= 0) & (order < n)), f"some indices are outside 0..N-1 {context}.")
    distinct = len(np.unique(order))
    checker.require(len(order) == n and distinct == n,
                    f"the batches hold {len(order)} indices of which {distinct} are distinct {context}; every "
                    f"example should appear exactly once per epoch. Draw one permutation (without replacement), "
                    f"not random indices with replacement.")
    want = [batch_size] * (n // batch_size) + ([remainder] if remainder else [])
    balanced = [len(part) for part in np.array_split(np.arange(n), len(sizes))] if sizes else None
    hint = (" np.array_split balances the sizes; cut consecutive chunks of batch_size instead."
            if sizes == balanced else "")
    checker.require(sizes == want, f"the batch sizes are {sizes} {context}, expected {want}: every batch has "
                    f"batch_size examples except the last, which has the remainder.{hint}")
    return order


def _is_consecutive(batches):
    """Whether the batches (more than one) are the chunks 0..b-1, b..2b-1, ... in some order inside each."""
    starts = np.cumsum([0] + [len(batch) for batch in batches])
    return len(batches) > 1 and all(np.array_equal(np.sort(batch), np.arange(start, start + len(batch)))
                                    for batch, start in zip(batches, starts))


def check_minibatch_indices(minibatch_indices, seed=0, cases=((10, 3), (12, 4), (7, 7), (5, 8), (1, 1), (100, 32))):
    """One epoch of shuffled minibatches for (N, batch_size) in ``cases``: every example once, the partial last
    batch kept, the order drawn from ``rng`` (as rng.permutation(N) does), and shuffle=False in order."""
    __tracebackhide__ = True
    run = _collect(minibatch_indices)
    checker = Checker("minibatch_indices")
    for case, (n, batch_size) in enumerate(cases):
        context = f"for N={n}, batch_size={batch_size}"
        case_seed = 1000 * seed + case
        rng = np.random.default_rng(case_seed)
        before = _state(rng)
        batches = checker.call(run, n, batch_size, rng)
        order = _check_one_epoch(checker, batches, n, batch_size, context)
        if n >= 4:
            # What rng.permutation gives with this seed, for two epochs: a check is skipped where it would also
            # reject the reference (a random order may, rarely, look unshuffled).
            reference_rng = np.random.default_rng(case_seed)
            want, want_second = (list(training.minibatch_indices(n, batch_size, reference_rng)) for _ in range(2))
            checker.require(not np.array_equal(order, np.arange(n)) or _is_consecutive(want),
                            f"the examples are not shuffled {context}: with shuffle=True every epoch visits "
                            "them in a new random order (rng.permutation(N)).")
            checker.require(not _is_consecutive(batches) or _is_consecutive(want),
                            f"only the order inside each batch is shuffled {context}: the batches are still the "
                            "consecutive chunks 0..b-1, b..2b-1, ...; shuffle all N indices first, then cut.")
            checker.require(_state(rng) != before,
                            f"the generator rng was not used {context}: draw the order with rng.permutation(N). "
                            "np.random.shuffle and np.random.permutation use numpy's global generator, which "
                            "makes runs irreproducible.")
            again = checker.call(run, n, batch_size, np.random.default_rng(case_seed))
            checker.require(again is not None and len(again) == len(batches)
                            and all(np.array_equal(a, b) for a, b in zip(again, batches)),
                            f"two generators with the same seed gave different batches {context}: the order "
                            "must come from rng alone, not from np.random or the clock.")
            second = _check_one_epoch(checker, checker.call(run, n, batch_size, rng), n, batch_size, context)
            checker.require(not np.array_equal(second, order) or np.array_equal(np.concatenate(want),
                                                                                np.concatenate(want_second)),
                            f"a second epoch with the same rng gave the same order {context}: use the rng you "
                            "are given (do not create a new generator with a fixed seed inside the function).")
            checker.require(np.array_equal(order, np.concatenate(want)),
                            f"your batches are a valid shuffle {context}, but not the one rng.permutation(N) "
                            "draws. Draw the order with one call rng.permutation(N) per epoch, so that your runs "
                            "reproduce the book's (the SGD exercise relies on it).")
        in_order = checker.call(run, n, batch_size, rng=None, shuffle=False)
        order = _check_one_epoch(checker, in_order, n, batch_size, context + " and shuffle=False")
        checker.require(np.array_equal(order, np.arange(n)),
                        f"with shuffle=False the examples must come in the order 0, 1, ..., N-1 {context}.")
    checker.done()


# ---------------------------------------------------------------- the SGD loop

def _sgd_variant(x, y, lr, epochs, batch_size, seed, w0, b0, mistake):
    """The SGD loop with one known mistake, to recognise it in a student's result: -> (ws, bs)."""
    rng = np.random.default_rng(seed)
    n, d = x.shape
    w = np.zeros(d) if w0 is None or mistake in ("ignores w0", "ignores w0 and b0") else np.array(w0, dtype=float)
    b = 0.0 if mistake in ("ignores b0", "ignores w0 and b0") else float(b0)
    ws, bs, step = [w], [b], 0
    first_epoch = list(training.minibatch_indices(n, batch_size, rng)) if mistake == "shuffles once" else None
    for epoch in range(epochs):
        if mistake == "restarts s":
            step = 0
        batches = first_epoch or training.minibatch_indices(n, batch_size, rng, shuffle=mistake != "no shuffle")
        for batch in batches:
            rows = np.arange(n) if mistake == "full gradient" else batch
            dw, db = logistic.logistic_regression_gradient(w, b, x[rows], y[rows])
            scale = {"sums": len(batch), "over N": len(batch) / n, "ascent": -1.0}.get(mistake, 1.0)
            s = {"epoch": epoch, "s + 1": step + 1}.get(mistake, step)
            eta = lr(s) if callable(lr) else lr
            w = w - eta * scale * dw
            b = b - eta * scale * db if mistake != "fixed b" else b
            ws.append(w)
            bs.append(b)
            step += 1
    return np.array(ws), np.array(bs)


_SGD_MISTAKES = {
    "no shuffle": "the run without shuffling: draw each epoch's minibatches with minibatch_indices(N, batch_size, "
                  "rng)",
    "full gradient": "the run where every update uses the gradient of the whole training set, not the minibatch's",
    "ascent": "gradient ascent: subtract eta times the gradient",
    "sums": "the run with the minibatch gradient summed over the batch: J_B is the mean over the batch",
    "over N": "the run with the minibatch gradient divided by N instead of by the batch size",
    "restarts s": "the run whose step counter s restarts at 0 every epoch: s counts all updates of the call",
    "epoch": "the run with the learning rate lr(epoch): it should be lr(s) with s the number of updates so far",
    "s + 1": "the run whose first update uses lr(1): s counts from 0, so the first update uses lr(0)",
    "fixed b": "the run in which b never changes: update the bias too",
    "ignores w0": "the run from w = 0 although w0 was given",
    "ignores b0": "the run from b = 0 although b0 was given",
    "ignores w0 and b0": "the run from w = 0 and b = 0 although w0 and b0 were given",
    "shuffles once": "the run that draws the minibatches once and reuses them every epoch: call "
                     "minibatch_indices(N, batch_size, rng) at the start of every epoch, for a new order",
}


def _first_wrong_row(got, want, per_epoch):
    """'after update s (epoch e, minibatch k)' for the first row of ``got`` that differs from ``want``."""
    error = np.abs(got - want).reshape(len(want), -1).max(axis=1)
    tolerance = 1e-6 * max(np.abs(want).max(), 1.0) + 1e-5 * np.abs(want).reshape(len(want), -1).max(axis=1)
    row = int(np.argmax(error > tolerance))
    if row == 0:
        return "row 0, the starting point"
    epoch, batch = divmod(row - 1, per_epoch)
    return f"row {row}, after update s={row - 1} (epoch {epoch + 1}, minibatch {batch + 1})"


def _as_float_array(value):
    """``value`` as a float array, or None when it is None or not an array of numbers (Checker.close says so)."""
    try:
        return None if value is None else np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None


def _check_trajectory(checker, what, got, want, variants, per_epoch, epochs, context):
    __tracebackhide__ = True
    got_array = _as_float_array(got)
    rows = len(want)
    if got_array is not None and got_array.shape != want.shape and got_array.ndim >= 1:
        n_rows = got_array.shape[0]
        hint = {rows - 1: " Row 0 must hold the starting point, followed by one row per update.",
                epochs + 1: " That is one row per epoch; there should be one row per update."}.get(n_rows, "")
        if got_array.shape == want.shape[1:]:
            hint = " Return the whole trajectory (one row per update, plus the start), not only the end point."
        elif n_rows < rows - 1:
            hint = hint or " Is the last, partial batch of every epoch missing?"
        checker.fail(f"{what} has shape {got_array.shape}, expected {want.shape} {context}.{hint}")
    if got_array is not None and got_array.shape == want.shape and rows > 2 and np.allclose(got_array, got_array[-1]):
        if not np.allclose(want, want[-1]):
            checker.fail(f"every row of {what} is the same {context}: you append the same array and then change "
                         "it in place (w -= ...). Write w = w - eta * dw, or append a copy.")
    if got_array is not None and got_array.shape == want.shape and not np.allclose(got_array, want, rtol=1e-5,
                                                                                   atol=1e-6):
        context = f"{context}; the first wrong row is {_first_wrong_row(got_array, want, per_epoch)}"
    checker.close(what, got, want, variants, context=context)


def _schedule_used_as_number(error):
    """Advice when the student's loop, given a schedule lr, failed on arithmetic with a function."""
    if "'function'" not in str(error):
        return ""
    return ("\nHere lr is a learning-rate schedule, a function: the learning rate of update s is lr(s) "
            "(eta = lr(s) if callable(lr) else lr).")


def check_sgd_logistic_regression(sgd_logistic_regression, seed=0, cases=(
        {"n": 10, "d": 3, "lr": 0.5, "epochs": 2, "batch_size": 3},
        {"n": 8, "d": 2, "lr": ("inverse_time", 0.8, 0.5), "epochs": 3, "batch_size": 4, "w0": True, "b0": 0.3},
        {"n": 6, "d": 4, "lr": 0.1, "epochs": 1, "batch_size": 6})):
    """The whole trajectory of minibatch SGD on logistic regression against the reference, with the same rng.

    A case's "lr" is a number or ("inverse_time", eta0, decay); "w0": True starts from random weights.
    """
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("sgd_logistic_regression")
    for index, case in enumerate(cases):
        n, d, epochs, batch_size = case["n"], case["d"], case["epochs"], case["batch_size"]
        x, y = rng.standard_normal((n, d)), _labels(rng, n).astype(float)
        w0 = rng.standard_normal(d) if case.get("w0") else None
        b0 = case.get("b0", 0.0)
        if np.ndim(case["lr"]) == 0:
            lr, described = case["lr"], f"lr={case['lr']}"
        else:
            lr = schedules.inverse_time_decay(*case["lr"][1:])
            described = "lr=inverse_time_decay({}, {})".format(*case["lr"][1:])
        run_seed, per_epoch = 100 * seed + index, math.ceil(n / batch_size)
        context = (f"for N={n}, D={d}, {described}, epochs={epochs}, batch_size={batch_size}"
                   + (", w0 given" if w0 is not None else "") + (f", b0={b0}" if b0 else ""))
        saved = [(what, array.copy(), array) for what, array in (("x", x), ("y", y), ("w0", w0)) if array is not None]
        student_rng = np.random.default_rng(run_seed)
        before = _state(student_rng)
        result = checker.call(sgd_logistic_regression, x, y, lr, epochs, batch_size, student_rng, w0, b0,
                              hint=_schedule_used_as_number if callable(lr) else None)
        for what, before_array, array in saved:
            unchanged(checker, what, before_array, array)
        checker.require(isinstance(result, (tuple, list)) and len(result) == 2,
                        f"should return a tuple (ws, bs), but returned {describe(result)}.")
        checker.require(_state(student_rng) != before or per_epoch * epochs == 0,
                        f"the generator rng was not used {context}: are the minibatches shuffled? Draw them "
                        "with minibatch_indices(N, batch_size, rng) (np.random makes runs irreproducible).")
        want_ws, want_bs = logistic.sgd_logistic_regression(x, y, lr, epochs, batch_size,
                                                            np.random.default_rng(run_seed), w0, b0)

        def variants(part):
            return [(description, lambda mistake=mistake: _sgd_variant(x, y, lr, epochs, batch_size, run_seed, w0,
                                                                        b0, mistake)[part])
                    for mistake, description in _SGD_MISTAKES.items()]
        _check_trajectory(checker, "ws", result[0], want_ws, variants(0), per_epoch, epochs, context)
        _check_trajectory(checker, "bs", result[1], want_bs, variants(1), per_epoch, epochs, context)
    checker.done()
