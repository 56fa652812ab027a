"""Session-wide test plumbing: nbval notebooks stay on one xdist worker, and their time budget is enforced.

nbval (run by `make test` on solutions/) executes a notebook cell by cell in one kernel, so all cells of a
notebook must run on the same pytest-xdist worker: `make test` distributes whole files (`--dist loadfile`), a
notebook being one file. (`--dist loadgroup` with an xdist_group mark per notebook does not work with pytest 9,
whose node ids xdist can no longer suffix with the group: the cells of one notebook were split between workers.)
The time of a notebook is the sum of its cells' setup, call and teardown (kernel start included); a source
notebook over the limit (BUDGET_SECONDS times the number of xdist workers, see _limit) fails the session with
a line naming it. The student versions are timed by the book build (tests/test_notebooks.py reads its log).

xdist hands out whole files one at a time, in the order of collection (`make test` passes
--no-loadscope-reorder: by default xdist orders files by their number of tests, which put the longest files,
the nbgrader round trips with a few tests each, last, and one worker ran them alone for the last three minutes
of a fresh-clone run). The files in LONGEST_FIRST are collected first, longest first, so that the files
handed out last are short ones.

nbval's kernels draw no figures (MPLBACKEND=agg while a notebook's cells run, a third of its time): the book
build draws every figure of the student versions, and the autograde round trip, whose sandboxed kernels have
an environment of their own, counts them. Every other test sees the environment as it was.
"""
import collections
import os

import pytest

BUDGET_SECONDS = 20
_NOTEBOOK_SECONDS = collections.defaultdict(float)


# the longest files by `pytest --durations=0` (seconds on one worker, in a fresh clone's make test with the hub
# test: 323, 102, 91, 81, 44, 40, 39, 18 and 17; the next file took 3 s, most take less)
LONGEST_FIRST = ("test_autograde.py", "test_grading_hostile.py", "test_browser.py", "test_grading_e2e.py",
                 "test_hub.py", "test_grading_library.py", "test_check_command.py", "test_book_mechanisms.py",
                 "test_release.py")


def pytest_collection_modifyitems(config, items):
    rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))     # stable: the order inside a file stays


def _notebook_of(nodeid):
    path = nodeid.split("::", 1)[0]
    return path if path.endswith(".ipynb") else None


class _NotebooksWithoutFigures:
    """A plugin, not a hook of this file: this file's own hooks of a test's setup see only the tests below tests/."""

    backend = os.environ.get("MPLBACKEND")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        """Before nbval starts a notebook's kernel (in the setup of its first cell) and before every other test."""
        if _notebook_of(item.nodeid):
            os.environ["MPLBACKEND"] = "agg"
        elif self.backend is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = self.backend


def pytest_configure(config):
    config.pluginmanager.register(_NotebooksWithoutFigures(), "dlcourse-notebooks-without-figures")


def _is_worker(config):
    return hasattr(config, "workerinput")


def pytest_runtest_logreport(report):
    notebook = _notebook_of(report.nodeid)
    if notebook:
        _NOTEBOOK_SECONDS[notebook] += report.duration


def _limit(config):
    """BUDGET_SECONDS per notebook on its own; with n xdist workers on the 2 cores, nbval shares them with n - 1
    other workers (the grader tests, the browser), so its wall time may be up to n times the notebook's own. The
    budget itself is enforced on the book build, which executes the student versions one at a time
    (tests/test_notebooks.py); this limit catches a notebook that grew far beyond it."""
    try:
        workers = int(getattr(config.option, "numprocesses", None) or 1)
    except (TypeError, ValueError):
        workers = 2
    return BUDGET_SECONDS * max(1, workers)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _NOTEBOOK_SECONDS:
        return
    limit = _limit(config)
    terminalreporter.section(f"notebook execution times (nbval; limit {limit} s alongside the other workers)")
    for notebook, seconds in sorted(_NOTEBOOK_SECONDS.items()):
        over = seconds > limit
        terminalreporter.write_line(f"{notebook}: {seconds:.1f} s" + (f"  OVER THE {limit} s LIMIT" if over else ""))


def pytest_sessionfinish(session, exitstatus):
    if _is_worker(session.config):
        return
    over = {nb: s for nb, s in _NOTEBOOK_SECONDS.items() if s > _limit(session.config)}
    if over and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
