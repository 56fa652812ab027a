"""Every notebook runs top to bottom within budget; a student notebook fails only where a stub is called.

nbval (run by `make test` on solutions/ and chapters/) checks that every cell executes; this file
adds what nbval cannot: the time budget, that the only errors of a student notebook are
NotImplementedErrors in its tagged test cells, and that no cell of a solution writes to stderr.
"""
import time

import nbformat
import pytest
from nbclient import NotebookClient

from course_notebooks import CHAPTERS, is_test_cell, read, source_path, student_path

BUDGET_SECONDS = 20


def execute(path):
    nb = read(path)
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - start


def errors(nb):
    return {index: output for index, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for output in cell.outputs if output.output_type == "error"}


def stderr_cells(nb):
    return [index for index, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for output in cell.outputs if output.output_type == "stream" and output.name == "stderr"]


def images(nb):
    return sum("image/png" in output.get("data", {}) for cell in nb.cells if cell.cell_type == "code"
               for output in cell.outputs)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solution_runs_cleanly_within_budget(chapter):
    nb, seconds = execute(source_path(chapter))
    print(f"solutions/{chapter}: {seconds:.1f} s")
    assert not errors(nb), f"cells {sorted(errors(nb))} of the solution raise"
    assert not stderr_cells(nb), f"cells {stderr_cells(nb)} write to stderr (nbgrader scores such a test cell 0)"
    assert images(nb) >= 4, "a chapter makes at least 4 figures"
    assert seconds <= BUDGET_SECONDS, f"solutions/{chapter} took {seconds:.1f} s (budget {BUDGET_SECONDS} s)"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_version_fails_only_in_its_test_cells(chapter):
    nb, seconds = execute(student_path(chapter))
    print(f"chapters/{chapter}: {seconds:.1f} s")
    test_cells = {index for index, cell in enumerate(nb.cells) if is_test_cell(cell)}
    failing = errors(nb)
    assert set(failing) == test_cells, (
        f"cells {sorted(set(failing) - test_cells)} fail although they are not test cells; "
        f"test cells {sorted(test_cells - set(failing))} pass although their exercise is a stub")
    for index, error in failing.items():
        assert error.ename == "NotImplementedError", f"cell {index} fails with {error.ename}: {error.evalue}"
    assert images(nb) >= 4, "experiments must fall back to the reference so every figure is made"
    assert seconds <= BUDGET_SECONDS, f"chapters/{chapter} took {seconds:.1f} s (budget {BUDGET_SECONDS} s)"


# What the first code cell says when dlcourse is missing: how to install it from the book's course download
# (a reader of the book has no clone) or, in a clone, with make venv (how_to_use.md, "Get the notebooks running").
INSTALL_PHRASES = ("course download", "python -m pip install -r requirements.txt", "make venv")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_first_cell_says_how_to_install_from_the_course_download(chapter):
    first = next(cell for cell in read(student_path(chapter)).cells if cell.cell_type == "code")
    missing = [phrase for phrase in INSTALL_PHRASES if phrase not in first.source]
    assert not missing, f"the import cell's message lacks {missing}"


def test_missing_package_gives_one_clear_sentence(tmp_path):
    """Without dlcourse installed, the first code cell says how to install it."""
    nb = read(student_path(CHAPTERS[0]))
    first = next(cell for cell in nb.cells if cell.cell_type == "code")
    probe = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import sys\nsys.modules['dlcourse'] = None\n" + first.source)])
    client = NotebookClient(probe, timeout=60, kernel_name="python3", allow_errors=True)
    client.execute()
    error = errors(probe)[0]
    assert error.ename == "ImportError" and all(phrase in error.evalue for phrase in INSTALL_PHRASES)


def one_mistake_per_exercise(chapter):
    """The student notebook with every exercise solved but one mistake of the library in each exercise."""
    from dlcourse.grading import library
    entries = [e for e in library.load(chapter) if e.kind == "mistake" and not e.gap]
    first = list({entry.exercise: entry for entry in reversed(entries)}.values())
    return nbformat.reads(library.submission(library.Chapter(chapter), read(student_path(chapter)),
                                             entries=first).decode(), as_version=4), first


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_run_all_reaches_the_end_whatever_the_mistakes(chapter, tmp_path):
    """With a library mistake in every exercise, only test cells fail; every figure is still made."""
    nb, entries = one_mistake_per_exercise(chapter)
    if not entries:
        pytest.skip(f"{chapter} has no library")
    path = tmp_path / f"{chapter}.ipynb"
    nbformat.write(nb, path)
    nb, seconds = execute(path)
    test_cells = {index for index, cell in enumerate(nb.cells) if is_test_cell(cell)}
    failing = errors(nb)
    assert set(failing) <= test_cells, (
        f"with the mistakes {[e.name for e in entries]}, cells {sorted(set(failing) - test_cells)} fail although "
        f"they are not test cells: {[failing[i].ename + ': ' + failing[i].evalue[:200] for i in set(failing) - test_cells]}")
    assert images(nb) >= 4
