"""The checks of chapter 07_dropout, beyond the library of mistakes and variants (tests/grading/library/07_dropout.py):
the reference passes every visible and hidden call quietly, a stub is reported as unfinished, the statistical
checks do not fail a correct mask (across seeds), their constants are right, the independent oracles agree with
the reference, and a result that shares one field with a named mistake is not given its name.
"""
import numpy as np
import pytest

import check_cases
from dlcourse import checks
from dlcourse import dropout as dr
from dlcourse.checks import dropout_mask as mask_checks
from dlcourse.checks import dropout_linear

EXERCISES = ["dropout_mask", "dropout_forward", "dropout_backward", "mc_dropout_predict", "weight_scaling",
             "expected_dropout_loss", "dropout_ridge_solution"]
# The hidden tests' arguments, as in the chapter's test cells.
HIDDEN = {
    "dropout_mask": {"seed": 1, "ps": (0.1, 0.45, 0.9), "shapes": ((1, 1), (4, 1, 3), (64,))},
    "dropout_forward": {"seed": 1, "shapes": ((1, 1), (3, 1, 2), (64,)), "ps": (0.1, 0.5, 0.95)},
    "dropout_backward": {"seed": 1, "shapes": ((1, 1), (3, 1, 2), (64,)), "ps": (0.1, 0.5, 0.95)},
    "mc_dropout_predict": {"seed": 1, "sizes": ((3, 2, 2), (9, 7, 5)), "samples": (2, 17)},
    "weight_scaling": {"seed": 2, "widths": (2, 3, 3, 3, 3, 3, 3, 2), "p_in": 0.4, "p_hidden": 0.25},
    "expected_dropout_loss": {"seed": 1, "shapes": ((3, 1), (7, 9), (50, 3)), "ps": (0.05, 0.45, 0.9)},
    "dropout_ridge_solution": {"seed": 1, "shapes": ((3, 1), (9, 9), (60, 3)), "ps": (0.05, 0.45, 0.9)},
}


def check(exercise):
    return getattr(checks, f"check_{exercise}")


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("exercise", EXERCISES)
def test_reference_passes_quietly(exercise, hidden, capsys):
    error = check_cases.outcome(check(exercise), getattr(dr, exercise), **(HIDDEN[exercise] if hidden else {}))
    check_cases.assert_passed_quietly(error, capsys, [exercise])


@pytest.mark.parametrize("exercise", EXERCISES)
def test_a_stub_is_reported_as_unfinished(exercise):
    def stub(*args, **kwargs):
        raise NotImplementedError()

    error = check_cases.outcome(check(exercise), stub)
    assert isinstance(error, NotImplementedError) and "not implemented yet" in str(error)


@pytest.mark.parametrize("seed", range(12))
def test_a_correct_mask_passes_the_statistical_checks_for_every_seed(seed, capsys):
    """The bounds are set for a failure probability below 1e-6; twelve seeds of the visible settings pass."""
    error = check_cases.outcome(checks.check_dropout_mask, dr.dropout_mask, seed=100 + seed, ps=(0.3, 0.95))
    check_cases.assert_passed_quietly(error, capsys, ["dropout_mask"])


def test_chi_square_bounds_are_scipys():
    from scipy.stats import chi2
    for df, bound in mask_checks.CHI2_BOUNDS.items():
        assert abs(bound - chi2.isf(1e-7, df)) < 0.01


def test_binomial_fit_accepts_independent_entries_and_rejects_fixed_counts():
    rng = np.random.default_rng(0)
    for p in (0.05, 0.3, 0.9):
        assert mask_checks._row_counts_fit_binomial(rng.random((40000, 5)) >= p, p)
    fixed = np.zeros((40000, 5), dtype=bool)
    fixed[:, :4] = True
    assert not mask_checks._row_counts_fit_binomial(fixed, 0.2)
    correlated = np.repeat(rng.random((40000, 1)) >= 0.2, 5, axis=1)
    assert not mask_checks._row_counts_fit_binomial(correlated, 0.2)


@pytest.mark.parametrize("inverted", [True, False])
def test_the_enumerated_oracle_is_the_closed_form(inverted):
    x, y, w = dropout_linear.regression_problem(np.random.default_rng(3), 15, 5)
    for p in (0.0, 0.3, 0.75):
        exact = dropout_linear.enumerated_dropout_loss(x, y, w, p, inverted)
        assert abs(exact - dr.expected_dropout_loss(x, y, w, p, inverted)) < 1e-12 * exact


def test_a_result_that_shares_one_field_with_a_mistake_is_not_given_its_name():
    """Biases of one layer scaled, every other field right: wrong, but not 'the biases scaled too'."""
    def hybrid(params, drop_probs):
        scaled = {key: (1 - drop_probs.get(key.rsplit(".", 1)[0], 0.0)) * value if key.endswith(".W") else value
                  for key, value in params.items()}
        first = sorted(drop_probs, key=int)[0] if drop_probs else None
        if first is not None:
            scaled[f"{first}.b"] = (1 - drop_probs[first]) * params[f"{first}.b"]
        return scaled

    error = check_cases.outcome(checks.check_weight_scaling, hybrid)
    assert isinstance(error, AssertionError) and "is wrong" in str(error)
    assert "biases scaled too" not in str(error)


def test_a_wrong_zero_pattern_that_is_no_known_mistake_is_called_a_new_mask():
    def shifted(dout, cache):
        if not cache.train:
            return dout
        return dout * np.roll(cache.mask, 1) / (1 - cache.p) if cache.p < 1 else 0 * dout

    error = check_cases.outcome(checks.check_dropout_backward, shifted)
    assert isinstance(error, AssertionError) and "not zero exactly where the mask dropped" in str(error)


def test_forward_accepts_a_copy_of_the_mask_in_its_cache(capsys):
    def copying(x, mask, p, train=True):
        if not train:
            return x, dr.DropoutCache(None if mask is None else mask.copy(), p, train)
        return x * mask * (1 / (1 - p) if p < 1 else 0.0), dr.DropoutCache(mask.copy(), p, train)

    check_cases.assert_passed_quietly(check_cases.outcome(checks.check_dropout_forward, copying), capsys,
                                      ["dropout_forward"])


def test_reference_rejects_bad_arguments_in_one_sentence():
    with pytest.raises(ValueError, match="drop probability"):
        dr.dropout_forward(np.ones(3), np.ones(3, dtype=bool), -0.1)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        dr.dropout_ridge_solution(np.eye(3), np.ones(3), 1.0)
