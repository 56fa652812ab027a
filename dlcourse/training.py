"""Minibatch training loop: shuffled minibatches, any optimiser, a schedule, a loss history; the sharpness.

Book: chapter 01_sgd, section "Minibatch SGD", used again in 04_optimisers; ``sharpness``: 01_sgd,
"Optimisation is not learning" (the edge of stability).

Progress bars. ``train(..., progress=True)`` shows a tqdm bar and ``progress=False`` never does. With
the default ``progress=None`` a bar is shown only in an interactive terminal: never when the environment
variable DLCOURSE_QUIET=1 is set, never under pytest, and never inside a Jupyter kernel, because a kernel
that runs a notebook for nbgrader, nbval or the book build cannot be told apart from one a student drives.
In Jupyter, pass ``progress=True``. The bar is written to stdout, not tqdm's usual stderr: nbgrader scores a
test cell 0 when it writes to stderr.
"""
import math
import os
import sys

import numpy as np

from .optim import init_params, update_params

__all__ = ["minibatch_indices", "progress_enabled", "train", "sharpness"]


def minibatch_indices(n, batch_size, rng=None, shuffle=True):
    """Index arrays of one epoch: a permutation of 0..n-1 (by ``rng``) cut into chunks of ``batch_size``.

    Shapes: yields ceil(n / batch_size) int arrays; every one has batch_size entries except possibly the
    last (the partial batch, n mod batch_size); together they cover each example exactly once.
    ``shuffle=False`` keeps the order 0..n-1 and needs no ``rng``.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    if shuffle and rng is None:
        raise ValueError("shuffle=True needs rng, an np.random.Generator (e.g. np.random.default_rng(0))")
    order = rng.permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def progress_enabled(progress=None):
    """Whether to show a progress bar: ``progress`` if it is True or False, else the rule in the module docstring.

    Shapes: -> bool.
    """
    if progress is not None:
        return bool(progress)
    if os.environ.get("DLCOURSE_QUIET") == "1" or "PYTEST_CURRENT_TEST" in os.environ or "ipykernel" in sys.modules:
        return False
    return hasattr(sys.stdout, "isatty") and sys.stdout.isatty()


class _NoBar:
    """Stands in for a tqdm bar when progress bars are off."""

    def update(self, n=1):
        pass

    def set_postfix(self, **kwargs):
        pass

    def close(self):
        pass


def _progress_bar(total, enabled):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm
    return tqdm(total=total, file=sys.stdout, unit="step", leave=False, dynamic_ncols=True)


def train(params, opt, data, loss_and_grads, epochs, batch_size, rng, schedule=None, progress=None,
          callback=None):
    """For each epoch and minibatch B: loss, grads = loss_and_grads(params, *data[B]); params <- opt step.

    Shapes: params dict of arrays (e.g. ``init.init_mlp``); data a tuple of arrays with the same first
    dimension N (e.g. a ``datasets.Dataset`` (x, y)); loss_and_grads(params, *batch) -> (mean loss over the
    batch, dict of gradients like params), e.g. ``lambda p, x, y: network.mlp_loss_and_grads(p, x, y,
    losses.softmax_cross_entropy)``; opt an ``optim.Optimizer``. Returns (params, history).

    history["train_loss"][e]: the mean over the examples of epoch e of the minibatch losses (each taken
    before its update); history["batch_loss"][s]: the loss of update s; history["lr"][s]: the learning rate
    of update s when a ``schedule`` (step s -> lr, s counted from 0 over all epochs) is given. If
    ``callback(params, epoch)`` is given, it runs after every epoch and each entry of the dict it returns
    (e.g. {"val_loss": ..., "val_accuracy": ...}) is appended to history[key]. Training stops early when a
    loss is not finite (a diverging run): history["diverged"] is True then, False otherwise; numpy's
    overflow warnings are silenced, so nothing is written to stderr. Inputs are not modified.
    """
    states = init_params(opt, params)
    history = {"train_loss": [], "batch_loss": [], "diverged": False}
    if schedule is not None:
        history["lr"] = []
    n = len(data[0])
    bar = _progress_bar(epochs * math.ceil(n / batch_size), progress_enabled(progress))
    step = 0
    with np.errstate(all="ignore"):
        for epoch in range(epochs):
            total = 0.0
            for index in minibatch_indices(n, batch_size, rng):
                loss, grads = loss_and_grads(params, *(array[index] for array in data))
                loss = float(loss)
                history["batch_loss"].append(loss)
                total += loss * len(index)
                if not math.isfinite(loss):
                    history["diverged"] = True
                    break
                overrides = {}
                if schedule is not None:
                    overrides["lr"] = schedule(step)
                    history["lr"].append(overrides["lr"])
                params, states = update_params(opt, params, grads, states, **overrides)
                step += 1
                bar.update(1)
            history["train_loss"].append(total / n if not history["diverged"] else math.nan)
            if history["diverged"]:
                break
            bar.set_postfix(epoch=epoch + 1, loss=f"{history['train_loss'][-1]:.4g}")
            if callback is not None:
                for key, value in callback(params, epoch).items():
                    history.setdefault(key, []).append(value)
    bar.close()
    return params, history


def _norm(v):
    return math.sqrt(sum(float(np.sum(value ** 2)) for value in v.values()))


def sharpness(loss_and_grads, params, data, rng=None, iterations=20, eps=1e-4, v=None):
    """lambda_max of the Hessian H of the loss at ``params``, by power iteration v <- H v / ||H v||, with
    H v ~ (grad J(theta + eps v) - grad J(theta - eps v)) / (2 eps)  (two gradients, no Hessian stored).

    Shapes: params a dict of arrays; data a tuple passed on as loss_and_grads(params, *data) -> (loss, grads
    dict like params); v None (a random start drawn from ``rng``, an np.random.Generator) or a dict like params,
    e.g. the v returned at a nearby point, so that a trace along a run needs few iterations -> (estimate, v),
    where estimate = v^T H v for the last unit vector v: the eigenvalue of largest magnitude once the iteration
    has converged (a lower bound on it before). Inputs are not modified.
    """
    if v is None:
        if rng is None:
            raise ValueError("sharpness needs v or rng, an np.random.Generator to draw the start of the iteration")
        v = {key: rng.standard_normal(np.shape(value)) for key, value in params.items()}
    estimate = math.nan
    for _ in range(iterations):
        norm = _norm(v)
        v = {key: value / norm for key, value in v.items()}
        plus = loss_and_grads({key: params[key] + eps * v[key] for key in params}, *data)[1]
        minus = loss_and_grads({key: params[key] - eps * v[key] for key in params}, *data)[1]
        hv = {key: (plus[key] - minus[key]) / (2 * eps) for key in params}
        estimate = sum(float(np.sum(hv[key] * v[key])) for key in params)
        v = hv
    norm = _norm(v)
    return estimate, {key: value / norm for key, value in v.items()}
