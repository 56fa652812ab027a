"""Checks for chapter 01_sgd: the logistic-regression gradient, the minibatch iterator and the SGD loop.

The chapter's other checks live in ``stationary.py`` and ``schedules_averaging.py``. Every check holds the
exercise's whole contract (``core.Checker``): results of the promised type, dtype and shape, every documented
argument passed (also in combination), and a known mistake named only when the whole result equals it.
"""
import math

import numpy as np

from .. import logistic, schedules, training
from ..activations import sigmoid
from ..gradcheck import numerical_gradient
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
    a, y = x @ w + b, y.astype(float)
    pm = 2 * y - 1

    def from_residual(r):
        return x.T @ r / n, np.sum(r) / n

    p = sigmoid(a)
    return [
        ("the sum over the examples: the gradient of the average J has the factor 1/N",
         from_residual(n * (p - y))),
        ("the gradient with its sign flipped: the residual is sigma(a) - y, not y - sigma(a)", from_residual(y - p)),
        ("sigma applied twice: (sigma(sigma(a)) - y); apply the sigmoid once, to the score a = x w + b",
         from_residual(sigmoid(p) - y)),
        ("the formula for labels in {-1, +1}, -y sigma(-y a) x, applied to labels in {0, 1}",
         from_residual(-y * sigmoid(-y * a))),
        ("the {-1, +1} formula -t sigma(-t a) x with t = 2y - 1 but without the minus sign",
         from_residual(pm * sigmoid(-pm * a))),
        ("the gradient of the squared error (sigma(a) - y)^2 / 2, not of the cross-entropy: drop the factor "
         "sigma(a) (1 - sigma(a))", from_residual((p - y) * p * (1 - p))),
        ("(a - y) x / N: the sigmoid is missing (that is the gradient of linear least squares)",
         from_residual(a - y)),
        ("sigma(-a) in place of sigma(a): the sigmoid is 1 / (1 + exp(-a)), so p(y = 1) = sigma(a)",
         from_residual(sigmoid(-a) - y)),
        ("the gradient at b = 0: the score is a = x w + b, do not forget the bias", from_residual(sigmoid(x @ w) - y)),
        ("the gradient divided by D (x.shape[1]) instead of by N (x.shape[0])",
         (x.T @ (p - y) / x.shape[1], np.sum(p - y) / x.shape[1])),
        ("the gradient of log(1 + e^a) + y a: the derivative of -y a is -y, so the residual is sigma(a) - y",
         from_residual(p + y)),
    ]


def _numerical_gradient(w, b, x, y):
    """dJ/dw and dJ/db by central differences of the loss: an oracle independent of the reference gradient."""
    theta = np.append(np.asarray(w, dtype=float), float(b))
    grad = numerical_gradient(lambda t: logistic.logistic_regression_loss(t[:-1], t[-1], x, y), theta, 1e-5)
    return grad[:-1], grad[-1]


