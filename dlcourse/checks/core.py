"""The machinery of every check: calling a student's function quietly and explaining mismatches.

Book: "How to use this book", section "Test cells".
"""
import warnings

import numpy as np

from ..conventions import passed_line
from ..layers import LinearCache

__all__ = ["RTOL", "ATOL", "CheckError", "Checker", "describe", "unchanged"]

RTOL = 1e-5   # relative to each element: lets float32 arithmetic and other summation orders pass
ATOL = 1e-6   # relative to the largest element (at least 1): a few float32 ulps, e.g. for 1 - tanh(a)^2


class CheckError(AssertionError):
    """A check failed; the message says what is wrong in words."""


def describe(value):
    if value is None:
        return "None (did you forget a `return`?)"
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}"
    if isinstance(value, (tuple, list)) and not isinstance(value, LinearCache):
        return f"{type(value).__name__} of length {len(value)}"
    return type(value).__name__


class Checker:
    """Counts passed checks for one student function and builds the failure messages."""

    def __init__(self, name):
        self.name = name
        self.passed = 0

    def call(self, fn, *args, hint=None, **kwargs):
        """Call the student's ``fn`` quietly (no warnings reach stderr) and explain any exception.

        ``hint`` (not passed on to ``fn``), if given, maps the exception ``fn`` raised to text added to the
        message, "" when there is nothing to add: advice for a mistake that shows only as an exception.
        """
        __tracebackhide__ = True
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                return fn(*args, **kwargs)
            except NotImplementedError:
                raise NotImplementedError(
                    f"{self.name} is not implemented yet: replace `raise NotImplementedError()` "
                    "with your code, then run this cell again.") from None
            except Exception as err:
                shown = ", ".join(describe(a) for a in args)
                advice = hint(err) if hint else ""
                raise CheckError(f"{self.name} raised {type(err).__name__}: {err}\n"
                                 f"It was called with ({shown}).{advice}") from err

    def fail(self, message):
        __tracebackhide__ = True
        raise CheckError(f"{self.name}: {message}")

    def ok(self):
        self.passed += 1

    def done(self):
        print(passed_line(self.name, self.passed))

    def require(self, condition, message):
        __tracebackhide__ = True
        if not condition:
            self.fail(message)
        self.ok()

    def close(self, what, got, expected, mistakes=(), rtol=RTOL, atol=ATOL, context=""):
        """Assert ``got`` equals ``expected`` up to tolerance; name the mistake when one matches.

        ``mistakes`` is a sequence of (description, wrong_value) pairs: results that a known mistake
        produces. A wrong value may be a callable, evaluated only when the check fails.
        """
        __tracebackhide__ = True
        expected = np.asarray(expected, dtype=float)
        where = f" {context}" if context else ""
        if got is None:
            self.fail(f"{what} is None{where}. Did you forget a `return`?")
        try:
            got_array = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            self.fail(f"{what} should be a numpy array of numbers, but it is a {type(got).__name__}{where}.")
        if got_array.shape != expected.shape:
            hint = ""
            if got_array.ndim == 2 and got_array.shape == expected.shape[::-1]:
                hint = " It looks transposed."
            elif got_array.size == expected.size:
                hint = " It has the right number of elements, arranged in the wrong shape."
            elif expected.ndim == 0:
                hint = " It should be a single number (did you forget to sum or average?)."
            self.fail(f"{what} has shape {got_array.shape}, expected {expected.shape}{where}.{hint}"
                      + _known_mistake(got_array, mistakes))
        bad = ~np.isfinite(got_array)
        if bad.any() and np.isfinite(expected).all():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            self.fail(f"{what} contains {got_array[index]} at index {index}{where}, "
                      "where a finite number was expected. Look for overflow in exp or a log of 0.")
        error = np.abs(got_array - expected)
        scale = np.max(np.abs(expected), initial=0.0)
        tolerance = atol * max(scale, 1.0) + rtol * np.abs(expected)
        if np.all(error <= tolerance):
            self.ok()
            return
        index = np.unravel_index(np.argmax(error - tolerance), error.shape)
        position = f" at index {tuple(int(i) for i in index)}" if error.ndim else ""
        message = (f"{what} is wrong{where}: the largest error is {error[index]:.3g}{position} "
                   f"(expected {expected[index]:.6g}, got {got_array[index]:.6g}).")
        self.fail(message + _known_mistake(got_array, mistakes))


def _known_mistake(got_array, mistakes):
    """The sentence naming the first mistake whose result has the shape and values of ``got_array``, or ""."""
    for description, wrong in mistakes:
        wrong = np.asarray(wrong() if callable(wrong) else wrong, dtype=float)
        if wrong.shape == got_array.shape and np.allclose(got_array, wrong, rtol=1e-6, atol=1e-9):
            return f" Your result equals {description}."
    return ""


def unchanged(checker, what, before, after, tolerance=0.0):
    """``after`` equals ``before`` up to ``tolerance`` times its largest entry (at least 1).

    A tolerance forgives rounding, e.g. of x + h - 2h + h, which differs from x in the last bit.
    """
    __tracebackhide__ = True
    scale = max(np.max(np.abs(before), initial=0.0), 1.0)
    checker.require(before.shape == after.shape and np.all(np.abs(after - before) <= tolerance * scale),
                    f"your function changed its input {what}; compute new arrays instead of editing it.")


