"""The checks of chapter 01_sgd: the reference and correct alternatives pass quietly, the usual mistakes fail
with a message that names them, and an unfinished stub propagates NotImplementedError.

Variants (correct alternatives) and mutants (the mistakes students make) are data: (exercise, description,
function[, a distinctive part of the failure message]).
"""
import math

import numpy as np
import pytest

import check_cases
from dlcourse import averaging, checks, logistic, schedules, surfaces, training
from dlcourse.activations import sigmoid

POLYAK = ("uniform_average", "exponential_average")
# exercise -> (the check that tests it, the exercises that check takes, in order)
CHECKS = {
    "logistic_regression_gradient": (checks.check_logistic_regression_gradient, ("logistic_regression_gradient",)),
    "minibatch_indices": (checks.check_minibatch_indices, ("minibatch_indices",)),
    "sgd_logistic_regression": (checks.check_sgd_logistic_regression, ("sgd_logistic_regression",)),
    "classify_stationary_point": (checks.check_classify_stationary_point, ("classify_stationary_point",)),
    "inverse_time_decay": (checks.check_inverse_time_decay, ("inverse_time_decay",)),
    "uniform_average": (checks.check_polyak_averages, POLYAK),
    "exponential_average": (checks.check_polyak_averages, POLYAK),
}
REFERENCE = {
    "logistic_regression_gradient": logistic.logistic_regression_gradient,
    "minibatch_indices": training.minibatch_indices,
    "sgd_logistic_regression": logistic.sgd_logistic_regression,
    "classify_stationary_point": surfaces.classify_stationary_point,
    "inverse_time_decay": schedules.inverse_time_decay,
    "uniform_average": averaging.uniform_average,
    "exponential_average": averaging.exponential_average,
}
POLYAK_EDGES = {"seed": 5, "shapes": ((1,), (7, 1), (3, 4), (2, 1, 3)), "decays": (0.0, 0.99, 0.7)}
# Arguments like the notebook's hidden tests: another seed and edge cases.
EDGES = {
    "logistic_regression_gradient": {"seed": 5, "shapes": ((1, 1), (30, 5), (2, 7))},
    "minibatch_indices": {"seed": 5, "cases": ((9, 2), (4, 1), (3, 5), (64, 64), (1000, 128))},
    "sgd_logistic_regression": {"seed": 5, "cases": (
        {"n": 7, "d": 2, "lr": ("inverse_time", 1.0, 0.3), "epochs": 3, "batch_size": 2},
        {"n": 5, "d": 3, "lr": 0.2, "epochs": 2, "batch_size": 1, "w0": True, "b0": -0.5},
        {"n": 4, "d": 1, "lr": 2.0, "epochs": 2, "batch_size": 10})},
    "classify_stationary_point": {"seed": 5, "n_random": 12},
    "inverse_time_decay": {"cases": ((2.0, 1e-3), (0.1, 0.5), (1e-4, 10.0)), "steps": (0, 3, 7, 50, 20000)},
    **dict.fromkeys(POLYAK, POLYAK_EDGES),
}
SETTINGS = ("default", "seed 3", "edge cases")   # the visible test, another seed, the hidden test


def outcome(exercise, student, setting):
    """Run the check of ``exercise`` on ``student`` (the reference for the other functions that check takes),
    with warnings turned into errors, in the given setting. -> the exception it raised, or None."""
    check = CHECKS[exercise][0]
    if setting == "edge cases":
        options = EDGES[exercise]
    elif setting.startswith("seed") and "seed" in check.__code__.co_varnames:
        options = {"seed": int(setting.split()[1])}
    else:
        options = {}
    return check_cases.outcome(check_cases.run_check, CHECKS, REFERENCE, exercise, student, **options)


# ---------------------------------------------------------------- correct alternative implementations

