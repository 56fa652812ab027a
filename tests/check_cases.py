"""What tests/test_checks*.py share: run a check the way a test cell does, and judge what it did.

Each of those files lists its exercises' correct alternatives and known mistakes as data; these helpers run a
check on one of them (warnings turned into errors) and assert on the outcome.
"""
import warnings

from dlcourse.conventions import PASSED_LINE


def outcome(check, *args, **kwargs):
    """Run ``check(*args, **kwargs)`` with warnings turned into errors. -> the exception it raised, or None."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            check(*args, **kwargs)
        except Exception as error:  # NotImplementedError and CheckError alike: the tests look at it
            return error
    return None


def run_check(checks, reference, exercise, student, **kwargs):
    """Run the check of ``exercise`` on ``student``, with the reference for the other functions that check takes.

    ``checks[exercise]`` is (the check, the exercises it takes, in order); ``reference[name]`` the reference of each.
    """
    check, takes = checks[exercise]
    check(*(student if name == exercise else reference[name] for name in takes), **kwargs)


def assert_passed_quietly(error, capsys, names):
    """The check that gave ``error`` (from ``outcome``) passed: no error, nothing on stderr, and exactly one
    'name: N checks passed' line with N > 0 for each of ``names``, in that order."""
    out, err = capsys.readouterr()
    assert error is None, f"{type(error).__name__}: {error}"
    assert err == "", err
    passed = [PASSED_LINE.fullmatch(line) for line in out.splitlines()]
    assert all(passed) and all(int(match[2]) > 0 for match in passed), out
    assert [match[1] for match in passed] == list(names), out


def assert_failed_naming(error, capsys, exercise, description, message):
    """The check that gave ``error`` (from ``outcome``) caught the mistake ``description``: it failed with an
    AssertionError whose message names ``exercise`` and contains ``message``; nothing on stderr."""
    assert isinstance(error, AssertionError), f"{description} was not caught: {error!r}"
    assert exercise in str(error) and message in str(error), str(error)
    err = capsys.readouterr().err
    assert err == "", err
