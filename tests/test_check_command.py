"""``python -m dlcourse check <notebook>`` (dlcourse/check_notebook.py) and the short tracebacks of test cells.

The command runs a chapter notebook from a folder outside the repository and prints the table of
check_all: on the blank student notebook, on a partly done one and on one solved from the solutions (as the
grading library builds a submission), with the exit status each must give. Bad input gets one sentence
and status 2. A failing test cell shows the student the message and at most one short frame of dlcourse.
"""
import re
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from course_notebooks import CHAPTERS, nbgrader_meta, read, student_path
from dlcourse.grading import library

CHAPTER = CHAPTERS[0]        # any chapter: the command knows nothing of a particular one
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def check(path, cwd):
    return subprocess.run([sys.executable, "-m", "dlcourse", "check", str(path)], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def student_notebook(tmp_path, solved_cells=(), answer=None, mistake=None):
    """The student notebook of CHAPTER in tmp_path: the given solution cells solved ("all": every one), the
    function of ``mistake`` (a library entry) written with that mistake, the other exercises stubs."""
    release = read(student_path(CHAPTER))
    chapter = library.Chapter(CHAPTER)
    nb = nbformat.reads(library.submission(chapter, release, entry=mistake, answer=answer or "").decode(),
                        as_version=4)
    keep = set(solved_cells) | ({chapter.cell_of(mistake.exercise)} if mistake else set())
    for cell, original in zip(nb.cells, release.cells):
        meta = nbgrader_meta(cell)
        if cell.cell_type == "code" and meta.get("solution") and solved_cells != "all" and meta["grade_id"] not in keep:
            cell.source = original.source                            # the stub
        elif cell.cell_type == "markdown" and meta.get("solution") and answer is None:
            cell.source = original.source                            # YOUR ANSWER HERE
    path = tmp_path / CHAPTER / f"{CHAPTER}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def rows(stdout):
    table = stdout.split("exercise", 1)[1].split("\n\n", 1)[0]
    return [line for line in table.splitlines()[1:] if line.strip()]


def test_blank_notebook(tmp_path):
    result = check(student_notebook(tmp_path), tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert rows(result.stdout) and all(row.endswith("not implemented yet") for row in rows(result.stdout))
    assert "autograded tests passed: 0 of" in result.stdout
    assert "written questions still unanswered: Question 1" in result.stdout
    assert "cells outside the tests that stopped" not in result.stdout, result.stdout


def test_partly_done_notebook_with_a_mistake(tmp_path):
    """The first exercise solved, a known mistake in a later one (its full message shown), the rest stubs."""
    chapter = library.Chapter(CHAPTER)
    first = next(iter(chapter.solution_cells))
    mistake = next(e for e in library.load(CHAPTER) if e.kind == "mistake" and e.message and not e.gap
                   and chapter.cell_of(e.exercise) != first)
    result = check(student_notebook(tmp_path, [first], answer="My answer.", mistake=mistake), tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = rows(result.stdout)
    assert lines[0].endswith("passed")
    assert sum(line.endswith("not implemented yet") for line in lines) == len(lines) - 2, lines
    assert mistake.message in result.stdout, f"the full message names the mistake {mistake.name}"
    assert "written questions still unanswered: none" in result.stdout


def test_solved_notebook(tmp_path):
    result = check(student_notebook(tmp_path, "all", answer="My answer."), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert all(row.endswith("passed") for row in rows(result.stdout))
    assert "written questions still unanswered: none" in result.stdout


@pytest.mark.parametrize("make, says", [
    (lambda tmp: tmp / "missing.ipynb", "does not exist"),
    (lambda tmp: tmp, "is a folder"),
    (lambda tmp: (tmp / "notes.txt").write_text("hi") and tmp / "notes.txt", "is not a notebook"),
    (lambda tmp: (tmp / "broken.ipynb").write_text("{oops") and tmp / "broken.ipynb", "cannot be read as a Jupyter"),
    (lambda tmp: nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]),
                                tmp / "plain.ipynb") or tmp / "plain.ipynb", "is not a chapter notebook"),
])
def test_bad_input_is_one_sentence(tmp_path, make, says):
    result = check(make(tmp_path), tmp_path)
    assert result.returncode == 2
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and says in result.stderr, result.stderr


# ---------------------------------------------------------------------- short tracebacks in a notebook
def test_failing_test_cells_show_the_message_and_one_short_dlcourse_frame(tmp_path):
    """Every check is wrapped (dlcourse/checks/__init__.py); here one check, failing in each way, in a kernel."""
    from dlcourse import checks
    wrapped = [name for name in checks.__all__ if name.startswith("check_") and name != "check_all"]
    assert wrapped and all(hasattr(getattr(checks, name), "__wrapped__") for name in wrapped)
    setup = "from dlcourse.checks import check_linear_backward\n"
    cases = {
        "NotImplementedError": "def linear_backward(dout, cache):\n    raise NotImplementedError()\n",
        "CheckError": "def linear_backward(dout, cache):\n    x, w = cache\n    return dout @ w, x.T @ dout, dout.sum(0)\n",
    }
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(setup + body + "check_linear_backward(linear_backward)")
                                         for body in cases.values()])
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    for (ename, _), cell in zip(cases.items(), nb.cells):
        error = next(o for o in cell.outputs if o.output_type == "error")
        assert error.ename == ename
        frames = [ANSI.sub("", frame) for frame in error.traceback]
        course = [frame for frame in frames if "dlcourse" in frame.split("\n", 1)[0] or "/dlcourse/" in frame]
        assert len(course) <= 1, f"{ename}: {len(course)} dlcourse frames shown:\n" + "\n".join(course)
        assert all(len(frame.strip().splitlines()) <= 5 for frame in course), course
        assert frames[-1].startswith(f"{ename}: linear_backward"), frames[-1]
