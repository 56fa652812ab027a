"""Checks for chapter 04_optimisers: the updates of momentum, Nesterov momentum, Adagrad, RMSProp, Adadelta
and Adam.

Book: chapter 04_optimisers, exercises 1 to 6.
Each check runs the student's ``*_update`` for ``steps`` (at least 100) updates on random gradient
sequences, feeding back the state it returns, for several hyper-parameter settings (weight decay
included) and several shapes. It compares every iterate w_t and every field of every state with the
dlcourse reference and with the corresponding ``torch.optim`` class, run in float64 on the same gradients.
When a wrong trajectory equals the trajectory of a known mistake (computed by the small variant
implementations below), the message names the mistake. torch is imported only when a check first needs
it, so importing dlcourse stays fast; torch's global default dtype is never changed.
"""
import inspect
import warnings
from functools import partial
from typing import Callable, NamedTuple

import numpy as np

from .. import adaptive as A
from .. import optim as O
from .core import ATOL, RTOL, Checker, describe
from .optimiser_mistakes import (
    adadelta_like, adadelta_mistakes, adagrad_like, adagrad_mistakes, adam_like, adam_mistakes,
    momentum_like, momentum_mistakes, nesterov_mistakes, old_state, rmsprop_like, rmsprop_mistakes)

__all__ = ["check_momentum_update", "check_nesterov_update", "check_adagrad_update", "check_rmsprop_update",
           "check_adadelta_update", "check_adam_update"]

STEPS = 120
PURITY_STEPS = 3  # steps at which the checks verify that w, dw and the state are not modified in place
# Gradient scales, cycled over the entries of w: ordinary, tiny (where eps decides the step), large.
ADAPTIVE_SCALES = (1.0, 1e-6, 30.0)
MOMENTUM_SCALES = (1.0, 0.1, 3.0)


# ---------------------------------------------------------------- the exercises


class _Exercise(NamedTuple):
    """What a check needs to know about one exercise."""

    name: str
    reference: Callable
    init: Callable
    state_type: type
    variant: Callable          # the configurable implementation behind the mistakes
    mistakes: Callable         # hyper -> [(description, flags for ``variant`` or an update function)]
    settings: tuple            # hyper-parameter dicts; {} uses the defaults of the signature
    scales: tuple
    torch_class: str
    torch_state: dict          # our state field -> torch's state key
    torch_extra: dict = {}


def _settings(*extra):
    return ({},) + extra


# Plain and Nesterov momentum take the same settings (lr has no default).
MOMENTUM_SETTINGS = ({"lr": 0.05}, {"lr": 0.01, "beta": 0.5, "weight_decay": 0.1},
                     {"lr": 0.03, "beta": 0.95, "weight_decay": 0.01})
