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
import zipfile

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


def test_feedback_is_packed_for_the_platform(graded):
    """The upload zip holds each student's page under the name of their file in the export (Canvas matches
    the numbers in it); frank, who sent no notebook of this chapter, has none."""
    course, export, output = graded
    assert "upload:" in output and "none for frank" in output
    with zipfile.ZipFile(course.state / "feedback-upload.zip") as archive:
        names = sorted(archive.namelist())
        assert names == sorted(path.name.replace(".ipynb", "-feedback.html") for path in export.iterdir()
                               if not path.name.startswith("frank"))
        page = archive.read(next(name for name in names if name.startswith("carol")))
    assert page == (course.root / "feedback" / "carol" / CHAPTER / f"{CHAPTER}.html").read_bytes()


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


# ---------------------------------------------------------------------- the pages in a browser, offline
IMAGES_INSIDE = """() => {
  const box = document.querySelector('#notebook-container').getBoundingClientRect();
  return [...document.images].filter(i => i.getBoundingClientRect().right > box.right + 1).map(i => i.src.slice(0, 40));
}"""
WIDE_BLOCKS = """() => [...document.querySelectorAll('pre, table, .output_subarea')]
  .filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'auto')
  .map(e => e.textContent.slice(0, 60))"""


@pytest.mark.parametrize("width", [1280, 420])
def test_feedback_pages_render_offline_in_chromium(graded, width):
    """Maths typeset by the page's own MathJax with no network, citations as text, long messages
    wrapped, figures and tables inside the page, on a desktop and a phone width."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from test_browser import CHROMIUM, CHROMIUM_ARGS
    course, _, _ = graded
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for student, message in [("alice", "linear_backward: 21 checks passed"), ("carol", "It looks transposed")]:
            page = browser.new_page(viewport={"width": width, "height": 900})
            outside, errors = [], []
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                       else (outside.append(route.request.url), route.abort()))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto((course.root / "feedback" / student / CHAPTER / f"{CHAPTER}.html").as_uri(), wait_until="load")
            page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30000)
            page.evaluate("MathJax.startup.promise")
            assert page.locator("mjx-container").count() > 20, "maths not typeset"
            assert page.locator("mjx-merror").count() == 0, "MathJax reports a TeX error"
            text = page.inner_text("body")
            assert "{cite}" not in text and "[Rumelhart et al., 1986]" in text and "References" in text
            assert message in text
            assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
            assert page.evaluate(IMAGES_INSIDE) == [], "figures run past the content box"
            assert page.evaluate(WIDE_BLOCKS) == [], "text is cut at the right edge"
            assert outside == [] and errors == [], (outside, errors)
            page.close()
        browser.close()
