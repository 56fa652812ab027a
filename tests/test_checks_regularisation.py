"""The checks of chapter 06_regularisation, beyond the library of mistakes and variants
(tests/grading/library/06_regularisation.py, run by test_grading_library.py): the references pass quietly in
the visible and the hidden settings, stubs propagate NotImplementedError, a result that shares only one field
with a known mistake is not given its name, the tolerances reject small errors, and the statistical checks
accept correct implementations for many seeds.
"""
from functools import partial

import numpy as np
import pytest

import check_cases
from dlcourse import checks, ensembles, regularisation, stopping

REFERENCE = {"l2_penalty": regularisation.l2_penalty, "ridge_regression": regularisation.ridge_regression,
             "soft_threshold": regularisation.soft_threshold, "ista_step": regularisation.ista_step,
             "max_norm": regularisation.max_norm, "early_stopping": stopping.early_stopping,
             "noisy_input_loss": regularisation.noisy_input_loss, "bootstrap_indices": ensembles.bootstrap_indices}
PAIR = ("soft_threshold", "ista_step")
CHECKS = {name: (getattr(checks, f"check_{name}"), (name,)) for name in REFERENCE if name not in PAIR}
CHECKS.update({name: (checks.check_soft_threshold_and_ista_step, PAIR) for name in PAIR})
# The arguments of the hidden tests in the notebook.
HIDDEN = {"l2_penalty": {"seed": 1, "mus": (0.25, 7, 1e-4)},
          "ridge_regression": {"seed": 1, "cases": ((5, 2, 0.01), (4, 9, 3), (50, 6, 1e-3), (2, 1, 0.5))},
          "soft_threshold": {"seed": 1, "shapes": ((1,), (2, 3, 2), (40,))},
          "ista_step": {"seed": 1, "shapes": ((1,), (2, 3, 2), (40,))},
          "max_norm": {"seed": 1, "cases": (((1, 4), 1), ((8, 2), 0.1), ((4, 9), 3.5))},
          "early_stopping": {"seed": 1, "n_random": 12},
          "noisy_input_loss": {"seed": 1, "cases": ((3, 5, 2, 1.5), (1, 1, 1, 0.3), (20, 6, 4, 0.05))},
          "bootstrap_indices": {"seed": 1, "cases": ((2, 2000), (50, 3), (1000, 5))}}


# The references wrapped in partial objects, which the checks' reference guard does not swap: the students' functions
# below build on them, and must fail (or pass) for what they compute, not for calling the reference.
R = {name: partial(function) for name, function in REFERENCE.items()}


def outcome(exercise, student, **kwargs):
    return check_cases.outcome(check_cases.run_check, CHECKS, REFERENCE, exercise, student, **kwargs)


def names(exercise):
    return list(CHECKS[exercise][1])


@pytest.mark.parametrize("setting", ["visible", "hidden"])
@pytest.mark.parametrize("exercise", REFERENCE)
def test_reference_passes_quietly(exercise, setting, capsys):
    error = outcome(exercise, REFERENCE[exercise], **(HIDDEN[exercise] if setting == "hidden" else {}))
    check_cases.assert_passed_quietly(error, capsys, names(exercise))


@pytest.mark.parametrize("exercise", REFERENCE)
def test_stub_propagates_not_implemented(exercise, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError()
    assert isinstance(outcome(exercise, stub), NotImplementedError)
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------- one field of a mistake is not the mistake


def ridge_with_zero_bias(x, y, mu):
    return R["ridge_regression"](x, y, mu)[0], 0.0


def noisy_with_unsquared_sigma_in_dw(x, y, w, b, sigma):
    loss, dw, db = R["noisy_input_loss"](x, y, w, b, sigma)
    return loss, dw - sigma ** 2 * w + sigma * w, db


def l2_with_biases_in_grads_only(params, mu):
    value, grads = R["l2_penalty"](params, mu)
    return value, {key: mu * w for key, w in params.items()}


def stopping_best_counted_from_1(val_losses, patience, min_delta=0.0):
    best, stop = R["early_stopping"](val_losses, patience, min_delta)
    return best + 1, stop


@pytest.mark.parametrize("exercise, student, not_named", [
    ("ridge_regression", ridge_with_zero_bias, "no bias (b = 0"),
    ("noisy_input_loss", noisy_with_unsquared_sigma_in_dw, "the variance of the noise"),
    ("l2_penalty", l2_with_biases_in_grads_only, "the biases penalised too"),
    ("early_stopping", stopping_best_counted_from_1, "epochs counted from 1"),
])
def test_a_result_sharing_one_field_with_a_mistake_is_not_given_its_name(exercise, student, not_named, capsys):
    error = outcome(exercise, student)
    assert isinstance(error, AssertionError) and "is wrong" in str(error), error
    assert not_named not in str(error) and "Your result equals" not in str(error)
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------- tolerances


@pytest.mark.parametrize("exercise, student", [
    ("ridge_regression", lambda x, y, mu: tuple(v * (1 + 1e-4) for v in R["ridge_regression"](x, y, mu))),
    ("max_norm", lambda w, r: R["max_norm"](w, r * (1 + 1e-4))),
    ("soft_threshold", lambda w, t: R["soft_threshold"](w, t) * (1 + 1e-4)),
    ("noisy_input_loss", lambda x, y, w, b, s: R["noisy_input_loss"](x, y, w, b, s * (1 + 1e-4))),
])
def test_small_relative_errors_fail(exercise, student, capsys):
    error = outcome(exercise, student)
    assert isinstance(error, AssertionError) and "is wrong" in str(error), error


def test_ridge_in_float32_passes(capsys):
    def ridge32(x, y, mu):
        w, b = R["ridge_regression"](x.astype(np.float32).astype(float), y.astype(np.float32).astype(float),
                                               mu)
        return w.astype(np.float32), float(np.float32(b))
    check_cases.assert_passed_quietly(outcome("ridge_regression", ridge32), capsys, ["ridge_regression"])


# ---------------------------------------------------------------- statistical checks


@pytest.mark.parametrize("seed", range(2, 22))
def test_bootstrap_check_accepts_other_correct_samplers_for_many_seeds(seed, capsys):
    """Other generators draw other samples; the bounds (failure probability < 1e-6 each) must hold for all."""
    def choice(n, n_models, rng):
        return rng.choice(n, size=(n_models, n))
    check_cases.assert_passed_quietly(outcome("bootstrap_indices", choice, seed=seed), capsys, ["bootstrap_indices"])


def test_bootstrap_check_rejects_a_slightly_biased_sampler(capsys):
    """Drawing index 0 one time in ten (instead of one in twenty) is caught by the count bound."""
    def biased(n, n_models, rng):
        idx = rng.integers(0, n, size=(n_models, n))
        return np.where(rng.random(idx.shape) < 0.05, 0, idx)
    assert "index 0 was drawn" in str(outcome("bootstrap_indices", biased))
