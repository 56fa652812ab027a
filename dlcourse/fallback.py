"""Run experiments on the student's function when it passes its test, and on the reference otherwise.

Book: "How to use this book", section "Experiments use your code".

``yours_if_passing(linear_backward, layers.linear_backward, check_linear_backward)`` runs the exercise's
visible check quietly (nothing printed, no warnings) and returns the student's function if it passes, so a
student sees their own results; otherwise it returns the reference and prints one line naming the exercise
to revisit, so Run All always reaches the end with every figure, whatever the student has written so far.
A function that already passed its test cell is not checked again, and a result is remembered for as long
as the function is not redefined. When the book is built (``DLCOURSE_BOOK=1``, set by ``make book``) the
exercises are stubs by design and the note is not printed: a reader sees the reference's results.
"""
import contextlib
import inspect
import io
import os
import warnings

import numpy as np

from .checks.core import CheckError, _identity, passed_before

__all__ = ["yours_if_passing"]

_VERDICTS = {}     # (check, identities of the functions it was given) -> first line of the failure, or ""


def _arguments(check, student_fn):
    """The functions to give ``check``: the student's function, or, for a check of several functions (whose
    parameters are named like them), each looked up in the student's namespace."""
    required = [p.name for p in inspect.signature(check).parameters.values()
                if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(required) <= 1:
        return [student_fn][:len(required)]
    namespace = getattr(student_fn, "__globals__", {})
    return [student_fn if name == student_fn.__name__ else namespace.get(name) for name in required]


def _verdict(check, functions, student_fn):
    """"" if ``student_fn`` passes ``check`` (run quietly on ``functions``), else what the check says is wrong."""
    if passed_before([student_fn]):
        return ""
    key = (check, tuple(_identity(f) for f in functions))
    if key not in _VERDICTS:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
                warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                check(*functions)
                _VERDICTS[key] = ""
            except NotImplementedError:
                _VERDICTS[key] = "not implemented"
            except CheckError as error:
                _VERDICTS[key] = str(error).splitlines()[0]
            except Exception as error:     # the check could not even run the functions: the same verdict
                _VERDICTS[key] = f"{type(error).__name__}: {error}".splitlines()[0]
    # a check of several functions stops at the first that fails; those checked before it have passed
    return "" if passed_before([student_fn]) else (_VERDICTS[key] or "not checked")


def yours_if_passing(student_fn, reference_fn, check):
    """``student_fn`` if it passes ``check`` (the exercise's visible test, run quietly), else ``reference_fn``.

    ``check`` is the ``check_*`` function of the exercise's test cell. When the reference is used, one line
    on stdout says why and which exercise to revisit (nothing is printed while the book is built).
    """
    name = getattr(student_fn, "__name__", "this function")
    verdict = _verdict(check, _arguments(check, student_fn), student_fn)
    if not verdict:
        return student_fn
    if os.environ.get("DLCOURSE_BOOK") != "1":
        if verdict == "not implemented":
            print(f"Note: your {name} is not implemented yet, so this experiment uses dlcourse's reference version.")
        else:
            shown = verdict if len(verdict) <= 110 else verdict[:107] + "..."
            print(f"Note: your {name} does not pass its test yet ({shown}), so this experiment uses dlcourse's "
                  f"reference version. Revisit the exercise on {name} and run its test cell.")
    return reference_fn
