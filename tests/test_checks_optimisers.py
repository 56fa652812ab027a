"""The checks of chapter 04_optimisers: correct updates pass quietly, the mistakes students make fail and are named.

Every exercise is an update function of dlcourse.optim / dlcourse.adaptive; a check runs the student's version
for many steps against the reference and torch.optim. Correct alternatives and mistakes are data: (exercise,
description, function[, a distinctive part of the failure message]).
"""
import subprocess
import sys

import numpy as np
import pytest

import check_cases
from dlcourse import adaptive as A
from dlcourse import checks
from dlcourse import optim as O

REFERENCE = {"momentum_update": O.momentum_update, "nesterov_update": O.nesterov_update,
             "adagrad_update": A.adagrad_update, "rmsprop_update": A.rmsprop_update,
             "adadelta_update": A.adadelta_update, "adam_update": A.adam_update}
CHECK = {name: getattr(checks, f"check_{name}") for name in REFERENCE}
# The visible test cell's arguments, and arguments like a hidden test's (another seed, odd shapes, fewer steps).
SETTINGS = {"visible": {}, "hidden": {"seed": 5, "shapes": ((7,), (2, 3, 2), (1,)), "steps": 100}}


def assert_passes_quietly(exercise, student, capsys, **kwargs):
    """The check passes with warnings turned into errors and prints exactly one line, nothing to stderr."""
    check_cases.assert_passed_quietly(check_cases.outcome(CHECK[exercise], student, **kwargs), capsys, [exercise])


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("exercise", REFERENCE)
def test_reference_passes(exercise, setting, capsys):
    assert_passes_quietly(exercise, REFERENCE[exercise], capsys, **SETTINGS[setting])


# ---------------------------------------------------------------- correct alternative implementations


def in_float32(reference):
    """The reference computed in float32: inputs, hyper-parameters and the returned state."""
    def student(w, dw, state, **hyper):
        to32 = lambda value: np.float32(value) if isinstance(value, float) else value  # noqa: E731
        state32 = type(state)(*(np.asarray(v, np.float32) if isinstance(v, np.ndarray) else v for v in state))
        return reference(w.astype(np.float32), dw.astype(np.float32), state32,
                         **{key: to32(value) for key, value in hyper.items()})
    return student


def element_by_element(reference):
    """A loop over the entries of w, updating one scalar parameter (and its slice of the state) at a time."""
    def student(w, dw, state, **hyper):
        w_new, fields = np.empty(w.shape), [np.empty(w.shape) if isinstance(v, np.ndarray) else v for v in state]
        for index in np.ndindex(w.shape):
            sliced = type(state)(*(v[index] if isinstance(v, np.ndarray) else v for v in state))
            w_new[index], one = reference(w[index], dw[index], sliced, **hyper)
            for k, value in enumerate(one):
                if isinstance(fields[k], np.ndarray):
                    fields[k][index] = value
                else:
                    fields[k] = value
        return w_new, type(state)(*fields)
    return student


