"""Check all your work before you hand it in: every visible test of a chapter, quietly, as one table.

Book: "How to use this book", section "Before you hand in". The last cell of every chapter calls
``check_all("<chapter id>")``; ``python -m dlcourse check <notebook>`` runs a whole notebook and then this,
with the full messages.

The table lists each test cell (its exercise, its points, and "passed" or the first line of what is wrong)
and the written questions still unanswered. The test cells are read from the saved notebook (save before
running it) and run in the notebook's own namespace, exactly as their cells would run them. Nothing here
raises: the summary is always printed, so Run All still reaches the end.
"""
import contextlib
import io
import json
import os
import re
import sys
from pathlib import Path

from ..conventions import ANSWER_PLACEHOLDER, HIDDEN_TESTS, is_test_cell, is_written_answer
from .core import CheckError

__all__ = ["check_all", "find_notebook"]

_UNANSWERED = {"", ANSWER_PLACEHOLDER}


def find_notebook(chapter):
    """The notebook file of ``chapter`` (an id such as "02_backprop", or a path): the one JupyterLab says this
    kernel runs, else ``<chapter>.ipynb`` here or in ``chapters/<chapter>/``."""
    if chapter.endswith(".ipynb"):
        return Path(chapter)
    session = os.environ.get("JPY_SESSION_NAME", "")
    candidates = ([Path(session)] if session.endswith(f"{chapter}.ipynb") else []) + [
        Path(f"{chapter}.ipynb"), Path("chapters") / chapter / f"{chapter}.ipynb"]
    return next((path for path in candidates if path.is_file()), None)


def _cells(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)["cells"]


def _source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _nbgrader(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _exercise(source):
    """The functions a test cell checks: the first argument names of its check_* calls."""
    names = re.findall(r"check_\w+\(\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)", source)
    return ", ".join(dict.fromkeys(n.strip() for group in names for n in group.split(",")
                                   if not n.strip().startswith(("seed", "shapes")))) or "exercise"


def _run(source, namespace):
    """("passed" | "not implemented" | first line of the failure, full message) of one test cell's code."""
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(io.StringIO()):
            exec(compile(source, "<test cell>", "exec"), namespace)
    except NotImplementedError:
        return "not implemented yet", ""
    except CheckError as error:
        return str(error).splitlines()[0], str(error)
    except Exception as error:      # a NameError (a cell not run yet), or the student's code failing
        message = f"{type(error).__name__}: {error}"
        return message.splitlines()[0], message
    return "passed", ""


def check_all(chapter, namespace=None, full=False):
    """Run every visible test of ``chapter``'s notebook quietly and print one table; ``full`` adds each message.

    Returns (points passed, points possible) of the autograded tests.
    """
    path = find_notebook(chapter)
    if path is None:
        print(f"check_all: cannot find {chapter}.ipynb here or in chapters/{chapter}/; give its path, "
              f"e.g. check_all('chapters/{chapter}/{chapter}.ipynb').")
        return 0, 0
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    rows, details, earned, possible, unanswered = [], [], 0, 0, []
    for cell in _cells(path):
        meta = _nbgrader(cell)
        if is_test_cell(cell):
            source = HIDDEN_TESTS.remove(_source(cell))
            verdict, message = _run(source, namespace)
            points = meta.get("points", 0)
            possible += points
            earned += points if verdict == "passed" else 0
            rows.append((_exercise(source), points, verdict))
            if message and full:
                details.append(f"{_exercise(source)}:\n{message}")
        elif is_written_answer(cell):
            if _source(cell).strip() in _UNANSWERED:
                unanswered.append(f"{meta.get('grade_id', 'a question')} ({meta.get('points', 0)} points)")
    width = max([len(name) for name, _, _ in rows] + [8])
    print(f"{'exercise':<{width}}  points  result")
    for name, points, verdict in rows:
        shown = verdict if full or len(verdict) <= 90 else verdict[:87] + "..."
        print(f"{name:<{width}}  {points:>6}  {shown}")
    print(f"\nautograded tests passed: {earned} of {possible} points (hidden tests add more cases when graded).")
    print("written questions still unanswered: " + (", ".join(unanswered) if unanswered else "none"))
    print(f"(read from {path}: save the notebook first, so that this sees your latest answers.)")
    if details:
        print("\n" + "\n\n".join(details))
    return earned, possible
