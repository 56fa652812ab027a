"""A multilayer perceptron as a sequence of linear layers and activations.

Book: chapter 02_backprop, sections "An MLP, layer by layer" and "Backpropagation over a minibatch".
Parameters live in a dict ``{"W1": (M1, D), "b1": (M1,), ..., "WL": (K, M_{L-1}), "bL": (K,)}``.
Hidden layers compute z = h(W z_prev + b); the last layer is linear and returns logits (or the
regression output), so that the loss can be paired with it in a numerically stable way.
"""
from typing import NamedTuple, Optional

from .layers import (ActivationCache, LinearCache, activation_backward, activation_forward,
                     linear_backward, linear_forward)

__all__ = ["LayerCache", "n_layers", "mlp_forward", "mlp_backward", "mlp_loss_and_grads"]


class LayerCache(NamedTuple):
    """The caches of one layer: its linear part and (for hidden layers) its activation."""

    linear: LinearCache
    activation: Optional[ActivationCache]


def n_layers(params):
    """The number L of linear layers in ``params``."""
    return sum(1 for key in params if key.startswith("W"))


def mlp_forward(params, x, activation="relu"):
    """a^(l) = W^(l) z^(l-1) + b^(l),  z^(l) = h(a^(l)) for l < L,  output = a^(L).

    Shapes: x (N, D) -> out (N, K), caches: list of L LayerCache (the last one without activation).
    """
    z, caches = x, []
    depth = n_layers(params)
    for layer in range(1, depth + 1):
        a, linear_cache = linear_forward(z, params[f"W{layer}"], params[f"b{layer}"])
        if layer < depth:
            z, activation_cache = activation_forward(a, activation)
        else:
            z, activation_cache = a, None
        caches.append(LayerCache(linear_cache, activation_cache))
    return z, caches


def mlp_backward(dout, caches):
    """delta^(L) = dout;  delta^(l) = h'(a^(l)) * (delta^(l+1) W^(l+1));  dW^(l) = delta^(l)T z^(l-1).

    Shapes: dout (N, K) -> grads dict with the same keys and shapes as params.
    """
    grads = {}
    delta = dout
    for layer in range(len(caches), 0, -1):
        cache = caches[layer - 1]
        if cache.activation is not None:
            delta = activation_backward(delta, cache.activation)
        delta, grads[f"W{layer}"], grads[f"b{layer}"] = linear_backward(delta, cache.linear)
    return grads


def mlp_loss_and_grads(params, x, y, loss_fn, activation="relu"):
    """J(theta) and dJ/dtheta for one minibatch: forward, loss, backward.

    Shapes: x (N, D), y as ``loss_fn`` expects -> loss (), grads dict like params.
    """
    out, caches = mlp_forward(params, x, activation)
    loss, dout = loss_fn(out, y)
    return loss, mlp_backward(dout, caches)
