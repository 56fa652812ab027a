"""Inverted dropout with torch's convention: ``p`` is the probability of *dropping* a unit.

Book: chapter 07_dropout. The stateful-layer protocol (``dlcourse.sequential``) wraps it as a layer.

In training every entry is kept with probability 1 - p and the survivors are scaled by 1/(1 - p), so that
the expected output equals the input and evaluation needs no change (the identity). The mask is drawn
by ``dropout_mask`` from an explicit generator and passed to ``dropout_forward``, so the arithmetic can be
tested exactly. cs231n's assignments call the *keep* probability p; this package never does.
"""
from typing import NamedTuple

import numpy as np

__all__ = ["DropoutCache", "dropout_mask", "dropout_forward", "dropout_backward"]


class DropoutCache(NamedTuple):
    """What dropout_backward needs: the mask already scaled by 1/(1 - p) (zeros where dropped)."""

    scaled_mask: np.ndarray


def dropout_mask(shape, p, rng):
    """m_i ~ Bernoulli(1 - p), independently for every entry: True keeps the entry.

    Shapes: -> boolean array of ``shape``.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"the drop probability p must lie in [0, 1], got {p}.")
    return rng.random(shape) >= p


def dropout_forward(x, mask, p):
    """out = x * m / (1 - p) (zeros when p = 1, as torch gives).

    Shapes: x (any), mask (same shape, boolean) -> out (same shape), DropoutCache.
    """
    scaled = np.zeros(mask.shape, dtype=x.dtype) if p == 1.0 else mask / (1.0 - p)
    scaled = scaled.astype(x.dtype, copy=False)
    return x * scaled, DropoutCache(scaled)


def dropout_backward(dout, cache):
    """dx = dout * m / (1 - p): the gradient flows only through the kept units, scaled like them.

    Shapes: dout (any) -> dx (same shape).
    """
    return dout * cache.scaled_mask
