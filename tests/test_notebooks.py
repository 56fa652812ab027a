"""Every notebook runs top to bottom within budget, and Run All reaches the end whatever the student wrote.

Each notebook version is executed no more often than the tests need:
- solutions/: by nbval (`make test`), cell by cell, claim cells included; tests/conftest.py times it;
- chapters/ (the student versions, stubs): by the book build (`make book`, with `allow_errors: false`, so only
  the test cells, tagged `raises-exception`, may raise); its log gives the times this file checks;
- the student version solved, and with a library mistake in every exercise: by nbgrader, in
  tests/test_autograde.py, which also checks that the second runs to its end.
"""
import re

import nbformat
import pytest
from nbclient import NotebookClient

from course_notebooks import CHAPTERS, REPO, read, student_path

BUDGET_SECONDS = 20
BOOK_LOG = REPO / "_build" / "book.log"


def book_times():
    """{chapter: seconds} from the book build's log ("<path>: Executed notebook in 8.75 seconds")."""
    if not BOOK_LOG.exists():
        pytest.fail("_build/book.log is missing: run `make book` (make test does it first)")
    found = re.findall(r"chapters/(\w+)/\1\.ipynb: Executed notebook in ([\d.]+) seconds", BOOK_LOG.read_text())
    return {chapter: float(seconds) for chapter, seconds in found}


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_version_runs_within_budget_in_the_book(chapter):
    seconds = book_times().get(chapter)
    assert seconds is not None, f"the book build did not execute chapters/{chapter}"
    print(f"chapters/{chapter}: {seconds:.1f} s in the book build")
    assert seconds <= BUDGET_SECONDS, f"chapters/{chapter} took {seconds:.1f} s (budget {BUDGET_SECONDS} s)"


# What the first code cell says when dlcourse is missing: how to install it from the book's course download
# (a reader of the book has no clone) or, in a clone, with make venv (how_to_use.md, "Get the notebooks running").
INSTALL_PHRASES = ("course download", "python -m pip install -r requirements.txt", "make venv")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_first_cell_says_how_to_install_from_the_course_download(chapter):
    first = next(cell for cell in read(student_path(chapter)).cells if cell.cell_type == "code")
    missing = [phrase for phrase in INSTALL_PHRASES if phrase not in first.source]
    assert not missing, f"the import cell's message lacks {missing}"


def test_missing_package_gives_one_clear_sentence():
    """Without dlcourse installed, the first code cell says how to install it."""
    nb = read(student_path(CHAPTERS[0]))
    first = next(cell for cell in nb.cells if cell.cell_type == "code")
    probe = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import sys\nsys.modules['dlcourse'] = None\n" + first.source)])
    client = NotebookClient(probe, timeout=60, kernel_name="python3", allow_errors=True)
    client.execute()
    error = next(output for output in probe.cells[0].outputs if output.output_type == "error")
    assert error.ename == "ImportError" and all(phrase in error.evalue for phrase in INSTALL_PHRASES)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_book_shows_no_stray_values(chapter):
    """No code cell of a built page echoes the value of its last line (``Out[..]``): a page shows figures, printed
    lines and the values its text quotes, never a bare number such as what a final ``glue(...)`` used to return."""
    executed = REPO / "_build" / "jupyter_execute" / "chapters" / chapter / f"{chapter}.ipynb"
    if not executed.exists():
        pytest.fail(f"{executed.relative_to(REPO)} is missing: run `make book` (make test does it first)")
    stray = [(index, output.data.get("text/plain", "")[:60])
             for index, cell in enumerate(nbformat.read(executed, as_version=4).cells) if cell.cell_type == "code"
             for output in cell.get("outputs", []) if output.output_type == "execute_result"]
    assert not stray, f"cells of chapters/{chapter} show a bare value under them (cell index, value): {stray}"
