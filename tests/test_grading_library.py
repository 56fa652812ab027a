"""The tests against libraries of wrong and correct implementations (tests/grading/library/<chapter>.py).

At check level, for every chapter with a library: every mistake loses points (and the visible test
names it), every correct variant gets full marks, no entry makes its test cell write to stderr or emit a
warning (nbgrader scores such a cell 0), every graded exercise has at least 6 mistakes and 2 variants, and
the report in the instructor guide is not stale. A sample of the library goes through
nbgrader in test_grading_e2e.py; all of it in `make grading-benchmark`.
"""
import contextlib
import io
import re
import warnings

import pytest

from dlcourse.grading import library, library_report
from dlcourse.grading.notebooks import defined_functions
from dlcourse.grading.scan import scan
from dlcourse.release import REPO

CHAPTERS = library.chapters_with_library()
RESULTS = {chapter: library_report.evaluate(chapter) for chapter in CHAPTERS}
ENTRIES = [(chapter, entry) for chapter, entries in RESULTS.items() for entry in entries]
REPORT = REPO / "_static" / "grading" / "grading_library.md"


def test_there_is_a_library():
    assert "02_backprop" in CHAPTERS


@pytest.mark.parametrize("chapter, entry", ENTRIES, ids=[f"{c}: {e.exercise}: {e.kind}: {e.name}" for c, e in ENTRIES])
def test_entry_is_graded_as_required(chapter, entry):
    passed_visible, message = entry.results["visible"]
    if entry.kind == "correct":
        assert entry.results["graded"][0], f"a correct implementation fails: {entry.results['graded'][1]}"
    elif entry.gap:
        assert entry.results["graded"][0], f"the known gap is caught now: remove gap= from {entry.name}"
    else:
        assert not entry.results["graded"][0], "the mistake gets full marks"
        if entry.visible:
            assert not passed_visible, "the visible test lets this common mistake through"
            assert entry.message is None or entry.message in message, message


@pytest.mark.parametrize("chapter, entry", ENTRIES, ids=[f"{c}: {e.exercise}: {e.kind}: {e.name}" for c, e in ENTRIES])
def test_entry_writes_nothing_to_stderr_and_raises_no_warning(chapter, entry):
    """The whole test cell (visible and hidden) on the entry: stderr stays empty and no warning escapes."""
    source = library.Chapter(chapter)
    namespace = library.notebook_namespace(source, source.solved(entry.exercise, entry.source))
    stderr = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(stderr):
        warnings.simplefilter("always")
        try:
            exec(compile(source.test_of(entry.exercise).source, "<test cell>", "exec"), namespace)
        except Exception:      # a mistake fails its test; only what it writes and warns matters here
            pass
    assert stderr.getvalue() == "", stderr.getvalue()
    assert not caught, [f"{w.category.__name__}: {w.message}" for w in caught]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_exercise_has_enough_entries(chapter):
    cells = library.Chapter(chapter).solution_cells.values()
    names = {name for cell in cells for name in defined_functions(cell.source)}
    for exercise in sorted(names):
        entries = [e for e in RESULTS[chapter] if e.exercise == exercise]
        assert sum(e.kind == "mistake" and not e.gap for e in entries) >= 6, exercise
        assert sum(e.kind == "correct" for e in entries) >= 2, exercise


@pytest.mark.parametrize("chapter, entry", ENTRIES, ids=[f"{c}: {e.exercise}: {e.name}" for c, e in ENTRIES])
def test_entries_are_honest_student_code(chapter, entry):
    """No entry may use the reference implementation or tamper with anything (the grader would flag it)."""
    exercises = [e.exercise for e in RESULTS[chapter]]
    assert scan([entry.source], exercises, ["check_" + name for name in exercises]) == []


def summary(text):
    """The check-level columns (chapter .. correct variants accepted) of the report's first table."""
    return [row.split("|")[1:6] for row in text.split("Known gaps")[0].split("<details>")[0].splitlines()
            if re.match(r"\| \d\d_", row)]


def test_the_report_in_the_guide_is_current():
    assert summary(REPORT.read_text()) == summary(library_report.report(RESULTS)), \
        f"the library changed: run `make grading-benchmark` to refresh {REPORT.relative_to(REPO)}"