def check_logistic_regression_gradient(logistic_regression_gradient, seed=0, shapes=((8, 3), (1, 4), (20, 1))):
    """dJ/dw and dJ/db of the logistic loss against the reference and a numerical gradient, for (N, D) in
    ``shapes`` (labels alternately floats and integers, the bias alternately a float and an int) and for scores
    of size 1000."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("logistic_regression_gradient")
    cases = []
    for index, (n, d) in enumerate(shapes):
        y = _labels(rng, n)
        b = float(rng.standard_normal()) if index % 2 == 0 else int(rng.integers(-2, 3))
        cases.append((rng.standard_normal(d), b, 2.0 * rng.standard_normal((n, d)),
                      y if index % 2 else y.astype(float)))
    cases.append((np.array([2.0, -1.0]), 0.5, np.array([[500.0, 0.0], [-500.0, 0.0], [0.0, 1000.0], [1.0, 2.0]]),
                  np.array([0.0, 1.0, 1.0, 0.0])))
    for w, b, x, y in cases:
        n, d = x.shape
        large = np.abs(x @ w).max() > 100
        context = (f"for N={n}, D={d}, {'integer' if y.dtype.kind == 'i' else 'float'} labels, "
                   + (f"b={b:.3g}" if isinstance(b, float) else f"the integer b={b}")
                   + (" and scores of size 1000" if large else ""))
        saved = (w.copy(), x.copy(), y.copy())
        result = checker.call(logistic_regression_gradient, w, b, x, y)
        for what, before, after in zip(("w", "x", "y"), saved, (w, x, y)):
            unchanged(checker, what, before, after)
        dw, db = checker.unpack(result, ("dw", "db"), context)
        want_dw, want_db = logistic.logistic_regression_gradient(w, b, x, y)
        checker.close_all([("dw", dw, want_dw), ("db", db, want_db)], _logistic_mistakes(w, b, x, y),
                          context=context)
        if not large:      # central differences of a loss of size 1000 would be too coarse to compare
            numerical_dw, numerical_db = _numerical_gradient(w, b, x, y)
            checker.close_all([("dw compared with a numerical gradient", dw, numerical_dw),
                               ("db compared with a numerical gradient", db, numerical_db)],
                              context=context, rtol=1e-5, atol=1e-7)
    checker.done()


# ---------------------------------------------------------------- the minibatch iterator

def _gather(result):
    """The batches of one epoch as a list, as they come (a generator runs here, inside Checker.call, so an
    exception it raises is reported as the student's); a result that cannot be iterated is returned as it is."""
    try:
        iterator = iter(result)
    except TypeError:
        return result
    return list(iterator)


def _epoch(checker, minibatch_indices, *args, **kwargs):
    """One call of the student's function, its batches gathered."""
    __tracebackhide__ = True
    return checker.call(_gather, checker.call(minibatch_indices, *args, **kwargs))


def _state(rng):
    return repr(rng.bit_generator.state)


def _check_one_epoch(checker, batches, n, batch_size, context):
    """The contract of one epoch: a sequence of 1-D integer index arrays, every example exactly once, in batches
    of batch_size (the last one partial). -> the order of the examples."""
    __tracebackhide__ = True
    if not isinstance(batches, list):
        checker.fail(f"should return (or yield) the batches of one epoch {context}, but returned "
                     f"{describe(batches)}. Return a list of index arrays, or yield them one at a time.")
    checker.ok()
    for k, batch in enumerate(batches):
        checker.conforms(f"batch {k}", batch, np.zeros(np.shape(batch)[:1]), dtype="int", context=context)
        checker.require(np.ndim(batch) == 1, f"batch {k} has shape {np.shape(batch)} {context}; every batch should "
                                             "be a 1-D array of indices.")
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


def _check_shuffled(checker, run, n, batch_size, case_seed, context):
    """shuffle=True (the default, and passed explicitly): the order is one rng.permutation(N) per epoch."""
    __tracebackhide__ = True
    rng = np.random.default_rng(case_seed)
    before = _state(rng)
    batches = run(n, batch_size, rng)
    order = _check_one_epoch(checker, batches, n, batch_size, context)
    if n < 4:
        return
    # What rng.permutation gives with this seed, for two epochs: a check is skipped where it would also reject
    # the reference (a random order may, rarely, look unshuffled).
    reference_rng = np.random.default_rng(case_seed)
    want, want_second = (list(training.minibatch_indices(n, batch_size, reference_rng)) for _ in range(2))
    checker.require(not np.array_equal(order, np.arange(n)) or _is_consecutive(want),
                    f"the examples are not shuffled {context}: with shuffle=True every epoch visits them in a new "
                    "random order (rng.permutation(N)).")
    checker.require(not _is_consecutive(batches) or _is_consecutive(want),
                    f"only the order inside each batch is shuffled {context}: the batches are still the consecutive "
                    "chunks 0..b-1, b..2b-1, ...; shuffle all N indices first, then cut.")
    checker.require(_state(rng) != before,
                    f"the generator rng was not used {context}: draw the order with rng.permutation(N). "
                    "np.random.shuffle and np.random.permutation use numpy's global generator, which makes runs "
                    "irreproducible.")
    again = run(n, batch_size, rng=np.random.default_rng(case_seed), shuffle=True)
    checker.require(isinstance(again, list) and len(again) == len(batches)
                    and all(np.array_equal(a, b) for a, b in zip(again, batches)),
                    f"two generators with the same seed gave different batches {context} (the second passed as "
                    "rng=..., shuffle=True): the order must come from rng alone, not from np.random or the clock.")
    second = _check_one_epoch(checker, run(n, batch_size, rng), n, batch_size, context)
    checker.require(not np.array_equal(second, order) or np.array_equal(np.concatenate(want),
                                                                        np.concatenate(want_second)),
                    f"a second epoch with the same rng gave the same order {context}: use the rng you are given "
                    "(do not create a new generator with a fixed seed inside the function).")
    checker.require(np.array_equal(order, np.concatenate(want)),
                    f"your batches are a valid shuffle {context}, but not the one rng.permutation(N) draws. Draw "
                    "the order with one call rng.permutation(N) per epoch, so that your runs reproduce the book's "
                    "(the SGD exercise relies on it).")


def _check_in_order(checker, run, n, batch_size, case_seed, context):
    """shuffle=False, without an rng and with one: the order 0..N-1, and the rng left untouched."""
    __tracebackhide__ = True
    in_order = run(n, batch_size, rng=None, shuffle=False)
    order = _check_one_epoch(checker, in_order, n, batch_size, context + " and shuffle=False")
    checker.require(np.array_equal(order, np.arange(n)),
                    f"with shuffle=False the examples must come in the order 0, 1, ..., N-1 {context}.")
    rng = np.random.default_rng(case_seed)
    before = _state(rng)
    given = run(n, batch_size, rng, False)
    order = _check_one_epoch(checker, given, n, batch_size, context + ", shuffle=False and an rng")
    checker.require(np.array_equal(order, np.arange(n)),
                    f"with shuffle=False and an rng given, the examples must still come in the order 0, 1, ..., "
                    f"N-1 {context}: shuffle decides, not whether rng is None.")
    checker.require(_state(rng) == before,
                    f"with shuffle=False the generator rng was used {context}: draw nothing from it then, so that a "
                    "run without shuffling leaves the generator as it was.")


def check_minibatch_indices(minibatch_indices, seed=0, cases=((10, 3), (12, 4), (7, 7), (5, 8), (1, 1), (100, 32))):
    """One epoch of shuffled minibatches for (N, batch_size) in ``cases``: every example once, the partial last
    batch kept, each batch a 1-D integer array, the order drawn from ``rng`` (as rng.permutation(N) does); and
    shuffle=False in order, with rng None or given (and then not used)."""
    __tracebackhide__ = True
    checker = Checker("minibatch_indices")

    def run(*args, **kwargs):
        __tracebackhide__ = True
        return _epoch(checker, minibatch_indices, *args, **kwargs)
    for case, (n, batch_size) in enumerate(cases):
        context = f"for N={n}, batch_size={batch_size}"
        _check_shuffled(checker, run, n, batch_size, 1000 * seed + case, context)
        _check_in_order(checker, run, n, batch_size, 1000 * seed + case, context)
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
    "restarts s": "the run whose update counter restarts at 0 every epoch: lr(t - 1) counts all updates of the call",
    "epoch": "the run with the learning rate lr(epoch): it should be lr(t - 1), with t - 1 the number of updates "
             "made so far",
    "s + 1": "the run whose first update uses lr(1): the first update uses lr(0), update t uses lr(t - 1)",
    "fixed b": "the run in which b never changes: update the bias too",
    "ignores w0": "the run from w = 0 although w0 was given",
    "ignores b0": "the run from b = 0 although b0 was given",
    "ignores w0 and b0": "the run from w = 0 and b = 0 although w0 and b0 were given",
    "shuffles once": "the run that draws the minibatches once and reuses them every epoch: call "
                     "minibatch_indices(N, batch_size, rng) at the start of every epoch, for a new order",
}


