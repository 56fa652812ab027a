"""Checks for chapter 04_optimisers: the updates of momentum, Nesterov momentum, Adagrad, RMSProp, Adadelta
and Adam.

Book: chapter 04_optimisers, exercises 1 to 6.
Each check runs the student's ``*_update`` for ``steps`` updates on random gradient sequences, feeding back the
state it returns, for several hyper-parameter settings (weight decay and the book's flags included, the last
setting passed by position in the order of the exercise's signature) and several shapes. At every step it holds
the result to the exercise's contract: a tuple ``(w_new, state_new)``, ``w_new`` a float array shaped like
``w``, the state of the exercise's NamedTuple type with float arrays shaped like ``w`` (and an integer step
count), and none of ``w``, ``dw`` or the state modified in place. It compares every iterate w_t and every field
of every state with the dlcourse reference and with the corresponding ``torch.optim`` class, run in float64 on
the same gradients. Each entry is compared within a tolerance that follows that entry's own size over the run
(so a state entry of size 1e-12 is held to 1e-12, not to the size of its neighbours). A failure names a known
mistake (``optimiser_mistakes``) only when the whole trajectory, w and every state field, equals that
mistake's. torch is imported only when a check first needs it; its global default dtype is never changed.
"""
import inspect
import numbers
import warnings
from functools import partial
from typing import Callable, NamedTuple

import numpy as np

from .. import adaptive as A
from .. import optim as O
from .core import ATOL, RTOL, TINY, Checker, describe
from .optimiser_mistakes import (
    adadelta_like, adadelta_mistakes, adagrad_like, adagrad_mistakes, adam_like, adam_mistakes,
    momentum_like, momentum_mistakes, nesterov_mistakes, old_state, rmsprop_like, rmsprop_mistakes)

__all__ = ["check_momentum_update", "check_nesterov_update", "check_adagrad_update", "check_rmsprop_update",
           "check_adadelta_update", "check_adam_update"]

STEPS = 30
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
    settings: tuple            # hyper-parameter dicts; {} uses the defaults of the signature; the last goes by position
    scales: tuple
    torch_class: str           # the torch.optim class whose algorithm the check runs beside the student's


# Plain and Nesterov momentum take the same settings (lr has no default).
MOMENTUM_SETTINGS = ({"lr": 0.05}, {"lr": 0.01, "beta": 0.5, "weight_decay": 0.1},
                     {"lr": 0.03, "beta": 0.95, "weight_decay": 0.01})
