"""Session-wide test plumbing: nbval notebooks stay on one xdist worker, and their time budget is enforced.

nbval (run by `make test` on solutions/) executes a notebook cell by cell in one kernel, so all cells of a
notebook must run on the same pytest-xdist worker: `make test` distributes whole files (`--dist loadfile`), a
notebook being one file. (`--dist loadgroup` with an xdist_group mark per notebook does not work with pytest 9,
whose node ids xdist can no longer suffix with the group: the cells of one notebook were split between workers.)
The time of a notebook is the sum of its cells' setup, call and teardown (kernel start included); a source
notebook over BUDGET_SECONDS fails the session with a line naming it. The student versions are timed by the
book build (tests/test_notebooks.py reads its log).
"""
import collections

import pytest

BUDGET_SECONDS = 20
_NOTEBOOK_SECONDS = collections.defaultdict(float)


def _notebook_of(nodeid):
    path = nodeid.split("::", 1)[0]
    return path if path.endswith(".ipynb") else None


def _is_worker(config):
    return hasattr(config, "workerinput")


def pytest_runtest_logreport(report):
    notebook = _notebook_of(report.nodeid)
    if notebook:
        _NOTEBOOK_SECONDS[notebook] += report.duration


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _NOTEBOOK_SECONDS:
        return
    terminalreporter.section("notebook execution times (nbval)")
    for notebook, seconds in sorted(_NOTEBOOK_SECONDS.items()):
        over = seconds > BUDGET_SECONDS
        terminalreporter.write_line(f"{notebook}: {seconds:.1f} s" + (f"  OVER THE {BUDGET_SECONDS} s BUDGET" if over else ""))


def pytest_sessionfinish(session, exitstatus):
    if _is_worker(session.config):
        return
    over = {nb: s for nb, s in _NOTEBOOK_SECONDS.items() if s > BUDGET_SECONDS}
    if over and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
