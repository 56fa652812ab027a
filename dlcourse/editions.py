"""The instructor edition of the book: the source notebooks, solutions folded into toggles.

Book: "Instructor guide", section "Building the book".
The default book renders the student notebooks of chapters/. This module writes a second source
tree, ``_build/instructor_src``, with the same pages and table of contents but the notebooks of
solutions/ in place of chapters/: solution and test cells (hidden tests included) are tagged
``hide-input`` so they appear as collapsed toggles, and model answers of written questions are
marked as such. ``make book-instructor`` builds it into ``_build/instructor/_build/html``.
"""
import re
import shutil
from pathlib import Path

import nbformat

from .conventions import is_claim_cell
from .release import REPO, chapter_ids

__all__ = ["MODEL_ANSWER_CLASS", "model_answer", "write_instructor_source"]

COPIED = ["_toc.yml", "references.bib", "_ext", "_static"]
MODEL_ANSWER_CLASS = "dlcourse-model-answer"


def model_answer(source):
    """A written question's model answer as the instructor edition shows it: marked, in a framed container."""
    return f"::::{{container}} {MODEL_ANSWER_CLASS}\n**Model answer.** {source}\n::::"


def _fold(nb):
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (meta.get("solution") or meta.get("grade") or is_claim_cell(cell)):
            tags = cell.metadata.setdefault("tags", [])
            if "hide-input" not in tags:
                tags.append("hide-input")
        elif cell.cell_type == "markdown" and meta.get("solution"):
            cell.source = model_answer(cell.source)
    return nb


def write_instructor_source(repo=REPO, out=None):
    """Write the instructor edition's source tree and return its path."""
    repo = Path(repo)
    out = Path(out) if out else repo / "_build" / "instructor_src"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in COPIED:
        source = repo / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, out / name)
    for page in repo.glob("*.md"):
        if page.name != "README.md":
            shutil.copy(page, out / page.name)
    config = (repo / "_config.yml").read_text()
    config = re.sub(r'^title: "(.*)"$', r'title: "\1 (instructor edition)"', config, count=1, flags=re.M)
    (out / "_config.yml").write_text(config)
    for chapter in chapter_ids(repo):
        target = out / "chapters" / chapter / f"{chapter}.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(_fold(nbformat.read(repo / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)),
                       target)
    return out
