"""What the grader reports about a graded submission: notes (what happened) and flags (look at it).

Book: "Instructor guide", section "Grading a class with nbgrader" (threat model).

Read from outside the kernel: the executor's events and the outputs of the autograded notebook
(the guard's errors, the evidence rule's verdicts, the report cell), and the static scan of the
cells the student changed.
"""
import json

import nbformat

from ..conventions import grade_id, is_test_cell
from .execute import METADATA_KEY
from .feedback import REPORT_TAG
from .guard import REPORT_PREFIX
from .scan import scan
from .scoring import EVIDENCE_ERROR, passed_lines

__all__ = ["inspect_graded", "static_flags"]


def inspect_graded(course, workdir, student):
    """Notes and flags read from the autograded notebook (execution events, guard, evidence)."""
    notes, flags = [], []
    path = workdir / "autograded" / student / course.chapter / f"{course.chapter}.ipynb"
    nb = nbformat.read(path, as_version=4)
    notes += nb.metadata.get(METADATA_KEY, {}).get("events", [])
    report_seen, report_ran = False, False
    for cell in nb.cells:
        if REPORT_TAG in cell.metadata.get("tags", []):
            report_ran = cell.metadata.get(METADATA_KEY, {}).get("status") == "ok"
            for output in cell.get("outputs", []):
                for line in output.get("text", "").splitlines():
                    if line.startswith(REPORT_PREFIX):
                        report_seen = True
                        report = json.loads(line[len(REPORT_PREFIX):])
                        flags += [f"tampering: {problem}" for problem in report.get("tampering", [])
                                  if not any(problem in flag for flag in flags)]
                        flags += [f"reference call: {call['exercise']} -> {call['reference']} ({call['action']})"
                                  for call in report.get("reference_calls", [])]
            continue
        if not is_test_cell(cell):
            continue
        gid = grade_id(cell)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("ename") == "GradingIntegrityError":
                evalue = output.get("evalue", "")
                if "rely on: " in evalue:         # the guard's message: keep the list of problems
                    evalue = evalue.split("rely on: ", 1)[1].split(". Remove that code", 1)[0]
                flags.append(f"tampering: {gid} not graded ({evalue[:200]})")
            if output.get("output_type") == "error" and output.get("ename") == EVIDENCE_ERROR:
                flags.append(f"no evidence: {gid} ran without its checks reporting success "
                             f"({len(passed_lines(cell))} success lines)")
    if report_ran and not report_seen:
        flags.append("tampering: the grader's report cell printed nothing (output suppressed?)")
    return notes, sorted(set(flags), key=flags.index)


def static_flags(course, nb, release):
    """The static scan of the code cells of ``nb`` that differ from the student version ``release``."""
    import dlcourse.checks
    official = {cell.source.strip() for cell in release.cells}
    sources = [cell.source for cell in nb.cells
               if cell.cell_type == "code" and cell.source.strip() not in official
               and REPORT_TAG not in cell.metadata.get("tags", [])]
    return [f"static {finding}" for finding in scan(sources, course.exercises(), dlcourse.checks.__all__)]
