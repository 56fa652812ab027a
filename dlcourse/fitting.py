"""Small training loops for the experiments of chapter 06_regularisation: a network of ``dlcourse.sequential``
trained on softmax cross-entropy, with a penalty added to the gradient, a decoupled decay, or a projection.

Book: chapter 06_regularisation (every experiment with a network). The chapter's exercises supply the pieces
(``penalty`` is the student's ``l2_penalty``, ``project`` applies the student's ``max_norm``); these loops only
put them together, so that the book's code shows what changes between runs and not the loop itself.

Every function takes the network (a ``sequential.Layer`` without state, e.g. ``sequential.mlp``), a flat params
dict, and returns new arrays; nothing is modified in place.
"""
import numpy as np

from . import losses, sequential, training
from .optim import init_params, update_params

__all__ = ["error_rate", "cross_entropy", "gradient_descent", "minibatch_steps", "train", "largest_difference"]


def error_rate(net, params, x, y):
    """The fraction of the examples whose largest logit is not their label.

    Shapes: x (N, D), y (N,) integers -> float.
    """
    return float(np.mean(sequential.predict(net, params, {}, x).argmax(axis=1) != y))


def cross_entropy(net, params, x, y):
    """The average softmax cross-entropy of the network's logits.

    Shapes: x (N, D), y (N,) integers -> float.
    """
    return float(losses.softmax_cross_entropy(sequential.predict(net, params, {}, x), y)[0])


def _gradients(net, params, x, y, penalty, mu):
    """(loss, dJ/dparams + dOmega/dparams) on one batch; ``penalty(params, mu) -> (value, grads)`` or None."""
    loss, grads, _ = sequential.loss_and_grads(net, params, {}, x, y, losses.softmax_cross_entropy)
    if penalty is not None:
        penalty_grads = penalty(params, mu)[1]
        grads = {key: grads[key] + penalty_grads[key] for key in grads}
    return loss, grads


def gradient_descent(net, params, x, y, steps, lr, penalty=None, mu=0.0):
    """``steps`` full-batch steps params <- params - lr (dJ/dparams + dOmega/dparams).

    Shapes: x (N, D), y (N,) integers -> params (a new dict).
    """
    for _ in range(steps):
        _, grads = _gradients(net, params, x, y, penalty, mu)
        params = {key: params[key] - lr * grads[key] for key in params}
    return params


def minibatch_steps(net, params, opt, x, y, batches, penalty=None, mu=0.0, shrink=0.0, project=None):
    """One step of ``opt`` per index array in ``batches``, with three optional changes to the plain step.

    ``penalty`` and ``mu``: the penalty's gradient is added to the loss's (coupled L2); ``shrink``: the weights
    (``sequential.is_weight``) are multiplied by 1 - shrink before each step (decoupled decay, shrink = lr
    times the decay rate); ``project(params) -> params`` is applied after each step (a norm constraint).
    Shapes: x (N, D), y (N,), batches a sequence of index arrays -> (params, optimiser states, history) with
    history["loss"][s] the minibatch loss of step s and history["max_row_norm"][s] the largest norm of a row of
    a weight matrix after it.
    """
    states, history = init_params(opt, params), {"loss": [], "max_row_norm": []}
    with np.errstate(all="ignore"):       # a run at a too-large learning rate may overflow: it shows in the loss
        for batch in batches:
            loss, grads = _gradients(net, params, x[batch], y[batch], penalty, mu)
            if shrink:
                params = {key: (1 - shrink) * value if sequential.is_weight(key) else value
                          for key, value in params.items()}
            params, states = update_params(opt, params, grads, states)
            if project is not None:
                params = project(params)
            history["loss"].append(float(loss))
            history["max_row_norm"].append(max(float(np.linalg.norm(value, axis=1).max())
                                               for key, value in params.items() if sequential.is_weight(key)))
    return params, states, {key: np.array(values) for key, values in history.items()}


def train(net, params, opt, x, y, epochs, batch_size, rng, callback=None):
    """``training.train`` on the network's softmax cross-entropy: shuffled minibatches for ``epochs`` epochs.

    Shapes: x (N, D), y (N,) integers -> (params, history) as ``training.train`` returns them; ``callback(params,
    epoch)`` runs after every epoch and each entry of the dict it returns is recorded in history.
    """
    def loss_and_grads(p, x_batch, y_batch):
        return sequential.loss_and_grads(net, p, {}, x_batch, y_batch, losses.softmax_cross_entropy)[:2]
    return training.train(params, opt, (x, y), loss_and_grads, epochs, batch_size, rng, callback=callback)


def largest_difference(a, b):
    """max over the keys of max |a[key] - b[key]|: how far apart two sets of parameters are.

    Shapes: two dicts of arrays with the same keys and shapes -> float.
    """
    return max(float(np.max(np.abs(a[key] - b[key]))) for key in a)
