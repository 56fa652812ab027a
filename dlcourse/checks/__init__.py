"""What the test cells call: checks that compare a student's function with oracles and explain mistakes.

Book: "How to use this book" explains what a failing check tells you.
Each ``check_*`` function calls the student's function on fresh random inputs, compares the result
with the reference implementation in ``dlcourse`` (itself tested against torch autograd) and, where
useful, with a numerical gradient. It raises ``AssertionError`` with a message in words when
something is wrong (which output, which shape, the largest error and where, and which known mistake
the result matches), re-raises ``NotImplementedError`` for an unfinished stub, never writes to stderr,
and on success prints one line such as ``linear_backward: 9 checks passed``.
"""
from . import backprop, optimisers, schedules_averaging, sgd, stationary
from .core import ATOL, RTOL, Checker, CheckError

CHAPTER_MODULES = (sgd, stationary, schedules_averaging, backprop, optimisers)
# Every chapter module lists its checks in __all__; they are all importable from dlcourse.checks.
globals().update({name: getattr(module, name) for module in CHAPTER_MODULES for name in module.__all__})

__all__ = ["CheckError", "Checker", "RTOL", "ATOL"] + [
    name for module in CHAPTER_MODULES for name in module.__all__]
