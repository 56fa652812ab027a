"""Parameter initialisation for an MLP.

Book: chapter 02_backprop uses it; chapter 03_initialisation explains and extends it.
Weights use torch's (out_features, in_features) layout; biases start at zero.
"""
import numpy as np

__all__ = ["INIT_SCHEMES", "init_weight", "init_mlp"]


INIT_SCHEMES = {
    "he": lambda fan_in, fan_out: np.sqrt(2.0 / fan_in),            # He et al. 2015, for ReLU
    "glorot": lambda fan_in, fan_out: np.sqrt(2.0 / (fan_in + fan_out)),  # Glorot & Bengio 2010
    "lecun": lambda fan_in, fan_out: np.sqrt(1.0 / fan_in),          # LeCun et al. 1998
    "small": lambda fan_in, fan_out: 0.01,
}


def init_weight(fan_in, fan_out, rng, scheme="he", dtype=np.float64):
    """W_ij ~ N(0, std^2) with std given by ``scheme`` (he: sqrt(2/fan_in), glorot: sqrt(2/(fan_in+fan_out)), ...).

    Shapes: -> (fan_out, fan_in).
    """
    try:
        std = INIT_SCHEMES[scheme](fan_in, fan_out)
    except KeyError:
        raise ValueError(f"unknown scheme {scheme!r}; choose one of {sorted(INIT_SCHEMES)}") from None
    return (std * rng.standard_normal((fan_out, fan_in))).astype(dtype)


def init_mlp(sizes, rng, scheme="he", dtype=np.float64):
    """params = {W1, b1, ..., WL, bL} for layer sizes [D, M1, ..., K], biases zero.

    Shapes: W_l (sizes[l], sizes[l-1]), b_l (sizes[l],).
    """
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{layer}"] = init_weight(fan_in, fan_out, rng, scheme, dtype)
        params[f"b{layer}"] = np.zeros(fan_out, dtype=dtype)
    return params
