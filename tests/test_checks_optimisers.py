"""The checks of chapter 04_optimisers themselves: what they accept, refuse and say, beyond any one mistake.

The mistakes students make and the correct variants are in the chapter's one catalogue,
tests/grading/library/04_optimisers.py (run by tests/test_grading_library.py). This file tests the checks'
machinery: the reference passes quietly; a stub is reported as unfinished; a result that shares a field with a
known mistake is not given that mistake's name; inputs are watched at every step; tolerances follow each entry's
own size; calling the reference is refused; every documented argument is exercised; torch stays lazy and live.
"""
import re
import subprocess
import sys
from functools import partial

import numpy as np
import pytest

import check_cases
from course_notebooks import read, source_path
from dlcourse import adaptive as A
from dlcourse import checks
from dlcourse import optim as O
from dlcourse.checks import optimisers as C
from dlcourse.checks.optimiser_mistakes import old_state

REFERENCE = {name: exercise.reference for name, exercise in C.EXERCISES.items()}
CHECK = {name: getattr(checks, f"check_{name}") for name in REFERENCE}
# The visible test cell's arguments, and arguments like a hidden test's (another seed, odd shapes, fewer steps).
SETTINGS = {"visible": {}, "hidden": {"seed": 5, "shapes": ((7,), (2, 3, 2), (1,)), "steps": 25}}
QUICK = {"shapes": ((2, 3),), "steps": 8}     # enough to catch and name every catalogued mistake
NAMED = "Your trajectory equals that of"


def assert_passes_quietly(exercise, student, capsys, **kwargs):
    """The check passes with warnings turned into errors and prints exactly one line, nothing to stderr."""
    check_cases.assert_passed_quietly(check_cases.outcome(CHECK[exercise], student, **kwargs), capsys, [exercise])


def failure(exercise, student, capsys, **kwargs):
    """The message of the check's failure on ``student`` (which must fail, quietly)."""
    error = check_cases.outcome(CHECK[exercise], student, **kwargs)
    assert isinstance(error, AssertionError), f"the check did not fail: {error!r}"
    assert capsys.readouterr().err == ""
    return str(error)


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("exercise", REFERENCE)
def test_reference_passes(exercise, setting, capsys):
    assert_passes_quietly(exercise, REFERENCE[exercise], capsys, **SETTINGS[setting])


@pytest.mark.parametrize("exercise", REFERENCE)
def test_stub_propagates_not_implemented(exercise, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError, match=f"^{exercise} is not implemented yet"):
        CHECK[exercise](stub)
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------- a mistake is named only when it is that mistake


def catalogue():
    """(exercise, description, update) for every mistake the checks can name."""
    found = []
    for name, exercise in C.EXERCISES.items():
        # (the variant with its default flags is the reference, under a name the reference-call rule ignores)
        known = exercise.mistakes(exercise.settings[0]) + [("the old state returned unchanged",
                                                            old_state(exercise.variant))]
        found += [(name, description, flags if callable(flags) else partial(exercise.variant, **flags))
                  for description, flags in known]
    return found


def sharing_the_state(mistake):
    """The mistake's state at every step, but w shifted by 1e-3: the same state fields, another w."""
    def student(w, dw, state, *args, **kwargs):
        w_new, new_state = mistake(w, dw, state, *args, **kwargs)
        return w_new + 1e-3, new_state
    return student


def sharing_w(mistake):
    """The mistake's w at every step (it keeps the mistake's own state to compute it), but a state that differs
    from the mistake's from step 2 on: the same w, other state fields."""
    shadow = {}

    def student(w, dw, state, *args, **kwargs):
        if shadow.get("last_w") is not w:       # a new run of the check
            shadow.update(state=state, step=0)
        w_new, new_state = mistake(w, dw, shadow["state"], *args, **kwargs)
        shadow.update(state=new_state, last_w=w_new, step=shadow["step"] + 1)
        if shadow["step"] == 1:
            return w_new, new_state
        return w_new, type(new_state)(*(value * (1 + 1e-3) + 1e-6 if isinstance(value, np.ndarray) else value
                                        for value in new_state))
    return student


MISTAKES = catalogue()


@pytest.mark.parametrize("exercise, description, mistake", MISTAKES, ids=[f"{e}: {d[:50]}" for e, d, _ in MISTAKES])
def test_a_mistake_is_named_but_a_hybrid_sharing_a_field_with_it_is_not(exercise, description, mistake, capsys):
    assert f"{NAMED} {description}" in failure(exercise, mistake, capsys, **QUICK)
    w = np.ones(3)
    with np.errstate(all="ignore"):
        finite_w = np.isfinite(mistake(w, w, C.EXERCISES[exercise].init(w), **C.EXERCISES[exercise].settings[0])[0]).all()
    # (a mistake whose w is not finite, such as a division by 1 - beta^0, makes everything nan: no hybrid differs)
    for hybrid in (sharing_the_state(mistake), sharing_w(mistake)) if finite_w else ():
        message = failure(exercise, hybrid, capsys, **QUICK)
        assert NAMED not in message, message