def momentum_via_lecture_form(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    """Keep the lecture form's velocity -lr v internally and convert back."""
    lecture = beta * (-lr * state.velocity) - lr * (dw + weight_decay * w)
    return w + lecture, O.MomentumState(-lecture / lr)


def nesterov_expanded(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    """w - lr (g + beta (beta v + g)) = w - lr ((1 + beta) g + beta^2 v)."""
    g = np.add(dw, weight_decay * w)
    return w - lr * ((1 + beta) * g + beta ** 2 * state.velocity), O.MomentumState(beta * state.velocity + g)


def adagrad_hypot(w, dw, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    """sqrt(r + g^2) as hypot(sqrt(r), g), and the learning rate divided first."""
    g = dw + weight_decay * w
    root = np.hypot(np.sqrt(state.sum_sq), g)
    return w - g * (lr / (root + eps)), A.AdagradState(root ** 2)


def rmsprop_increment(w, dw, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, eps_inside_sqrt=False):
    """s <- s + (1 - alpha) (g^2 - s), the running average written as an increment."""
    g = dw + weight_decay * w
    s = state.square_avg + (1 - alpha) * (g ** 2 - state.square_avg)
    return w - lr * g / (np.sqrt(s + eps) if eps_inside_sqrt else np.sqrt(s) + eps), A.RMSPropState(s)


def adadelta_one_root(w, dw, state, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    """delta = g sqrt((d + eps) / (s + eps)): one square root instead of two."""
    g = dw + weight_decay * w
    s = rho * state.square_avg + (1 - rho) * g ** 2
    delta = g * np.sqrt((state.acc_delta + eps) / (s + eps))
    return w - lr * delta, A.AdadeltaState(s, rho * state.acc_delta + (1 - rho) * delta ** 2)


def adam_torch_order(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                     bias_correction=True):
    """torch's own ordering: step size lr / (1 - b1^t), denominator sqrt(v) / sqrt(1 - b2^t) + eps, float t."""
    g = dw + weight_decay * w
    t = float(state.t) + 1.0
    m, v = beta1 * state.m + (1 - beta1) * g, beta2 * state.v + (1 - beta2) * g * g
    c1, c2 = (1 - beta1 ** t, 1 - beta2 ** t) if bias_correction else (1.0, 1.0)
    return w - (lr / c1) * m / (np.sqrt(v) / np.sqrt(c2) + eps), A.AdamState(m, v, t)


# (exercise, description, student, setting): each alternative runs once, the slow loop on the smaller setting.
VARIANTS = [(exercise, kind, wrap(REFERENCE[exercise]), setting) for exercise in REFERENCE
            for kind, wrap, setting in (("float32", in_float32, "hidden"),
                                        ("element by element", element_by_element, "visible"))] + [
    ("momentum_update", "lecture form inside", momentum_via_lecture_form, "hidden"),
    ("nesterov_update", "expanded step", nesterov_expanded, "hidden"),
    ("adagrad_update", "hypot", adagrad_hypot, "hidden"),
    ("rmsprop_update", "increment form", rmsprop_increment, "hidden"),
    ("adadelta_update", "one square root", adadelta_one_root, "hidden"),
    ("adam_update", "torch's ordering", adam_torch_order, "hidden"),
]


@pytest.mark.parametrize("exercise, description, student, setting", VARIANTS,
                         ids=[f"{e}: {d}" for e, d, *_ in VARIANTS])
def test_correct_alternative_passes(exercise, description, student, setting, capsys):
    assert_passes_quietly(exercise, student, capsys, **SETTINGS[setting])


# ---------------------------------------------------------------- the mistakes students make


def momentum_wrong(velocity="sum", step="new", weight_decay_used=True, weight_decay_sign=1):
    """Momentum written with one mistake: the velocity rule, which velocity the step uses, weight decay."""
    def student(w, dw, state, lr, beta=0.9, weight_decay=0.0):
        g = dw + weight_decay_sign * weight_decay * w if weight_decay_used else dw
        v = {"sum": beta * state.velocity + g, "average": beta * state.velocity + (1 - beta) * g,
             "lecture": beta * state.velocity - lr * g}[velocity]
        if velocity == "lecture":
            return w + v, O.MomentumState(v)
        used = {"new": v, "old": state.velocity, "nesterov": g + beta * v, "beta v": beta * v,
                "old nesterov": g + beta * state.velocity}[step]
        return w - lr * used, O.MomentumState(v)
    return student


def momentum_in_place(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    state.velocity[...] = beta * state.velocity + dw + weight_decay * w
    return w - lr * state.velocity, state


def nesterov_lecture_velocity(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    v = beta * state.velocity - lr * (dw + weight_decay * w)
    return w + beta * v - lr * (dw + weight_decay * w), O.MomentumState(v)


def adagrad_wrong(accumulate=True, denominator=lambda r, eps: np.sqrt(r) + eps, old_sum=False, square_of="g"):
    def student(w, dw, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
        g = dw + weight_decay * w
        r = (state.sum_sq if accumulate else 0.0) + (g * g if square_of == "g" else dw * dw)
        return w - lr * g / denominator(state.sum_sq if old_sum else r, eps), A.AdagradState(r)
    return student


def adagrad_edits_w(w, dw, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    g = dw + weight_decay * w
    r = state.sum_sq + g * g
    w -= lr * g / (np.sqrt(r) + eps)
    return w, A.AdagradState(r)


def rmsprop_wrong(inside=None, keep=lambda alpha: alpha, add=False, old_average=False, return_old=False):
    """RMSProp with one mistake; inside=None honours eps_inside_sqrt, True/False ignores it."""
    def student(w, dw, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, eps_inside_sqrt=False):
        g = dw + weight_decay * w
        s = state.square_avg + g * g if add else keep(alpha) * state.square_avg + (1 - keep(alpha)) * g * g
        used = state.square_avg if old_average else s
        in_sqrt = eps_inside_sqrt if inside is None else inside
        w_new = w - lr * g / (np.sqrt(used + eps) if in_sqrt else np.sqrt(used) + eps)
        return w_new, state if return_old else A.RMSPropState(s)
    return student


def adadelta_wrong(order="torch", keep=lambda rho: rho, scaled_delta=False, use_lr=True, numerator_eps=True,
                   numerator=True, eps_outside=False):
    def student(w, dw, state, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
        g = dw + weight_decay * w
        s = keep(rho) * state.square_avg + (1 - keep(rho)) * g * g
        s_used = state.square_avg if order == "old square_avg" else s
        delta = np.sqrt(state.acc_delta + (eps if numerator_eps else 0.0)) / np.sqrt(s_used + eps) * g
        if not numerator:
            delta = g / np.sqrt(s_used + eps)
        if eps_outside:
            delta = (np.sqrt(state.acc_delta) + eps) / (np.sqrt(s_used) + eps) * g
        tracked = lr * delta if scaled_delta else delta
        d = keep(rho) * state.acc_delta + (1 - keep(rho)) * tracked * tracked
        if order == "acc_delta first":
            delta = np.sqrt(d + eps) / np.sqrt(s_used + eps) * g
        return w - (lr if use_lr else 1.0) * delta, A.AdadeltaState(s, d)
    return student


def adam_wrong(correct=lambda beta, t: 1 - beta ** t, t_used=lambda t: t + 1, t_returned=lambda t: t + 1,
               eps_inside=False, decoupled=False, ignore_flag=False, swap_betas=False, store_hat=False):
    """Adam with one mistake in the bias correction, the step count, eps, the betas, the state or the weight decay."""
    def student(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, bias_correction=True):
        beta1, beta2 = (beta2, beta1) if swap_betas else (beta1, beta2)
        g = dw if decoupled else dw + weight_decay * w
        w = (1 - lr * weight_decay) * w if decoupled else w
        m, v, t = beta1 * state.m + (1 - beta1) * g, beta2 * state.v + (1 - beta2) * g * g, t_used(state.t)
        if bias_correction or ignore_flag:
            m, v = m / correct(beta1, t), v / correct(beta2, t)
        denominator = np.sqrt(v + eps) if eps_inside else np.sqrt(v) + eps
        if store_hat:
            return w - lr * m / denominator, A.AdamState(m, v, t_returned(state.t))
        return w - lr * m / denominator, A.AdamState(beta1 * state.m + (1 - beta1) * g,
                                                     beta2 * state.v + (1 - beta2) * g * g, t_returned(state.t))
    return student


MUTANTS = [
    ("momentum_update", "lecture form", momentum_wrong(velocity="lecture"), "the lecture form's velocity"),
    ("momentum_update", "step before velocity update", momentum_wrong(step="old"),
     "momentum applied before the velocity update"),
    ("momentum_update", "running average", momentum_wrong(velocity="average"), "a running average v <- beta v"),
    ("momentum_update", "Nesterov's step", momentum_wrong(step="nesterov"), "Nesterov's step"),
    ("momentum_update", "no weight decay", momentum_wrong(weight_decay_used=False), "without weight decay"),
    ("momentum_update", "weight decay subtracted", momentum_wrong(weight_decay_sign=-1),
     "weight decay with the wrong sign"),
    ("momentum_update", "edits the state", momentum_in_place, "changed its input state.velocity in place"),
    ("momentum_update", "plain tuple as state", lambda w, dw, s, lr, beta=0.9, weight_decay=0.0: (w, (s.velocity,)),
     "the new state should be a MomentumState"),
    ("momentum_update", "returns w only", lambda w, dw, s, lr, beta=0.9, weight_decay=0.0: w - lr * dw,
     "should return a tuple (w_new, state_new)"),
    ("nesterov_update", "plain momentum", momentum_wrong(), "plain momentum, w - lr v"),
    ("nesterov_update", "look-ahead with the old velocity", momentum_wrong(step="old nesterov"), "plain momentum"),
    ("nesterov_update", "no gradient in the step", momentum_wrong(step="beta v"), "without the current gradient"),
    ("nesterov_update", "lecture velocity", nesterov_lecture_velocity, "the lecture form's velocity"),
    ("nesterov_update", "running average", momentum_wrong(velocity="average", step="nesterov"),
     "a running average v <- beta v"),
    ("nesterov_update", "no weight decay", momentum_wrong(step="nesterov", weight_decay_used=False),
     "without weight decay"),
    ("nesterov_update", "state never updated", lambda w, dw, s, lr, beta=0.9, weight_decay=0.0: (
        O.nesterov_update(w, dw, s, lr, beta, weight_decay)[0], s), "the old state returned unchanged"),
    ("adagrad_update", "current g^2 only", adagrad_wrong(accumulate=False), "only the current g^2"),
    ("adagrad_update", "eps inside sqrt", adagrad_wrong(denominator=lambda r, eps: np.sqrt(r + eps)),
     "eps inside the square root"),
    ("adagrad_update", "no sqrt", adagrad_wrong(denominator=lambda r, eps: r + eps), "without the square root"),
    ("adagrad_update", "step before accumulating", adagrad_wrong(old_sum=True), "the sum r of the previous steps"),
    ("adagrad_update", "squares of dw", adagrad_wrong(square_of="dw"), "r accumulating dw^2"),
    ("adagrad_update", "edits w", adagrad_edits_w, "changed its input w in place"),
    ("rmsprop_update", "eps always inside", rmsprop_wrong(inside=True), "eps inside the square root"),
    ("rmsprop_update", "eps_inside_sqrt ignored", rmsprop_wrong(inside=False), "eps outside the square root"),
    ("rmsprop_update", "alpha swapped", rmsprop_wrong(keep=lambda alpha: 1 - alpha), "alpha and 1 - alpha swapped"),
    ("rmsprop_update", "Adagrad's sum", rmsprop_wrong(add=True), "a sum s + g^2"),
    ("rmsprop_update", "step with old average", rmsprop_wrong(old_average=True),
     "the average s of the previous steps"),
    ("rmsprop_update", "old state returned", rmsprop_wrong(return_old=True), "the old state returned unchanged"),
    ("adadelta_update", "acc_delta first", adadelta_wrong(order="acc_delta first"),
     "acc_delta updated before computing the step"),
    ("adadelta_update", "step with old square_avg", adadelta_wrong(order="old square_avg"),
     "update square_avg first"),
    ("adadelta_update", "acc_delta of the scaled step", adadelta_wrong(scaled_delta=True),
     "acc_delta tracking the scaled step"),
    ("adadelta_update", "lr ignored", adadelta_wrong(use_lr=False), "Zeiler's step without the learning rate"),
    ("adadelta_update", "no eps in the numerator", adadelta_wrong(numerator_eps=False), "without eps in the numerator"),
    ("adadelta_update", "rho swapped", adadelta_wrong(keep=lambda rho: 1 - rho), "rho and 1 - rho swapped"),
    ("adadelta_update", "RMSProp's step", adadelta_wrong(numerator=False),
     "without the RMS of the previous updates"),
    ("adadelta_update", "eps outside the roots", adadelta_wrong(eps_outside=True), "eps outside the square roots"),
    ("adam_update", "no bias correction", adam_wrong(correct=lambda beta, t: 1.0), "no bias correction"),
    ("adam_update", "1 - beta", adam_wrong(correct=lambda beta, t: 1 - beta), "1 - beta instead of 1 - beta^t"),
    ("adam_update", "t from 0", adam_wrong(t_used=lambda t: t), "computed with t = 0"),
    ("adam_update", "t one step ahead", adam_wrong(t_used=lambda t: t + 2), "one step ahead"),
    ("adam_update", "t not incremented", adam_wrong(t_returned=lambda t: t), "t never incremented"),
    ("adam_update", "t incremented twice", adam_wrong(t_returned=lambda t: t + 2), "t incremented twice"),
    ("adam_update", "beta1 and beta2 swapped", adam_wrong(swap_betas=True), "beta1 and beta2 swapped"),
    ("adam_update", "m_hat and v_hat in the state", adam_wrong(store_hat=True),
     "the bias-corrected m_hat and v_hat stored in the state"),
    ("adam_update", "eps inside sqrt", adam_wrong(eps_inside=True), "eps inside the square root"),
    ("adam_update", "AdamW's decoupled decay", adam_wrong(decoupled=True), "decoupled"),
    ("adam_update", "bias_correction ignored", adam_wrong(ignore_flag=True),
     "bias-corrected m and v although bias_correction=False"),
]


@pytest.mark.parametrize("exercise, description, student, message", MUTANTS,
                         ids=[f"{e}: {d}" for e, d, *_ in MUTANTS])
def test_mistake_is_caught_and_named(exercise, description, student, message, capsys):
    error = check_cases.outcome(CHECK[exercise], student)
    check_cases.assert_failed_naming(error, capsys, exercise, description, message)
    assert str(error).startswith(exercise)


def test_every_exercise_has_enough_alternatives_and_mistakes():
    for exercise in REFERENCE:
        assert sum(e == exercise for e, *_ in VARIANTS) >= 2
        assert sum(e == exercise for e, *_ in MUTANTS) >= 4


@pytest.mark.parametrize("exercise", REFERENCE)
def test_stub_propagates_not_implemented(exercise, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError, match=f"^{exercise} is not implemented yet"):
        CHECK[exercise](stub)
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------- torch stays lazy and untouched


def test_importing_dlcourse_does_not_import_torch():
    code = "import sys, dlcourse, dlcourse.checks; assert 'torch' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_checks_leave_torch_default_dtype_alone(capsys):
    torch = pytest.importorskip("torch")
    before = torch.get_default_dtype()
    CHECK["adam_update"](A.adam_update, steps=100)
    assert torch.get_default_dtype() == before
    capsys.readouterr()


def test_checks_compare_with_torch(monkeypatch, capsys):
    """The torch comparison is live: with torch's RMSprop secretly taking twice the learning rate, the reference
    itself fails, and the message names torch."""
    torch = pytest.importorskip("torch")
    real = torch.optim.RMSprop
    monkeypatch.setattr(torch.optim, "RMSprop", lambda params, lr, **kwargs: real(params, lr=2 * lr, **kwargs))
    with pytest.raises(AssertionError, match=r"compared with torch\.optim\.RMSprop"):
        CHECK["rmsprop_update"](A.rmsprop_update)
    assert capsys.readouterr().err == ""
