"""Activation functions h(a) and their derivatives h'(a), applied elementwise.

Book: chapter 02_backprop, section "Activation functions and their derivatives".
Every derivative is taken with respect to the pre-activation ``a`` (not the output
``z = h(a)``), which is what the backward pass multiplies the error signal by.
At a kink (ReLU and leaky ReLU at 0) we use torch's convention.
"""
from typing import Callable, NamedTuple

import numpy as np

__all__ = [
    "Activation", "ACTIVATIONS", "get_activation", "as_float",
    "sigmoid", "sigmoid_derivative", "tanh", "tanh_derivative",
    "relu", "relu_derivative", "leaky_relu", "leaky_relu_derivative",
    "elu", "elu_derivative", "softplus", "softplus_derivative",
    "identity", "identity_derivative", "softmax", "log_softmax",
]


def as_float(a):
    """``a`` as a numpy array of floats, keeping float32/float64 as given (integers become float64)."""
    a = np.asarray(a)
    return a if np.issubdtype(a.dtype, np.floating) else a.astype(np.float64)


def sigmoid(a):
    """sigma(a) = 1 / (1 + exp(-a)), computed without overflow for large |a|.

    Shapes: a (any) -> same shape.
    """
    a = as_float(a)
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_derivative(a):
    """sigma'(a) = sigma(a) (1 - sigma(a)).

    Shapes: a (any) -> same shape.
    """
    s = sigmoid(a)
    return s * (1.0 - s)


def tanh(a):
    """tanh(a) = (exp(a) - exp(-a)) / (exp(a) + exp(-a)).

    Shapes: a (any) -> same shape.
    """
    return np.tanh(a)


def tanh_derivative(a):
    """tanh'(a) = 1 - tanh(a)^2.

    Shapes: a (any) -> same shape.
    """
    return 1.0 - np.tanh(a) ** 2


def relu(a):
    """relu(a) = max(a, 0).

    Shapes: a (any) -> same shape.
    """
    return np.maximum(a, 0.0)


def relu_derivative(a):
    """relu'(a) = 1 if a > 0 else 0 (torch's choice at a = 0).

    Shapes: a (any) -> same shape.
    """
    a = as_float(a)
    return (a > 0).astype(a.dtype)


def leaky_relu(a, slope=0.01):
    """leaky_relu(a) = a if a > 0 else slope * a.

    Shapes: a (any) -> same shape.
    """
    return np.where(a > 0, a, slope * a)


def leaky_relu_derivative(a, slope=0.01):
    """leaky_relu'(a) = 1 if a > 0 else slope (torch's choice at a = 0).

    Shapes: a (any) -> same shape.
    """
    return np.where(np.asarray(a) > 0, 1.0, slope)


def elu(a, alpha=1.0):
    """elu(a) = a if a > 0 else alpha (exp(a) - 1).

    Shapes: a (any) -> same shape.
    """
    a = as_float(a)
    return np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0.0)))


def elu_derivative(a, alpha=1.0):
    """elu'(a) = 1 if a > 0 else alpha exp(a).

    Shapes: a (any) -> same shape.
    """
    a = as_float(a)
    return np.where(a > 0, 1.0, alpha * np.exp(np.minimum(a, 0.0)))


def softplus(a):
    """softplus(a) = log(1 + exp(a)), computed without overflow.

    Shapes: a (any) -> same shape.
    """
    return np.logaddexp(0.0, a)


def softplus_derivative(a):
    """softplus'(a) = sigma(a).

    Shapes: a (any) -> same shape.
    """
    return sigmoid(a)


def identity(a):
    """identity(a) = a.

    Shapes: a (any) -> same shape.
    """
    return as_float(a)


def identity_derivative(a):
    """identity'(a) = 1.

    Shapes: a (any) -> same shape.
    """
    return np.ones_like(as_float(a))


def softmax(a, axis=-1):
    """softmax(a)_k = exp(a_k - max(a)) / sum_j exp(a_j - max(a)) along ``axis``.

    Shapes: a (N, K) -> (N, K); every row is positive and sums to 1.
    Subtracting the row maximum changes nothing mathematically and keeps exp from overflowing.
    """
    a = as_float(a)
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(a, axis=-1):
    """log softmax(a)_k = a_k - max(a) - log sum_j exp(a_j - max(a)) along ``axis``.

    Shapes: a (N, K) -> (N, K).
    """
    a = as_float(a)
    shifted = a - a.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


class Activation(NamedTuple):
    """An activation h and its derivative h', both elementwise functions of the pre-activation."""

    function: Callable
    derivative: Callable


ACTIVATIONS = {
    "sigmoid": Activation(sigmoid, sigmoid_derivative),
    "tanh": Activation(tanh, tanh_derivative),
    "relu": Activation(relu, relu_derivative),
    "leaky_relu": Activation(leaky_relu, leaky_relu_derivative),
    "elu": Activation(elu, elu_derivative),
    "softplus": Activation(softplus, softplus_derivative),
    "identity": Activation(identity, identity_derivative),
}


def get_activation(name):
    """Look up an activation by name, e.g. ``get_activation("relu").derivative(a)``."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}") from None
