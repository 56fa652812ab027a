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


def test_missing_package_gives_one_clear_sentence():
    """Without dlcourse installed, the first code cell says how to install it."""
    nb = read(student_path(CHAPTERS[0]))
    first = next(cell for cell in nb.cells if cell.cell_type == "code")
    probe = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import sys\nsys.modules['dlcourse'] = None\n" + first.source)])
    client = NotebookClient(probe, timeout=60, kernel_name="python3", allow_errors=True)
    client.execute()
    error = next(output for output in probe.cells[0].outputs if output.output_type == "error")
    assert error.ename == "ImportError" and "pip install" in error.evalue and "dlcourse" in error.evalue
