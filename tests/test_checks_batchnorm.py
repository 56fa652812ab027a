"""The checks of chapter 05_batchnorm, beyond the library of mistakes and variants (tests/grading/library/).

The references pass every check quietly, with the visible test's arguments and a hidden test's; a stub raises
NotImplementedError; a result that shares one field with a named mistake is not given that mistake's name; results
whose exact values are of the order of round-off (batches of two, rows of one feature) are judged on the scale of
their terms; the check of two functions works with yours_if_passing.
"""
import numpy as np
import pytest

import check_cases
from dlcourse import checks
from dlcourse import normalization as N
from dlcourse.fallback import yours_if_passing
from dlcourse.normalization import BatchNormCache, BatchNormState

CHECKS = {"batchnorm_forward": (checks.check_batchnorm_forward, ("batchnorm_init", "batchnorm_forward")),
          "batchnorm_backward": (checks.check_batchnorm_backward, ("batchnorm_backward",)),
          "layernorm_forward": (checks.check_layernorm_forward, ("layernorm_forward",)),
          "layernorm_backward": (checks.check_layernorm_backward, ("layernorm_backward",)),
          "population_statistics": (checks.check_population_statistics, ("population_statistics",)),
          "fold_batchnorm": (checks.check_fold_batchnorm, ("fold_batchnorm",))}
REFERENCE = {name: getattr(N, name) for name in ("batchnorm_init", "batchnorm_forward", "batchnorm_backward",
                                                 "layernorm_forward", "layernorm_backward", "population_statistics",
                                                 "fold_batchnorm")}
# the hidden tests' arguments (tiny batches, one feature, other eps and momenta)
HIDDEN = {"batchnorm_forward": {"seed": 1, "cases": (((2, 2, 9), 6, 0.5, "default"), ((8, 3, 4), 1, None, 1e-2))},
          "batchnorm_backward": {"seed": 2, "shapes": ((3, 7), (16, 2), (2, 1)), "eps": 1e-2},
          "layernorm_forward": {"seed": 3, "shapes": ((3, 8), (6, 6), (2, 1)), "eps": 1e-2},
          "layernorm_backward": {"seed": 4, "shapes": ((2, 9), (7, 7), (1, 5), (5, 1))},
          "population_statistics": {"seed": 5, "cases": (((2, 2, 2, 2), 5), ((11, 3), 1))},
          "fold_batchnorm": {"seed": 6, "shapes": ((6, 1), (2, 2)), "eps": 1e-3}}


def run(exercise, student=None, **kwargs):
    check, takes = CHECKS[exercise]
    functions = [student if (name == exercise and student) else REFERENCE[name] for name in takes]
    return check_cases.outcome(check, *functions, **kwargs)


@pytest.mark.parametrize("setting", ["visible", "hidden"])
@pytest.mark.parametrize("exercise", CHECKS)
def test_reference_passes_quietly(exercise, setting, capsys):
    error = run(exercise, **(HIDDEN[exercise] if setting == "hidden" else {}))
    check_cases.assert_passed_quietly(error, capsys, CHECKS[exercise][1])


@pytest.mark.parametrize("exercise", CHECKS)
def test_a_stub_says_it_is_not_implemented(exercise):
    def stub(*args, **kwargs):
        raise NotImplementedError()
    stub.__name__ = exercise
    assert isinstance(run(exercise, stub), NotImplementedError)


def test_a_hybrid_of_two_backward_mistakes_is_not_named(capsys):
    """dx as if mu and sigma were constants, dgamma and dbeta as means: neither mistake alone."""
    def batchnorm_backward(dout, cache):
        return dout * cache.gamma * cache.inv_std, (dout * cache.x_hat).mean(axis=0), dout.mean(axis=0)
    error = run("batchnorm_backward", batchnorm_backward)
    assert isinstance(error, AssertionError) and "dx is wrong" in str(error)
    assert "Your result equals" not in str(error)


def test_a_hybrid_of_two_forward_mistakes_is_not_named(capsys):
    """The biased variance stored in running_var and eps outside the square root: neither mistake alone."""
    def batchnorm_forward(x, gamma, beta, state, train, momentum=0.1, eps=1e-5):
        if train:
            if len(x) < 2:
                raise ValueError("one example")
            mean, var = x.mean(axis=0), x.var(axis=0)
            m = 1 / (state.num_batches_tracked + 1) if momentum is None else momentum
            state = BatchNormState((1 - m) * state.running_mean + m * mean, (1 - m) * state.running_var + m * var,
                                   state.num_batches_tracked + 1)
        else:
            mean, var = state.running_mean, state.running_var
        inv_std = 1 / (np.sqrt(var) + eps)
        x_hat = (x - mean) * inv_std
        return gamma * x_hat + beta, BatchNormCache(x_hat, inv_std, gamma, train), state
    error = run("batchnorm_forward", batchnorm_forward)
    assert isinstance(error, AssertionError) and "batchnorm_forward" in str(error)
    assert "Your result equals" not in str(error)


def test_tiny_exact_results_are_judged_on_the_scale_of_their_terms():
    """With N = 2 batch norm's dx is of the order of eps, with D = 1 layer norm's is 0: a result off by round-off
    of the terms passes, one off by more fails."""
    def off_by(delta):
        def batchnorm_backward(dout, cache):
            x_hat, inv_std, gamma, train = cache
            g = dout * gamma
            if train:
                g = g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0)
            dx = g * inv_std + delta * np.abs(gamma * inv_std * dout).max()
            return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
        return batchnorm_backward
    assert run("batchnorm_backward", off_by(1e-13), shapes=((2, 1), (2, 3))) is None
    assert isinstance(run("batchnorm_backward", off_by(1e-3), shapes=((2, 1), (2, 3))), AssertionError)


def test_yours_if_passing_judges_init_and_forward_together(capsys):
    namespace = {"np": np, "BatchNormState": BatchNormState, "BatchNormCache": BatchNormCache}
    exec("def batchnorm_init(d, dtype=np.float64):\n"
         "    return np.ones(d, dtype), np.zeros(d, dtype), BatchNormState(np.zeros(d, dtype), np.ones(d, dtype), 0)\n"
         "def batchnorm_forward(x, gamma, beta, state, train, momentum=0.1, eps=1e-5):\n"
         "    raise NotImplementedError()\n", namespace)
    chosen = [yours_if_passing(namespace[name], REFERENCE[name], checks.check_batchnorm_forward)
              for name in ("batchnorm_init", "batchnorm_forward")]
    assert chosen == [namespace["batchnorm_init"], N.batchnorm_forward]
    assert "your batchnorm_forward is not implemented yet" in capsys.readouterr().out
