"""Gradient descent, momentum and Nesterov momentum as pure init/update pairs, and the optimiser API.

Book: chapter 01_sgd (SGD), chapter 04_optimisers (momentum, Nesterov; the adaptive methods are in
``dlcourse.adaptive``).

Every algorithm is a pair of pure functions on one array, in the style of optax:

* ``<name>_init(w) -> state``: the optimiser's memory for one parameter array, a NamedTuple;
* ``<name>_update(w, dw, state, lr, ...) -> (w_new, state_new)``: one step; the inputs are never modified.

``dw`` is dL/dw at ``w``. ``weight_decay`` is torch's (coupled, L2) weight decay: the step uses
g = dw + weight_decay * w. Defaults and algorithms are those of ``torch.optim`` (torch's ``dampening``
is not offered: it is 0 here). ``Optimizer(init, update)`` bundles a pair with its hyper-parameters
(``sgd(lr=0.1)``, ``adam()``, ...), and ``init_params`` / ``update_params`` lift it over a dict of
arrays such as ``dlcourse.init.init_mlp`` returns.

Two ways to write momentum (the book derives both; tests/test_optim_torch.py proves the relations):

* torch form (``momentum_update``):   v <- beta v + g,        w <- w - lr v
* lecture form (``momentum_update_lecture``, Sutskever et al. 2013): v <- beta v - lr g,  w <- w + v

With a constant learning rate they give the same iterates, with v_lecture = -lr v_torch at every step.
With a learning rate that changes, they differ: the lecture form scales each gradient by the lr of the
step it arrived at, torch's form scales the whole velocity by the current lr.

Two ways to write Nesterov momentum:

* look-ahead form (``nesterov_lookahead_update``, Sutskever et al. 2013): the gradient is taken at the
  look-ahead point, v <- beta v - lr grad(w + beta v), w <- w + v;
* torch form (``nesterov_update``, ``torch.optim.SGD(nesterov=True)``): v <- beta v + g,
  w <- w - lr (g + beta v), with g the gradient at the current w.

Change of variables: torch's parameter is the look-ahead point u = w + beta v of the look-ahead form and
torch's velocity is -v / lr; with a constant lr the two produce exactly these iterates.
"""
from functools import partial
from typing import Callable, NamedTuple

import numpy as np

__all__ = [
    "Optimizer", "init_params", "update_params", "ravel_params", "run_on_gradients",
    "SGDState", "sgd_init", "sgd_update", "sgd",
    "MomentumState", "momentum_init", "momentum_update", "momentum_update_lecture",
    "momentum", "momentum_lecture",
    "nesterov_update", "nesterov_lookahead_update", "nesterov",
]


class Optimizer(NamedTuple):
    """An init/update pair with its hyper-parameters fixed: init(w) -> state, update(w, dw, state) -> (w, state).

    ``update`` is a ``functools.partial`` of an ``*_update`` function, so any hyper-parameter can still be
    overridden per call, e.g. ``opt.update(w, dw, state, lr=schedule(s))``.
    """

    init: Callable
    update: Callable


def _decayed(dw, w, weight_decay):
    """g = dw + weight_decay * w (torch's L2 weight decay, added to the gradient)."""
    return dw + weight_decay * w if weight_decay else dw


def init_params(opt, params):
    """states[k] = opt.init(params[k]) for every key k.

    Shapes: params is a dict of arrays, e.g. {"W1": (M, D), "b1": (M,), ...} -> dict of states, same keys.
    """
    return {key: opt.init(value) for key, value in params.items()}


def update_params(opt, params, grads, states, **overrides):
    """params[k], states[k] = opt.update(params[k], grads[k], states[k]) for every key k.

    Shapes: params, grads, states are dicts with the same keys; grads[k] has the shape of params[k].
    ``overrides`` are passed on to every update, e.g. ``lr=schedule(s)``. Returns new dicts
    (params, states); the inputs are not modified.
    """
    new_params, new_states = {}, {}
    for key, value in params.items():
        new_params[key], new_states[key] = opt.update(value, grads[key], states[key], **overrides)
    return new_params, new_states


def run_on_gradients(update, init, w0, gradients, lrs=None, **hyper):
    """w_t, state_t = update(w_(t-1), dw_t, state_(t-1), **hyper) for t = 1..T, from w0 and init(w0).

    Shapes: w0 any shape, gradients (T, *w0.shape): the gradients dw_1..dw_T, given in advance (they do not depend
    on w, as in a stream of gradients or a constant gradient) -> (ws (T, *w0.shape) array of the iterates
    w_1..w_T, list of the T states). ``lrs`` (T,), if given, is the learning rate of each step (a schedule); the
    other hyper-parameters are passed to every call. The inputs are not modified.
    """
    w, state, ws, states = np.array(w0, dtype=float), init(w0), [], []
    for t, dw in enumerate(gradients):
        step_hyper = hyper if lrs is None else {**hyper, "lr": lrs[t]}
        w, state = update(w, dw, state, **step_hyper)
        ws.append(w)
        states.append(state)
    return np.array(ws), states


