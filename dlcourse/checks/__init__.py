"""What the test cells call: checks that compare a student's function with oracles and explain mistakes.

Book: "How to use this book" explains what a failing check tells you.
Each ``check_*`` function calls the student's function on fresh random inputs, compares the result
with the reference implementation in ``dlcourse`` (itself tested against torch autograd) and, where
useful, with a numerical gradient. It raises ``AssertionError`` with a message in words when
something is wrong (which output, which shape, the largest error and where, and which known mistake
the result matches), re-raises ``NotImplementedError`` for an unfinished stub, never writes to stderr,
and on success prints one line such as ``linear_backward: 9 checks passed``.
"""
import functools

from . import (autoencoders, backprop, batchnorm, dropout, dropout_linear, dropout_mask, implicit_regularisation,
               initialisation, layernorm_inference, optimisers, regularisation, schedules_averaging, sgd, signal_flow,
               stationary)
from .core import ATOL, RTOL, Checker, CheckError
from .summary import check_all

CHAPTER_MODULES = (sgd, stationary, schedules_averaging, backprop, optimisers, batchnorm, layernorm_inference,
                   autoencoders, regularisation, implicit_regularisation, dropout_mask, dropout, dropout_linear,
                   initialisation, signal_flow)


def _raise(error):
    __tracebackhide__ = True
    # The message below says what is wrong with your function.
    raise error.with_traceback(None) from None


def _short_traceback(check):
    """``check``, raising its failures from one short frame, so a student reads the message, not the machinery."""
    @functools.wraps(check)
    def run(*args, **kwargs):
        __tracebackhide__ = True
        try:
            return check(*args, **kwargs)
        except (CheckError, NotImplementedError) as error:
            _raise(error)
    return run


# Every chapter module lists its checks in __all__; they are all importable from dlcourse.checks.
globals().update({name: _short_traceback(getattr(module, name))
                  for module in CHAPTER_MODULES for name in module.__all__})

__all__ = ["CheckError", "Checker", "RTOL", "ATOL", "check_all"] + [
    name for module in CHAPTER_MODULES for name in module.__all__]
