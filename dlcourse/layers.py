"""Layers as pure forward/backward pairs.

Book: chapter 02_backprop, section "The matrix form of backpropagation".
A forward function returns ``(out, cache)``; the matching backward function takes the
upstream gradient ``dout = dL/dout`` and the cache and returns the gradients of the inputs.
Minibatches are stored row-wise: ``x`` has shape (N, D), one example per row, and weights
use torch's (out_features, in_features) layout, so the book's column form a = W z + b reads
``a = z @ W.T + b`` here.
"""
from typing import NamedTuple

import numpy as np

from .activations import get_activation

__all__ = [
    "LinearCache", "linear_forward", "linear_backward",
    "ActivationCache", "activation_forward", "activation_backward",
]


class LinearCache(NamedTuple):
    """What linear_backward needs: the layer input x (N, D) and the weights w (M, D)."""

    x: np.ndarray
    w: np.ndarray


def linear_forward(x, w, b):
    """out = x W^T + b  (for one example: a = W z + b).

    Shapes: x (N, D), w (M, D), b (M,) -> out (N, M).
    """
    return x @ w.T + b, LinearCache(x, w)


def linear_backward(dout, cache):
    """dx = dout W,  dW = dout^T x,  db = sum_n dout_n.

    Shapes: dout (N, M) -> dx (N, D), dw (M, D), db (M,).
    ``dout`` already carries the 1/N of an averaged loss, so the sums over the batch are plain sums.
    """
    x, w = cache
    return dout @ w, dout.T @ x, dout.sum(axis=0)


class ActivationCache(NamedTuple):
    """What activation_backward needs: the pre-activation a and the activation's name."""

    a: np.ndarray
    name: str


def activation_forward(a, name):
    """z = h(a), elementwise.

    Shapes: a (N, M) -> z (N, M).
    """
    return get_activation(name).function(a), ActivationCache(a, name)


def activation_backward(dz, cache):
    """da = dz * h'(a)  (elementwise: the diagonal Jacobian H'(a) applied to dz).

    Shapes: dz (N, M) -> da (N, M).
    """
    return dz * get_activation(cache.name).derivative(cache.a)
