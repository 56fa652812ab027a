"""Helpers shared by the notebook tests: where the notebooks are and how to read their cells."""
from pathlib import Path

import nbformat

from dlcourse.conventions import HIDDEN_TESTS, SOLUTION, is_test_cell
from dlcourse.conventions import nbgrader_metadata as nbgrader_meta
from dlcourse.release import REPO, chapter_ids

__all__ = ["REPO", "CHAPTERS", "source_path", "student_path", "read", "nbgrader_meta", "is_test_cell",
           "region_lines"]

CHAPTERS = chapter_ids()
REGIONS = {"solution": SOLUTION, "hidden": HIDDEN_TESTS}


def source_path(chapter):
    return REPO / "solutions" / chapter / f"{chapter}.ipynb"


def student_path(chapter):
    return REPO / "chapters" / chapter / f"{chapter}.ipynb"


def read(path):
    return nbformat.read(Path(path), as_version=4)


def region_lines(cell, *kinds):
    """The distinctive lines (over 25 characters) inside a cell's solution or hidden-test regions."""
    return [line.strip() for kind in kinds for region in REGIONS[kind].regions(cell.source)
            for line in region.splitlines() if len(line.strip()) > 25]
