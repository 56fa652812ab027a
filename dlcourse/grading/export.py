"""The grades CSV of one chapter: one row per student, fixed columns, byte-for-byte reproducible.

Book: "Instructor guide", section "Grading a class with nbgrader".

Columns: ``student, chapter, status``, one column per graded cell in notebook order (autograded
test cells, then the manually graded written answers: empty until graded in formgrader),
``autograded, autograded_max, total, max, needs_manual_grading, flags, notes``. Rows are sorted by
student id; scores are printed with ``%g``; ``flags`` (for a human to check: tampering, reference
calls, static findings, grader errors) and ``notes`` (what happened: repairs, timeouts, kernel
deaths, truncation) are ``" | "``-separated. Nothing time-dependent is written, so grading the same
submissions twice gives the same file. ``nbgrader export`` still works for nbgrader's own format.
"""
import csv
import io
import json

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from ..conventions import grade_id, is_test_cell, nbgrader_metadata
from .course import REFERENCE_STUDENT

__all__ = ["rows", "write_csv", "columns"]


def _number(value):
    return "" if value is None else f"{float(value):g}"


def columns(course):
    """(test cell ids, written answer ids) in notebook order."""
    source = nbformat.read(course.source, as_version=4)
    tests, written = [], []
    for cell in source.cells:
        if nbgrader_metadata(cell).get("grade"):
            (tests if is_test_cell(cell) else written).append(grade_id(cell))
    return tests, written


def rows(course):
    """The CSV rows (header first) from the course gradebook and the grader's reports."""
    tests, written = columns(course)
    header = ["student", "chapter", "status", *tests, *written, "autograded", "autograded_max", "total", "max",
              "needs_manual_grading", "flags", "notes"]
    table = [header]
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gradebook:
        try:
            assignment = gradebook.find_assignment(course.chapter)
        except MissingEntry:
            return table
        students = sorted(s.student.id for s in assignment.submissions if s.student.id != REFERENCE_STUDENT)
        for student in students:
            notebook = gradebook.find_submission_notebook(course.chapter, course.chapter, student)
            grades = {grade.name: grade for grade in notebook.grades}
            auto = sum(grades[g].score or 0.0 for g in tests)
            auto_max = sum(grades[g].max_score for g in tests)
            total = sum(grade.score or 0.0 for grade in grades.values())
            report_file = course.reports / f"{student}.json"
            report = json.loads(report_file.read_text()) if report_file.exists() else {}
            table.append([
                student, course.chapter, report.get("status", "graded"),
                *(_number(grades[g].score) for g in tests),
                *(_number(grades[g].score if not grades[g].needs_manual_grade else None) for g in written),
                _number(auto), _number(auto_max), _number(total), _number(notebook.max_score),
                "yes" if any(grade.needs_manual_grade for grade in grades.values()) else "no",
                " | ".join(report.get("flags", [])), " | ".join(report.get("notes", []))])
    return table


def write_csv(course, path=None):
    """Write ``grading/<id>/grades.csv`` (or ``path``); returns the path."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows(course))
    path = path or course.state / "grades.csv"
    path.write_text(buffer.getvalue())
    return path