def gradient_loops(w, b, x, y):
    """One example at a time, with math.exp in the numerically safe form."""
    n = len(x)
    dw, db = np.zeros(len(w)), 0.0
    for x_n, y_n in zip(x, y):
        s = float(x_n @ w + b)
        p = 1 / (1 + math.exp(-s)) if s >= 0 else math.exp(s) / (1 + math.exp(s))
        dw += (p - y_n) * x_n / n
        db += (p - y_n) / n
    return dw, db


def gradient_plus_minus(w, b, x, y):
    """The {-1, +1} form -t sigma(-t s) with t = 2y - 1: the same gradient."""
    t = 2 * np.asarray(y, dtype=float) - 1
    r = -t * sigmoid(-t * (x @ w + b))
    return np.einsum("n,nd->d", r, x) / len(x), r.mean()


def gradient_float32(w, b, x, y):
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    r = sigmoid(x32 @ w32 + np.float32(b)) - np.asarray(y, dtype=np.float32)
    return r @ x32 / np.float32(len(x)), np.float32(r.mean())


def batches_list(n, batch_size, rng=None, shuffle=True):
    """A list instead of a generator, the order shuffled in place."""
    order = np.arange(n)
    if shuffle:
        rng.shuffle(order)
    return [order[i * batch_size:(i + 1) * batch_size] for i in range(math.ceil(n / batch_size))]


def batches_split(n, batch_size, rng=None, shuffle=True):
    order = rng.permutation(n) if shuffle else np.arange(n)
    yield from np.split(order, np.arange(batch_size, n, batch_size))


