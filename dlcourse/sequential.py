"""Networks built from layers that may have parameters, state and a train/eval mode: the layer protocol.

Book: "Writing a chapter" (authoring.md) describes it for authors; chapters 05_batchnorm, 07_dropout
and 08_autoencoders_pca build their networks with it. Chapter 02's ``dlcourse.network`` (``mlp_forward``,
``mlp_backward``) is its simplest case, a stack of linear layers and activations with no state: the
tests prove that ``mlp(sizes, activation)`` here computes exactly what ``network.mlp_forward`` does.

**The protocol.** A layer is three pure functions, bundled in a :class:`Layer`::

    params, state = layer.init(rng)
    out, cache, state = layer.forward(params, state, x, train=True, rng=rng)
    dx, grads = layer.backward(dout, cache)

- ``params``: dict of learnable arrays (``"W"`` (out, in) and ``"b"`` for a linear layer, ``"gamma"`` and
  ``"beta"`` for batch norm and layer norm); ``grads`` has exactly the same keys and shapes.
- ``state``: dict of arrays that change in training but are not learned by gradient descent (batch norm's
  ``"running_mean"``, ``"running_var"``, ``"num_batches_tracked"``). ``forward`` returns the new state and
  never modifies the one it was given; evaluation returns it unchanged.
- ``train``: keyword-only, ``True`` in training and ``False`` in evaluation (batch norm normalises with the
  batch's or with the running statistics; dropout draws a mask or is the identity).
- ``rng``: keyword-only ``np.random.Generator`` for layers that draw random numbers in training (dropout).
  A layer that needs one and gets ``None`` raises a ValueError; the global ``np.random`` is never used.
- ``cache``: a NamedTuple holding what ``backward`` needs (the layers' own caches, e.g. ``LinearCache``).

:func:`sequential` composes layers into a layer. The composite's ``params`` and ``state`` are flat dicts
whose keys carry the index of the layer, as in torch's ``state_dict``: ``"0.W"``, ``"0.b"``, ``"1.gamma"``,
``"1.running_mean"``, ... (nested: ``"2.0.W"``). Flat dicts are what ``dlcourse.optim.init_params`` and
``update_params`` take, and the last part of a key says what a parameter is, so that weight decay or a
max-norm constraint can act on the weights and not the biases (:func:`is_weight`).

A worked example, one training step and a prediction::

    rng = np.random.default_rng(0)
    net = sequential(linear(64, 100), batchnorm(100), activation("relu"), dropout(0.5), linear(100, 10))
    params, state = net.init(rng)
    logits, cache, state = net.forward(params, state, x, train=True, rng=rng)
    loss, dlogits = losses.softmax_cross_entropy(logits, y)
    _, grads = net.backward(dlogits, cache)
    params, opt_state = optim.update_params(opt, params, grads, opt_state)
    probs = activations.softmax(net.forward(params, state, x_test, train=False)[0])
"""
from typing import Callable, NamedTuple

import numpy as np

from . import dropout as _dropout
from . import normalization
from .init import init_weight
from .layers import activation_backward, activation_forward, linear_backward, linear_forward

__all__ = ["Layer", "SequentialCache", "sequential", "linear", "activation", "batchnorm", "layernorm", "dropout", "mlp",
           "is_weight", "loss_and_grads", "predict"]


class Layer(NamedTuple):
    """A layer as three pure functions: init(rng) -> (params, state);
    forward(params, state, x, *, train, rng) -> (out, cache, state); backward(dout, cache) -> (dx, grads)."""

    init: Callable
    forward: Callable
    backward: Callable
    name: str = "layer"


class SequentialCache(NamedTuple):
    """The caches of the layers of a sequential network, first layer first."""

    caches: tuple


def _no_state(rng=None):
    return {}, {}


def _sub(values, index):
    """The entries of a flat dict that belong to layer ``index``, without the prefix."""
    prefix = f"{index}."
    return {key[len(prefix):]: value for key, value in values.items() if key.startswith(prefix)}


def _prefixed(values, index):
    return {f"{index}.{key}": value for key, value in values.items()}


