"""Small MLPs with and without normalisation layers, trained by SGD, and what chapter 05 measures on them.

Book: chapter 05_batchnorm (experiments). Networks are built with the layer protocol (``dlcourse.sequential``):

- :func:`normalised_mlp` stacks linear -> [batch norm | layer norm] -> [noise] -> activation blocks and a linear
  output layer, and returns the network with its list of layers (to look inside it, :func:`forward_to`);
- :func:`train_sgd` trains it on minibatches of full size drawn without replacement, with a ``probe`` called
  every few steps, and stops early when the loss is no longer finite;
- the measurements: :func:`accuracy`, :func:`loss_variation` (the loss along the gradient direction and the change
  of the gradient along it, Santurkar et al. 2018, Fig. 4), :func:`gradient_shift` (their "internal covariate
  shift" of one layer: how much its gradient changes when the layers below it take their step) and
  :func:`population_state` (the statistics of every batch-norm layer averaged over a data set).

The noise layer of Santurkar et al.'s "noisy batch norm" (:func:`noise`) scales and shifts every unit by random
amounts, drawn afresh at every training step from the ``rng`` passed to ``forward``.
"""
from typing import NamedTuple

import numpy as np

from . import losses, normalization
from . import sequential as sq
from .layers import ActivationCache

__all__ = ["NormalisedMLP", "normalised_mlp", "noise", "forward_to", "activation_inputs", "train_sgd", "accuracy",
           "loss_variation", "gradient_shift", "population_state"]


class NormalisedMLP(NamedTuple):
    """A network made by :func:`normalised_mlp`: the composite layer and its layers, in order."""

    net: sq.Layer
    layers: tuple


class _NoiseCache(NamedTuple):
    scale: np.ndarray


def noise(d, scale=(0.5, 1.5), shift_std=0.5):
    """out = s * x + c in training, with s ~ U(scale) and c ~ N(0, shift_std^2) per unit, new at every call;
    the identity in evaluation (Santurkar et al.'s distributional noise after batch norm)."""

    def forward(params, state, x, *, train=True, rng=None):
        if not train:
            return x, _NoiseCache(np.ones(d)), state
        if rng is None:
            raise ValueError("the noise layer draws random numbers in training: pass rng=np.random.default_rng(seed).")
        s, c = rng.uniform(*scale, size=d), shift_std * rng.standard_normal(d)
        return s * x + c, _NoiseCache(s), state

    def backward(dout, cache):
        return dout * cache.scale, {}

    return sq.Layer(lambda rng=None: ({}, {}), forward, backward, f"noise({d})")


def normalised_mlp(sizes, activation="relu", norm=None, init="he", weight_scale=None, noisy=False,
                   batchnorm_fns=None, layernorm_fns=None):
    """linear, [norm], [noise], h, ..., linear for layer sizes [D, M1, ..., K] -> NormalisedMLP.

    ``norm`` is None, "batch" or "layer"; ``weight_scale`` (if given) draws every weight from N(0, weight_scale^2)
    instead of the ``init`` scheme (cs231n's weight_scale); ``noisy`` adds :func:`noise` after each normalisation;
    ``batchnorm_fns`` / ``layernorm_fns`` are (forward, backward) pairs to use instead of dlcourse's.
    """
    if norm not in (None, "batch", "layer"):
        raise ValueError(f"norm must be None, 'batch' or 'layer', not {norm!r}.")
    if weight_scale is not None:
        def init(d_in, d_out, rng, std=weight_scale):
            return std * rng.standard_normal((d_out, d_in))
    bn = dict(zip(("forward", "backward"), batchnorm_fns or ()))
    ln = dict(zip(("forward", "backward"), layernorm_fns or ()))
    layers = []
    for index, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(sq.linear(d_in, d_out, init))
        if index == len(sizes) - 2:
            break
        if norm == "batch":
            layers.append(sq.batchnorm(d_out, **bn))
        elif norm == "layer":
            layers.append(sq.layernorm(d_out, **ln))
        if noisy:
            layers.append(noise(d_out))
        layers.append(sq.activation(activation))
    return NormalisedMLP(sq.sequential(*layers), tuple(layers))


def _sub(values, index):
    prefix = f"{index}."
    return {key[len(prefix):]: value for key, value in values.items() if key.startswith(prefix)}


def forward_to(model, params, state, x, index, train=True, rng=None):
    """The input of layer ``index`` of ``model`` (the output of layers 0 .. index-1), state left as it was.

    Shapes: x (N, D) -> (N, width at that point).
    """
    for i, layer in enumerate(model.layers[:index]):
        x, _, _ = layer.forward(_sub(params, i), _sub(state, i), x, train=train, rng=rng)
    return x


def activation_inputs(cache):
    """The inputs of the activation layers recorded in the forward ``cache`` of a network, first hidden layer first.

    Shapes: -> list of (N, M_l) arrays.
    """
    return [c.a for c in cache.caches if isinstance(c, ActivationCache)]


