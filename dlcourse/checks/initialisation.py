"""Checks for chapter 03_initialisation, exercises 1 to 3: calculate_gain, init_scale and variance_scaling.

Book: chapter 03_initialisation, section "From the variance to a scheme".
The first two are exact: their values are compared with the reference in ``dlcourse.init``, itself equal to
``torch.nn.init`` in float64 (tests/test_init_torch.py). ``variance_scaling`` draws random numbers, so its check
is statistical: on arrays of at least 30 000 entries, the sample mean, second moment and kurtosis must lie
within bounds that a correct sampler violates with probability below 1e-9 each (about 60 bounds in all, so
below 1e-6 together), and the draw must come from the generator it is given, reproducibly.
"""
import math

import numpy as np

from .. import init as reference
from .core import Checker, CheckError, describe

__all__ = ["check_calculate_gain", "check_init_scale", "check_variance_scaling"]

SQRT2 = math.sqrt(2.0)
GAIN_CASES = (("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
              ("leaky_relu", 0.2), ("leaky_relu", 0.0), ("selu", None))


def _raises_value_error(checker, fn, args, what, kwargs=None):
    """``fn(*args, **kwargs)`` must raise ValueError (what the reference and torch do)."""
    __tracebackhide__ = True
    try:
        got = checker.call(fn, *args, **(kwargs or {}))
    except CheckError as error:
        if isinstance(error.__cause__, ValueError):
            checker.ok()
            return
        raise
    checker.fail(f"should raise ValueError for {what}, as torch does, so that a typo is not silently given a "
                 f"value; it returned {got!r}. Use `raise ValueError(...)`.")


def _gain_mistakes(name, slope):
    nu = 0.01 if slope is None else slope
    default = math.sqrt(2.0 / (1.0 + 1e-4))
    leaky = [
        ("sqrt(2 / (1 + nu)): the slope nu enters squared, since E[h(a)^2] = (1 + nu^2) q / 2 for a ~ N(0, q)",
         math.sqrt(2.0 / (1.0 + nu)) if nu > -1 else math.nan),
        ("2 / (1 + nu^2), the factor on the variance: the gain is its square root", 2.0 / (1.0 + nu * nu)),
        ("sqrt((1 + nu^2) / 2), the inverse of the gain", math.sqrt((1.0 + nu * nu) / 2.0))]
    if slope == 0:
        leaky.insert(0, ("the gain for the slope 0.01, as `param or 0.01` gives: the slope 0 (which kaiming_normal_ "
                         "passes by default, a=0) is a slope, not a missing argument; test `param is None`", default))
    elif slope is None:
        leaky.insert(0, ("sqrt(2), the gain for the slope 0: without param the slope is 0.01", math.sqrt(2.0)))
    else:
        leaky += [("the gain for the default slope 0.01: use the slope param when it is given", default),
                  ("sqrt(2), the gain of ReLU: the negative slope nu was ignored", math.sqrt(2.0))]
    return {
        "tanh": [("1, the gain of a linear unit: torch's gain for tanh is 5/3", 1.0)],
        "relu": [("2, the factor on the variance: the gain multiplies the standard deviation, so it is sqrt(2)", 2.0),
                 ("1: ReLU halves the second moment, so its gain is sqrt(2)", 1.0)],
        "sigmoid": [("4 = 1 / sigma'(0): torch's gain for the sigmoid is 1", 4.0),
                    ("1/4 = sigma'(0): torch's gain for the sigmoid is 1", 0.25)],
        "selu": [("1: torch's gain for selu is 3/4", 1.0), ("sqrt(2): torch's gain for selu is 3/4", math.sqrt(2.0))],
        "linear": [("sqrt(2), the gain of ReLU: a linear unit has gain 1", math.sqrt(2.0))],
        "leaky_relu": leaky,
    }.get(name, [])


def check_calculate_gain(calculate_gain, cases=GAIN_CASES):
    """gain(h) for every (name, slope) in ``cases`` (slope None: called without it), and a ValueError for a name
    torch does not know."""
    __tracebackhide__ = True
    checker = Checker("calculate_gain")
    for name, slope in cases:
        args = (name,) if slope is None else (name, slope)
        context = f"for calculate_gain({', '.join(repr(arg) for arg in args)})"
        got = checker.call(calculate_gain, *args)
        checker.close("the gain", got, reference.calculate_gain(*args), _gain_mistakes(name, slope),
                      rtol=1e-12, atol=0.0, context=context)
    _raises_value_error(checker, calculate_gain, ("softmax",), "a nonlinearity it does not know ('softmax')")
    checker.done()


# ---------------------------------------------------------------- init_scale

SCALE_CASES = (((30, 50), {}), ((30, 50), {"mode": "fan_out"}), ((30, 50), {"gain": SQRT2}),
               ((7, 3), {"gain": 5 / 3, "mode": "fan_avg"}), ((7, 3), {"distribution": "uniform"}),
               ((20, 12), {"gain": SQRT2, "mode": "fan_out", "distribution": "uniform"}),
               ((40, 10), {"mode": "fan_avg", "distribution": "uniform"}),
               ((4, 6, 3, 3), {"gain": SQRT2}), ((8, 2, 5), {"mode": "fan_avg", "distribution": "uniform"}))


def _scale(fan_in, fan_out, gain=1.0, mode="fan_in", distribution="normal", average=None, bound_factor=None):
    """The value init_scale returns, with switches for the ways it goes wrong."""
    average = average or (lambda i, o: (i + o) / 2)
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": average(fan_in, fan_out)}[mode]
    std = gain / math.sqrt(fan)
    return std * (bound_factor or math.sqrt(3.0)) if distribution == "uniform" else std


def scale_mistakes(shape, gain=1.0, mode="fan_in", distribution="normal"):
    """(description, value) of the usual mistakes in init_scale(shape, gain, mode, distribution)."""
    fan_in, fan_out = reference.fans(shape)
    right = reference.init_scale(shape, gain, mode, distribution)
    uniform = distribution == "uniform"
    kind = "bound" if uniform else "standard deviation"
    mistakes = [
        ("the fan_in value: the mode was ignored (or fan_in and fan_out are swapped)",
         _scale(fan_in, fan_out, gain, "fan_in", distribution)),
        ("the value with fan_in and fan_out swapped: torch's weights are (out, in), so fan_in = shape[1]",
         _scale(fan_out, fan_in, gain, mode, distribution)),
        ("the value without the receptive field: for a kernel (out, in, k1, ...), fan_in = in * k1 * ...",
         _scale(shape[1], shape[0], gain, mode, distribution)),
        ("the value with fan_in + fan_out where their average belongs (Glorot's variance is 2 / (fan_in + "
         "fan_out))", _scale(fan_in, fan_out, gain, mode, distribution, average=lambda i, o: i + o)),
        ("the standard deviation, not the bound: U(-b, b) has variance b^2 / 3, so b = sqrt(3) std",
         _scale(fan_in, fan_out, gain, mode, "normal")),
        ("3 std: the bound of U(-b, b) with the same variance is sqrt(3) std",
         _scale(fan_in, fan_out, gain, mode, distribution, bound_factor=3.0)),
        ("the uniform bound sqrt(3) std, where the normal's standard deviation was asked",
         _scale(fan_in, fan_out, gain, mode, "uniform")),
        (f"the square of the {kind}; return the {kind} itself", right ** 2),
        ("gain^2 / sqrt(fan): the gain multiplies the standard deviation (its square multiplies the variance)",
         right * gain),
        ("1 / (gain sqrt(fan)): dividing by the gain, which for gain sqrt(2) is the lecture notes' randn / "
         "sqrt(2 n), a quarter of He's variance; multiply by the gain", right / gain ** 2),
        ("sqrt(gain / fan): the gain multiplies the standard deviation, it does not go under the root",
         right / math.sqrt(gain)),
    ]
    return [(description, value) for description, value in mistakes if not math.isclose(value, right, rel_tol=1e-9)]


def check_init_scale(init_scale, cases=SCALE_CASES):
    """The std (normal) or bound (uniform) of init_scale(shape, **kwargs) for every case, and ValueErrors for a
    shape with fewer than two entries, an unknown mode and an unknown distribution."""
    __tracebackhide__ = True
    checker = Checker("init_scale")
    for shape, kwargs in cases:
        shown = ", ".join([repr(shape)] + [f"{key}={value!r}" for key, value in kwargs.items()])
        got = checker.call(init_scale, shape, **kwargs)
        checker.close("the scale", got, reference.init_scale(shape, **kwargs), scale_mistakes(shape, **kwargs),
                      rtol=1e-12, atol=0.0, context=f"for init_scale({shown})")
    _raises_value_error(checker, init_scale, ((5,),), "a shape with one entry, (5,) (a bias has no fan_in)")
    _raises_value_error(checker, init_scale, ((3, 4),), "mode='fan_sum'", {"mode": "fan_sum"})
    _raises_value_error(checker, init_scale, ((3, 4),), "distribution='truncated_normal'",
                        {"distribution": "truncated_normal"})
    checker.done()


# ---------------------------------------------------------------- variance_scaling

SAMPLER_CASES = (((300, 200), {}), ((200, 300), {"gain": SQRT2, "mode": "fan_out", "distribution": "uniform"}),
                 ((32, 48, 5, 5), {"gain": 5 / 3, "mode": "fan_avg"}),
                 ((250, 150), {"mode": "fan_avg", "distribution": "uniform"}))
SIGMAS = 6.5      # P(|Z| > 6.5) = 8e-11 for a standard normal Z


def _sample_mistakes(shape, kwargs, std):
    """(description, the variance the mistaken draw has) for the usual mistakes in a sampler."""
    distribution = kwargs.get("distribution", "normal")
    variance = {"normal": lambda value: value ** 2, "uniform": lambda value: value ** 2 / 3}[distribution]
    mistakes = [(f"a scale with init_scale's mistake {description}", variance(value)) for description, value in
                scale_mistakes(shape, **kwargs)]
    if distribution == "normal":
        mistakes.insert(0, ("a draw with the variance std^2 passed as the standard deviation (numpy's "
                            "rng.normal(loc, scale) takes the standard deviation)", std ** 4))
    return mistakes


def _named(measured, candidates, tolerance):
    for description, value in candidates:
        if abs(measured - value) <= tolerance * value:
            return f" Your draws have the variance of {description}."
    return ""


def _check_statistics(checker, w, shape, kwargs, context):
    """Mean, second moment, shape of the distribution and (uniform) its support, against bounds a correct draw
    misses with probability < 1e-9 each."""
    __tracebackhide__ = True
    distribution = kwargs.get("distribution", "normal")
    scale = reference.init_scale(shape, **kwargs)
    std = scale / math.sqrt(3.0) if distribution == "uniform" else scale
    n = w.size
    mean = float(np.mean(w))
    checker.require(abs(mean) <= SIGMAS * std / math.sqrt(n),
                    f"the mean of your draws is {mean:.4g}, but weights must be centred at 0 (the mean of {n} draws "
                    f"with std {std:.4g} lies within {SIGMAS * std / math.sqrt(n):.2g} of 0) {context}."
                    + (" They look drawn from [0, bound] instead of [-bound, bound]." if distribution == "uniform"
                       and abs(mean - scale / 2) < 0.05 * scale else ""))
    second = float(np.mean(w ** 2))
    # the second moment of n draws has relative standard deviation sqrt((kurtosis - 1) / n) <= sqrt(2 / n)
    tolerance = 1.1 * SIGMAS * math.sqrt(2.0 / n)
    checker.require(abs(second / std ** 2 - 1) <= tolerance,
                    f"the variance of your draws is {second:.4g}, expected {std ** 2:.4g} (gain^2 / fan) within "
                    f"{100 * tolerance:.1f}% {context}." + _named(second, _sample_mistakes(shape, kwargs, std),
                                                                  tolerance))
    kurtosis = float(np.mean(w ** 4) / second ** 2)
    want = 3.0 if distribution == "normal" else 1.8
    other = {3.0: "a uniform", 1.8: "a normal"}[want]
    # the sample kurtosis of >= 30 000 draws has standard deviation <= sqrt(24 / n) <= 0.03: 0.35 is > 11 of them
    checker.require(abs(kurtosis - want) <= 0.35,
                    f"your draws do not look {distribution}: their kurtosis E[w^4] / E[w^2]^2 is {kurtosis:.2f}, "
                    f"a {distribution} distribution has {want} {context}."
                    + (f" It is close to that of {other} distribution ({4.8 - want})."
                       if abs(kurtosis - (4.8 - want)) < 0.35 else ""))
    if distribution == "uniform":
        largest = float(np.max(np.abs(w)))
        # P(max |w| < b (1 - 25 / n)) = (1 - 25 / n)^n < e^-25
        checker.require(scale * (1 - 25.0 / n) <= largest <= scale * (1 + 1e-12),
                        f"the largest |w| of your draws is {largest:.6g}, but U(-bound, bound) with bound = "
                        f"{scale:.6g} reaches (almost) the bound and never exceeds it {context}.")


def check_variance_scaling(variance_scaling, seed=0, cases=SAMPLER_CASES):
    """Shape, dtype, statistics and reproducibility of variance_scaling(shape, rng, **kwargs) for every case."""
    __tracebackhide__ = True
    checker = Checker("variance_scaling")
    for index, (shape, kwargs) in enumerate(cases):
        shown = ", ".join([repr(shape), "rng"] + [f"{key}={value!r}" for key, value in kwargs.items()])
        context = f"for variance_scaling({shown})"
        global_state = np.random.get_state()
        w = checker.call(variance_scaling, shape, np.random.default_rng([seed, index]), **kwargs)
        after = np.random.get_state()
        checker.require(np.array_equal(after[1], global_state[1]) and after[2:] == global_state[2:],
                        "your function drew from numpy's global random state (np.random.randn, np.random.normal, "
                        "...). Draw every number from the generator `rng` you are given, e.g. rng.standard_normal.")
        checker.conforms("the array of weights", w, np.zeros(shape), context=context)
        checker.ok()
        _check_statistics(checker, np.asarray(w, dtype=float), shape, kwargs, context)
        again = checker.call(variance_scaling, shape, np.random.default_rng([seed, index]), **kwargs)
        checker.require(isinstance(again, np.ndarray) and np.array_equal(again, w),
                        f"two calls with generators in the same state gave different weights {context}: draw every "
                        "number from `rng`, nothing from another generator.")
        other = checker.call(variance_scaling, shape, np.random.default_rng([seed, index, 1]), **kwargs)
        checker.require(isinstance(other, np.ndarray) and not np.array_equal(other, w),
                        f"generators in different states gave the same weights ({describe(other)}) {context}: the "
                        "weights must be drawn from `rng`.")
    checker.done()