def sgd_preallocated(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    """Arrays filled row by row; the parameters as one vector theta = (w, b)."""
    n, d = x.shape
    steps = epochs * math.ceil(n / batch_size)
    thetas = np.zeros((steps + 1, d + 1))
    thetas[0, :d] = 0.0 if w0 is None else w0
    thetas[0, d] = b0
    s = 0
    for _ in range(epochs):
        for batch in training.minibatch_indices(n, batch_size, rng):
            dw, db = gradient_loops(thetas[s, :d], thetas[s, d], x[batch], y[batch])
            eta = lr(s) if callable(lr) else lr
            thetas[s + 1] = thetas[s] - eta * np.append(dw, db)
            s += 1
    return thetas[:, :d], thetas[:, d]


def sgd_float32_copies(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    """In-place updates on float32 parameters, a copy appended after every step."""
    w = np.zeros(x.shape[1], dtype=np.float32) if w0 is None else np.array(w0, dtype=np.float32)
    b = np.float32(b0)
    ws, bs, s = [w.copy()], [b], 0
    for _ in range(epochs):
        for batch in training.minibatch_indices(len(x), batch_size, rng):
            dw, db = gradient_float32(w, b, x[batch], y[batch])
            w -= np.float32(lr(s) if callable(lr) else lr) * dw
            b = b - np.float32(lr(s) if callable(lr) else lr) * db
            ws.append(w.copy())
            bs.append(b)
            s += 1
    return np.array(ws), np.array(bs)


def classify_min_max(hessian, tol=1e-8):
    eigenvalues = np.linalg.eigvals(hessian).real
    low, high = eigenvalues.min(), eigenvalues.max()
    if low > tol:
        return "minimum"
    if high < -tol:
        return "maximum"
    return "saddle" if low < -tol and high > tol else "degenerate"


def classify_counts(hessian, tol=1e-8):
    eigenvalues = np.linalg.eigh(np.asarray(hessian))[0]
    n_pos, n_neg = int(np.sum(eigenvalues > tol)), int(np.sum(eigenvalues < -tol))
    return {(len(eigenvalues), 0): "minimum", (0, len(eigenvalues)): "maximum"}.get(
        (n_pos, n_neg), "saddle" if n_pos and n_neg else "degenerate")


class InverseTimeDecay:
    """A callable object instead of a closure."""

    def __init__(self, eta0, decay):
        self.eta0, self.decay = eta0, decay

    def __call__(self, s):
        return self.eta0 / (1.0 + self.decay * s)


def inverse_time_decay_def(eta0, decay):
    def schedule(s):
        return float(eta0) * (1.0 + float(decay) * float(s)) ** -1
    return schedule


def uniform_running(iterates):
    """The running update avg_t = avg_{t-1} + (w_t - avg_{t-1}) / t, as a training loop does it."""
    out, avg = [], None
    for t, w in enumerate(iterates, start=1):
        avg = w if t == 1 else averaging.uniform_average_update(avg, w, t)
        out.append(avg)
    return np.array(out)


def uniform_float32(iterates):
    iterates = np.asarray(iterates, dtype=np.float32)
    return np.cumsum(iterates, axis=0) / np.arange(1, len(iterates) + 1, dtype=np.float32).reshape(
        (-1,) + (1,) * (iterates.ndim - 1))


def exponential_closed_form(iterates, decay):
    """avg_t = decay^(t-1) w_1 + sum_{k=2..t} (1 - decay) decay^(t-k) w_k, row by row."""
    out = []
    for t in range(1, len(iterates) + 1):
        weights = np.array([decay ** (t - 1)] + [(1 - decay) * decay ** (t - k) for k in range(2, t + 1)])
        out.append(np.tensordot(weights, iterates[:t], axes=1))
    return np.array(out)


def exponential_ema_update(iterates, decay):
    out = [iterates[0]]
    for w in iterates[1:]:
        out.append(decay * out[-1] + (1 - decay) * w)
    return np.array(out)


VARIANTS = [
    ("logistic_regression_gradient", "loops with math.exp", gradient_loops),
    ("logistic_regression_gradient", "{-1, +1} labels via t = 2y - 1, einsum", gradient_plus_minus),
    ("logistic_regression_gradient", "float32", gradient_float32),
    ("minibatch_indices", "list, rng.shuffle", batches_list),
    ("minibatch_indices", "np.split of rng.permutation", batches_split),
    ("sgd_logistic_regression", "preallocated theta = (w, b)", sgd_preallocated),
    ("sgd_logistic_regression", "float32 in place with copies", sgd_float32_copies),
    ("classify_stationary_point", "eigvals, smallest and largest", classify_min_max),
    ("classify_stationary_point", "counts of signs with eigh", classify_counts),
    ("inverse_time_decay", "callable object", InverseTimeDecay),
    ("inverse_time_decay", "nested def with floats", inverse_time_decay_def),
    ("inverse_time_decay", "lambda", lambda eta0, decay: lambda s: eta0 / (1 + decay * s)),
    ("uniform_average", "running update", uniform_running),
    ("uniform_average", "float32 cumsum", uniform_float32),
    ("exponential_average", "closed form", exponential_closed_form),
    ("exponential_average", "loop over rows", exponential_ema_update),
]


CORRECT = [(exercise, "the reference", REFERENCE[exercise]) for exercise in CHECKS] + VARIANTS


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("exercise, description, student", CORRECT, ids=[f"{e}: {d}" for e, d, _ in CORRECT])
def test_correct_implementation_passes_quietly(exercise, description, student, setting, capsys):
    """No error, nothing on stderr, and exactly one 'name: N checks passed' line per function the check takes."""
    check_cases.assert_passed_quietly(outcome(exercise, student, setting), capsys, CHECKS[exercise][1])


# ---------------------------------------------------------------- the mistakes students make

def gradient_from_residual(residual):
    """A logistic gradient X^T r / N whose residual r(p, y, s) carries the mistake."""
    def student(w, b, x, y):
        s = x @ w + b
        r = residual(sigmoid(s), np.asarray(y, dtype=float), s)
        return x.T @ r / len(x), float(np.mean(r))
    return student


def gradient_no_bias(w, b, x, y):
    r = sigmoid(x @ w) - y
    return x.T @ r / len(x), float(np.mean(r))


def gradient_over_d(w, b, x, y):
    r = sigmoid(x @ w + b) - y
    return x.T @ r / x.shape[1], float(np.sum(r) / x.shape[1])


def gradient_edits_x(w, b, x, y):
    x[...] = 0.0
    return logistic.logistic_regression_gradient(w, b, x, y)


def batches_wrong(order=lambda n, rng: rng.permutation(n), keep_last=True, respect_shuffle=True):
    """A minibatch iterator with one mistake: how it orders the examples, or whether it keeps the last batch."""
    def student(n, batch_size, rng=None, shuffle=True):
        idx = order(n, rng) if shuffle or not respect_shuffle else np.arange(n)
        for stop in range(batch_size, n + batch_size, batch_size):
            if keep_last or stop <= n:
                yield idx[stop - batch_size:min(stop, n)]
    return student


def batches_shuffled_inside(n, batch_size, rng=None, shuffle=True):
    """Consecutive chunks, each shuffled inside."""
    for start in range(0, n, batch_size):
        chunk = np.arange(start, min(start + batch_size, n))
        yield rng.permutation(chunk) if shuffle else chunk


def sgd_wrong(shuffle=True, rows="batch", factor=lambda b, n: 1.0, counter="update", update_b=True,
              start="w0", keep_last=True):
    """Minibatch SGD written with one mistake: how it batches, which gradient it takes, how it counts steps."""
    def student(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
        n, d = x.shape
        w = np.zeros(d) if w0 is None or start.startswith("zeros") else np.array(w0, dtype=float)
        b = 0.0 if start.endswith("b0 = 0") else b0
        path_w, path_b, updates = [w], [b], 0
        for epoch in range(epochs):
            updates = 0 if counter == "per epoch" else updates
            for batch in training.minibatch_indices(n, batch_size, rng, shuffle=shuffle):
                if keep_last or len(batch) == batch_size:
                    used = np.arange(n) if rows == "all" else batch
                    dw, db = logistic.logistic_regression_gradient(w, b, x[used], y[used])
                    s = {"epoch": epoch, "plus one": updates + 1}.get(counter, updates)
                    eta = (lr(s) if callable(lr) else lr) * factor(len(batch), n)
                    w, b = w - eta * dw, (b - eta * db if update_b else b)
                    path_w.append(w)
                    path_b.append(b)
                    updates += 1
        return np.array(path_w), np.array(path_b)
    return student


def sgd_shuffles_once(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    """The minibatches drawn once, before the epoch loop, and reused every epoch."""
    w, b, s = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float), b0, 0
    ws, bs = [w], [b]
    batches = list(training.minibatch_indices(len(x), batch_size, rng))
    for _ in range(epochs):
        for batch in batches:
            dw, db = logistic.logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = lr(s) if callable(lr) else lr
            w, b = w - eta * dw, b - eta * db
            ws.append(w)
            bs.append(b)
            s += 1
    return np.array(ws), np.array(bs)


def sgd_lr_not_called(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    """lr used as a number even when it is a schedule."""
    w, b = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float), b0
    ws, bs = [w], [b]
    for _ in range(epochs):
        for batch in training.minibatch_indices(len(x), batch_size, rng):
            dw, db = logistic.logistic_regression_gradient(w, b, x[batch], y[batch])
            w, b = w - lr * dw, b - lr * db
            ws.append(w)
            bs.append(b)
    return np.array(ws), np.array(bs)


def sgd_in_place(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    """w -= eta dw on the array that was appended: every row is the same array."""
    w, b, s = np.zeros(x.shape[1]), b0, 0
    ws, bs = [w], [b]
    for _ in range(epochs):
        for batch in training.minibatch_indices(len(x), batch_size, rng):
            dw, db = logistic.logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = lr(s) if callable(lr) else lr
            w -= eta * dw
            b -= eta * db
            ws.append(w)
            bs.append(b)
            s += 1
    return np.array(ws), np.array(bs)


def sgd_mapped(fn):
    """The reference trajectory passed through fn(ws, bs) -> (ws, bs)."""
    return lambda x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0: fn(
        *logistic.sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0, b0))


def sgd_global_random(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    return logistic.sgd_logistic_regression(x, y, lr, epochs, batch_size,
                                            np.random.default_rng(np.random.randint(1 << 30)), w0, b0)


def classify_determinant(hessian, tol=1e-8):
    det = np.linalg.det(hessian)
    return "minimum" if det > 0 else ("saddle" if det < 0 else "degenerate")


def classify_determinant_and_trace(hessian, tol=1e-8):
    """The 2x2 test: det < 0 a saddle, otherwise the sign of the trace."""
    det = np.linalg.det(hessian)
    if abs(det) <= tol:
        return "degenerate"
    return "saddle" if det < 0 else ("minimum" if np.trace(hessian) > 0 else "maximum")


def classify_zero_before_saddle(hessian, tol=1e-8):
    eigenvalues = np.linalg.eigvalsh(hessian)
    if np.all(eigenvalues > tol):
        return "minimum"
    if np.all(eigenvalues < -tol):
        return "maximum"
    return "degenerate" if np.any(np.abs(eigenvalues) <= tol) else "saddle"


def classify_swapped(hessian, tol=1e-8):
    answer = surfaces.classify_stationary_point(hessian, tol)
    return {"minimum": "maximum", "maximum": "minimum"}.get(answer, answer)


def classify_no_degenerate(hessian, tol=1e-8):
    eigenvalues = np.linalg.eigvalsh(hessian)
    if eigenvalues.min() < -tol and eigenvalues.max() > tol:
        return "saddle"
    return "minimum" if eigenvalues.min() >= 0 else "maximum"


def classify_against_zero(hessian, tol=1e-8):
    return surfaces.classify_stationary_point(hessian, tol=0.0)


def classify_diagonal(hessian, tol=1e-8):
    return surfaces.classify_stationary_point(np.diag(np.diag(hessian)), tol)


def stateful_schedule(eta0, decay):
    calls = iter(range(10 ** 9))
    return lambda s: eta0 / (1 + decay * next(calls))


def ema(start, old_weight, correct=False):
    """An exponential average with one mistake: where it starts, how it weighs, whether it corrects bias."""
    def student(iterates, decay):
        avg, out = (np.zeros_like(iterates[0]) if start == "zero" else iterates[0]), []
        for t, w in enumerate(iterates, start=1):
            if not (start == "first" and t == 1):
                avg = old_weight(decay) * avg + (1 - old_weight(decay)) * w
            out.append(avg / (1 - decay ** t) if correct else avg)
        return np.array(out)
    return student


MUTANTS = [
    ("logistic_regression_gradient", "no 1/N", gradient_from_residual(lambda p, y, s: len(y) * (p - y)),
     "the sum over the examples"),
    ("logistic_regression_gradient", "sign flipped", gradient_from_residual(lambda p, y, s: y - p),
     "sign flipped"),
    ("logistic_regression_gradient", "sigmoid twice", gradient_from_residual(lambda p, y, s: sigmoid(p) - y),
     "sigma applied twice"),
    ("logistic_regression_gradient", "{-1, +1} formula on {0, 1} labels",
     gradient_from_residual(lambda p, y, s: -y * sigmoid(-y * s)), "labels in {-1, +1}"),
    ("logistic_regression_gradient", "squared error", gradient_from_residual(lambda p, y, s: (p - y) * p * (1 - p)),
     "squared error"),
    ("logistic_regression_gradient", "no sigmoid", gradient_from_residual(lambda p, y, s: s - y),
     "the sigmoid is missing"),
    ("logistic_regression_gradient", "sigma(-s)", gradient_from_residual(lambda p, y, s: sigmoid(-s) - y),
     "sigma(-s) in place of sigma(s)"),
    ("logistic_regression_gradient", "no bias in the score", gradient_no_bias, "do not forget the bias"),
    ("logistic_regression_gradient", "divided by D", gradient_over_d, "divided by D (x.shape[1])"),
    ("logistic_regression_gradient", "returns dw only", lambda w, b, x, y: logistic.logistic_regression_gradient(
        w, b, x, y)[0], "should return a tuple (dw, db)"),
    ("logistic_regression_gradient", "db as an array", lambda w, b, x, y: (
        logistic.logistic_regression_gradient(w, b, x, y)[0],
        np.atleast_1d(logistic.logistic_regression_gradient(w, b, x, y)[1])), "db should be a single number"),
    ("logistic_regression_gradient", "edits x", gradient_edits_x, "changed its input x"),
    ("minibatch_indices", "drops the partial batch", batches_wrong(keep_last=False), "the last, partial batch"),
    ("minibatch_indices", "no shuffle", batches_wrong(order=lambda n, rng: np.arange(n)), "not shuffled"),
    ("minibatch_indices", "global np.random", batches_wrong(order=lambda n, rng: np.random.permutation(n)),
     "rng was not used"),
    ("minibatch_indices", "with replacement", batches_wrong(order=lambda n, rng: rng.integers(0, n, size=n)),
     "exactly once per epoch"),
    ("minibatch_indices", "a new permutation per batch",
     lambda n, batch_size, rng=None, shuffle=True: (rng.permutation(n)[:min(batch_size, n - i)]
                                                    for i in range(0, n, batch_size)), "exactly once per epoch"),
    ("minibatch_indices", "np.array_split", lambda n, batch_size, rng=None, shuffle=True: np.array_split(
        rng.permutation(n) if shuffle else np.arange(n), math.ceil(n / batch_size)), "np.array_split"),
    ("minibatch_indices", "np.array_split into n // batch_size parts",
     lambda n, batch_size, rng=None, shuffle=True: np.array_split(rng.permutation(n) if shuffle else np.arange(n),
                                                                  max(n // batch_size, 1)),
     "np.array_split balances the sizes"),
    ("minibatch_indices", "shuffles inside batches only", batches_shuffled_inside,
     "only the order inside each batch"),
    ("minibatch_indices", "own generator with a fixed seed",
     batches_wrong(order=lambda n, rng: np.random.default_rng(0).permutation(n)), "rng was not used"),
    ("minibatch_indices", "rng.choice without replacement",
     batches_wrong(order=lambda n, rng: rng.choice(n, size=n, replace=False)), "not the one rng.permutation(N)"),
    ("minibatch_indices", "ignores shuffle=False", batches_wrong(respect_shuffle=False),
     "raised AttributeError"),
    ("minibatch_indices", "returns None", lambda n, batch_size, rng=None, shuffle=True: None, "returned None"),
    ("sgd_logistic_regression", "no shuffle", sgd_wrong(shuffle=False), "are the minibatches shuffled?"),
    ("sgd_logistic_regression", "full gradient", sgd_wrong(rows="all"), "the whole training set"),
    ("sgd_logistic_regression", "gradient ascent", sgd_wrong(factor=lambda b, n: -1.0), "gradient ascent"),
    ("sgd_logistic_regression", "summed minibatch gradient", sgd_wrong(factor=lambda b, n: b), "summed over the batch"),
    ("sgd_logistic_regression", "divided by N", sgd_wrong(factor=lambda b, n: b / n),
     "divided by N instead of by the batch size"),
    ("sgd_logistic_regression", "s restarts every epoch", sgd_wrong(counter="per epoch"), "restarts at 0 every epoch"),
    ("sgd_logistic_regression", "lr(epoch)", sgd_wrong(counter="epoch"), "lr(epoch)"),
    ("sgd_logistic_regression", "lr(s + 1)", sgd_wrong(counter="plus one"), "first update uses lr(1)"),
    ("sgd_logistic_regression", "bias never updated", sgd_wrong(update_b=False), "b never changes"),
    ("sgd_logistic_regression", "ignores w0", sgd_wrong(start="zeros"), "from w = 0 although w0 was given"),
    ("sgd_logistic_regression", "ignores b0", sgd_wrong(start="b0 = 0"), "from b = 0 although b0 was given"),
    ("sgd_logistic_regression", "ignores w0 and b0", sgd_wrong(start="zeros and b0 = 0"),
     "although w0 and b0 were given"),
    ("sgd_logistic_regression", "shuffles once", sgd_shuffles_once, "draws the minibatches once and reuses them"),
    ("sgd_logistic_regression", "lr not called when it is a schedule", sgd_lr_not_called,
     "Here lr is a learning-rate schedule"),
    ("sgd_logistic_regression", "drops the partial batch", sgd_wrong(keep_last=False), "partial batch"),
    ("sgd_logistic_regression", "appends an array it then changes in place", sgd_in_place, "in place"),
    ("sgd_logistic_regression", "no starting row", sgd_mapped(lambda ws, bs: (ws[1:], bs[1:])),
     "Row 0 must hold the starting point"),
    ("sgd_logistic_regression", "returns the end point only", sgd_mapped(lambda ws, bs: (ws[-1], bs[-1])),
     "not only the end point"),
    ("sgd_logistic_regression", "global np.random", sgd_global_random, "rng was not used"),
    ("classify_stationary_point", "determinant only", classify_determinant, "the determinant alone"),
    ("classify_stationary_point", "minimum and maximum swapped", classify_swapped, "swapped"),
    ("classify_stationary_point", "no degenerate case", classify_no_degenerate, "the degenerate case is ignored"),
    ("classify_stationary_point", "compares with 0, not tol", classify_against_zero, "instead of with tol"),
    ("classify_stationary_point", "signs of the diagonal", classify_diagonal, "the diagonal entries"),
    ("classify_stationary_point", "the 2x2 test with det and trace", classify_determinant_and_trace,
     "the two-dimensional test"),
    ("classify_stationary_point", "ignores tol", lambda hessian, tol=1e-8: surfaces.classify_stationary_point(hessian),
     "with tol ignored"),
    ("classify_stationary_point", "zero eigenvalue tested before the saddle", classify_zero_before_saddle,
     "a zero eigenvalue before the saddle"),
    ("classify_stationary_point", "returns a bool", lambda hessian, tol=1e-8: bool(np.all(hessian > 0)),
     "should return one of the strings"),
    ("inverse_time_decay", "off by one in s", lambda eta0, decay: lambda s: eta0 / (1 + decay * (s + 1)),
     "one step later"),
    ("inverse_time_decay", "eta0 decay s", lambda eta0, decay: lambda s: eta0 * decay * s,
     "the learning rate is eta0 divided by"),
    ("inverse_time_decay", "eta0 inside the bracket", lambda eta0, decay: lambda s: eta0 / (1 + eta0 * decay * s),
     "the decay multiplies s alone"),
    ("inverse_time_decay", "exponential", lambda eta0, decay: lambda s: eta0 / (1 + decay) ** s,
     "an exponential decay"),
    ("inverse_time_decay", "brackets missing", lambda eta0, decay: lambda s: eta0 / 1 + decay * s,
     "the brackets are missing"),
    ("inverse_time_decay", "counts calls instead of using s", stateful_schedule, "without a counter inside"),
    ("inverse_time_decay", "returns a number", lambda eta0, decay: eta0, "should return a function"),
    ("uniform_average", "divides by t + 1", lambda w: np.cumsum(w, axis=0) / np.arange(2, len(w) + 2).reshape(
        (-1,) + (1,) * (w.ndim - 1)), "an extra zero iterate"),
    ("uniform_average", "divides by t counted from 0", lambda w: np.cumsum(w, axis=0) / np.arange(len(w)).reshape(
        (-1,) + (1,) * (w.ndim - 1)), "did you divide by t = 0?"),
    ("uniform_average", "running sum", lambda w: np.cumsum(w, axis=0), "the running sum"),
    ("uniform_average", "mean of all rows", lambda w: np.broadcast_to(w.mean(axis=0), w.shape).copy(),
     "the average of all T iterates"),
    ("uniform_average", "final average only", lambda w: w.mean(axis=0), "not only the final average"),
    ("exponential_average", "starts from 0", ema("zero", lambda d: d), "started from 0"),
    ("exponential_average", "decay swapped", ema("first", lambda d: 1 - d), "swapped"),
    ("exponential_average", "bias-corrected from 0", ema("zero", lambda d: d, correct=True), "bias-corrected"),
    ("exponential_average", "one step behind", lambda w, decay: np.concatenate(
        [w[:1], averaging.exponential_average(w, decay)[:-1]]), "one step behind"),
]


@pytest.mark.parametrize("setting", ("default", "edge cases"))
@pytest.mark.parametrize("exercise, description, student, message", MUTANTS,
                         ids=[f"{e}: {d}" for e, d, *_ in MUTANTS])
def test_mistake_fails_with_its_name(exercise, description, student, message, setting, capsys):
    check_cases.assert_failed_naming(outcome(exercise, student, setting), capsys, exercise, description, message)


def unfinished(*args, **kwargs):
    """The stub a student starts from."""
    raise NotImplementedError()


@pytest.mark.parametrize("exercise", list(CHECKS))
def test_unfinished_stub_raises_not_implemented(exercise, capsys):
    error = outcome(exercise, unfinished, "default")
    assert isinstance(error, NotImplementedError)
    assert str(error).startswith(f"{exercise} is not implemented yet: replace `raise NotImplementedError()`")
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------- the reference module against torch autograd

@pytest.mark.parametrize("seed", range(3))
def test_logistic_reference_matches_torch(seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((15, 4)), rng.integers(0, 2, 15).astype(float)
    w, b = rng.standard_normal(4), float(rng.standard_normal())
    theta = torch.tensor(np.append(w, b), dtype=torch.float64, requires_grad=True)
    scores = torch.tensor(x) @ theta[:4] + theta[4]
    loss = torch.nn.functional.binary_cross_entropy_with_logits(scores, torch.tensor(y))
    hessian = torch.autograd.functional.hessian(
        lambda t: torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(x) @ t[:4] + t[4],
                                                                       torch.tensor(y)), theta.detach())
    loss.backward()
    dw, db = logistic.logistic_regression_gradient(w, b, x, y)
    assert logistic.logistic_regression_loss(w, b, x, y) == pytest.approx(loss.item(), rel=1e-13)
    np.testing.assert_allclose(np.append(dw, db), theta.grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(logistic.logistic_regression_hessian(w, b, x), hessian.numpy(), rtol=1e-12,
                               atol=1e-15)


def test_sgd_epochs_compose_and_inputs_stay():
    """Two calls of one epoch sharing rng (warm-started) equal one call of two epochs; x, y, w0 unchanged."""
    rng = np.random.default_rng(0)
    x, y, w0 = rng.standard_normal((11, 3)), rng.integers(0, 2, 11).astype(float), rng.standard_normal(3)
    saved = (x.copy(), y.copy(), w0.copy())
    ws, bs = logistic.sgd_logistic_regression(x, y, 0.3, 2, 4, np.random.default_rng(1), w0, 0.2)
    shared = np.random.default_rng(1)
    ws1, bs1 = logistic.sgd_logistic_regression(x, y, 0.3, 1, 4, shared, w0, 0.2)
    ws2, bs2 = logistic.sgd_logistic_regression(x, y, 0.3, 1, 4, shared, ws1[-1], bs1[-1])
    assert ws.shape == (7, 3) and bs.shape == (7,)
    np.testing.assert_array_equal(ws, np.concatenate([ws1, ws2[1:]]))
    np.testing.assert_array_equal(bs, np.concatenate([bs1, bs2[1:]]))
    for before, after in zip(saved, (x, y, w0)):
        np.testing.assert_array_equal(before, after)