def _first_wrong_row(got, want, per_epoch):
    """'row r, after update t (epoch e, minibatch k)' for the first row of ``got`` that differs from ``want``."""
    error = np.abs(got - want).reshape(len(want), -1).max(axis=1)
    tolerance = 1e-6 * max(np.abs(want).max(), 1.0) + 1e-5 * np.abs(want).reshape(len(want), -1).max(axis=1)
    row = int(np.argmax(error > tolerance))
    if row == 0:
        return "row 0, the starting point"
    epoch, batch = divmod(row - 1, per_epoch)
    return f"row {row}, after update t={row} (epoch {epoch + 1}, minibatch {batch + 1})"


def _trajectory_shape(checker, what, got, want, epochs, context):
    """Explain a trajectory of the wrong shape (after the contract's type and dtype hold)."""
    __tracebackhide__ = True
    if not isinstance(got, np.ndarray) or got.shape == want.shape:
        return
    rows = len(want)
    hint = ""
    if got.shape == want.shape[1:]:
        hint = " Return the whole trajectory (one row per update, plus the start), not only the end point."
    elif got.ndim == want.ndim:
        hint = {rows - 1: " Row 0 must hold the starting point, followed by one row per update.",
                epochs + 1: " That is one row per epoch; there should be one row per update."}.get(len(got), "")
        if not hint and len(got) < rows - 1:
            hint = " Is the last, partial batch of every epoch missing?"
    checker.fail(f"{what} has shape {got.shape}, expected {want.shape} {context}.{hint}")