EXERCISES = {exercise.name: exercise for exercise in (
    _Exercise("momentum_update", O.momentum_update, O.momentum_init, O.MomentumState, momentum_like,
              momentum_mistakes, MOMENTUM_SETTINGS, MOMENTUM_SCALES, "SGD"),
    _Exercise("nesterov_update", O.nesterov_update, O.momentum_init, O.MomentumState,
              partial(momentum_like, nesterov=True), nesterov_mistakes, MOMENTUM_SETTINGS, MOMENTUM_SCALES, "SGD"),
    _Exercise("adagrad_update", A.adagrad_update, A.adagrad_init, A.AdagradState, adagrad_like, adagrad_mistakes,
              ({}, {"lr": 0.1, "eps": 1e-6, "weight_decay": 0.1}, {"lr": 0.05, "eps": 1e-3}),
              ADAPTIVE_SCALES, "Adagrad"),
    _Exercise("rmsprop_update", A.rmsprop_update, A.rmsprop_init, A.RMSPropState, rmsprop_like, rmsprop_mistakes,
              ({}, {"lr": 1e-3, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.1},
               {"lr": 0.01, "eps": 1e-4, "eps_inside_sqrt": True},
               {"lr": 3e-3, "alpha": 0.95, "eps": 1e-8, "weight_decay": 0.05, "eps_inside_sqrt": True}),
              ADAPTIVE_SCALES, "RMSprop"),
    _Exercise("adadelta_update", A.adadelta_update, A.adadelta_init, A.AdadeltaState, adadelta_like,
              adadelta_mistakes, ({}, {"lr": 0.5, "rho": 0.95, "eps": 1e-8, "weight_decay": 0.1}, {"lr": 2, "eps": 1e-4}),
              ADAPTIVE_SCALES, "Adadelta"),
    _Exercise("adam_update", A.adam_update, A.adam_init, A.AdamState, adam_like, adam_mistakes,
              ({}, {"lr": 1e-2, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weight_decay": 0.1},
               {"lr": 5e-3, "beta1": 0.5, "beta2": 0.9, "eps": 1e-3},
               {"lr": 1e-3, "eps": 1e-4, "weight_decay": 0.05, "bias_correction": False}),
              ADAPTIVE_SCALES, "Adam"),
)}
# Our flags for the book's variants; a setting that turns one on has no torch counterpart.
NOT_IN_TORCH = {"eps_inside_sqrt": False, "bias_correction": True}


def _signature(exercise):
    return f"{exercise.name}{inspect.signature(exercise.reference)}"


def _by_position(exercise, hyper):
    """The hyper-parameters as positional arguments in the order of the signature (defaults fill any gap)."""
    parameters = list(inspect.signature(exercise.reference).parameters.values())[3:]
    given = [index for index, parameter in enumerate(parameters) if parameter.name in hyper]
    return tuple(hyper.get(parameter.name, parameter.default) for parameter in parameters[:max(given, default=-1) + 1])


# ---------------------------------------------------------------- running and comparing trajectories


def _gradients(rng, steps, shape, scales):
    """dw_1..dw_T: a random walk (so that momentum builds up) plus noise; entry i scaled by scales[i % 3]."""
    scale = np.resize(np.asarray(scales, dtype=float), int(np.prod(shape))).reshape(shape)
    drift = np.cumsum(rng.standard_normal((steps,) + shape), axis=0) / np.sqrt(steps)
    return scale * (drift + rng.standard_normal((steps,) + shape))


def _run(update, exercise, w0, grads, hyper):
    """The trajectory {"w": (T, ...) array, field: (T, ...) array} of a correct or variant update."""
    path = {key: [] for key in ("w",) + exercise.state_type._fields}
    w, state = w0.copy(), exercise.init(w0)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for dw in grads:
            w, state = update(w, dw, state, **hyper)
            for key, value in zip(path, (w,) + tuple(state)):
                path[key].append(np.array(value, dtype=float))
    return {key: np.array(values) for key, values in path.items()}


def _held_to_contract(checker, exercise, result, w0, where):
    """(w_new, state_new) if ``result`` keeps the contract of the exercise, else a failure saying what is wrong."""
    __tracebackhide__ = True
    kind = exercise.state_type.__name__
    if not (isinstance(result, tuple) and len(result) == 2):
        checker.fail(f"should return a tuple (w_new, state_new), but returned {describe(result)} {where}.")
    w_new, state = result
    checker.conforms("the new w", w_new, w0, context=where)
    if not isinstance(state, exercise.state_type):
        checker.fail(f"the new state should be a {kind} (build it with {kind}(...), as the exercise says), but it "
                     f"is {describe(state)} {where}.")
    for field, value in zip(state._fields, state):
        if field == "t":
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
                checker.fail(f"state.t should be an integer (the number of updates so far), but it is "
                             f"{describe(value)} {value!r} {where}. Count with t = state.t + 1.")
        else:
            checker.conforms(f"state.{field}", value, w0, context=where)
    return w_new, state


def _run_student(checker, exercise, student, w0, grads, hyper, context, by_position):
    """The student's trajectory, fed back its own states; at every step the contract and untouched inputs."""
    __tracebackhide__ = True
    fields = exercise.state_type._fields
    path = {key: [] for key in ("w",) + fields}
    w, state = w0.copy(), exercise.init(w0)
    hint = (lambda error: f" Keep the parameters of the exercise, in its order: {_signature(exercise)}."
            if isinstance(error, TypeError) else "")
    for t, dw in enumerate(grads, start=1):
        dw = dw.copy()
        inputs = [("w", w), ("dw", dw)] + [(f"state.{field}", value) for field, value in zip(fields, state)]
        saved = [np.array(value, copy=True) for _, value in inputs]
        if by_position:
            result = checker.call(student, w, dw, state, *_by_position(exercise, hyper), hint=hint)
        else:
            result = checker.call(student, w, dw, state, hint=hint, **hyper)
        for (what, now), before in zip(inputs, saved):
            if not np.array_equal(np.asarray(now), before, equal_nan=True):
                checker.fail(f"your function changed its input {what} in place (e.g. with += or [...] =) at step {t} "
                             f"{context}; compute new arrays and return them instead.")
        w, state = _held_to_contract(checker, exercise, result, w0, f"after step {t} {context}")
        for key, value in zip(path, (w,) + tuple(state)):
            path[key].append(np.array(value, dtype=float))
    checker.ok()
    return {key: np.array(values) for key, values in path.items()}


def _bad_steps(got, expected, start=0.0):
    """Per step: whether any entry of ``got`` differs from ``expected`` beyond the checks' tolerance.

    Entry i of step t may differ by RTOL * |expected[t, i]| + ATOL * (the largest size of entry i over the run,
    ``start``, its value before the first step, included): the tolerance follows each entry's own size, as
    Checker.close's follows the result's, and round-off, which follows the operands (w_(t-1) - step), is covered.
    Equal non-finite values (nan and nan, inf and inf) count as equal.
    """
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        return np.ones(len(expected), dtype=bool)
    finite = np.where(np.isfinite(expected), np.abs(expected), 0.0)
    scale = np.maximum(np.maximum(finite.max(axis=0, keepdims=True), np.abs(start)), TINY)
    with np.errstate(all="ignore"):
        close = np.abs(got - expected) <= ATOL * scale + RTOL * finite
    close |= (got == expected) | (np.isnan(got) & np.isnan(expected))
    return ~close.reshape(len(close), -1).all(axis=1)


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


def _compare(checker, got, expected, context, w0, mistakes=lambda: [], against=""):
    """Every quantity (w and each state field) of ``got`` equals ``expected`` at every step.

    On failure, reports the quantity that goes wrong first (a state field before w at the same step) and names a
    known mistake only when the student's whole trajectory, w and every state field, equals that mistake's.
    """
    __tracebackhide__ = True
    first, start = {}, {"w": w0}
    for key in list(expected)[1:] + ["w"]:
        bad = _bad_steps(got[key], expected[key], start.get(key, 0.0))
        if bad.any():
            first[key] = int(np.argmax(bad))
        else:
            checker.ok()
    if not first:
        return
    key = min(first, key=first.get)
    what = "the new w" if key == "w" else f"state.{key}"
    message = _explain(what + against, got[key], expected[key], first[key], context)
    named = next((description for description, path in mistakes()
                  if not any(_bad_steps(got[k], path[k], start.get(k, 0.0)).any() for k in expected)), None)
    if named:
        message += f" Your trajectory equals that of {named}."
    checker.fail(message)


# ---------------------------------------------------------------- torch.optim in float64


def _torch_algorithm(name, p, hyper):
    """One step of torch.optim's algorithm for exercise ``name`` on the float64 tensor ``p``, and its state.

    Uses torch's functional optimisers (``torch.optim.adam.adam`` and its siblings, the code each optimiser class
    runs), so that no ``torch.optim.Optimizer`` is built: its constructor imports torch._dynamo, seconds of work
    a check does not need. Returns (step(grad), state()), state() -> {our field: tensor}.
    """
    from torch.optim import adadelta, adagrad, adam, rmsprop, sgd
    import torch
    zeros, step_count = (lambda: torch.zeros_like(p)), [torch.tensor(0.0, dtype=torch.float64)]
    common = {"foreach": False, "weight_decay": hyper["weight_decay"]}
    if name in ("momentum_update", "nesterov_update"):
        buffers = [None]
        return (lambda grad: sgd.sgd([p], [grad], buffers, momentum=hyper["beta"], lr=hyper["lr"], dampening=0.0,
                                     nesterov=name == "nesterov_update", maximize=False, **common),
                lambda: {"velocity": buffers[0]})
    if name == "adagrad_update":
        sums = [zeros()]
        return (lambda grad: adagrad.adagrad([p], [grad], sums, step_count, lr=hyper["lr"], lr_decay=0.0,
                                             eps=hyper["eps"], maximize=False, **common),
                lambda: {"sum_sq": sums[0]})
    if name == "rmsprop_update":
        averages = [zeros()]
        return (lambda grad: rmsprop.rmsprop([p], [grad], averages, [], [], step_count, lr=hyper["lr"],
                                             alpha=hyper["alpha"], eps=hyper["eps"], momentum=0.0, centered=False,
                                             **common),
                lambda: {"square_avg": averages[0]})
    if name == "adadelta_update":
        averages, deltas = [zeros()], [zeros()]
        return (lambda grad: adadelta.adadelta([p], [grad], averages, deltas, step_count, lr=hyper["lr"],
                                               rho=hyper["rho"], eps=hyper["eps"], maximize=False, **common),
                lambda: {"square_avg": averages[0], "acc_delta": deltas[0]})
    means, squares = [zeros()], [zeros()]
    return (lambda grad: adam.adam([p], [grad], means, squares, [], step_count, amsgrad=False, beta1=hyper["beta1"],
                                   beta2=hyper["beta2"], lr=hyper["lr"], eps=hyper["eps"], maximize=False, **common),
            lambda: {"m": means[0], "v": squares[0], "t": step_count[0]})


def _torch_run(exercise, w0, grads, hyper):
    """The trajectory of torch.optim's algorithm, fed the same gradients, in float64 tensors."""
    import torch
    defaults = {name: p.default for name, p in inspect.signature(exercise.reference).parameters.items()
                if p.default is not inspect.Parameter.empty}
    p = torch.tensor(w0, dtype=torch.float64)
    step, state = _torch_algorithm(exercise.name, p, {**defaults, **hyper})
    path = {key: [] for key in ("w",) + exercise.state_type._fields}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        for grad in torch.tensor(grads, dtype=torch.float64):
            step(grad)
            for key, value in {"w": p, **state()}.items():
                path[key].append(value.numpy().copy())
    return {key: np.array(values) for key, values in path.items()}


# ---------------------------------------------------------------- the checks


def _describe_hyper(hyper):
    return ", ".join(f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}"
                     for key, value in hyper.items()) or "the default hyper-parameters"


