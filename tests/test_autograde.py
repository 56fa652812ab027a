"""The autograde round trip through real nbgrader, for every chapter, in a temporary course folder.

A submission equal to the solution must get every autograded point; the unmodified student
notebook must get zero.
"""
import os
import shutil
import subprocess
import sys

import pytest
from nbgrader.api import Gradebook

from course_notebooks import CHAPTERS, REPO, source_path, student_path


def nbgrader(course, *args):
    # nbgrader runs `alembic` from PATH: put this Python's bin directory first
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PATH": path}
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"], cwd=course,
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    shutil.copy(REPO / "nbgrader_config.py", course)
    shutil.copytree(REPO / "solutions", course / "solutions")
    submissions = {"full_marks": source_path, "unchanged": student_path}
    for chapter in CHAPTERS:
        nbgrader(course, "generate_assignment", chapter, "--force")
        for student, notebook in submissions.items():
            target = course / "submitted" / student / chapter
            target.mkdir(parents=True)
            shutil.copy(notebook(chapter), target / f"{chapter}.ipynb")
        nbgrader(course, "autograde", chapter, "--force")
    return course


def scores(course, chapter, student):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        nb = gradebook.find_submission_notebook(chapter, chapter, student)
        return nb.code_score, nb.max_code_score


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solution_gets_full_marks(graded_course, chapter):
    score, max_score = scores(graded_course, chapter, "full_marks")
    print(f"{chapter}: solution scores {score}/{max_score}")
    assert max_score >= 5 and score == max_score


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_unchanged_student_notebook_gets_zero(graded_course, chapter):
    score, max_score = scores(graded_course, chapter, "unchanged")
    print(f"{chapter}: unchanged student notebook scores {score}/{max_score}")
    assert max_score >= 5 and score == 0
