"""Small MLPs with and without normalisation layers, trained by SGD, and what chapter 05 measures on them.

Book: chapter 05_batchnorm (experiments). Networks are built with the layer protocol (``dlcourse.sequential``):

- :func:`normalised_mlp` stacks linear -> [batch norm | layer norm] -> [noise] -> activation blocks and a linear
  output layer, and returns the network with its list of layers (to look inside it, :func:`forward_to`);
- :func:`train_sgd` trains it on minibatches of full size drawn without replacement, with a ``probe`` called
  every few steps, and stops early when the loss is no longer finite; :func:`train_network` builds, initialises
  and trains one from a seed;
- the measurements: :func:`mean_loss`, :func:`accuracy`, :func:`loss_variation` (the loss along the gradient direction and the change
  of the gradient along it, Santurkar et al. 2018, Fig. 4), :func:`gradient_shift` (their "internal covariate
  shift" of one layer: how much its gradient changes when the layers below it take their step), the probes
  :func:`percentiles_probe` and :func:`landscape_probe` that record them during training, and
  :func:`batch_dependence` (how often a prediction changes with the batch mates);
- inference: :func:`population_state` (the statistics of every batch-norm layer averaged over a data set) and
  :func:`fold_network` (every batch norm folded into the linear layer before it, a plain MLP for
  ``network.mlp_forward``).

The noise layer of Santurkar et al.'s "noisy batch norm" (:func:`noise`) scales and shifts every unit by random
amounts, drawn afresh at every training step from the ``rng`` passed to ``forward``.
"""
from typing import NamedTuple

import numpy as np

from . import losses, normalization
from . import sequential as sq
from .layers import ActivationCache

__all__ = ["NormalisedMLP", "normalised_mlp", "noise", "forward_to", "activation_inputs", "train_sgd", "train_network",
           "mean_loss",
           "accuracy",
           "loss_variation", "gradient_shift", "percentiles_probe", "landscape_probe", "batch_dependence",
           "population_state", "fold_network"]


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


def train_network(sizes, activation, norm, data, steps, batch_size, lr, seed, probe=None, every=10, **options):
    """Build :func:`normalised_mlp` (``options`` go to it), initialise it and train it with :func:`train_sgd`, all
    randomness from ``np.random.default_rng(seed)``; ``probe(model)`` makes the probe, if given.

    Returns (model, params, state, history, final loss on ``data`` in evaluation mode, nan if training diverged).
    """
    rng = np.random.default_rng(seed)
    model = normalised_mlp(sizes, activation, norm, **options)
    params, state = model.net.init(rng)
    params, state, history = train_sgd(model, params, state, data, steps, batch_size, lr, rng,
                                       probe=probe(model) if probe else None, every=every)
    final = np.nan if history["diverged"] else mean_loss(model, params, state, data)
    return model, params, state, history, final


def mean_loss(model, params, state, data):
    """The softmax cross-entropy of ``model`` on ``data`` (x, y) in evaluation mode (overflow silenced: a run that
    stalled may produce huge logits)."""
    x, y = data
    with np.errstate(all="ignore"):
        return float(losses.softmax_cross_entropy(model.net.forward(params, state, x, train=False)[0], y)[0])


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


def percentiles_probe(model, test_data=None, layer=-1, unit=0):
    """A probe for :func:`train_sgd`: the 15th, 50th and 85th percentiles over the minibatch of the input of one unit
    to its activation (hidden layer ``layer``, unit ``unit``), and the accuracy on ``test_data`` (x, y) if given."""
    def probe(step, params, state, x, y, cache):
        record = {"percentiles": np.percentile(activation_inputs(cache)[layer][:, unit], [15, 50, 85])}
        if test_data is not None:
            record["test_accuracy"] = accuracy(model, params, state, test_data)
        return record
    return probe


def landscape_probe(model, step_sizes=(0.05, 0.1, 0.2, 0.4), lr=0.1):
    """A probe for :func:`train_sgd`: :func:`loss_variation` along the gradient (the range of the losses and the
    largest change of the gradient) and the :func:`gradient_shift` of the last hidden layer's weights for ``lr``."""
    key = f"{[i for i, layer in enumerate(model.layers) if layer.name.startswith('linear')][-2]}.W"

    def probe(step, params, state, x, y, cache):
        values, changes = loss_variation(model, params, state, x, y, step_sizes)
        shift, cosine = gradient_shift(model, params, state, x, y, lr, key)
        return {"loss_range": (values.min(), values.max()), "gradient_change": changes.max(), "shift": shift,
                "cosine": cosine}
    return probe


def batch_dependence(model, params, state, x, batch_size, rng):
    """The fraction of the rows of x whose predicted class changes when x is fed in training mode (batch statistics)
    in batches of ``batch_size``, in two random orders (full batches only)."""
    n = len(x) - len(x) % batch_size
    predictions = []
    for _ in range(2):
        order, predicted = rng.permutation(n), np.empty(n, dtype=int)
        for start in range(0, n, batch_size):
            rows = order[start:start + batch_size]
            predicted[rows] = model.net.forward(params, state, x[rows], train=True)[0].argmax(axis=1)
        predictions.append(predicted)
    return float(np.mean(predictions[0] != predictions[1]))


def fold_network(model, params, state, fold=normalization.fold_batchnorm):
    """The parameters {"W1": ..., "b1": ..., ...} of the plain MLP (``network.mlp_forward``) that computes what
    ``model`` computes in evaluation: every batch norm folded by ``fold`` (``normalization.fold_batchnorm`` or a
    student's) into the linear layer before it. Works for linear, [batch norm], activation, ..., linear stacks."""
    plain, layers = {}, model.layers
    for index, layer in enumerate(layers):
        if not layer.name.startswith("linear"):
            continue
        w, b = params[f"{index}.W"], params[f"{index}.b"]
        if index + 1 < len(layers) and layers[index + 1].name.startswith("batchnorm"):
            k = index + 1
            running = normalization.BatchNormState(state[f"{k}.running_mean"], state[f"{k}.running_var"],
                                                   int(state[f"{k}.num_batches_tracked"]))
            w, b = fold(w, b, params[f"{k}.gamma"], params[f"{k}.beta"], running)
        number = len(plain) // 2 + 1
        plain[f"W{number}"], plain[f"b{number}"] = w, b
    return plain
