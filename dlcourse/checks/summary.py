"""Check all your work before you hand it in: every visible test of a chapter, quietly, as one table.

Book: "How to use this book", section "Check all your work". The last cell of every chapter calls
``check_all("<chapter id>")``; ``python -m dlcourse check <notebook>`` (``dlcourse.check_notebook``) runs a
whole notebook and then this, with the full messages.

The table lists each test cell (its exercise, its points, and "passed" or the first line of what is wrong)
and then the written questions still unanswered. The test cells are read from the saved notebook (save before
running it) and run in the notebook's own namespace, exactly as their cells would run them. Nothing here
raises: the summary (or one sentence saying why there is none) is always printed, so Run All still reaches
the end.
"""
import contextlib
import io
import json
import os
import re
import sys
from pathlib import Path
from typing import NamedTuple

from ..conventions import ANSWER_PLACEHOLDER, HIDDEN_TESTS, is_test_cell, is_written_answer
from .core import CheckError

__all__ = ["Row", "Report", "check_all", "find_notebook", "run_checks", "format_report"]

_UNANSWERED = {"", ANSWER_PLACEHOLDER}
_TASK = re.compile(r"^#+\s*((?:Exercise|Question)\s+\d+)\b[^\n]*?(?:\((\d+(?:\.\d+)?)\s+points?\))?\s*$", re.M)
_BOLD_QUESTION = re.compile(r"\*\*(Question\s+\d+)\b")
_SHOWN = 100      # characters of a verdict shown in the short table


class Row(NamedTuple):
    """One test cell: what it checks, its points, "passed" or the first line of the failure, the full message."""
    exercise: str
    points: float
    verdict: str
    message: str

    @property
    def passed(self):
        return self.verdict == "passed"


class Report(NamedTuple):
    path: str
    rows: list
    unanswered: list        # "Question 2 (2 points)" per written answer still empty

    @property
    def earned(self):
        return sum(row.points for row in self.rows if row.passed)

    @property
    def possible(self):
        return sum(row.points for row in self.rows)

    def as_dict(self):
        return {"path": self.path, "earned": self.earned, "possible": self.possible,
                "failed": [row.exercise for row in self.rows if not row.passed], "unanswered": self.unanswered}


def find_notebook(chapter):
    """The notebook file of ``chapter`` (an id such as "02_backprop", or a path): the one JupyterLab says this
    kernel runs, else ``<chapter>.ipynb`` here or in ``chapters/<chapter>/``."""
    chapter = os.fspath(chapter)
    if chapter.endswith(".ipynb"):
        return Path(chapter) if Path(chapter).is_file() else None
    session = os.environ.get("JPY_SESSION_NAME", "")
    candidates = ([Path(session)] if session.endswith(f"{chapter}.ipynb") else []) + [
        Path(f"{chapter}.ipynb"), Path("chapters") / chapter / f"{chapter}.ipynb"]
    return next((path for path in candidates if path.is_file()), None)


def _source(cell):
    source = cell.get("source", "")
    return "".join(map(str, source)) if isinstance(source, list) else str(source)


def _nbgrader(cell):
    metadata = cell.get("metadata")
    grader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return grader if isinstance(grader, dict) else {}


def _points_of(meta):
    try:
        return float(meta.get("points", 0))
    except (TypeError, ValueError):
        return 0.0


def _functions(source):
    """The functions a test cell checks: the first argument names of its check_* calls."""
    names = re.findall(r"check_\w+\(\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)", source)
    return ", ".join(dict.fromkeys(n.strip() for group in names for n in group.split(",")
                                   if not n.strip().startswith(("seed", "shapes"))))


def _task_name(markdown, kind):
    """"Exercise 2" or "Question 1" from the last task heading (or bold "**Question 1") of the Markdown above."""
    names = [m.group(1) for m in _TASK.finditer(markdown) if m.group(1).startswith(kind)]
    if kind == "Question":
        names += _BOLD_QUESTION.findall(markdown)
    return " ".join(names[-1].split()) if names else ""


