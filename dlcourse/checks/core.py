"""The machinery of every check: calling a student's function quietly and explaining mismatches.

Book: "How to use this book", section "Test cells"; "Writing a chapter" (authoring.md) for authors.

What every check holds a student's function to, the *contract* of an exercise:

- **types and shapes**: a result the docstring promises as an array must be a ``np.ndarray`` of floats with
  exactly the expected shape (a list or a bool array is refused, with a message saying so); a single number
  must be a real number; several results must come back as a tuple of the promised length
  (:meth:`Checker.close`, :meth:`Checker.unpack`);
- **values**: within ``rtol`` of each element plus ``atol`` times the largest expected element, so the
  tolerance scales with the result: a result off by orders of magnitude fails even where the expected
  values are tiny (a ``scale`` can be given where round-off follows a larger quantity than the result);
- **named mistakes**: a failure names a known mistake only when the *whole* result equals what that mistake
  produces (every field of it, :meth:`Checker.close_all`), never because one field happens to coincide;
- **honesty**: a student's function that calls the reference implementation of its own exercise fails at
  once with the rule the grader applies (it scores 0 when graded), so what passes here passes when graded.
"""
import contextlib
import io
import numbers
import sys
import types
import warnings

import numpy as np

from ..conventions import passed_line
from ..layers import LinearCache

__all__ = ["RTOL", "ATOL", "CheckError", "Checker", "ReferenceCallError", "describe", "unchanged", "passed_before"]

