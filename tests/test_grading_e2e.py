"""The instructor workflow end to end on the real chapter 02_backprop, through `python -m dlcourse grade`.

A small class exported by a learning platform (one file per student, Canvas-style names): a correct
submission, an empty one, two partly correct ones (mistakes from the chapter's library, so that a
sample of the library goes through nbgrader: one caught by the visible tests, one only by the hidden
ones), a truncated file, and a student with a notebook of another chapter only. The CSV is checked
line by line, the feedback pages for what they must and must not show, and grading twice gives the
same CSV.
"""
import csv
import subprocess
import sys

import pytest

from course_notebooks import REPO, read, student_path
from dlcourse.grading import library
from dlcourse.grading.course import Course
from dlcourse.grading.worker import nbgrader_env
from dlcourse.grading.feedback import leaked_lines

CHAPTER = "02_backprop"
ANSWER = "Because differentiation is linear, the gradient of the mean is the mean of the gradients."
LIBRARY = {(entry.exercise, entry.name): entry for entry in library.load(CHAPTER)}
TRUNCATED = b'{\n "cells": [\n  {\n   "cell_type": "markdown",\n   "metadata": {},\n   "source": ["# Backpro'
HEADER = ("student,chapter,status,test_activation_derivatives,test_linear_backward,test_softmax_cross_entropy,"
          "test_mlp_backward,test_numerical_gradient,written_minibatch,written_cost,written_vanishing,autograded,"
          "autograded_max,total,max,needs_manual_grading,flags,notes")
EXPECTED = [
    HEADER,
    "alice,02_backprop,graded,3,3,3,4,3,,,,16,16,16,22,yes,,",
    "bob,02_backprop,graded,0,0,0,0,0,0,0,0,0,16,0,22,no,,",
    # carol's linear_backward is wrong, and her (right) mlp_backward calls it
    "carol,02_backprop,graded,3,0,3,0,3,,,,9,16,9,22,yes,,",
    "dave,02_backprop,unreadable,0,0,0,0,0,0,0,0,0,16,0,22,no,,"
    "\"the file is not valid notebook JSON, truncated or corrupted (Unterminated string starting at, line 6)\"",
    # erin's linear_backward passes the visible test and fails a hidden one
    "erin,02_backprop,graded,3,0,3,4,3,,,,13,16,13,22,yes,,",
    # frank uploaded a notebook of another chapter only
    "frank,02_backprop,missing,0,0,0,0,0,0,0,0,0,16,0,22,no,,no notebook was submitted",
]


def solved(exercise=None, mistake=None):
    """The student version with every exercise solved, one of them with a mistake from the library."""
    entry = LIBRARY[(exercise, mistake)] if exercise else None
    return library.submission(library.Chapter(CHAPTER), read(student_path(CHAPTER)), entry, answer=ANSWER)


def grade(*args):
    result = subprocess.run([sys.executable, "-m", "dlcourse", "grade", CHAPTER, *args], cwd=REPO,
                            env=nbgrader_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    export = root / "canvas_export"
    export.mkdir()
    files = {"alice": solved(), "bob": student_path(CHAPTER).read_bytes(),
             "carol": solved("linear_backward", "dW transposed"), "dave": TRUNCATED,
             "erin": solved("linear_backward", "drops the axis of dx when D = 1")}
    for number, (student, data) in enumerate(sorted(files.items())):
        (export / f"{student}_{1000 + number}_{5000 + number}_{CHAPTER}.ipynb").write_bytes(data)
    (export / "frank_1009_5009_01_sgd.ipynb").write_bytes(b"{}")     # another chapter: ignored
    course = root / "course"
    output = grade(str(export), "--course", str(course), "--jobs", "2")
    return Course(course, CHAPTER), export, output


def test_csv_line_by_line(graded):
    course, _, output = graded
    assert "graded 6 submission(s)" in output
    assert (course.state / "grades.csv").read_text().splitlines() == EXPECTED


def test_grading_twice_gives_the_same_csv(graded):
    course, export, _ = graded
    before = (course.state / "grades.csv").read_bytes()
    for student in ("alice", "carol", "dave"):          # regrade a part of the class from scratch
        (course.reports / f"{student}.json").unlink()
    grade(str(export), "--course", str(course.root), "--jobs", "2")
    assert (course.state / "grades.csv").read_bytes() == before


def test_feedback_explains_failures_and_hides_hidden_tests(graded):
    course, _, _ = graded
    hidden = course.hidden_lines()
    assert len(hidden) >= 10
    pages = {s: (course.root / "feedback" / s / CHAPTER / f"{CHAPTER}.html").read_text()
             for s in ("alice", "bob", "carol", "dave", "erin")}
    for student, page in pages.items():
        assert leaked_lines(page, hidden) == [], student
        assert "seed=7" not in page and "BEGIN HIDDEN TESTS" not in page
    assert "linear_backward: 21 checks passed" in pages["alice"]
    assert "It looks transposed" in pages["carol"]                      # visible test names the mistake
    assert "linear_backward: 21 checks passed" in pages["erin"]          # the visible test passed
    assert "dx has shape (10,), expected (10, 1) for N=10, D=1, M=4" in pages["erin"]   # why a hidden one failed
    assert "is not implemented yet" in pages["bob"]
    assert "not valid notebook JSON" in pages["dave"]


def test_course_lives_outside_the_repository(graded):
    course, _, _ = graded
    assert REPO not in course.root.parents
    status = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=REPO, capture_output=True, text=True)
    assert "gradebook.db" not in status.stdout


def test_plain_nbgrader_commands_work_in_the_course(graded):
    course, _, _ = graded
    result = subprocess.run([sys.executable, "-m", "nbgrader", "export", "--log-level=WARN"], cwd=course.root,
                            env=nbgrader_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader((course.root / "grades.csv").open()))
    assert sorted(r["student_id"] for r in rows) == ["alice", "bob", "carol", "dave", "erin", "frank"]