def _check(exercise, student, seed, shapes, steps, settings):
    __tracebackhide__ = True
    checker = Checker(exercise.name)
    rng = np.random.default_rng(seed)
    settings = exercise.settings if settings is None else settings
    for shape in shapes:
        for number, hyper in enumerate(settings, start=1):
            by_position = number == len(settings) and bool(hyper)
            w0 = rng.standard_normal(shape)
            grads = _gradients(rng, steps, tuple(shape), exercise.scales)
            context = f"for w of shape {tuple(shape)} and {_describe_hyper(hyper)}"
            if by_position:
                shown = ", ".join(repr(value) for value in _by_position(exercise, hyper))
                context += f", passed by position as {exercise.name}(w, dw, state, {shown})"
            got = _run_student(checker, exercise, student, w0, grads, hyper, context, by_position)

            def mistakes(hyper=hyper, w0=w0, grads=grads):
                known = exercise.mistakes(hyper) + [(
                    f"the old state returned unchanged: return the updated state, "
                    f"{exercise.state_type.__name__}(...) with the new values", old_state(exercise.reference))]
                return [(description, _run(flags if callable(flags) else partial(exercise.variant, **flags),
                                           exercise, w0, grads, hyper))
                        for description, flags in known]

            _compare(checker, got, _run(exercise.reference, exercise, w0, grads, hyper), context, w0, mistakes)
            if all(hyper.get(key, default) == default for key, default in NOT_IN_TORCH.items()):
                against = f" (compared with torch.optim.{exercise.torch_class})"
                _compare(checker, got, _torch_run(exercise, w0, grads, hyper), context, w0, against=against)
    checker.done()


def _make_check(name, number, extra=""):
    def check(student, seed=0, shapes=((4, 3), (5,)), steps=STEPS, settings=None):
        __tracebackhide__ = True
        _check(EXERCISES[name], student, seed, shapes, steps, settings)

    check.__name__ = f"check_{name}"
    check.__qualname__ = check.__name__
    check.__doc__ = (
        f"Exercise {number}: the student's {name} against the reference and torch.optim over ``steps`` updates.\n\n"
        "Runs every hyper-parameter setting (``settings``, default: the exercise's own, with and without weight "
        "decay;\nthe last one passed by position) for every shape in ``shapes`` on random gradients drawn with "
        "``seed``;\nholds every step to the contract and names the known mistake a whole wrong trajectory "
        f"equals.{extra}")
    return check


check_momentum_update = _make_check("momentum_update", 1)
check_nesterov_update = _make_check("nesterov_update", 2)
check_adagrad_update = _make_check("adagrad_update", 3)
check_rmsprop_update = _make_check("rmsprop_update", 4, " Includes eps_inside_sqrt=True (no torch counterpart).")
check_adadelta_update = _make_check("adadelta_update", 5)
check_adam_update = _make_check("adam_update", 6, " Includes bias_correction=False (no torch counterpart).")
