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

``python -m dlcourse grade`` records the evidence when it prepares a course. In any other nbgrader
course configured by :func:`dlcourse.grading.pipeline.configure` (the repository's configuration, a
course on JupyterHub), :class:`EvidenceAutoGrades` records it itself before the first submission of
an assignment is scored, and again whenever the source notebook, the checks, the grader or nbgrader
change (:func:`grader_stamp`): it runs the instructor's source through the same executor, and
refuses to score anything if the solution does not pass its own tests.
"""
import copy
import hashlib
import json
import os
from pathlib import Path

import nbgrader
from nbgrader import utils
from nbgrader.preprocessors import SaveAutoGrades
from traitlets import Bool, Unicode

from ..conventions import PASSED_LINE, grade_id, is_test_cell
from .execute import METADATA_KEY, SafeExecute, error_output

__all__ = ["EvidenceAutoGrades", "score_cell", "passed_lines", "evidence_of", "grader_stamp", "EVIDENCE_ERROR"]

EVIDENCE_ERROR = "GradingError"


def passed_lines(cell):
    """The success lines of the checks, as recorded during execution (or read from the outputs)."""
    recorded = cell.metadata.get(METADATA_KEY, {}).get("passed")
    if recorded is not None:
        return list(recorded)
    text = "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")
    return [line.strip() for line in text.splitlines() if PASSED_LINE.match(line.strip())]


def evidence_of(graded):
    """(evidence, failures) of an executed notebook: the success lines of each test cell, and what failed."""
    evidence, failures = {}, []
    for cell in graded.cells:
        if is_test_cell(cell):
            gid = grade_id(cell)
            evidence[gid] = passed_lines(cell)
            errors = [f"{o.get('ename')}: {o.get('evalue')}" for o in cell.outputs if o.get("output_type") == "error"]
            if errors or not evidence[gid]:
                failures.append(f"{gid}: {'; '.join(errors) or 'printed no success line'}")
    return evidence, failures


def grader_stamp(chapter_dir):
    """Changes whenever the files of ``chapter_dir`` (the source), the checks, the grader or nbgrader change."""
    import dlcourse
    package = Path(dlcourse.__file__).parent
    files = sorted(Path(chapter_dir).iterdir()) + sorted((package / "checks").glob("*.py")) \
        + sorted((package / "grading").glob("*.py")) + [package / "conventions.py"]
    digest = hashlib.sha256()
    for path in files:
        if path.is_file() and path.suffix != ".pyc":
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{nbgrader.__version__}-{digest.hexdigest()[:16]}"


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
                                     "grading/<assignment>/evidence.json in the course directory)").tag(config=True)
    record_missing = Bool(True, help="record the evidence (grade the instructor's solution) when it is missing or "
                                     "older than the source, the checks or the grader").tag(config=True)

    def _path(self, resources):
        from .pipeline import coursedir_of
        return self.evidence_file or os.path.join(coursedir_of(self).root, "grading",
                                                  resources["nbgrader"]["assignment"], "evidence.json")

    def preprocess(self, nb, resources):
        path = self._path(resources)
        if self.record_missing:
            self._record(path, resources)
        self._evidence = {}
        if os.path.exists(path):
            with open(path) as file:
                self._evidence = json.load(file)
        return super().preprocess(nb, resources)

    def _record(self, path, resources):
        """Grade the instructor's source like a submission and keep what its test cells print (once per stamp)."""
        from .pipeline import GuardTestCells, coursedir_of, official_notebooks
        from .notebooks import exercise_names
        coursedir, assignment = coursedir_of(self), resources["nbgrader"]["assignment"]
        source_dir = coursedir.format_path(coursedir.source_directory, ".", assignment)
        stamp, stamp_file = grader_stamp(source_dir), path + ".stamp"
        if os.path.exists(path) and os.path.exists(stamp_file) and Path(stamp_file).read_text() == stamp:
            return
        source, _ = official_notebooks(self, resources)
        nb = copy.deepcopy(source)
        nb.metadata[METADATA_KEY] = {"exercises": exercise_names(source)}
        nb, _ = GuardTestCells(parent=self).preprocess(nb, {})
        self.log.info("Recording the evidence of %s: grading the instructor's solution", assignment)
        graded, _ = SafeExecute(parent=self).preprocess(nb, {"metadata": {"path": source_dir}})
        evidence, failures = evidence_of(graded)
        if failures:
            raise RuntimeError(f"the instructor's solution of {assignment} does not pass its own tests under the "
                               f"grader, so nothing can be scored: {failures}")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        Path(path).write_text(json.dumps(evidence, indent=1, sort_keys=True))
        Path(stamp_file).write_text(stamp)

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
