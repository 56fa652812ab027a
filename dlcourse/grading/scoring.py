"""How a test cell is scored: it passes when it raised nothing AND its checks said they passed.

Book: "Instructor guide", section "Grading a class with nbgrader".

nbgrader gives a test cell full marks when its output has no error and nothing on stderr. That rule
is both too strict and too lenient for this course:

- too strict: a correct solution whose code happens to write to stderr (a warning, a progress bar,
  ``logging``) scores 0. The checks never write to stderr, so stderr is ignored here;
- too lenient: a test cell that printed nothing because the notebook suppressed exceptions, hooked
  IPython so the cell never ran, or replaced the check functions by no-ops also has no error.

So :class:`EvidenceAutoGrades` (in place of nbgrader's ``SaveAutoGrades``) requires *evidence*: every
line ``name: N checks passed`` that the test cell printed when the instructor's own solution was
graded (recorded once per course in ``evidence.json``) must have been printed again, in order, as
recorded by :class:`~dlcourse.grading.execute.SafeExecute` while the cell ran. A student would have
to know the exact count of checks in the hidden tests to fake it.
"""
import copy
import json
import os

from nbgrader import utils
from nbgrader.preprocessors import SaveAutoGrades
from traitlets import Unicode

from ..conventions import PASSED_LINE, grade_id, is_test_cell
from .execute import METADATA_KEY, error_output

__all__ = ["EvidenceAutoGrades", "score_cell", "passed_lines", "EVIDENCE_ERROR"]

EVIDENCE_ERROR = "GradingError"


def passed_lines(cell):
    """The success lines of the checks, as recorded during execution (or read from the outputs)."""
    recorded = cell.metadata.get(METADATA_KEY, {}).get("passed")
    if recorded is not None:
        return list(recorded)
    text = "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")
    return [line.strip() for line in text.splitlines() if PASSED_LINE.match(line.strip())]


def _in_order(expected, got):
    remaining = iter(got)
    return all(any(line == candidate for candidate in remaining) for line in expected)


def score_cell(cell, expected=None):
    """(score, max score, reason) of a grade cell; ``expected``: its evidence lines, or None.

    Reason is None for full marks, else a short phrase for the grader's report.
    """
    max_points = float(cell.metadata["nbgrader"]["points"])
    if not is_test_cell(cell):
        score, max_points = utils.determine_grade(cell)
        return score, max_points, None
    errors = [o for o in cell.outputs if o.get("output_type") == "error"]
    if errors:
        return 0.0, max_points, errors[0].get("ename", "error")
    if expected is None:                         # no evidence recorded: nbgrader's rule, without stderr
        lenient = copy.deepcopy(cell)
        lenient.outputs = [o for o in lenient.outputs if not (o.get("output_type") == "stream"
                                                              and o.get("name") == "stderr")]
        score, max_points = utils.determine_grade(lenient)
        return score, max_points, None if score == max_points else "partial credit"
    if _in_order(expected, passed_lines(cell)):
        return max_points, max_points, None
    return 0.0, max_points, "no evidence"


class EvidenceAutoGrades(SaveAutoGrades):
    """nbgrader's ``SaveAutoGrades`` with :func:`score_cell` as the rule for test cells."""

    evidence_file = Unicode("", help="JSON file: test cell id -> the success lines it must print (default: "
                                     "grading/<assignment>/evidence.json next to the gradebook)").tag(config=True)

    def preprocess(self, nb, resources):
        self._evidence = {}
        path = self.evidence_file
        db_url = resources["nbgrader"]["db_url"]
        if not path and db_url.startswith("sqlite:///"):
            root = os.path.dirname(db_url[len("sqlite:///"):])
            path = os.path.join(root, "grading", resources["nbgrader"]["assignment"], "evidence.json")
        if path and os.path.exists(path):
            with open(path) as file:
                self._evidence = json.load(file)
        return super().preprocess(nb, resources)

    def _add_score(self, cell, resources):
        gid = grade_id(cell)
        grade = self.gradebook.find_grade(gid, self.notebook_id, self.assignment_id, self.student_id)
        score, _, reason = score_cell(cell, self._evidence.get(gid))
        if reason == "no evidence":
            cell.outputs.append(error_output(EVIDENCE_ERROR, (
                "This test cell finished without its checks reporting that they passed, so it scores 0. "
                "This happens when code in the notebook stops cells from running normally, hides their "
                "errors or replaces the check functions.")))
        grade.auto_score = score
        grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
        self.gradebook.db.commit()