def _check_trajectories(checker, ws, bs, want_ws, want_bs, mistakes, per_epoch, epochs, context):
    """ws and bs: the contract (float arrays of the reference's shapes), then the values of both together."""
    __tracebackhide__ = True
    for what, got, want in (("ws", ws, want_ws), ("bs", bs, want_bs)):
        if isinstance(got, np.ndarray) and got.dtype.kind == "f":
            _trajectory_shape(checker, what, got, want, epochs, context)
        checker.conforms(what, got, want, context=context)
    if ws.shape[0] > 2 and np.allclose(ws, ws[-1]) and not np.allclose(want_ws, want_ws[-1]):
        checker.fail(f"every row of ws is the same {context}: you append the same array and then change it in "
                     "place (w -= ...). Write w = w - eta * dw, or append a copy.")
    if not np.allclose(ws, want_ws, rtol=1e-5, atol=1e-6) or not np.allclose(bs, want_bs, rtol=1e-5, atol=1e-6):
        wrong = ws if not np.allclose(ws, want_ws, rtol=1e-5, atol=1e-6) else bs
        right = want_ws if wrong is ws else want_bs
        context = f"{context}; the first wrong row is {_first_wrong_row(wrong, right, per_epoch)}"
    checker.close_all([("ws", ws, want_ws), ("bs", bs, want_bs)], mistakes, context=context)


def _schedule_used_as_number(error):
    """Advice when the student's loop, given a schedule lr, failed on arithmetic with a function."""
    if "'function'" not in str(error):
        return ""
    return ("\nHere lr is a learning-rate schedule, a function: update t uses the learning rate lr(t - 1) "
            "(eta = lr(t - 1) if callable(lr) else lr).")


def _number_called(error):
    """Advice when the student's loop called a number given as lr (e.g. an int, not a float)."""
    if "object is not callable" not in str(error):
        return ""
    return ("\nHere lr is a number (perhaps an int, such as 1): test callable(lr) to tell a schedule from a number, "
            "not isinstance(lr, float).")


