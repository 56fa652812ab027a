"""From instructor sources to student notebooks: solutions/<id>/ -> chapters/<id>/.

Book: "Instructor guide", section "Editing a chapter".
Runs ``nbgrader generate_assignment`` for every chapter, then tags every autograded test cell of
the student version with :data:`dlcourse.conventions.STUDENT_TAGS`: ``raises-exception`` (so nbval and
the book execute a notebook whose exercises are still stubs) and ``remove-output`` (so the book shows
the test's code, not a traceback), and removes the claim cells (:func:`dlcourse.conventions.is_claim_cell`:
they assert the text's claims in the sources only).
The sources are never tagged: nbval's raises-exception does not fail when nothing is raised.
"""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from .conventions import STUDENT_TAGS, is_claim_cell, is_test_cell

# CHAPTER_TAGS, is_test_cell and is_claim_cell are dlcourse.conventions' names, kept here for old imports
__all__ = ["REPO", "CHAPTER_TAGS", "chapter_ids", "chapters_in", "is_test_cell", "is_claim_cell", "release",
           "stale_files"]

REPO = Path(__file__).resolve().parent.parent
CHAPTER_TAGS = STUDENT_TAGS


def chapter_ids(repo=REPO):
    """The nbgrader assignment ids, e.g. ['02_backprop']: the folders of solutions/ with a notebook."""
    return chapters_in(Path(repo, "solutions"))


def chapters_in(folder):
    """The chapter ids of a folder of sources: its subfolders ``<id>`` that hold ``<id>.ipynb``."""
    return sorted(p.parent.name for p in Path(folder).glob("*/*.ipynb") if p.stem == p.parent.name)


def _student_version(path):
    """Tag the test cells of a generated notebook and drop its claim cells."""
    nb = nbformat.read(path, as_version=4)
    nb.cells = [cell for cell in nb.cells if not is_claim_cell(cell)]
    for cell in nb.cells:
        if is_test_cell(cell):
            tags = cell.metadata.setdefault("tags", [])
            tags.extend(tag for tag in STUDENT_TAGS if tag not in tags)
    nbformat.write(nb, path)


def release(repo=REPO, out=None, ids=None):
    """Write the student version of every chapter into ``out`` (default: ``<repo>/chapters``)."""
    repo = Path(repo)
    out = Path(out) if out else repo / "chapters"
    for chapter in ids or chapter_ids(repo):
        target = out / chapter
        if target.exists():
            shutil.rmtree(target)
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", chapter, "--force",
                        "--no-db", "--log-level=WARN", f"--CourseDirectory.root={repo}",
                        f"--CourseDirectory.release_directory={out}"],
                       cwd=repo, check=True, env=env)
        for notebook in target.glob("*.ipynb"):
            _student_version(notebook)
    return out


def _files(root):
    return {p.relative_to(root): p.read_bytes() for p in Path(root).rglob("*") if p.is_file()}


def stale_files(repo=REPO):
    """Files of chapters/ that differ from what ``release`` makes now (empty when up to date)."""
    repo = Path(repo)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = _files(release(repo, Path(tmp) / "chapters"))
    current = _files(repo / "chapters")
    return sorted(f"chapters/{path}" for path in fresh.keys() | current.keys()
                  if fresh.get(path) != current.get(path))