def ravel_params(params, order=None):
    """vector = the arrays of params, raveled and concatenated in key order; unravel(vector) -> params again.

    Shapes: params is a dict of arrays with P entries in all -> ((P,) array, unravel), unravel: (P,) -> dict of
    arrays shaped like params. ``order`` (any iterable of the keys, e.g. another dict such as the parameters whose
    gradients ``params`` holds) sets the order; by default it is params' own. For optimisers that work on one
    vector, e.g. scipy.optimize.minimize; the order is that of torch.nn.utils.parameters_to_vector for a model
    whose parameters come in the same order.
    """
    keys = list(params if order is None else order)
    shapes = [np.shape(params[key]) for key in keys]
    cuts = np.cumsum([int(np.prod(shape)) for shape in shapes])[:-1]

    def unravel(vector):
        return {key: part.reshape(shape) for key, part, shape in zip(keys, np.split(vector, cuts), shapes)}
    return np.concatenate([np.ravel(params[key]) for key in keys]), unravel


# ---------------------------------------------------------------- plain (stochastic) gradient descent


class SGDState(NamedTuple):
    """Plain gradient descent has no memory: an empty state."""


def sgd_init(w):
    """state = () (plain SGD keeps no state).

    Shapes: w any shape -> SGDState().
    """
    return SGDState()


def sgd_update(w, dw, state, lr, weight_decay=0.0):
    """w <- w - lr (dw + weight_decay w)   (torch.optim.SGD with momentum=0).

    Shapes: w, dw same shape -> (w_new same shape, SGDState()). Book: 01_sgd, "The update rule".
    """
    return w - lr * _decayed(dw, w, weight_decay), state


def sgd(lr, weight_decay=0.0):
    """Optimizer for w <- w - lr (dw + weight_decay w).

    Shapes: per array, see ``sgd_update``. Book: 01_sgd.
    """
    return Optimizer(sgd_init, partial(sgd_update, lr=lr, weight_decay=weight_decay))


# ---------------------------------------------------------------- momentum


class MomentumState(NamedTuple):
    """The velocity v, shaped like w. Its meaning depends on the form (see the module docstring)."""

    velocity: np.ndarray


def momentum_init(w):
    """v = 0.

    Shapes: w -> MomentumState(velocity shaped like w). Shared by all momentum and Nesterov forms.
    """
    return MomentumState(np.zeros_like(w))


def momentum_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    """v <- beta v + g,  w <- w - lr v,  with g = dw + weight_decay w   (torch.optim.SGD(momentum=beta)).

    Shapes: w, dw same shape -> (w_new, MomentumState). Book: 04_optimisers, "Momentum".
    The velocity accumulates raw gradients; the learning rate multiplies it when it is applied.
    torch starts with v = g at the first step, which is beta * 0 + g: the same thing.
    """
    v = beta * state.velocity + _decayed(dw, w, weight_decay)
    return w - lr * v, MomentumState(v)


def momentum_update_lecture(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    """v <- beta v - lr g,  w <- w + v,  with g = dw + weight_decay w   (Sutskever et al. 2013, lecture notes).

    Shapes: w, dw same shape -> (w_new, MomentumState). Book: 04_optimisers, "Momentum".
    The velocity includes the learning rate. With a constant lr this gives the iterates of
    ``momentum_update`` and v_lecture = -lr v_torch; with a varying lr it does not.
    """
    v = beta * state.velocity - lr * _decayed(dw, w, weight_decay)
    return w + v, MomentumState(v)


def momentum(lr, beta=0.9, weight_decay=0.0):
    """Optimizer for torch's momentum: v <- beta v + g, w <- w - lr v.

    Shapes: per array, see ``momentum_update``. Book: 04_optimisers.
    """
    return Optimizer(momentum_init, partial(momentum_update, lr=lr, beta=beta, weight_decay=weight_decay))


def momentum_lecture(lr, beta=0.9, weight_decay=0.0):
    """Optimizer for the lecture form of momentum: v <- beta v - lr g, w <- w + v.

    Shapes: per array, see ``momentum_update_lecture``. Book: 04_optimisers.
    """
    return Optimizer(momentum_init,
                     partial(momentum_update_lecture, lr=lr, beta=beta, weight_decay=weight_decay))


# ---------------------------------------------------------------- Nesterov momentum


def nesterov_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    """v <- beta v + g,  w <- w - lr (g + beta v),  with g = dw + weight_decay w   (torch SGD, nesterov=True).

    Shapes: w, dw same shape -> (w_new, MomentumState). Book: 04_optimisers, "Nesterov momentum".
    ``dw`` is the gradient at the current w: torch's reformulation of Nesterov momentum, whose
    parameter is the look-ahead point of ``nesterov_lookahead_update`` (see the module docstring).
    """
    g = _decayed(dw, w, weight_decay)
    v = beta * state.velocity + g
    return w - lr * (g + beta * v), MomentumState(v)


def nesterov_lookahead_update(w, grad_fn, state, lr, beta=0.9, weight_decay=0.0):
    """v <- beta v - lr g(w + beta v),  w <- w + v   (Nesterov 1983 as written by Sutskever et al. 2013).

    Shapes: w any shape, grad_fn(x) -> dL/dx shaped like x -> (w_new, MomentumState).
    Book: 04_optimisers, "Nesterov momentum". The gradient is evaluated at the look-ahead point
    x = w + beta v, so this takes a gradient *function*; g(x) = grad_fn(x) + weight_decay x.
    """
    lookahead = w + beta * state.velocity
    v = beta * state.velocity - lr * _decayed(grad_fn(lookahead), lookahead, weight_decay)
    return w + v, MomentumState(v)


def nesterov(lr, beta=0.9, weight_decay=0.0):
    """Optimizer for torch's Nesterov momentum: v <- beta v + g, w <- w - lr (g + beta v).

    Shapes: per array, see ``nesterov_update``. Book: 04_optimisers.
    """
    return Optimizer(momentum_init, partial(nesterov_update, lr=lr, beta=beta, weight_decay=weight_decay))
