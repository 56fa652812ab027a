"""check_all (dlcourse/checks/summary.py): the table of every visible test, on every chapter and on odd input.

On each chapter: a blank namespace (the student's stubs), a partly done one (the first exercise solved) and a
solved one (the instructor's solutions), built as the grading library builds them, give the table they must;
the written questions still unanswered are listed by name. On a small notebook of our own: every way a test
cell can go wrong is reported in the table, and check_all never raises.
"""
import json

import nbformat
import pytest

from course_notebooks import CHAPTERS, is_test_cell, nbgrader_meta, read, student_path
from dlcourse.checks.summary import check_all, format_report, run_checks
from dlcourse.grading import library


def stubs(chapter):
    """{solution cell id: the student version's code} (every exercise a stub)."""
    return {nbgrader_meta(cell)["grade_id"]: cell.source for cell in read(student_path(chapter)).cells
            if cell.cell_type == "code" and nbgrader_meta(cell).get("solution")}


def namespace(chapter, solved_cells=()):
    """The notebook's namespace with the given solution cells solved (all: "all") and the others stubs."""
    source = library.Chapter(chapter)
    code = stubs(chapter)
    solved = source.solved()
    code.update({gid: solved[gid] for gid in (solved if solved_cells == "all" else solved_cells)})
    return library.notebook_namespace(source, code)


def points_of(chapter):
    return [nbgrader_meta(cell).get("points", 0) for cell in read(student_path(chapter)).cells if is_test_cell(cell)]


def written_cells(chapter):
    return [cell for cell in read(student_path(chapter)).cells
            if cell.cell_type == "markdown" and nbgrader_meta(cell).get("solution")]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_blank_notebook_lists_every_exercise_as_not_implemented(chapter):
    report = run_checks(student_path(chapter), namespace(chapter))
    assert [row.points for row in report.rows] == points_of(chapter)
    assert all(row.verdict == "not implemented yet" for row in report.rows), report.rows
    assert report.earned == 0 and report.possible == sum(points_of(chapter))
    assert [row.exercise.split(":")[0] for row in report.rows] == [f"Exercise {n}" for n in
                                                                  range(1, len(report.rows) + 1)]
    questions = written_cells(chapter)
    assert len(report.unanswered) == len(questions)
    assert all(name.startswith("Question ") and name.endswith(" points)") for name in report.unanswered)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_partly_done_notebook_passes_its_first_exercise_only(chapter):
    first = next(iter(stubs(chapter)))
    report = run_checks(student_path(chapter), namespace(chapter, [first]))
    assert report.rows[0].passed, report.rows[0]
    assert all(row.verdict == "not implemented yet" for row in report.rows[1:]), report.rows
    assert report.earned == report.rows[0].points


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solved_notebook_passes_everything_and_lists_no_question(chapter, tmp_path):
    answered = read(student_path(chapter))
    for cell in answered.cells:
        if cell.cell_type == "markdown" and nbgrader_meta(cell).get("solution"):
            cell.source = "An answer in my own words."
    path = tmp_path / f"{chapter}.ipynb"
    nbformat.write(answered, path)
    report = run_checks(path, namespace(chapter, "all"))
    assert all(row.passed for row in report.rows), [row for row in report.rows if not row.passed]
    assert report.earned == report.possible == sum(points_of(chapter)) and report.unanswered == []
    table = format_report(report)
    assert f"autograded tests passed: {report.possible:g} of {report.possible:g} points" in table
    assert "written questions still unanswered: none" in table


# ---------------------------------------------------------------------- a small notebook of our own
def tiny_notebook(path, tests, answer="YOUR ANSWER HERE"):
    """A chapter-like notebook: one exercise per test source in ``tests``, then one written question."""
    cells = []
    for number, test in enumerate(tests, 1):
        cells += [nbformat.v4.new_markdown_cell(f"### Exercise {number}: task {number} (2 points)\n\nDo it."),
                  nbformat.v4.new_code_cell(test, metadata={"nbgrader": {
                      "grade": True, "solution": False, "grade_id": f"test_{number}", "points": 2}})]
    cells += [nbformat.v4.new_markdown_cell("### Question 1: why? (3 points)\n\nSay why."),
              nbformat.v4.new_markdown_cell(answer, metadata={"nbgrader": {
                  "grade": True, "solution": True, "grade_id": "written_why", "points": 3}})]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def test_every_way_a_test_cell_can_fail_is_one_row(tmp_path, capsys):
    tests = ["check_it(f)", "raise NotImplementedError()", "assert False, 'first line\\nsecond line'",
             "1 / 0", "import sys\nsys.exit(3)", "not_defined_yet(1)",
             "x = 1\n### BEGIN HIDDEN TESTS\n1 / 0\n### END HIDDEN TESTS\n"]
    path = tiny_notebook(tmp_path / "tiny.ipynb", tests)
    from dlcourse.checks import CheckError

    def check_it(f):
        raise CheckError("f is wrong for N=4: the largest error is 1.0\nYour result equals the transpose.")
    check_all(str(path), namespace={"check_it": check_it, "f": None})
    out = capsys.readouterr().out
    rows = out.splitlines()[1:len(tests) + 1]
    assert rows[0].endswith("f is wrong for N=4: the largest error is 1.0")
    assert rows[1].endswith("not implemented yet")
    assert rows[2].endswith("AssertionError: first line")
    assert rows[3].endswith("ZeroDivisionError: division by zero")
    assert rows[4].endswith("SystemExit: 3")
    assert "not run yet" in rows[5] and "not_defined_yet" in rows[5]
    assert rows[6].endswith("passed")        # the hidden tests are not run
    assert "autograded tests passed: 2 of 14 points" in out
    assert "written questions still unanswered: Question 1 (3 points)" in out
    check_all(str(path), namespace={"check_it": check_it, "f": None}, full=True)
    assert "Your result equals the transpose." in capsys.readouterr().out


def test_check_all_never_raises_on_a_missing_or_broken_notebook(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    check_all("09_nothing")
    assert capsys.readouterr().out.startswith("check_all: cannot find 09_nothing.ipynb here or in chapters/09_nothing/")
    (tmp_path / "broken.ipynb").write_text("{not json")
    check_all("broken.ipynb")
    assert capsys.readouterr().out.startswith("check_all: cannot read broken.ipynb as a notebook")
    (tmp_path / "odd.ipynb").write_text(json.dumps({"cells": "not a list"}))
    check_all("odd.ipynb")
    assert "check_all: cannot read odd.ipynb" in capsys.readouterr().out


def test_answered_question_is_not_listed(tmp_path, capsys):
    path = tiny_notebook(tmp_path / "tiny.ipynb", ["pass"], answer="Because it is.")
    check_all(str(path), namespace={})
    out = capsys.readouterr().out
    assert "Exercise 1" in out and "passed" in out
    assert "written questions still unanswered: none" in out
