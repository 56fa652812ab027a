"""The notebook conventions of the course: what every part of it agrees a chapter notebook looks like.

Book: "Instructor guide", section "Editing a chapter".

The release step (:mod:`dlcourse.release`), the checks (:mod:`dlcourse.checks`), the grader
(:mod:`dlcourse.grading`) and the tests read and write chapter notebooks; this module is the one
place that says how. It imports nothing but ``re``, since the checks load it inside every student's
kernel.

- **Cells.** nbgrader's cell metadata (schema 3) gives each graded cell a ``grade_id``. An
  autograded *test cell* is a code cell graded by nbgrader that is not a solution cell
  (:func:`is_test_cell`); an *exercise* is a code cell with ``solution: true``; a *written answer*
  is a Markdown cell with ``solution`` and ``grade`` (graded by hand).
- **Regions.** Solution code lies between :data:`SOLUTION` markers and hidden tests between
  :data:`HIDDEN_TESTS` markers, each marker on a line of its own. nbgrader recognises a marker by
  its words anywhere in a line (:meth:`Markers.words`).
- **Success.** A check that passes prints one line, :func:`passed_line` (``linear_backward: 21
  checks passed``); :data:`PASSED_LINE` matches it. The grader scores a test cell only when it
  printed the same lines as the instructor's solution did.
- **Student tags.** The release step tags every test cell of the student version with
  :data:`STUDENT_TAGS`; the sources never carry them.
- **Claim cells.** A code cell of a source tagged :data:`CLAIM_TAG` asserts a claim the text makes about
  an experiment (:mod:`dlcourse.book`); the release step removes it from the student version
  (:func:`is_claim_cell`).
- **Written answers.** A written answer's cell holds :data:`ANSWER_PLACEHOLDER` in the student version
  until the student writes one (:func:`is_written_answer`).

To add a convention (a cell role, a tag), add it here with a sentence of documentation, add it to
``__all__``, and use it from every place that reads or writes it.
"""
import re
from typing import NamedTuple

__all__ = ["Markers", "SOLUTION", "HIDDEN_TESTS", "nbgrader_metadata", "grade_id", "is_test_cell",
           "is_exercise_cell", "is_written_answer", "is_claim_cell", "passed_line", "PASSED_LINE", "RAISES_EXCEPTION",
           "REMOVE_OUTPUT", "STUDENT_TAGS", "CLAIM_TAG", "ANSWER_PLACEHOLDER"]


# ---------------------------------------------------------------------- regions of a cell's source
class Markers(NamedTuple):
    """The lines that open and close a region of a cell, e.g. ``### BEGIN SOLUTION``."""
    begin: str
    end: str

    def words(self):
        """(begin, end) without the comment mark: what nbgrader looks for anywhere in a line."""
        return self.begin.lstrip("# "), self.end.lstrip("# ")

    def pattern(self):
        """A regex matching one whole region, markers and the line break after the end included."""
        return re.compile(re.escape(self.begin) + r"\n(.*?)" + re.escape(self.end) + r"\n?", re.S)

    def regions(self, source):
        """The texts between the markers in ``source``."""
        return self.pattern().findall(source)

    def remove(self, source):
        """``source`` without its regions (markers included)."""
        return self.pattern().sub("", source)

    def wrap(self, text):
        """``text`` (one or more lines) as a region."""
        return f"{self.begin}\n{text.rstrip(chr(10))}\n{self.end}\n"


SOLUTION = Markers("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_TESTS = Markers("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


# ---------------------------------------------------------------------- cells
def nbgrader_metadata(cell):
    """The cell's nbgrader metadata, ``{}`` when it has none (or when it is not a dict)."""
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def grade_id(cell):
    """The cell's nbgrader grade id, or None."""
    return nbgrader_metadata(cell).get("grade_id")


def is_test_cell(cell):
    """An autograded test cell: a code cell graded by nbgrader that is not a solution cell."""
    meta = nbgrader_metadata(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_exercise_cell(cell):
    """A code cell the student fills in (nbgrader ``solution: true``)."""
    return cell.get("cell_type") == "code" and bool(nbgrader_metadata(cell).get("solution"))


def is_written_answer(cell):
    """A Markdown cell the student writes an answer in, graded by hand (nbgrader ``solution`` and ``grade``)."""
    meta = nbgrader_metadata(cell)
    return cell.get("cell_type") == "markdown" and bool(meta.get("solution")) and bool(meta.get("grade"))


def is_claim_cell(cell):
    """A code cell of a source notebook that asserts a claim of the text (tagged :data:`CLAIM_TAG`)."""
    tags = cell.get("metadata", {}).get("tags", [])
    return cell.get("cell_type") == "code" and isinstance(tags, list) and CLAIM_TAG in tags


# ---------------------------------------------------------------------- what a passing check prints
def passed_line(name, count):
    """The line a check prints when all ``count`` checks of the student's function ``name`` passed."""
    return f"{name}: {count} checks passed"


PASSED_LINE = re.compile(r"^(\w+): (\d+) checks passed$")


# ---------------------------------------------------------------------- the student version
RAISES_EXCEPTION = "raises-exception"   # nbval and the book run on when a stub's test cell raises
REMOVE_OUTPUT = "remove-output"         # the book shows the test's code, not a NotImplementedError traceback
STUDENT_TAGS = (RAISES_EXCEPTION, REMOVE_OUTPUT)
CLAIM_TAG = "claim"                     # a source cell that asserts the text's claims; not in the student version
ANSWER_PLACEHOLDER = "YOUR ANSWER HERE"  # what nbgrader writes into a written answer's cell
