"""Checks for chapter 01_sgd: the logistic-regression gradient, the minibatch iterator, the SGD loop,
the classification of stationary points, the inverse-time learning-rate schedule and Polyak averaging.
"""
import math

import numpy as np

from .. import averaging, logistic, schedules, surfaces, training
from ..activations import sigmoid
from .core import Checker, describe, unchanged

__all__ = ["check_logistic_regression_gradient", "check_minibatch_indices", "check_sgd_logistic_regression",
           "check_classify_stationary_point", "check_inverse_time_decay", "check_polyak_averages"]


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
    balanced = [len(part) for part in np.array_split(np.arange(n), len(want))]
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
    w = np.zeros(d) if w0 is None or mistake == "ignores w0" else np.array(w0, dtype=float)
    b = float(b0)
    ws, bs, step = [w], [b], 0
    for epoch in range(epochs):
        if mistake == "restarts s":
            step = 0
        for batch in training.minibatch_indices(n, batch_size, rng, shuffle=mistake != "no shuffle"):
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
        lr = case["lr"] if np.ndim(case["lr"]) == 0 else schedules.inverse_time_decay(*case["lr"][1:])
        run_seed = 100 * seed + index
        described = f"lr={case['lr']}" if np.ndim(case["lr"]) == 0 else "lr=inverse_time_decay({}, {})".format(
            *case["lr"][1:])
        context = (f"for N={n}, D={d}, {described}, epochs={epochs}, batch_size={batch_size}"
                   + (", w0 given" if w0 is not None else "") + (f", b0={b0}" if b0 else ""))
        saved = [(what, array.copy(), array) for what, array in (("x", x), ("y", y), ("w0", w0)) if array is not None]
        student_rng = np.random.default_rng(run_seed)
        before = _state(student_rng)
        result = checker.call(sgd_logistic_regression, x, y, lr, epochs, batch_size, student_rng, w0, b0)
        for what, before_array, array in saved:
            unchanged(checker, what, before_array, array)
        checker.require(isinstance(result, (tuple, list)) and len(result) == 2,
                        f"should return a tuple (ws, bs), but returned {describe(result)}.")
        checker.require(_state(student_rng) != before or math.ceil(n / batch_size) * epochs == 0,
                        f"the generator rng was not used {context}: are the minibatches shuffled? Draw them "
                        "with minibatch_indices(N, batch_size, rng) (np.random makes runs irreproducible).")
        want_ws, want_bs = logistic.sgd_logistic_regression(x, y, lr, epochs, batch_size,
                                                            np.random.default_rng(run_seed), w0, b0)
        per_epoch = math.ceil(n / batch_size)

        def variants(part):
            return [(description, lambda mistake=mistake: _sgd_variant(x, y, lr, epochs, batch_size, run_seed, w0,
                                                                        b0, mistake)[part])
                    for mistake, description in _SGD_MISTAKES.items()]
        _check_trajectory(checker, "ws", result[0], want_ws, variants(0), per_epoch, epochs, context)
        _check_trajectory(checker, "bs", result[1], want_bs, variants(1), per_epoch, epochs, context)
    checker.done()


# ---------------------------------------------------------------- stationary points

def _eigenvalues(hessian):
    return np.linalg.eigvalsh(hessian)


def _by_signs(positive, negative):
    if positive.any() and negative.any():
        return "saddle"
    if positive.all():
        return "minimum"
    if negative.all():
        return "maximum"
    return "degenerate"


def _determinant_only(hessian, tol):
    det = np.linalg.det(hessian)
    return "minimum" if det > tol else ("saddle" if det < -tol else "degenerate")


def _swapped(hessian, tol):
    answer = surfaces.classify_stationary_point(hessian, tol)
    return {"minimum": "maximum", "maximum": "minimum"}.get(answer, answer)


def _no_degenerate(hessian, tol):
    ev = _eigenvalues(hessian)
    if (ev > tol).any() and (ev < -tol).any():
        return "saddle"
    return "minimum" if (ev >= -tol).all() else "maximum"


_HESSIAN_MISTAKES = [
    ("what the determinant alone says: det > 0 for a minimum and for a maximum alike (the product of the "
     "eigenvalues hides their signs); look at the sign of every eigenvalue", _determinant_only),
    ("the answer with minimum and maximum swapped: all eigenvalues positive means the function curves upwards "
     "in every direction, a minimum", _swapped),
    ("the answer when the degenerate case is ignored: an eigenvalue within tol of 0 means second-order "
     "information cannot decide, so the answer is 'degenerate'", _no_degenerate),
    ("the answer from comparing the eigenvalues with 0 instead of with tol (round-off then decides)",
     lambda hessian, tol: _by_signs(_eigenvalues(hessian) > 0, _eigenvalues(hessian) < 0)),
    ("the answer from the signs of the diagonal entries: the off-diagonal entries matter, use the eigenvalues",
     lambda hessian, tol: _by_signs(np.diag(hessian) > tol, np.diag(hessian) < -tol)),
]


def _rotated(rng, eigenvalues):
    """Q diag(eigenvalues) Q^T with a random orthogonal Q: a symmetric matrix with these eigenvalues."""
    q, _ = np.linalg.qr(rng.standard_normal((len(eigenvalues), len(eigenvalues))))
    hessian = q @ np.diag(eigenvalues) @ q.T
    return (hessian + hessian.T) / 2