def _case_arguments(case, rng):
    """The data and arguments of one case, and its description."""
    n, d = case["n"], case["d"]
    x = rng.standard_normal((n, d))
    y = _labels(rng, n)
    y = y if case.get("int_labels") else y.astype(float)
    if np.ndim(case["lr"]) == 0:
        lr, described = case["lr"], f"lr={case['lr']!r}"
    else:
        lr = schedules.inverse_time_decay(*case["lr"][1:])
        described = "lr=inverse_time_decay({}, {})".format(*case["lr"][1:])
    optional = {}
    if case.get("w0"):
        optional["w0"] = rng.standard_normal(d)
    if "b0" in case:
        optional["b0"] = case["b0"]
    context = (f"for N={n}, D={d}, {described}, epochs={case['epochs']}, batch_size={case['batch_size']}"
               + (", integer labels" if case.get("int_labels") else "")
               + (", w0 given" if "w0" in optional else "") + (f", b0={optional['b0']!r}" if "b0" in optional else ""))
    return x, y, lr, optional, context


_SGD_CASES = (
    {"n": 10, "d": 3, "lr": 0.5, "epochs": 2, "batch_size": 3},
    {"n": 8, "d": 2, "lr": ("inverse_time", 0.8, 0.5), "epochs": 3, "batch_size": 4, "w0": True, "b0": 0.3},
    {"n": 6, "d": 4, "lr": 1, "epochs": 2, "batch_size": 6, "b0": -1, "int_labels": True},
    {"n": 5, "d": 2, "lr": 0.3, "epochs": 2, "batch_size": 2, "w0": True})


def check_sgd_logistic_regression(sgd_logistic_regression, seed=0, cases=_SGD_CASES):
    """The whole trajectory of minibatch SGD on logistic regression against the reference, with the same rng.

    A case's "lr" is a number (an int too) or ("inverse_time", eta0, decay); "w0": True passes random starting
    weights as the keyword w0, "b0" passes that keyword (each optional argument also without the other);
    "int_labels": True gives integer labels.
    """
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("sgd_logistic_regression")
    for index, case in enumerate(cases):
        epochs, batch_size = case["epochs"], case["batch_size"]
        x, y, lr, optional, context = _case_arguments(case, rng)
        n = len(x)
        run_seed, per_epoch = 100 * seed + index, math.ceil(n / batch_size)
        saved = [(what, array.copy(), array) for what, array in (("x", x), ("y", y), ("w0", optional.get("w0")))
                 if array is not None]
        student_rng = np.random.default_rng(run_seed)
        before = _state(student_rng)
        hint = _schedule_used_as_number if callable(lr) else _number_called
        result = checker.call(sgd_logistic_regression, x, y, lr, epochs, batch_size, student_rng, **optional,
                              hint=hint)
        for what, before_array, array in saved:
            unchanged(checker, what, before_array, array)
        ws, bs = checker.unpack(result, ("ws", "bs"), context)
        checker.require(_state(student_rng) != before or per_epoch * epochs == 0,
                        f"the generator rng was not used {context}: are the minibatches shuffled? Draw them "
                        "with minibatch_indices(N, batch_size, rng) (np.random makes runs irreproducible).")
        w0, b0 = optional.get("w0"), optional.get("b0", 0.0)
        want_ws, want_bs = logistic.sgd_logistic_regression(x, y, lr, epochs, batch_size,
                                                            np.random.default_rng(run_seed), w0, b0)
        mistakes = [(description, lambda mistake=mistake: _sgd_variant(x, y, lr, epochs, batch_size, run_seed, w0,
                                                                        b0, mistake))
                    for mistake, description in _SGD_MISTAKES.items()]
        _check_trajectories(checker, ws, bs, want_ws, want_bs, mistakes, per_epoch, epochs, context)
    checker.done()