RTOL = 1e-5   # relative to each element: lets float32 arithmetic and other summation orders pass
ATOL = 1e-6   # relative to the largest expected element: a few float32 ulps of cancellation, e.g. 1 - tanh(a)^2
TINY = 1e-300  # the scale of an all-zero expected result: matched exactly, unless the check passes a scale


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
        self.called = {}     # the student functions this check called, by identity

    def call(self, fn, *args, hint=None, **kwargs):
        """Call the student's ``fn`` quietly (no warnings reach stderr) and explain any exception.

        ``hint`` (not passed on to ``fn``), if given, maps the exception ``fn`` raised to text added to the
        message, "" when there is nothing to add: advice for a mistake that shows only as an exception.
        While ``fn`` runs, the reference implementation of this exercise refuses to be called from it
        (the grader's rule, applied here so that a student learns it before handing in).
        """
        __tracebackhide__ = True
        self.called[_identity(fn)] = fn
        with warnings.catch_warnings(), np.errstate(all="ignore"), _ReferenceGuard(self.name, fn), \
                contextlib.redirect_stderr(io.StringIO()):      # nbgrader scores a test cell that writes there 0
            warnings.simplefilter("ignore")
            try:
                return fn(*args, **kwargs)
            except NotImplementedError:
                raise NotImplementedError(
                    f"{self.name} is not implemented yet: replace `raise NotImplementedError()` "
                    "with your code, then run this cell again.") from None
            except ReferenceCallError as err:
                raise CheckError(str(err)) from None
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
        """Every check passed: say so, and remember the functions that passed (see :func:`passed_before`)."""
        _PASSED.update(self.called)
        print(passed_line(self.name, self.passed))

    def require(self, condition, message):
        __tracebackhide__ = True
        if not condition:
            self.fail(message)
        self.ok()

    def unpack(self, result, names, context=""):
        """``result`` as a tuple of ``len(names)`` values: a function that promises several results returns them as
        a tuple, e.g. ``return dx, dw, db``."""
        __tracebackhide__ = True
        where = f" {context}" if context else ""
        promised = "(" + ", ".join(names) + ")"
        if not isinstance(result, tuple) or len(result) != len(names):
            hint = (" Return them with `return " + ", ".join(names) + "`, which makes a tuple."
                    if isinstance(result, list) and len(result) == len(names) else "")
            self.fail(f"should return a tuple {promised}{where}, but returned {describe(result)}.{hint}")
        self.ok()
        return result

    def conforms(self, what, got, expected, dtype="float", context="", mistakes=()):
        """The contract of one result: an ndarray of ``dtype`` kind ("float", "int", "bool" or None for any) and
        exactly ``expected``'s shape, or a real number when ``expected`` is a single number. A wrong shape names
        the mistake in ``mistakes`` that has it (as :meth:`close` does for wrong values)."""
        __tracebackhide__ = True
        expected = np.asarray(expected)
        where = f" {context}" if context else ""
        if got is None:
            self.fail(f"{what} is None{where}. Did you forget a `return`?")
        if expected.ndim == 0:
            if isinstance(got, np.ndarray) and got.ndim == 0:
                got = got[()]
            if isinstance(got, (bool, np.bool_)) or not isinstance(got, numbers.Real):
                self.fail(f"{what} should be a single number{where}, but it is {describe(got)}."
                          + (" Did you forget to sum or average?" if isinstance(got, np.ndarray) else ""))
            return
        if not isinstance(got, np.ndarray):
            kind = (f"a single number ({type(got).__name__})" if isinstance(got, numbers.Number)
                    else f"a {type(got).__name__}. Return an array (np.asarray turns a list into one)")
            self.fail(f"{what} should be a numpy array of shape {expected.shape}{where}, but it is {kind}.")
        if dtype is not None and got.dtype.kind not in _KINDS[dtype]:
            advice = {"float": " Convert it with .astype(float).", "int": " Indices are integers.",
                      "bool": ""}[dtype]
            self.fail(f"{what} should be an array of {dtype}s{where}, but its dtype is {got.dtype}.{advice}")
        if got.shape != expected.shape:
            hint = ""
            if got.ndim == 2 and got.shape == expected.shape[::-1] and got.shape != expected.shape:
                hint = " It looks transposed."
            elif got.size == expected.size:
                hint = " It has the right number of elements, arranged in the wrong shape."
            self.fail(f"{what} has shape {got.shape}, expected {expected.shape}{where}.{hint}"
                      + _known_mistake(got, mistakes))

    def close(self, what, got, expected, mistakes=(), rtol=RTOL, atol=ATOL, context="", scale=None, dtype="float"):
        """Assert that ``got`` keeps the contract (see :meth:`conforms`) and equals ``expected`` up to tolerance;
        name the mistake when one matches.

        ``mistakes`` is a sequence of (description, wrong_value) pairs: results that a known mistake
        produces. A wrong value may be a callable, evaluated only when the check fails. The tolerance is
        ``rtol`` times each expected element plus ``atol`` times ``scale`` (default: the largest expected
        element), so it shrinks with the result.
        """
        __tracebackhide__ = True
        expected = np.asarray(expected, dtype=float)
        where = f" {context}" if context else ""
        self.conforms(what, got, expected, dtype, context, mistakes)
        got_array = np.asarray(got, dtype=float)
        bad = ~np.isfinite(got_array)
        if bad.any() and np.isfinite(expected).all():
            index = tuple(int(i) for i in np.argwhere(bad)[0]) if got_array.ndim else ()
            self.fail(f"{what} contains {got_array[index]}" + (f" at index {index}" if index else "")
                      + f"{where}, where a finite number was expected. Look for overflow in exp or a log of 0.")
        error = np.abs(got_array - expected)
        if scale is None:
            scale = np.max(np.abs(expected), initial=0.0)
        tolerance = atol * max(scale, TINY) + rtol * np.abs(expected)
        if np.all(error <= tolerance):
            self.ok()
            return
        index = np.unravel_index(np.argmax(error - tolerance), error.shape)
        position = f" at index {tuple(int(i) for i in index)}" if error.ndim else ""
        message = (f"{what} is wrong{where}: the largest error is {error[index]:.3g}{position} "
                   f"(expected {expected[index]:.6g}, got {got_array[index]:.6g}).")
        self.fail(message + _known_mistake(got_array, mistakes))

    def close_all(self, fields, mistakes=(), context="", **tolerances):
        """Several results of one call, e.g. ``[("dw", dw, want_dw), ("db", db, want_db)]``, checked in order.

        ``mistakes`` holds (description, wrong_values) pairs with one wrong value per field (or a callable that
        returns them). A mistake is named only when *every* field equals what it produces: a result that shares
        one field with a known mistake is not given that mistake's name. ``tolerances`` go to :meth:`close`.
        """
        __tracebackhide__ = True
        named = [(description, wrong) for description, wrong in mistakes
                 if _matches_all([got for _, got, _ in fields], wrong)]
        for index, (what, got, expected) in enumerate(fields):
            self.close(what, got, expected, [(description, got) for description, _ in named[:1]],
                       context=context, **tolerances)


class ReferenceCallError(Exception):
    """The student's function called the reference implementation of its own exercise."""


