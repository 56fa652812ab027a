"""Gradient checking with finite differences.

Book: chapter 02_backprop, section "Gradient checking".
"""
import numpy as np

__all__ = ["numerical_gradient", "relative_error", "gradient_check"]


def numerical_gradient(f, x, h=1e-5, method="central"):
    """dF/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h)   (method="central", error O(h^2))
    dF/dx_i ~ (f(x + h e_i) - f(x)) / h              (method="forward", error O(h)).

    Shapes: f maps an array x (any shape) to a scalar -> gradient shaped like x.
    ``x`` is perturbed in place one element at a time and restored afterwards.
    """
    if method not in ("central", "forward"):
        raise ValueError(f"method must be 'central' or 'forward', not {method!r}")
    grad = np.zeros(x.shape)
    f_x = f(x) if method == "forward" else None
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + h
        f_plus = f(x)
        if method == "central":
            x[index] = old - h
            grad[index] = (f_plus - f(x)) / (2 * h)
        else:
            grad[index] = (f_plus - f_x) / h
        x[index] = old
    return grad


def relative_error(a, b, eps=1e-8):
    """max_i |a_i - b_i| / max(|a_i| + |b_i|, eps), as in cs231n's gradient-check notes.

    Shapes: a, b same shape -> scalar. Rules of thumb (float64): < 1e-7 is fine,
    1e-7 to 1e-4 deserves a second look, > 1e-4 usually means a bug.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), eps), initial=0.0))


def gradient_check(loss_fn, params, grads, h=1e-5):
    """relative_error(grads[k], numerical dJ/dparams[k]) for every key k.

    Shapes: ``loss_fn()`` reads the arrays in ``params`` (perturbed in place) and returns a scalar.
    Returns a dict of relative errors, one per parameter.
    """
    return {key: relative_error(grads[key], numerical_gradient(lambda _: loss_fn(), params[key], h))
            for key in params}
