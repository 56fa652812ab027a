"""How a signal travels through a deep network at initialisation: measured layer by layer, and predicted.

Book: chapter 03_initialisation, sections "The variance, layer by layer" and "What the theory predicts".
``signal_statistics`` measures the spread of every layer's pre-activations a^(l) in a forward pass and of
its error signals delta^(l) = dJ/da^(l) in a backward pass; ``predicted_variances`` predicts both from the
layer widths and weight variances alone, by the recursion that gives the LeCun, Glorot and He schemes
(zero-mean independent weights, zero biases, inputs with E[x_k^2] = input_var):

    Var[a^(1)] = M_0 sigma_1^2 input_var,   Var[a^(l)] = M_{l-1} sigma_l^2 E[h(a^(l-1))^2],
    Var[delta^(L)] = output_grad_var,       Var[delta^(l)] = M_{l+1} sigma_{l+1}^2 E[h'(a^(l))^2] Var[delta^(l+1)].

Gaussian expectations E[f(a)], a ~ N(0, q), are computed by the trapezoid rule (exponentially accurate here).
"""
import math

import numpy as np

from .activations import get_activation
from .layers import activation_backward
from .network import mlp_forward

__all__ = ["gaussian_expectation", "second_moments", "signal_statistics", "predicted_variances"]

def gaussian_expectation(f, q):
    """E[f(a)] for a ~ N(0, q) = integral of f(sqrt(q) x) phi(x) dx, by the trapezoid rule on x in [-12, 12].

    Shapes: f elementwise, q >= 0 a number -> a float. The grid is fine enough in a = sqrt(q) x (steps <= 0.05)
    for tanh and the sigmoid, whose poles lie at distance pi/2 and pi from the real axis: the trapezoid rule
    then converges exponentially, to about 1e-13 relative.
    """
    root = math.sqrt(q)
    step = 0.1 if root <= 0.5 else 0.05 / root
    x = np.linspace(-12.0, 12.0, 2 * math.ceil(12.0 / step) + 1)
    weights = np.exp(-0.5 * x ** 2) * (x[1] - x[0]) / math.sqrt(2.0 * math.pi)
    return float(np.sum(weights * f(root * x)))


def second_moments(activation, q):
    """(E[h(a)^2], E[h'(a)^2]) for a ~ N(0, q): identity (q, 1), relu (q/2, 1/2), tanh and sigmoid by quadrature.

    Shapes: a name of dlcourse.activations and q >= 0 -> two floats.
    """
    if activation == "identity":
        return float(q), 1.0
    if activation == "relu":
        return q / 2.0, 0.5
    if activation in ("tanh", "sigmoid"):
        h = get_activation(activation)
        return (gaussian_expectation(lambda a: h.function(a) ** 2, q),
                gaussian_expectation(lambda a: h.derivative(a) ** 2, q))
    raise ValueError(f"no prediction for activation {activation!r}; choose identity, relu, tanh or sigmoid")


def signal_statistics(params, x, dout, activation="relu"):
    """The population std of every a^(l) = z^(l-1) W^(l)T + b^(l) and of every Delta^(l) = dJ/dA^(l), l = 1..L.

    Shapes: params {W1, b1, ..., WL, bL}, x (N, D), dout = dJ/dA^(L) (N, K) -> (forward (L,), backward (L,)),
    each std taken over all N M_l entries of the layer (ddof 0).
    """
    out, caches = mlp_forward(params, x, activation)
    forward = [cache.activation.a.std() for cache in caches[:-1]] + [out.std()]
    backward, delta = [], dout
    for layer in range(len(caches), 0, -1):
        backward.append(delta.std())
        if layer > 1:
            delta = activation_backward(delta @ caches[layer - 1].linear.w, caches[layer - 2].activation)
    return np.array(forward), np.array(backward[::-1])


def predicted_variances(sizes, weight_vars, activation="relu", input_var=1.0, output_grad_var=1.0):
    """Var[a^(l)] = M_{l-1} sigma_l^2 E[z^(l-1)^2];  Var[delta^(l)] = M_{l+1} sigma_{l+1}^2 E[h'(a^(l))^2] Var[delta^(l+1)].

    Shapes: sizes [M_0, ..., M_L], weight_vars (L,) the Var[w] of each layer -> (forward (L,), backward (L,)):
    forward[l-1] = Var[a^(l)], backward[l-1] = Var[delta^(l)], with E[z^(0)^2] = input_var and
    Var[delta^(L)] = output_grad_var; E[z^(l-1)^2] = E[h(a)^2] for a ~ N(0, Var[a^(l-1)]) when l > 1.
    """
    depth = len(sizes) - 1
    forward, slopes = np.zeros(depth), np.zeros(depth)
    second_moment = input_var
    for layer in range(depth):
        forward[layer] = sizes[layer] * weight_vars[layer] * second_moment
        second_moment, slopes[layer] = second_moments(activation, forward[layer])
    backward = np.zeros(depth)
    backward[-1] = output_grad_var
    for layer in range(depth - 2, -1, -1):
        backward[layer] = sizes[layer + 2] * weight_vars[layer + 1] * slopes[layer] * backward[layer + 1]
    return forward, backward
