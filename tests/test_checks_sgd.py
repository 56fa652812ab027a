"""The checks of chapter 01_sgd, beyond its catalogue of mistakes and variants (tests/grading/library/01_sgd.py):
the references pass quietly, an unfinished stub propagates NotImplementedError, a function that calls its own
reference fails at once (the grader's rule), a result that shares only part of a known mistake is not given its
name, and tolerances hold at every scale. The references agree with torch autograd: tests/test_sgd_torch.py.
"""
import numpy as np
import pytest

import check_cases
from dlcourse import averaging, checks, logistic, schedules, surfaces, training

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


def outcome(exercise, student, **options):
    """Run the check of ``exercise`` on ``student`` (warnings turned into errors). -> the exception, or None."""
    return check_cases.outcome(check_cases.run_check, CHECKS, REFERENCE, exercise, student, **options)


# ---------------------------------------------------------------- the references and the stubs

@pytest.mark.parametrize("exercise", list(CHECKS))
def test_the_reference_passes_quietly(exercise, capsys):
    check_cases.assert_passed_quietly(outcome(exercise, REFERENCE[exercise]), capsys, CHECKS[exercise][1])


def unfinished(*args, **kwargs):
    """The stub a student starts from."""
    raise NotImplementedError()


@pytest.mark.parametrize("exercise", list(CHECKS))
def test_unfinished_stub_raises_not_implemented(exercise, capsys):
    error = outcome(exercise, unfinished)
    assert isinstance(error, NotImplementedError)
    assert str(error).startswith(f"{exercise} is not implemented yet: replace `raise NotImplementedError()`")
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------- the reference-call rule (Checker.call)

def calling_the_reference(exercise):
    """A student function that hands its work to the reference of its own exercise, as a student might."""
    reference = REFERENCE[exercise]
    module = {"logistic": logistic, "training": training, "surfaces": surfaces, "schedules": schedules,
              "averaging": averaging}[reference.__module__.split(".")[-1]]

    def student(*args, **kwargs):
        return getattr(module, exercise)(*args, **kwargs)
    student.__name__ = exercise
    return student


@pytest.mark.parametrize("exercise", list(CHECKS))
def test_a_function_calling_its_own_reference_fails_at_once(exercise, capsys):
    """What the grader gives 0 points fails in the notebook too, with the grader's rule and words."""
    error = outcome(exercise, calling_the_reference(exercise))
    assert isinstance(error, AssertionError), error
    assert f"calls dlcourse.{REFERENCE[exercise].__module__.split('.')[-1]}.{exercise}" in str(error)
    assert "the reference implementation of the function you are asked to write" in str(error)
    assert capsys.readouterr().err == ""


def test_sgd_may_call_the_references_of_the_other_exercises(capsys):
    """The rule is the grader's: only the exercise's own reference is refused (the others are recorded there)."""
    def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
        w, b, ws, bs = (np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)), float(b0), [], []
        ws.append(w)
        bs.append(b)
        for _ in range(epochs):
            for batch in training.minibatch_indices(len(x), batch_size, rng):
                dw, db = logistic.logistic_regression_gradient(w, b, x[batch], y[batch])
                eta = lr(len(ws) - 1) if callable(lr) else lr
                w, b = w - eta * dw, b - eta * db
                ws.append(w)
                bs.append(b)
        return np.array(ws), np.array(bs)
    check_cases.assert_passed_quietly(outcome("sgd_logistic_regression", sgd_logistic_regression), capsys,
                                      ("sgd_logistic_regression",))


# ---------------------------------------------------------------- a mistake is named only when it is that mistake

# Student code of its own (a function that called its exercise's reference would be refused for that reason).

def gradient(w, b, x, y):
    with np.errstate(over="ignore"):          # exp(1000) overflows to inf and 1 / (1 + inf) is the right 0
        residual = 1 / (1 + np.exp(-(x @ w + b))) - y
    return x.T @ residual / len(x), float(np.mean(residual))


def gradient_dw_summed_db_right(w, b, x, y):
    """dw has the "no 1/N" mistake, db is right: one field shared with a named mistake."""
    dw, db = gradient(w, b, x, y)
    return dw * len(x), db


def gradient_dw_right_db_flipped(w, b, x, y):
    dw, db = gradient(w, b, x, y)
    return dw, -db


def sgd_run(x, y, lr, epochs, batch_size, rng, w0, b0, shuffle=True):
    w, b, step = (np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)), float(b0), 0
    ws, bs = [w], [b]
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size] if shuffle else np.arange(start, min(start + batch_size, len(x)))
            dw, db = gradient(w, b, x[batch], y[batch])
            eta = lr(step) if callable(lr) else lr
            w, b, step = w - eta * dw, b - eta * db, step + 1
            ws.append(w)
            bs.append(b)
    return np.array(ws), np.array(bs)


