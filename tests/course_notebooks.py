"""Helpers shared by the notebook tests: where the notebooks are and how to read their cells."""
from pathlib import Path

import nbformat

from dlcourse.release import REPO, chapter_ids, is_test_cell

__all__ = ["REPO", "CHAPTERS", "source_path", "student_path", "read", "nbgrader_meta", "is_test_cell"]

CHAPTERS = chapter_ids()


def source_path(chapter):
    return REPO / "solutions" / chapter / f"{chapter}.ipynb"


def student_path(chapter):
    return REPO / "chapters" / chapter / f"{chapter}.ipynb"


def read(path):
    return nbformat.read(Path(path), as_version=4)


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})