def _run(source, namespace):
    """("passed" | "not implemented yet" | first line of the failure, full message) of one test cell's code."""
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(io.StringIO()):
            exec(compile(source, "<test cell>", "exec"), namespace)
    except KeyboardInterrupt:
        raise
    except NotImplementedError:
        return "not implemented yet", ""
    except CheckError as error:
        return str(error).splitlines()[0], str(error)
    except NameError as error:       # a cell above has not run yet
        message = f"not run yet ({error}): run the notebook from the top"
        return message, message
    except BaseException as error:   # the student's code failing in another way, or even exiting
        message = f"{type(error).__name__}: {error}"
        return message.splitlines()[0], message
    return "passed", ""


def run_checks(path, namespace):
    """A :class:`Report` of the notebook at ``path``: each visible test run in ``namespace``, the empty answers."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list) or not all(isinstance(cell, dict) for cell in cells):
        raise ValueError("it has no list of cells")
    rows, unanswered, markdown = [], [], ""
    for cell in cells:
        meta, source = _nbgrader(cell), _source(cell)
        if is_test_cell(cell):
            visible = HIDDEN_TESTS.remove(source)
            verdict, message = _run(visible, namespace)
            name = ": ".join(part for part in (_task_name(markdown, "Exercise"), _functions(visible)) if part)
            rows.append(Row(name or str(meta.get("grade_id", "a test")), _points_of(meta), verdict, message))
            markdown = ""
        elif is_written_answer(cell):
            if source.strip() in _UNANSWERED:
                name = _task_name(markdown, "Question") or meta.get("grade_id", "a written question")
                unanswered.append(f"{name} ({_points_of(meta):g} points)")
            markdown = ""
        elif cell.get("cell_type") == "markdown":
            markdown += source + "\n"
    return Report(str(path), rows, unanswered)


def _points(value):
    return f"{value:g}"


def format_report(report, full=False):
    """The table of ``report``; ``full`` shows each verdict whole and every failure's message at the end."""
    width = max([len(row.exercise) for row in report.rows] + [len("exercise")])
    lines = [f"{'exercise':<{width}}  points  result"]
    for row in report.rows:
        shown = row.verdict if full or len(row.verdict) <= _SHOWN else row.verdict[:_SHOWN - 3] + "..."
        lines.append(f"{row.exercise:<{width}}  {_points(row.points):>6}  {shown}")
    lines += ["", f"autograded tests passed: {_points(report.earned)} of {_points(report.possible)} points "
                  "(hidden tests add more cases when graded).",
              "written questions still unanswered: " + (", ".join(report.unanswered) or "none")]
    if full:
        details = [f"{row.exercise}:\n{row.message}" for row in report.rows if row.message and row.message != row.verdict]
        lines += ["", *("\n\n".join(details).splitlines())] if details else []
    else:
        lines.append(f"(read from {report.path}: save the notebook first, so that this sees your latest answers.)")
    return "\n".join(lines)


def check_all(chapter, namespace=None, full=False):
    """Run every visible test of ``chapter``'s notebook quietly and print one table; ``full`` adds each message.

    ``chapter`` is the chapter id ("02_backprop") or the notebook's path. Never raises: when the notebook
    cannot be found or read, one sentence says so.
    """
    chapter = os.fspath(chapter)
    path = find_notebook(chapter)
    if path is None:
        where = chapter if chapter.endswith(".ipynb") else f"{chapter}.ipynb here or in chapters/{chapter}/"
        print(f"check_all: cannot find {where}; give the notebook's path, "
              "e.g. check_all('chapters/02_backprop/02_backprop.ipynb').")
        return
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    try:
        report = run_checks(path, namespace)
    except (OSError, ValueError) as error:       # unreadable, not JSON (a ValueError), or no cells
        print(f"check_all: cannot read {path} as a notebook ({type(error).__name__}: {error}); save it from "
              "JupyterLab and run this cell again.")
        return
    print(format_report(report, full))