def sequential(*layers):
    """The layer x -> layers[-1](... layers[0](x)): params, state and grads as flat dicts keyed "index.name"."""
    if not layers or not all(isinstance(layer, Layer) for layer in layers):
        raise TypeError("sequential takes one or more layers made by linear(), activation(), batchnorm(), "
                        "layernorm(), dropout() or sequential().")

    def init(rng):
        params, state = {}, {}
        for index, layer in enumerate(layers):
            layer_params, layer_state = layer.init(rng)
            params.update(_prefixed(layer_params, index))
            state.update(_prefixed(layer_state, index))
        return params, state

    def forward(params, state, x, *, train=True, rng=None):
        caches, new_state = [], {}
        for index, layer in enumerate(layers):
            x, cache, layer_state = layer.forward(_sub(params, index), _sub(state, index), x, train=train, rng=rng)
            caches.append(cache)
            new_state.update(_prefixed(layer_state, index))
        return x, SequentialCache(tuple(caches)), new_state

    def backward(dout, cache):
        grads = {}
        for index in range(len(layers) - 1, -1, -1):
            dout, layer_grads = layers[index].backward(dout, cache.caches[index])
            grads.update(_prefixed(layer_grads, index))
        return dout, grads

    return Layer(init, forward, backward, "sequential(" + ", ".join(layer.name for layer in layers) + ")")


def _require(params, keys, name):
    missing = [key for key in keys if key not in params]
    if missing:
        raise KeyError(f"{name} needs the parameters {keys}, but {missing} are missing; build params with the "
                       "network's own init(rng).")


def linear(d_in, d_out, init="he", dtype=np.float64):
    """a = x W^T + b: params W (d_out, d_in) drawn by ``init`` (a scheme of ``dlcourse.init``), b (d_out,) zero."""

    def init_fn(rng):
        w = init(d_in, d_out, rng) if callable(init) else init_weight(d_in, d_out, rng, init, dtype)
        return {"W": np.asarray(w, dtype=dtype), "b": np.zeros(d_out, dtype=dtype)}, {}

    def forward(params, state, x, *, train=True, rng=None):
        _require(params, ["W", "b"], "linear")
        out, cache = linear_forward(x, params["W"], params["b"])
        return out, cache, state

    def backward(dout, cache):
        dx, dw, db = linear_backward(dout, cache)
        return dx, {"W": dw, "b": db}

    return Layer(init_fn, forward, backward, f"linear({d_in}, {d_out})")


def activation(name):
    """z = h(a) elementwise (``name`` as in ``dlcourse.activations``): no params, no state."""

    def forward(params, state, x, *, train=True, rng=None):
        out, cache = activation_forward(x, name)
        return out, cache, state

    def backward(dout, cache):
        return activation_backward(dout, cache), {}

    return Layer(_no_state, forward, backward, name)


def batchnorm(d, momentum=0.1, eps=1e-5, dtype=np.float64, forward=normalization.batchnorm_forward,
              backward=normalization.batchnorm_backward):
    """Batch normalisation over the batch axis (``dlcourse.normalization``): params gamma, beta (d,);
    state running_mean, running_var (d,) and num_batches_tracked, updated in training as torch does.

    ``forward`` and ``backward`` compute it (signatures of ``normalization.batchnorm_forward`` and
    ``batchnorm_backward``): chapter 05 passes a student's functions to run its experiments on them."""

    def init_fn(rng=None):
        gamma, beta, state = normalization.batchnorm_init(d, dtype)
        return {"gamma": gamma, "beta": beta}, {"running_mean": state.running_mean, "running_var": state.running_var,
                                                 "num_batches_tracked": np.array(state.num_batches_tracked)}

    def forward_fn(params, state, x, *, train=True, rng=None):
        _require(params, ["gamma", "beta"], "batchnorm")
        _require(state, ["running_mean", "running_var", "num_batches_tracked"], "batchnorm's state")
        before = normalization.BatchNormState(state["running_mean"], state["running_var"],
                                              int(state["num_batches_tracked"]))
        out, cache, after = forward(x, params["gamma"], params["beta"], before, train, momentum, eps)
        return out, cache, {"running_mean": after.running_mean, "running_var": after.running_var,
                            "num_batches_tracked": np.array(after.num_batches_tracked)}

    def backward_fn(dout, cache):
        dx, dgamma, dbeta = backward(dout, cache)
        return dx, {"gamma": dgamma, "beta": dbeta}

    return Layer(init_fn, forward_fn, backward_fn, f"batchnorm({d})")


