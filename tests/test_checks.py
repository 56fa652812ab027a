"""The checks that nbgrader test cells call: correct code passes quietly, wrong code fails helpfully.

Every exercise is a dlcourse function; a check receives the student's version. Here: the reference passes
every setting quietly, a stub reports NotImplementedError, and a result that shares one field with a named
mistake is not given that mistake's name. The mistakes and correct variants themselves are the chapter's
library, tests/grading/library/02_backprop.py.
"""
import numpy as np
import pytest

import check_cases
from dlcourse import activations as act
from dlcourse import checks, gradcheck, layers, losses, network

# exercise -> (the check that tests it, the exercises that check takes, in order)
CHECKS = {
    "sigmoid_derivative": (checks.check_activation_derivatives,
                           ("sigmoid_derivative", "tanh_derivative", "relu_derivative")),
    "tanh_derivative": (checks.check_activation_derivatives,
                        ("sigmoid_derivative", "tanh_derivative", "relu_derivative")),
    "relu_derivative": (checks.check_activation_derivatives,
                        ("sigmoid_derivative", "tanh_derivative", "relu_derivative")),
    "linear_backward": (checks.check_linear_backward, ("linear_backward",)),
    "softmax_cross_entropy": (checks.check_softmax_cross_entropy, ("softmax_cross_entropy",)),
    "mlp_backward": (checks.check_mlp_backward, ("mlp_backward",)),
    "numerical_gradient": (checks.check_numerical_gradient, ("numerical_gradient",)),
}
REFERENCE = {
    "sigmoid_derivative": act.sigmoid_derivative, "tanh_derivative": act.tanh_derivative,
    "relu_derivative": act.relu_derivative, "linear_backward": layers.linear_backward,
    "softmax_cross_entropy": losses.softmax_cross_entropy, "mlp_backward": network.mlp_backward,
    "numerical_gradient": gradcheck.numerical_gradient,
}
# Arguments like a hidden test's: another seed and edge cases (N = 1, K = 1, square and one-layer networks).
ACTIVATION_EDGES = {"seed": 5, "shapes": ((2, 3, 4), (1,), (50,), (1, 1))}
EDGES = {
    **dict.fromkeys(("sigmoid_derivative", "tanh_derivative", "relu_derivative"), ACTIVATION_EDGES),
    "linear_backward": {"seed": 5, "shapes": ((3, 8, 5), (10, 1, 4), (1, 1, 1), (2, 6, 6))},
    "softmax_cross_entropy": {"seed": 5, "shapes": ((6, 2), (3, 12), (2, 1), (16, 5))},
    "mlp_backward": {"seed": 5, "configs": (((5, 4, 4, 4, 2), "sigmoid", 3), ((1, 8, 1), "relu", 6),
                                            ((3, 2), "tanh", 5), ((2, 6, 6, 3), "elu", 4),
                                            ((4, 3, 3), "leaky_relu", 1))},
    "numerical_gradient": {"seed": 5, "shapes": ((1,), (3, 3), (2, 2, 2), (1, 5))},
}
SETTINGS = ("seed 0", "seed 3", "edge cases")


def check_arguments(exercise, setting):
    return EDGES[exercise] if setting == "edge cases" else {"seed": int(setting.split()[1])}


def run_check(exercise, student, **kwargs):
    """Run the check of ``exercise`` on ``student``, with the reference for the other exercises it takes."""
    check_cases.run_check(CHECKS, REFERENCE, exercise, student, **kwargs)


def assert_passes_quietly(exercise, student, capsys, **kwargs):
    """The check passes with warnings turned into errors, prints one line per function, nothing to stderr."""
    check_cases.assert_passed_quietly(check_cases.outcome(run_check, exercise, student, **kwargs), capsys,
                                      CHECKS[exercise][1])


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("exercise", list(CHECKS))
def test_reference_passes(exercise, setting, capsys):
    assert_passes_quietly(exercise, REFERENCE[exercise], capsys, **check_arguments(exercise, setting))


# The mistakes students make and the correct variants unlike the reference are in the chapter's one catalogue,
# tests/grading/library/02_backprop.py (tests/test_grading_library.py runs them through the test cells).

# ---------------------------------------------------------------- a mistake is named only when it is that mistake

def softmax_ce(logits, labels):
    """The right (loss, gradient), written here: a check refuses a student function that calls the reference."""
    n = len(logits)
    log_p = act.log_softmax(logits)
    grad = np.exp(log_p)
    grad[np.arange(n), labels] -= 1
    return float(-log_p[np.arange(n), labels].mean()), grad / n


def mlp_grads(dout, caches):
    grads, delta = {}, dout
    for layer in range(len(caches), 0, -1):
        (x, w), activation_cache = caches[layer - 1]
        if activation_cache is not None:
            delta = delta * act.get_activation(activation_cache.name).derivative(activation_cache.a)
        grads[f"W{layer}"], grads[f"b{layer}"] = delta.T @ x, delta.sum(axis=0)
        delta = delta @ w
    return grads


HYBRIDS = [   # (exercise, student, the name it must NOT be given): one field of a named mistake, another field wrong too
    ("linear_backward", lambda dout, c: (dout @ c.w / len(dout), c.x.T @ dout, dout.sum(axis=0)),
     "dout W / N for dx"),
    ("linear_backward", lambda dout, c: (dout @ c.w / len(dout), dout.T @ c.x, dout.sum(axis=0) + 1.0),
     "dout W / N for dx"),
    ("linear_backward", lambda dout, c: (dout @ c.w + 1.0, dout.T @ c.x, dout.mean(axis=0)), "the mean of dout"),
    ("softmax_cross_entropy", lambda s, y: (softmax_ce(s, y)[0] * len(s), -softmax_ce(s, y)[1]),
     "the sum over the batch"),
    ("softmax_cross_entropy", lambda s, y: (softmax_ce(s, y)[0] + 1.0, len(s) * softmax_ce(s, y)[1]),
     "without the 1/N"),
    ("mlp_backward", lambda dout, caches: {key: (g / len(dout) if key != "W1" else 2 * g)
                                           for key, g in mlp_grads(dout, caches).items()},
     "divided by N once more"),
]


@pytest.mark.parametrize("exercise, student, name", HYBRIDS, ids=[f"{e}: not '{n}'" for e, _, n in HYBRIDS])
def test_a_result_sharing_one_field_with_a_mistake_is_not_given_its_name(exercise, student, name, capsys):
    error = check_cases.outcome(run_check, exercise, student)
    assert error is not None, "the wrong result passed"
    assert name not in str(error) and "Your result equals" not in str(error), str(error)
    assert capsys.readouterr().err == ""


def raises(error):
    def student(*args):
        raise error
    return student


@pytest.mark.parametrize("exercise", list(CHECKS))
def test_stub_propagates_not_implemented(exercise, capsys):
    with pytest.raises(NotImplementedError, match=f"^{exercise} is not implemented yet: replace "
                                                  r"`raise NotImplementedError\(\)` with your code"):
        run_check(exercise, raises(NotImplementedError()))
    assert capsys.readouterr().err == ""