def sgd_ws_unshuffled_bs_right(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    """ws of the run without shuffling (a named mistake), bs of the right run."""
    state = rng.bit_generator.state
    _, bs = sgd_run(x, y, lr, epochs, batch_size, rng, w0, b0)
    rng.bit_generator.state = state
    ws, _ = sgd_run(x, y, lr, epochs, batch_size, rng, w0, b0, shuffle=False)
    return ws, bs


def schedule_late_then_right(eta0, decay):
    """The "one step later" mistake for the first five updates, right afterwards."""
    return lambda k: eta0 / (1 + decay * (k + 1)) if k < 5 else eta0 / (1 + decay * k)


def classify(hessian, tol=1e-8):
    eigenvalues = np.linalg.eigvalsh(hessian)
    if np.all(eigenvalues > tol):
        return "minimum"
    if np.all(eigenvalues < -tol):
        return "maximum"
    return "saddle" if np.any(eigenvalues > tol) and np.any(eigenvalues < -tol) else "degenerate"


def classify_determinant_in_2d_only(hessian, tol=1e-8):
    """The determinant test on 2x2 Hessians (the same answers as a named mistake there), right elsewhere."""
    if len(hessian) == 2:
        det = np.linalg.det(hessian)
        return "minimum" if det > tol else ("saddle" if det < -tol else "degenerate")
    return classify(hessian, tol)


def uniform(iterates):
    iterates = np.asarray(iterates, dtype=float)
    return np.cumsum(iterates, axis=0) / np.arange(1, len(iterates) + 1).reshape((-1,) + (1,) * (iterates.ndim - 1))


def ema(iterates, decay):
    out = [np.asarray(iterates[0], dtype=float)]
    for theta in iterates[1:]:
        out.append(decay * out[-1] + (1 - decay) * theta)
    return np.array(out)


def uniform_sum_in_the_first_rows(iterates):
    """The running sum (a named mistake) in the first rows only, the right average below."""
    out = uniform(iterates)
    out[:2] = np.cumsum(np.asarray(iterates, dtype=float), axis=0)[:2]
    return out


def ema_from_zero_in_row_0_only(iterates, decay):
    out = ema(iterates, decay)
    out[0] = (1 - decay) * np.asarray(iterates[0], dtype=float)
    return out


HYBRIDS = [
    ("logistic_regression_gradient", gradient_dw_summed_db_right, "the sum over the examples"),
    ("logistic_regression_gradient", gradient_dw_right_db_flipped, "its sign flipped"),
    ("sgd_logistic_regression", sgd_ws_unshuffled_bs_right, "the run without shuffling"),
    ("inverse_time_decay", schedule_late_then_right, "one step later"),
    ("classify_stationary_point", classify_determinant_in_2d_only, "the determinant alone"),
    ("uniform_average", uniform_sum_in_the_first_rows, "the running sum"),
    ("exponential_average", ema_from_zero_in_row_0_only, "started from 0"),
]


@pytest.mark.parametrize("exercise, student, name", HYBRIDS, ids=[f"{e}: {s.__name__}" for e, s, _ in HYBRIDS])
def test_a_result_sharing_part_of_a_mistake_is_not_given_its_name(exercise, student, name, capsys):
    error = outcome(exercise, student)
    assert isinstance(error, AssertionError), f"{student.__name__} was not caught: {error!r}"
    assert name not in str(error) and "the reference implementation" not in str(error), str(error)
    assert "Your result equals" not in str(error) and "Your answers are those of" not in str(error), str(error)
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------- tolerances at every scale

def test_a_schedule_off_by_a_factor_of_ten_fails_where_it_is_tiny(capsys):
    """At eta0 = 1e-4, decay = 10 the rate after 20000 updates is 5e-10: a result ten times too large fails."""
    def tenfold_when_tiny(eta0, decay):
        return lambda k: eta0 / (1 + decay * k) * (10 if eta0 / (1 + decay * k) < 1e-8 else 1)
    options = {"cases": ((1e-4, 10.0),), "steps": (0, 3, 20000)}
    assert outcome("inverse_time_decay", schedules.inverse_time_decay, **options) is None
    error = outcome("inverse_time_decay", tenfold_when_tiny, **options)
    assert isinstance(error, AssertionError) and "after k=20000 updates" in str(error), error
    capsys.readouterr()


def test_tiny_averages_are_compared_relative_to_their_size(capsys):
    """Iterates of size 1e-9: the right averages pass, averages off by 1e-10 (10 %) fail."""
    options = {"scale": 1e-9}
    assert outcome("uniform_average", uniform, **options) is None
    error = outcome("uniform_average", lambda iterates: uniform(iterates) * 1.1, **options)
    assert isinstance(error, AssertionError) and "is wrong" in str(error), error
    capsys.readouterr()


def test_float32_results_pass_and_tiny_gradients_are_not_forgiven(capsys):
    """float32 arithmetic passes; a gradient that is right up to a constant 1e-3 offset fails although the
    offset is small in absolute terms."""
    def float32(w, b, x, y):
        a = x.astype(np.float32) @ w.astype(np.float32) + np.float32(b)
        residual = np.where(a >= 0, 1 / (1 + np.exp(-np.abs(a))), np.exp(-np.abs(a)) / (1 + np.exp(-np.abs(a))))
        residual = (residual - y).astype(np.float32)
        return x.astype(np.float32).T @ residual / np.float32(len(x)), np.float32(residual.mean())

    def offset(w, b, x, y):
        dw, db = gradient(w, b, x, y)
        return dw + 1e-3, db
    assert outcome("logistic_regression_gradient", float32) is None
    assert isinstance(outcome("logistic_regression_gradient", offset), AssertionError)
    capsys.readouterr()


# ---------------------------------------------------------------- the reference SGD loop

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
