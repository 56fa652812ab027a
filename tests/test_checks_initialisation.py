"""The checks of chapter 03_initialisation, beyond its library of mistakes and variants.

The wrappers below call the reference through the REFERENCE dict, which the checks' reference guard leaves
alone (a student's function that calls the reference by name is refused). The mistakes students make and the correct alternatives live in tests/grading/library/03_initialisation.py
(tests/test_grading_library.py runs them). Here: the reference passes every check quietly, for the visible and
hidden arguments; a stub raises NotImplementedError; the statistical check does not fail a correct sampler whatever
the seed; a result that shares only one field with a known mistake is not given its name; the numerical-gradient
oracle of signal_statistics is independent of the reference.
"""
import math

import numpy as np
import pytest

import check_cases
from dlcourse import checks, init, signal
from dlcourse.checks import signal_flow

REFERENCE = {"calculate_gain": init.calculate_gain, "init_scale": init.init_scale,
             "variance_scaling": init.variance_scaling, "signal_statistics": signal.signal_statistics,
             "predicted_variances": signal.predicted_variances, "lsuv_init": init.lsuv_init}
CHECK = {name: getattr(checks, f"check_{name}") for name in REFERENCE}
HIDDEN = {"calculate_gain": {"cases": (("leaky_relu", math.sqrt(5)), ("leaky_relu", 0), ("leaky_relu", -0.5))},
          "init_scale": {"cases": (((100, 3), {}), ((16, 9, 2, 3, 2), {"gain": 5 / 3, "mode": "fan_avg"}))},
          "variance_scaling": {"seed": 5},
          "signal_statistics": {"seed": 3, "configs": (((2, 9, 1), "tanh", 3), ((3, 4, 2), "identity", 2),
                                                       ((4, 7, 3), "sigmoid", 1))},
          "predicted_variances": {"configs": ({"sizes": (5, 3), "weight_vars": (0.4,), "activation": "tanh"},)},
          "lsuv_init": {"seed": 4, "configs": (((3, 8, 4), "sigmoid", 10, 0.1, 5),)}}


@pytest.mark.parametrize("setting", ["visible", "hidden"])
@pytest.mark.parametrize("exercise", REFERENCE)
def test_reference_passes_quietly(exercise, setting, capsys):
    kwargs = HIDDEN[exercise] if setting == "hidden" else {}
    error = check_cases.outcome(CHECK[exercise], REFERENCE[exercise], **kwargs)
    check_cases.assert_passed_quietly(error, capsys, [exercise])


@pytest.mark.parametrize("exercise", REFERENCE)
def test_a_stub_is_reported_as_not_implemented(exercise):
    def stub(*args, **kwargs):
        raise NotImplementedError()
    stub.__name__ = exercise
    with pytest.raises(NotImplementedError, match="not implemented yet"):
        CHECK[exercise](stub)


@pytest.mark.parametrize("seed", range(12))
def test_a_correct_sampler_passes_for_every_seed(seed, capsys):
    """The statistical bounds do not reject a correct sampler (each fails with probability < 1e-9)."""
    error = check_cases.outcome(checks.check_variance_scaling, init.variance_scaling, seed=seed)
    check_cases.assert_passed_quietly(error, capsys, ["variance_scaling"])


def test_a_float32_sampler_passes(capsys):
    def variance_scaling(shape, rng, gain=1.0, mode="fan_in", distribution="normal"):
        return REFERENCE["variance_scaling"](shape, rng, gain, mode, distribution).astype(np.float32)
    error = check_cases.outcome(checks.check_variance_scaling, variance_scaling)
    check_cases.assert_passed_quietly(error, capsys, ["variance_scaling"])


def test_a_result_sharing_one_field_with_a_mistake_is_not_named():
    """forward computed with ddof=1 (a known mistake's forward) but backward right: wrong, and not named."""
    def signal_statistics(params, x, dout, activation="relu"):
        forward, backward = REFERENCE["signal_statistics"](params, x, dout, activation)
        wrong_forward, _ = signal_flow._statistics_variant(params, x, dout, activation, spread="ddof1")
        return wrong_forward, backward
    error = check_cases.outcome(checks.check_signal_statistics, signal_statistics)
    assert isinstance(error, AssertionError) and "forward" in str(error)
    assert "ddof=1" not in str(error), str(error)


def test_a_prediction_mixing_two_mistakes_is_named_as_neither():
    """forward from one known mistake (fan_out forward), backward from another (no slopes): neither is named."""
    def predicted_variances(sizes, weight_vars, activation="relu", input_var=1.0, output_grad_var=1.0):
        arguments = (sizes, weight_vars, activation, input_var, output_grad_var)
        forward, _ = signal_flow._predicted_variant(*arguments, forward_fan="out")
        _, backward = signal_flow._predicted_variant(*arguments, slopes=False)
        return forward, backward
    error = check_cases.outcome(checks.check_predicted_variances, predicted_variances)
    assert isinstance(error, AssertionError) and "forward" in str(error)
    assert "Your result equals" not in str(error), str(error)


def test_numerical_spreads_agree_with_the_reference():
    """The numerical-gradient oracle is an independent computation that agrees with backpropagation."""
    rng = np.random.default_rng(0)
    for sizes, activation in (((4, 6, 5, 3), "tanh"), ((3, 5, 2), "sigmoid")):
        params = signal_flow._random_network(rng, sizes)
        x, dout = rng.standard_normal((5, sizes[0])), rng.standard_normal((5, sizes[-1])) / 5
        numerical = signal_flow._numerical_spreads(params, x, dout, activation)
        assert np.allclose(numerical, signal.signal_statistics(params, x, dout, activation)[1], rtol=1e-7, atol=0)


def test_every_mistake_of_init_scale_is_distinct_on_the_visible_cases():
    """On some visible case, every named mistake gives a value unlike the right one (so each can be caught)."""
    named = set()
    for shape, kwargs in checks.initialisation.SCALE_CASES:
        named |= {description for description, _ in checks.initialisation.scale_mistakes(shape, **kwargs)}
    assert len(named) >= 10


def test_a_sampler_that_returns_a_list_is_refused():
    def variance_scaling(shape, rng, gain=1.0, mode="fan_in", distribution="normal"):
        return REFERENCE["variance_scaling"](shape, rng, gain, mode, distribution).tolist()
    error = check_cases.outcome(checks.check_variance_scaling, variance_scaling)
    assert isinstance(error, AssertionError) and "numpy array" in str(error)