def _loss_and_grads(model, params, state, x, y, rng=None):
    out, cache, state = model.net.forward(params, state, x, train=True, rng=rng)
    loss, dout = losses.softmax_cross_entropy(out, y)
    return loss, model.net.backward(dout, cache)[1], state, cache


def train_sgd(model, params, state, data, steps, batch_size, lr, rng, probe=None, every=10):
    """``steps`` SGD steps of size ``lr`` on the softmax cross-entropy of minibatches of ``data`` (x, y).

    Minibatches have exactly ``batch_size`` examples, drawn without replacement within each pass over the data.
    ``probe(step, params, state, x_batch, y_batch, cache)`` runs before the update of every ``every``-th step and
    returns a dict whose entries are collected in history[key]. Returns (params, state, history) with
    history["loss"] (one per step) and history["diverged"] (training stops at the first non-finite loss).
    """
    x, y = data
    history = {"loss": [], "diverged": False}
    order, position = rng.permutation(len(x)), 0
    with np.errstate(all="ignore"):
        for step in range(steps):
            if position + batch_size > len(x):
                order, position = rng.permutation(len(x)), 0
            batch = order[position:position + batch_size]
            position += batch_size
            loss, grads, new_state, cache = _loss_and_grads(model, params, state, x[batch], y[batch], rng)
            history["loss"].append(float(loss))
            if not np.isfinite(loss):
                history["diverged"] = True
                break
            if probe is not None and step % every == 0:
                for key, value in probe(step, params, state, x[batch], y[batch], cache).items():
                    history.setdefault(key, []).append(value)
            params = {key: value - lr * grads[key] for key, value in params.items()}
            state = new_state
    return params, state, history


def accuracy(model, params, state, data, train=False):
    """The fraction of ``data`` (x, y) classified correctly, in evaluation mode (or with batch statistics)."""
    x, y = data
    out = model.net.forward(params, state, x, train=train)[0]
    return float(np.mean(out.argmax(axis=1) == y))


def loss_variation(model, params, state, x, y, step_sizes):
    """Losses and gradient changes along the negative gradient of the batch (x, y) (Santurkar et al., Fig. 4).

    Shapes: step_sizes (S,) -> (losses (S,), gradient changes (S,)): the loss at theta - s g and
    ||g(theta - s g) - g(theta)|| for every s, with g the gradient of the batch loss at theta (batch statistics).
    """
    _, grads, _, _ = _loss_and_grads(model, params, state, x, y)
    flat = np.concatenate([g.ravel() for g in grads.values()])
    values, changes = [], []
    for s in step_sizes:
        moved = {key: value - s * grads[key] for key, value in params.items()}
        loss, moved_grads, _, _ = _loss_and_grads(model, moved, state, x, y)
        values.append(float(loss))
        changes.append(float(np.linalg.norm(np.concatenate([g.ravel() for g in moved_grads.values()]) - flat)))
    return np.array(values), np.array(changes)


def gradient_shift(model, params, state, x, y, lr, key):
    """Santurkar et al.'s internal covariate shift of the parameter ``key`` (e.g. "6.W") at one SGD step.

    G is the gradient of ``key`` at theta; G' its gradient after every parameter of the layers *below* it took
    its SGD step of size ``lr`` (the layers at and above it unchanged). -> (||G - G'|| / ||G||, cos(G, G')).
    """
    layer = int(key.split(".")[0])
    _, grads, _, _ = _loss_and_grads(model, params, state, x, y)
    moved = {k: v - lr * grads[k] if int(k.split(".")[0]) < layer else v for k, v in params.items()}
    _, moved_grads, _, _ = _loss_and_grads(model, moved, state, x, y)
    g, g_moved = grads[key].ravel(), moved_grads[key].ravel()
    return (float(np.linalg.norm(g - g_moved) / np.linalg.norm(g)),
            float(g @ g_moved / (np.linalg.norm(g) * np.linalg.norm(g_moved))))


def population_state(model, params, state, x, batch_size, statistics=normalization.population_statistics):
    """The state with every batch-norm layer's running statistics replaced by ``statistics`` of its inputs over the
    batches x[0:batch_size], x[batch_size:2 batch_size], ... (full batches only), lower layers in training mode.

    ``statistics(list of (B, M) arrays) -> BatchNormState`` (``normalization.population_statistics`` or a
    student's). The same as running the data through a torch model with ``BatchNorm1d(momentum=None)``.
    """
    state = dict(state)
    starts = range(0, len(x) - batch_size + 1, batch_size)
    for index, layer in enumerate(model.layers):
        if not layer.name.startswith("batchnorm"):
            continue
        inputs = [forward_to(model, params, state, x[s:s + batch_size], index) for s in starts]
        result = statistics(inputs)
        state.update({f"{index}.running_mean": result.running_mean, f"{index}.running_var": result.running_var,
                      f"{index}.num_batches_tracked": np.array(result.num_batches_tracked)})
    return state