EXERCISES = {exercise.name: exercise for exercise in (
    _Exercise("momentum_update", O.momentum_update, O.momentum_init, O.MomentumState, momentum_like,
              momentum_mistakes, MOMENTUM_SETTINGS, MOMENTUM_SCALES, "SGD", {"velocity": "momentum_buffer"}),
    _Exercise("nesterov_update", O.nesterov_update, O.momentum_init, O.MomentumState,
              partial(momentum_like, nesterov=True), nesterov_mistakes, MOMENTUM_SETTINGS, MOMENTUM_SCALES, "SGD",
              {"velocity": "momentum_buffer"}, {"nesterov": True}),
    _Exercise("adagrad_update", A.adagrad_update, A.adagrad_init, A.AdagradState, adagrad_like, adagrad_mistakes,
              _settings({"lr": 0.1, "eps": 1e-6, "weight_decay": 0.1}, {"lr": 0.05, "eps": 1e-3}),
              ADAPTIVE_SCALES, "Adagrad", {"sum_sq": "sum"}),
    _Exercise("rmsprop_update", A.rmsprop_update, A.rmsprop_init, A.RMSPropState, rmsprop_like, rmsprop_mistakes,
              _settings({"lr": 1e-3, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.1},
                        {"lr": 0.01, "eps": 1e-4, "eps_inside_sqrt": True},
                        {"lr": 3e-3, "alpha": 0.95, "eps": 1e-8, "weight_decay": 0.05, "eps_inside_sqrt": True}),
              ADAPTIVE_SCALES, "RMSprop", {"square_avg": "square_avg"}),
    _Exercise("adadelta_update", A.adadelta_update, A.adadelta_init, A.AdadeltaState, adadelta_like,
              adadelta_mistakes,
              _settings({"lr": 0.5, "rho": 0.95, "eps": 1e-8, "weight_decay": 0.1}, {"lr": 2.0, "eps": 1e-4}),
              ADAPTIVE_SCALES, "Adadelta", {"square_avg": "square_avg", "acc_delta": "acc_delta"}),
    _Exercise("adam_update", A.adam_update, A.adam_init, A.AdamState, adam_like, adam_mistakes,
              _settings({"lr": 1e-2, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weight_decay": 0.1},
                        {"lr": 5e-3, "beta1": 0.5, "beta2": 0.9, "eps": 1e-3},
                        {"lr": 1e-3, "eps": 1e-4, "bias_correction": False}),
              ADAPTIVE_SCALES, "Adam", {"m": "exp_avg", "v": "exp_avg_sq", "t": "step"}),
)}
# Our flags for the book's variants; a setting that turns one on has no torch counterpart.
NOT_IN_TORCH = {"eps_inside_sqrt": False, "bias_correction": True}


# ---------------------------------------------------------------- running and comparing trajectories


def _gradients(rng, steps, shape, scales):
    """dw_1..dw_T: a random walk (so that momentum builds up) plus noise; entry i scaled by scales[i % 3]."""
    scale = np.resize(np.asarray(scales, dtype=float), int(np.prod(shape))).reshape(shape)
    drift = np.cumsum(rng.standard_normal((steps,) + shape), axis=0) / np.sqrt(steps)
    return scale * (drift + rng.standard_normal((steps,) + shape))


def _record(w, state, fields, path):
    path["w"].append(np.array(w, dtype=float))
    for field in fields:
        path[field].append(np.array(getattr(state, field), dtype=float))


def _run(update, exercise, w0, grads, hyper):
    """The trajectory {"w": (T, ...) array, field: (T, ...) array} of a correct or variant update."""
    fields = exercise.state_type._fields
    path = {key: [] for key in ("w",) + fields}
    w, state = w0.copy(), exercise.init(w0)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for dw in grads:
            w, state = update(w, dw, state, **hyper)
            _record(w, state, fields, path)
    return {key: np.array(values) for key, values in path.items()}


def _state_arrays(state):
    return [np.array(value, copy=True) for value in state] if isinstance(state, tuple) else []


def _run_student(checker, exercise, student, w0, grads, hyper, context):
    """The student's trajectory, fed back its own states; checks types, shapes and that inputs are kept."""
    __tracebackhide__ = True
    fields, kind = exercise.state_type._fields, exercise.state_type.__name__
    path = {key: [] for key in ("w",) + fields}
    w, state, changed = w0.copy(), exercise.init(w0), None
    for t, dw in enumerate(grads, start=1):
        dw = dw.copy()
        watch = t <= PURITY_STEPS  # an update that edits its inputs does so at every step
        saved = [w.copy(), dw.copy()] + _state_arrays(state) if watch else []
        result = checker.call(student, w, dw, state, **hyper)
        inputs = [("w", w), ("dw", dw)] + [(f"state.{field}", getattr(state, field)) for field in fields]
        changed = changed or next((what for (what, now), before in zip(inputs, saved)
                                   if not np.array_equal(np.asarray(now), before, equal_nan=True)), None)
        if not (isinstance(result, tuple) and len(result) == 2):
            checker.fail(f"should return a tuple (w_new, state_new), but returned {describe(result)} {context}.")
        w, state = result
        if not isinstance(state, exercise.state_type):
            checker.fail(f"the new state should be a {kind} (build it with {kind}(...), as the reference "
                         f"does), but it is {describe(state)} {context}.")
        if np.shape(w) != w0.shape:
            checker.fail(f"the new w has shape {np.shape(w)}, expected {w0.shape} (the shape of w) {context}.")
        for field in fields:
            if field != "t" and np.shape(getattr(state, field)) != w0.shape:
                checker.fail(f"state.{field} has shape {np.shape(getattr(state, field))} after step {t}, "
                             f"expected {w0.shape} (the shape of w) {context}.")
        w = np.asarray(w)
        _record(w, state, fields, path)
    checker.require(changed is None, f"your function changed its input {changed} in place (e.g. with += or "
                                     f"[...] =); compute new arrays and return them instead.")
    return {key: np.array(values) for key, values in path.items()}


def _bad_steps(got, expected):
    """Per step: whether any entry of ``got`` differs from ``expected`` beyond the checks' tolerance.

    The tolerance of step t is ATOL * max(max |expected_t|, 1) + RTOL * |expected| elementwise, as in
    Checker.close; equal non-finite values (nan and nan, inf and inf) count as equal.
    """
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    axes = tuple(range(1, expected.ndim))
    finite = np.where(np.isfinite(expected), np.abs(expected), 0.0)
    scale = np.maximum(np.max(finite, axis=axes, keepdims=True) if axes else finite, 1.0)
    with np.errstate(all="ignore"):
        close = np.abs(got - expected) <= ATOL * scale + RTOL * finite
    close |= (got == expected) | (np.isnan(got) & np.isnan(expected))
    return ~close.reshape(len(close), -1).all(axis=1) if axes else ~close


def _explain(what, got, expected, t, context):
    """The sentence saying where step t of ``got`` differs from ``expected``."""
    got_t, expected_t = np.asarray(got[t], dtype=float), np.asarray(expected[t], dtype=float)
    where = lambda index: f" at index {tuple(int(i) for i in index)}" if got_t.ndim else ""  # noqa: E731
    bad = ~np.isfinite(got_t)
    if bad.any():
        index = np.unravel_index(np.argmax(bad), got_t.shape)
        message = (f"{what} after step {t + 1} contains {got_t[index]}{where(index)} {context}, where a "
                   f"finite number ({expected_t[index]:.6g}) was expected.")
    else:
        error = np.abs(got_t - expected_t)
        index = np.unravel_index(np.argmax(error), error.shape)
        message = (f"{what} after step {t + 1} is wrong {context}: the largest error is {error[index]:.3g}"
                   f"{where(index)} (expected {expected_t[index]:.6g}, got {got_t[index]:.6g}).")
    if t > 0:
        message += (f" {'Step 1 was' if t == 1 else f'Steps 1 to {t} were'} right, so look at what is carried "
                    "from one step to the next.")
    return message


def _compare(checker, got, expected, context, mistakes=lambda: [], against=""):
    """Every quantity (w and each state field) of ``got`` equals ``expected`` at every step.

    On failure, reports the quantity that goes wrong first (a state field before w at the same step) and
    names the mistake whose whole trajectory of that quantity equals the student's.
    """
    __tracebackhide__ = True
    first = {}
    for key in list(expected)[1:] + ["w"]:
        bad = _bad_steps(got[key], expected[key])
        if bad.any():
            first[key] = int(np.argmax(bad))
        else:
            checker.ok()
    if not first:
        return
    key = min(first, key=first.get)
    what = "the new w" if key == "w" else f"state.{key}"
    message = _explain(what + against, got[key], expected[key], first[key], context)
    candidates = mistakes()
    # A mistake whose whole trajectory (w and state) matches, else one whose trajectory of ``key`` matches.
    for keys in (list(expected), [key]):
        named = next((description for description, path in candidates
                      if not any(_bad_steps(got[k], path[k]).any() for k in keys)), None)
        if named:
            message += f" Your trajectory equals that of {named}."
            break
    checker.fail(message)


# ---------------------------------------------------------------- torch.optim in float64


def _torch_kwargs(hyper):
    """Our hyper-parameter names -> torch's: beta -> momentum, (beta1, beta2) -> betas."""
    kwargs = dict(hyper)
    if "beta" in kwargs:
        kwargs["momentum"] = kwargs.pop("beta")
    if "beta1" in kwargs or "beta2" in kwargs:
        kwargs["betas"] = (kwargs.pop("beta1", 0.9), kwargs.pop("beta2", 0.999))
    return kwargs


def _torch_run(exercise, w0, grads, hyper):
    """The trajectory of the torch.optim class, fed the same gradients, in float64 tensors."""
    import torch
    reference_defaults = {name: p.default for name, p in inspect.signature(exercise.reference).parameters.items()
                          if p.default is not inspect.Parameter.empty and name not in NOT_IN_TORCH}
    p = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    optimizer = getattr(torch.optim, exercise.torch_class)(
        [p], **_torch_kwargs({**reference_defaults, **hyper}), **exercise.torch_extra, foreach=False)
    gradients = torch.tensor(grads, dtype=torch.float64)
    path = {key: torch.empty(gradients.shape if key != "t" else len(grads), dtype=torch.float64)
            for key in ["w"] + list(exercise.torch_state)}
    for t in range(len(grads)):
        p.grad = gradients[t]
        optimizer.step()
        path["w"][t] = p.detach()
        for field, key in exercise.torch_state.items():
            path[field][t] = optimizer.state[p][key]
    return {key: values.numpy() for key, values in path.items()}


# ---------------------------------------------------------------- the checks


def _describe_hyper(hyper):
    return ", ".join(f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}"
                     for key, value in hyper.items()) or "the default hyper-parameters"