class _ReferenceGuard:
    """While a student's function runs, its exercise's reference implementation raises when called from it.

    The grader's rule (``dlcourse.grading.guard``), applied in the student's notebook: the reference is found by
    name among dlcourse's modules and in the student's namespace (``fn.__globals__``), and swapped for a
    wrapper for the duration of the call; everything is restored afterwards. Under the grader, whose own
    tripwire is already in place, the guard stands aside.
    """

    def __init__(self, name, fn):
        self.name, self.fn, self.swapped = name, fn, []

    def __enter__(self):
        namespace = getattr(self.fn, "__globals__", None)
        sites = list(_reference_sites(self.name))
        if isinstance(namespace, dict):
            sites += [(namespace, attribute) for attribute, value in list(namespace.items())
                      if _is_reference(value, self.name)]
        wrappers = {}
        for owner, attribute in sites:
            value = owner.get(attribute)
            if _is_reference(value, self.name) and value is not self.fn:
                if id(value) not in wrappers:
                    wrappers[id(value)] = _refusing(value, self.name)
                self.swapped.append((owner, attribute, value))
                owner[attribute] = wrappers[id(value)]
        return self

    def __exit__(self, *exc):
        for owner, attribute, value in reversed(self.swapped):
            owner[attribute] = value
        self.swapped = []
        return False


_SITES = {}     # (exercise name, number of dlcourse modules) -> [(module dict, attribute)] holding its reference
_MODULES = [-1, []]     # [len(sys.modules) when last listed, dlcourse's modules then]


def _dlcourse_modules():
    """dlcourse's modules, but not its checks (listed again only when a module has been imported: the guard runs
    around every call of a student's function, and sys.modules holds thousands of modules once torch is in)."""
    if _MODULES[0] != len(sys.modules):
        _MODULES[:] = [len(sys.modules), [module for key, module in list(sys.modules.items())
                                          if key.startswith("dlcourse") and not key.startswith("dlcourse.checks")
                                          and isinstance(module, types.ModuleType)]]
    return _MODULES[1]


def _reference_sites(name):
    """Where dlcourse's modules hold the reference named ``name`` (found once, as long as no module is added)."""
    modules = _dlcourse_modules()
    key = (name, len(modules))
    if key not in _SITES:
        _SITES[key] = [(vars(module), attribute) for module in modules
                       for attribute, value in list(vars(module).items()) if _is_reference(value, name)]
    return _SITES[key]


def _is_reference(value, name):
    return (isinstance(value, types.FunctionType) and value.__name__ == name
            and (value.__module__ or "").startswith("dlcourse") and not getattr(value, "__dlcourse_tripwire__", False)
            and not (value.__module__ or "").startswith("dlcourse.checks"))


def _refusing(reference, name):
    qualified = f"{reference.__module__}.{reference.__name__}"

    def refuse(*args, **kwargs):
        raise ReferenceCallError(
            f"{name} calls {qualified}, the reference implementation of the function you are asked to write. "
            f"The grader gives such a function 0 points: write {name} yourself (you may use the other "
            "functions the exercise names).")
    refuse.__name__ = reference.__name__
    return refuse


_KINDS = {"float": "f", "int": "iu", "bool": "b"}
_PASSED = {}     # identity -> function, for every student function whose check passed completely


def _identity(function):
    """A function's identity that changes when it is redefined (a new object, or new code or defaults)."""
    return (id(function), getattr(function, "__code__", None), getattr(function, "__defaults__", None))


def passed_before(functions):
    """Whether every one of ``functions`` (this very definition) has passed a complete check in this process."""
    return all(_PASSED.get(_identity(function)) is function for function in functions)


def _matches(got, wrong):
    try:
        got_array, wrong = np.asarray(got, dtype=float), np.asarray(wrong() if callable(wrong) else wrong, dtype=float)
    except (TypeError, ValueError):
        return False
    return wrong.shape == got_array.shape and bool(np.allclose(got_array, wrong, rtol=1e-6, atol=1e-9))


def _matches_all(gots, wrongs):
    wrongs = wrongs() if callable(wrongs) else wrongs
    return len(wrongs) == len(gots) and all(_matches(got, wrong) for got, wrong in zip(gots, wrongs))


def _known_mistake(got_array, mistakes):
    """The sentence naming the first mistake whose result has the shape and values of ``got_array``, or ""."""
    for description, wrong in mistakes:
        if _matches(got_array, wrong):
            return f" Your result equals {description}."
    return ""


def unchanged(checker, what, before, after, tolerance=0.0, advice="compute new arrays instead of editing it."):
    """``after`` equals ``before`` up to ``tolerance`` times its largest entry (at least 1).

    A tolerance forgives rounding, e.g. of x + h - 2h + h, which differs from x in the last bit.
    """
    __tracebackhide__ = True
    scale = max(np.max(np.abs(before), initial=0.0), 1.0)
    checker.require(before.shape == after.shape and np.all(np.abs(after - before) <= tolerance * scale),
                    f"your function changed its input {what}; {advice}")


