"""The tests against libraries of wrong and correct implementations (tests/grading/library/<chapter>.py).

At check level, for every chapter with a library: every mistake loses points (and the visible test
names it), every correct variant gets full marks, writes nothing to stderr and raises no warning, every
graded exercise has at least 6 mistakes and 2 variants, and the report in the instructor guide is not
stale. Each entry is evaluated by its own test, so pytest-xdist spreads them over the cores. A sample of
the library goes through nbgrader in test_grading_e2e.py; all of it in `make grading-benchmark`.
"""
import contextlib
import functools
import io
import re
import warnings

import pytest

from dlcourse.grading import library, library_report
from dlcourse.grading.notebooks import defined_functions
from dlcourse.grading.scan import scan
from dlcourse.release import REPO

CHAPTERS = library.chapters_with_library()
ENTRIES = [(chapter, index, entry) for chapter in CHAPTERS for index, entry in enumerate(library.load(chapter))]
REPORT = REPO / "_static" / "grading" / "grading_library.md"


@functools.cache
def chapter_facts(chapter):
    return library.Chapter(chapter)


def test_there_is_a_library():
    assert "02_backprop" in CHAPTERS


@pytest.mark.parametrize("chapter, index, entry", ENTRIES,
                         ids=[f"{c}: {e.exercise}: {e.kind}: {e.name}" for c, _, e in ENTRIES])
def test_entry_is_graded_as_required(chapter, index, entry):
    stderr = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(stderr):
        warnings.simplefilter("always")
        results = library.run_entry(chapter_facts(chapter), entry)
    passed_visible, message = results["visible"]
    if entry.kind == "correct":
        assert results["graded"][0], f"a correct implementation fails: {results['graded'][1]}"
        assert not stderr.getvalue(), f"a correct implementation's check writes to stderr: {stderr.getvalue()[:300]}"
        assert not caught, f"a correct implementation's check raises warnings: {[str(w.message) for w in caught][:3]}"
    elif entry.gap:
        assert results["graded"][0], f"the known gap is caught now: remove gap= from {entry.name}"
    else:
        assert not results["graded"][0], "the mistake gets full marks"
        if entry.visible:
            assert not passed_visible, "the visible test lets this common mistake through"
            assert entry.message is None or entry.message in message, message
        assert not stderr.getvalue(), f"the check writes to stderr: {stderr.getvalue()[:300]}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_exercise_has_enough_entries(chapter):
    cells = chapter_facts(chapter).solution_cells.values()
    names = {name for cell in cells for name in defined_functions(cell.source)}
    entries = library.load(chapter)
    for exercise in sorted(names):
        mine = [e for e in entries if e.exercise == exercise]
        assert sum(e.kind == "mistake" and not e.gap for e in mine) >= 6, exercise
        assert sum(e.kind == "correct" for e in mine) >= 2, exercise


@pytest.mark.parametrize("chapter, index, entry", ENTRIES,
                         ids=[f"{c}: {e.exercise}: {e.name}" for c, _, e in ENTRIES])
def test_entries_are_honest_student_code(chapter, index, entry):
    """No entry may use the reference implementation or tamper with anything (the grader would flag it)."""
    exercises = [e.exercise for e in library.load(chapter)]
    assert scan([entry.source], exercises, ["check_" + name for name in exercises]) == []


def summary(text):
    """The check-level columns (chapter .. correct variants accepted) of the report's first table."""
    return [row.split("|")[1:6] for row in text.split("Known gaps")[0].split("<details>")[0].splitlines()
            if re.match(r"\| \d\d_", row)]


def test_the_report_in_the_guide_is_current():
    """The report's check-level counts are those the entry tests above enforce (every mistake caught, every
    named mistake named, every variant accepted), so it is computed from the entries without running them."""
    entries = {chapter: library.load(chapter) for chapter in CHAPTERS}
    for chapter_entries in entries.values():
        for entry in chapter_entries:
            entry.results = {"visible": (entry.kind == "correct" or bool(entry.gap) or not entry.visible,
                                         entry.message or ""),
                             "graded": (entry.kind == "correct" or bool(entry.gap), "")}
            entry.results["ok"] = True
    assert summary(REPORT.read_text()) == summary(library_report.report(entries)), \
        f"the library changed: run `make grading-benchmark` to refresh {REPORT.relative_to(REPO)}"