def _check(exercise, student, seed, shapes, steps, settings):
    __tracebackhide__ = True
    checker = Checker(exercise.name)
    rng = np.random.default_rng(seed)
    for shape in shapes:
        for hyper in settings if settings is not None else exercise.settings:
            w0 = rng.standard_normal(shape)
            grads = _gradients(rng, steps, tuple(shape), exercise.scales)
            context = f"for w of shape {tuple(shape)} and {_describe_hyper(hyper)}"
            got = _run_student(checker, exercise, student, w0, grads, hyper, context)

            def mistakes(hyper=hyper, w0=w0, grads=grads):
                known = exercise.mistakes(hyper) + [(
                    f"the old state returned unchanged: return the updated state, "
                    f"{exercise.state_type.__name__}(...) with the new values", old_state(exercise.reference))]
                return [(description, _run(flags if callable(flags) else partial(exercise.variant, **flags),
                                           exercise, w0, grads, hyper))
                        for description, flags in known]

            _compare(checker, got, _run(exercise.reference, exercise, w0, grads, hyper), context, mistakes)
            if all(hyper.get(key, default) == default for key, default in NOT_IN_TORCH.items()):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    theirs = _torch_run(exercise, w0, grads, hyper)
                against = f" (compared with torch.optim.{exercise.torch_class})"
                _compare(checker, got, theirs, context, against=against)
    checker.done()


def _make_check(name, number, extra=""):
    def check(student, seed=0, shapes=((4, 3),), steps=STEPS, settings=None):
        __tracebackhide__ = True
        _check(EXERCISES[name], student, seed, shapes, steps, settings)

    check.__name__ = f"check_{name}"
    check.__qualname__ = check.__name__
    check.__doc__ = (
        f"Exercise {number}: the student's {name} against the reference and torch.optim over ``steps`` updates.\n\n"
        "Runs every hyper-parameter setting (``settings``, default: the exercise's own, with and without "
        "weight decay)\nfor every shape in ``shapes`` on random gradients drawn with ``seed``; names the "
        f"known mistake a wrong\ntrajectory equals.{extra}")
    return check


check_momentum_update = _make_check("momentum_update", 1)
check_nesterov_update = _make_check("nesterov_update", 2)
check_adagrad_update = _make_check("adagrad_update", 3)
check_rmsprop_update = _make_check("rmsprop_update", 4, " Includes eps_inside_sqrt=True (no torch counterpart).")
check_adadelta_update = _make_check("adadelta_update", 5)
check_adam_update = _make_check("adam_update", 6, " Includes bias_correction=False (no torch counterpart).")
