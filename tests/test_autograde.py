"""The autograde round trip through real nbgrader, for every chapter, each in its own temporary course folder.

Two submissions per chapter, made from the student version: every exercise solved (it must get every
autograded point, and no cell may fail), and a library mistake in every exercise (it must get zero, and Run
All must reach the end: only test cells may fail, and every figure is still made, because the experiments
fall back to the reference when a function does not pass its test).
"""
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from course_notebooks import CHAPTERS, REPO, is_test_cell, read, student_path
from dlcourse.grading import library
from dlcourse.grading.worker import nbgrader_env


def nbgrader(course, *args):
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"], cwd=course,
                            env=nbgrader_env(), capture_output=True, text=True)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


def submissions(chapter):
    """{student: notebook bytes}: all solved, and one library mistake in every exercise."""
    facts, release = library.Chapter(chapter), read(student_path(chapter))
    entries = [e for e in library.load(chapter) if e.kind == "mistake" and not e.gap]
    first = list({entry.exercise: entry for entry in reversed(entries)}.values())
    return {"solved": library.submission(facts, release),
            "mistakes": library.submission(facts, release, entries=first)}, first


@pytest.fixture(scope="module")
def course_of(tmp_path_factory):
    made = {}

    def course(chapter):
        if chapter not in made:
            root = tmp_path_factory.mktemp(f"course-{chapter}")
            shutil.copy(REPO / "nbgrader_config.py", root)
            shutil.copytree(REPO / "solutions" / chapter, root / "solutions" / chapter)
            nbgrader(root, "generate_assignment", chapter, "--force")
            notebooks, entries = submissions(chapter)
            for student, data in notebooks.items():
                target = root / "submitted" / student / chapter
                target.mkdir(parents=True)
                (target / f"{chapter}.ipynb").write_bytes(data)
            nbgrader(root, "autograde", chapter, "--force")
            made[chapter] = root, entries
        return made[chapter]
    return course


def scores(course, chapter, student):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        nb = gradebook.find_submission_notebook(chapter, chapter, student)
        return nb.code_score, nb.max_code_score


def autograded(course, chapter, student):
    return nbformat.read(course / "autograded" / student / chapter / f"{chapter}.ipynb", as_version=4)


def failing_cells(nb):
    return {index: output for index, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for output in cell.get("outputs", []) if output.output_type == "error"}


def figures(nb):
    return sum("image/png" in output.get("data", {}) for cell in nb.cells if cell.cell_type == "code"
               for output in cell.get("outputs", []))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solved_notebook_gets_full_marks_and_runs_cleanly(course_of, chapter):
    course, _ = course_of(chapter)
    score, max_score = scores(course, chapter, "solved")
    print(f"{chapter}: solved notebook scores {score}/{max_score}")
    assert max_score >= 5 and score == max_score
    nb = autograded(course, chapter, "solved")
    failing = failing_cells(nb)
    assert not failing, f"cells {sorted(failing)} fail: {[e.ename + ': ' + e.evalue[:200] for e in failing.values()]}"
    assert figures(nb) >= 5, "a chapter makes at least 5 figures"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_a_mistake_in_every_exercise_gets_zero_and_run_all_still_reaches_the_end(course_of, chapter):
    course, entries = course_of(chapter)
    assert entries, f"{chapter} has no library of mistakes (tests/grading/library/{chapter}.py)"
    score, max_score = scores(course, chapter, "mistakes")
    print(f"{chapter}: with the mistakes {[e.name for e in entries]}: {score}/{max_score}")
    assert max_score >= 5 and score == 0
    nb = autograded(course, chapter, "mistakes")
    failing = failing_cells(nb)
    outside = {index: error for index, error in failing.items() if not is_test_cell(nb.cells[index])}
    assert not outside, (f"with a mistake in every exercise, cells {sorted(outside)} fail although they are not "
                         f"test cells: {[e.ename + ': ' + e.evalue[:200] for e in outside.values()]}")
    assert figures(nb) >= 5, "experiments fall back to the reference, so every figure is still made"