# ---------------------------------------------------------------- the contract at every step


ADAM = C.EXERCISES["adam_update"].variant      # Adam without a mistake, under a name the reference-call rule ignores


def edits_dw_at_step(step):
    """Adam, right in every value, but writing into dw at one late step."""
    def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, bias_correction=True):
        result = ADAM(w, dw.copy(), state, lr, beta1, beta2, eps, weight_decay, bias_correction)
        if state.t + 1 == step:
            dw *= 1.0 + 1e-12
        return result
    return adam_update


def test_inputs_are_watched_at_every_step(capsys):
    message = failure("adam_update", edits_dw_at_step(17), capsys)
    assert "changed its input dw in place (e.g. with += or [...] =) at step 17" in message


def test_tolerance_follows_each_entry_not_the_largest(capsys):
    """A state entry of size 1e-13 that is 10 % off fails, although its neighbours are ten orders larger."""
    def rmsprop_update(w, dw, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, eps_inside_sqrt=False):
        g = dw + weight_decay * w
        s = alpha * state.square_avg + (1 - alpha) * g * g
        shown = np.where(s < 1e-8, 1.1 * s, s)       # wrong only where s is tiny
        return w - lr * g / (np.sqrt(s + eps) if eps_inside_sqrt else np.sqrt(s) + eps), A.RMSPropState(shown)
    message = failure("rmsprop_update", rmsprop_update, capsys)
    assert message.startswith("rmsprop_update: state.square_avg after step 1 is wrong"), message


def test_rounding_of_the_inputs_is_tolerated(capsys):
    """Every iterate rounded to float32 (an error that follows |w_(t-1)|, not |w_t|) still passes."""
    def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, bias_correction=True):
        w_new, new = ADAM(w, dw, state, lr, beta1, beta2, eps, weight_decay, bias_correction)
        return w_new.astype(np.float32), new
    assert_passes_quietly("adam_update", adam_update, capsys, **SETTINGS["hidden"])


@pytest.mark.parametrize("exercise", REFERENCE)
def test_calling_the_reference_is_refused(exercise, capsys):
    """Checker.call's rule, the grader's: a function that calls its own exercise's reference fails at once."""
    module = O if exercise in ("momentum_update", "nesterov_update") else A

    def student(w, dw, state, *args, **kwargs):
        return getattr(module, exercise)(w, dw, state, *args, **kwargs)
    student.__name__ = exercise
    message = failure(exercise, student, capsys)
    assert f"calls dlcourse.{module.__name__.split('.')[-1]}.{exercise}, the reference implementation" in message


@pytest.mark.parametrize("exercise", REFERENCE)
def test_every_documented_argument_is_exercised(exercise):
    """The visible settings pass every hyper-parameter; a flag meets weight decay; the hidden tests pass an integer
    learning rate; the last visible setting goes by position."""
    settings = C.EXERCISES[exercise].settings
    parameters = list(C.inspect.signature(REFERENCE[exercise]).parameters)[3:]
    assert set(parameters) == {key for hyper in settings for key in hyper}
    for flag in set(parameters) & set(C.NOT_IN_TORCH):
        assert any(hyper.get(flag, C.NOT_IN_TORCH[flag]) != C.NOT_IN_TORCH[flag] and hyper.get("weight_decay")
                   for hyper in settings), f"{flag} is never combined with weight decay"
    test_cell = next(cell.source for cell in read(source_path("04_optimisers")).cells
                     if cell.metadata.get("nbgrader", {}).get("grade_id") == f"test_{exercise}")
    assert re.search(r'"lr": \d+[,}]', test_cell), "no integer learning rate in the hidden tests"
    assert settings[-1], "the last setting (passed by position) must set a hyper-parameter"


# ---------------------------------------------------------------- torch stays lazy and untouched


def test_importing_dlcourse_does_not_import_torch():
    code = "import sys, dlcourse, dlcourse.checks; assert 'torch' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_checks_leave_torch_alone(capsys):
    """The checks change no torch default and build no optimiser class (whose constructor imports torch._dynamo)."""
    torch = pytest.importorskip("torch")
    before = torch.get_default_dtype()
    CHECK["adam_update"](A.adam_update)
    assert torch.get_default_dtype() == before
    code = ("import sys\nfrom dlcourse import checks, adaptive\nchecks.check_adam_update(adaptive.adam_update)\n"
            "assert 'torch' in sys.modules and 'torch._dynamo' not in sys.modules")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
    capsys.readouterr()


def test_checks_compare_with_torch(monkeypatch, capsys):
    """The torch comparison is live: with torch's RMSprop algorithm secretly taking twice the learning rate, the
    reference itself fails, and the message names torch."""
    pytest.importorskip("torch")
    import torch.optim.rmsprop as module
    real = module.rmsprop
    monkeypatch.setattr(module, "rmsprop", lambda *args, lr, **kwargs: real(*args, lr=2 * lr, **kwargs))
    message = failure("rmsprop_update", A.rmsprop_update, capsys)
    assert "compared with torch.optim.RMSprop" in message