def check_classify_stationary_point(classify_stationary_point, seed=0, n_random=6):
    """Minima, maxima, saddles and degenerate points from Hessians of size 1 to 4, diagonal and rotated, with the
    default tol and with a large one."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    cases = [(np.array([[2.0]]), None), (np.array([[-3.0]]), None), (np.array([[0.0]]), None),
             (np.diag([1.0, 3.0]), None), (np.diag([-1.0, -2.0]), None), (np.diag([1.0, -1.0]), None),
             (np.array([[1.0, 2.0], [2.0, 1.0]]), None), (np.array([[-1.0, 2.0], [2.0, -1.0]]), None),
             (np.array([[2.0, 1.0], [1.0, 2.0]]), None), (np.diag([2.0, 0.0]), None), (np.diag([0.0, -1.0]), None),
             (np.diag([1.0, 1e-12]), None), (np.diag([-1.0, -2.0, 3.0]), None), (np.diag([1.0, 0.3]), 0.5),
             (np.diag([-1.0, 0.3]), 0.5), (np.diag([-1.0, 0.3]), 0.1)]
    for _ in range(n_random):
        dim = int(rng.integers(2, 5))
        signs = rng.choice([-1.0, 1.0, 0.0], size=dim, p=[0.45, 0.45, 0.1])
        cases.append((_rotated(rng, signs * rng.uniform(0.5, 3.0, size=dim)), None))
    checker = Checker("classify_stationary_point")
    answers = []
    for hessian, tol in cases:
        saved = hessian.copy()
        args = (hessian,) if tol is None else (hessian, tol)
        answers.append(checker.call(classify_stationary_point, *args))
        unchanged(checker, "hessian", saved, hessian)
    for (hessian, tol), got in zip(cases, answers):
        tol_used = 1e-8 if tol is None else tol
        want = surfaces.classify_stationary_point(hessian, tol_used)
        checker.require(isinstance(got, str) and got in ("minimum", "maximum", "saddle", "degenerate"),
                        f"should return one of the strings 'minimum', 'maximum', 'saddle', 'degenerate', but "
                        f"returned {got!r}.")
        if got != want:
            eigenvalues = ", ".join(f"{v:.3g}" for v in _eigenvalues(hessian))
            message = (f"for a {len(hessian)}x{len(hessian)} Hessian with eigenvalues {eigenvalues} "
                       f"(tol={tol_used:g}) the answer is {want!r}, but you returned {got!r}.")
            consistent = [description for description, mistake in _HESSIAN_MISTAKES
                          if all(mistake(h, 1e-8 if t is None else t) == a for (h, t), a in zip(cases, answers))]
            single = [description for description, mistake in _HESSIAN_MISTAKES if mistake(hessian, tol_used) == got]
            if consistent or single:
                message += f" Your answer equals {(consistent or single)[0]}."
            checker.fail(message)
        checker.ok()
    checker.done()


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
                ("eta0 / (decay s): the 1 + is missing", eta0 / (decay * s) if decay * s else math.inf)],
                context=context)
    checker.done()


# ---------------------------------------------------------------- Polyak averaging

def _uniform_mistakes(iterates):
    t = np.arange(1, len(iterates) + 1).reshape((-1,) + (1,) * (iterates.ndim - 1))
    total = np.cumsum(iterates, axis=0)
    previous = np.concatenate([iterates[:1], (total[:-1] / t[:-1])], axis=0)
    return [
        ("the average with an extra zero iterate at the start (dividing the sum of w_1..w_t by t + 1): the "
         "average starts from the first iterate", total / (t + 1)),
        ("the running sum, not divided by t", total),
        ("the average of all T iterates in every row: row t averages w_1..w_t only",
         np.broadcast_to(iterates.mean(axis=0), iterates.shape)),
        ("the average of w_1..w_{t-1}, one step behind: row t includes w_t", previous),
    ]


def _exponential_mistakes(iterates, decay):
    def run(start, old, new, correct=False):
        avg, out = start, []
        for t, w in enumerate(iterates, start=1):
            avg = old * avg + new * w
            out.append(avg / (1 - decay ** t) if correct else avg)
        return np.array(out)

    zero = np.zeros_like(iterates[0])
    lagged = np.concatenate([iterates[:1], run(iterates[0], decay, 1 - decay)[:-1]], axis=0)
    return [
        ("the average started from 0 instead of from the first iterate (avg_1 must be w_1)",
         run(zero, decay, 1 - decay)),
        ("the average with decay and 1 - decay swapped: the old average gets the weight decay",
         averaging.exponential_average(iterates, 1 - decay)),
        ("Adam's bias-corrected average started from 0; here avg_1 = w_1 and there is no correction",
         run(zero, decay, 1 - decay, correct=True)),
        ("the average one step behind: row t must include w_t", lagged),
    ]


def _check_average(checker, what, got, want, mistakes, context):
    __tracebackhide__ = True
    if got is not None and np.shape(got) == want.shape[1:]:
        checker.fail(f"{what} has shape {np.shape(got)}, expected {want.shape} {context}: return one row per "
                     "step t (the running average), not only the final average.")
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