def layernorm(d, eps=1e-5, dtype=np.float64, forward=normalization.layernorm_forward,
              backward=normalization.layernorm_backward):
    """Layer normalisation over the feature axis (``nn.LayerNorm(d)``): params gamma, beta (d,); no state, and the
    same function in training and evaluation. ``forward`` and ``backward`` as in :func:`batchnorm`."""

    def init_fn(rng=None):
        return {"gamma": np.ones(d, dtype=dtype), "beta": np.zeros(d, dtype=dtype)}, {}

    def forward_fn(params, state, x, *, train=True, rng=None):
        _require(params, ["gamma", "beta"], "layernorm")
        out, cache = forward(x, params["gamma"], params["beta"], eps)
        return out, cache, state

    def backward_fn(dout, cache):
        dx, dgamma, dbeta = backward(dout, cache)
        return dx, {"gamma": dgamma, "beta": dbeta}

    return Layer(init_fn, forward_fn, backward_fn, f"layernorm({d})")


def dropout(p, inverted=True, mask=_dropout.dropout_mask, forward=_dropout.dropout_forward,
            backward=_dropout.dropout_backward):
    """Dropout with drop probability ``p`` (torch's convention): a fresh mask from ``rng`` in training, the
    identity in evaluation. ``inverted`` (torch's dropout) scales the survivors by 1/(1 - p) in training;
    ``inverted=False`` is vanilla dropout, which keeps them unscaled and needs ``dropout.weight_scaling`` at
    test time.

    ``mask``, ``forward`` and ``backward`` compute it (signatures of ``dlcourse.dropout``'s ``dropout_mask``,
    ``dropout_forward`` and ``dropout_backward``): chapter 07 passes a student's functions to run its
    experiments on them."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"the drop probability p must lie in [0, 1], got {p}.")

    def forward_fn(params, state, x, *, train=True, rng=None):
        if not train:
            out, cache = forward(x, None, p, False)
            return out, cache, state
        if rng is None:
            raise ValueError("dropout draws a random mask in training: pass rng=np.random.default_rng(seed) "
                             "to forward (or train=False to evaluate).")
        # vanilla dropout is inverted dropout's arithmetic with scale 1, i.e. with p = 0 for the given mask
        out, cache = forward(x, mask(x.shape, p, rng), p if inverted else 0.0, True)
        return out, cache, state

    def backward_fn(dout, cache):
        return backward(dout, cache), {}

    return Layer(_no_state, forward_fn, backward_fn, f"dropout({p})" if inverted else f"dropout({p}, inverted=False)")


def mlp(sizes, activation_name="relu", init="he", dtype=np.float64):
    """linear, h, linear, h, ..., linear for layer sizes [D, M1, ..., K]: ``network.mlp_forward``'s network.

    Its params "0.W", "0.b", "2.W", ... correspond to network's "W1", "b1", "W2", ...
    """
    layers = []
    for index, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if index:
            layers.append(activation(activation_name))
        layers.append(linear(d_in, d_out, init, dtype))
    return sequential(*layers)


def is_weight(key):
    """Whether a flat params key names a weight matrix ("0.W", "2.1.W"), not a bias or a normalisation scale."""
    return key.rsplit(".", 1)[-1] == "W"


def loss_and_grads(net, params, state, x, y, loss_fn, rng=None):
    """One training pass: forward (train=True), loss, backward.

    Shapes: x (N, D), y as ``loss_fn`` expects -> (loss, grads like params, new state).
    """
    out, cache, state = net.forward(params, state, x, train=True, rng=rng)
    loss, dout = loss_fn(out, y)
    return loss, net.backward(dout, cache)[1], state


def predict(net, params, state, x):
    """The network's output in evaluation mode (running statistics, no dropout).

    Shapes: x (N, D) -> (N, K).
    """
    return net.forward(params, state, x, train=False)[0]
