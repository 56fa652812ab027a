"""Frame every exercise and written question of a chapter as one task, and hide nbgrader's answer placeholder.

Authors write ``### Exercise N: <what> (P points)`` and ``### Question N: <what> (P points)`` (authoring.md).
In each such section this transform wraps everything from the heading through the end of the task into one
box (the heading keeps its place as the section's title, so anchors and the contents list do not change):

- an exercise ends with its test cell: the first code cell whose nbgrader metadata marks it as an autograded
  test (or that is tagged ``raises-exception``, as the release tags test cells of the student version);
- a question ends with its answer: in the student version the cell reads nbgrader's "YOUR ANSWER HERE",
  which a reader never sees (a short note takes its place, on every page); in the instructor edition the
  model answer, which ``dlcourse.editions`` wraps in a container of class ``dlcourse-model-answer``.

What follows the task (the experiments after an exercise) stays in the section, outside the frame.
A task heading whose section has no test cell or answer is a Sphinx warning (``make book`` fails on it).
The page's CSS (``_static/exercises.css``) draws the frame: ``section.dlcourse-task > h3`` and
``div.dlcourse-task-body``.
"""
import re

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

from dlcourse.editions import MODEL_ANSWER_CLASS

__all__ = ["TASK_HEADING", "ANSWER_PLACEHOLDER", "ANSWER_NOTE", "setup"]

TASK_HEADING = re.compile(r"^(Exercise|Question)\s+\d+\b.*\(\s*\d+(?:\.\d+)?\s+points?\s*\)\s*$", re.S)
ANSWER_PLACEHOLDER = "YOUR ANSWER HERE"
ANSWER_NOTE = "Write your answer in this cell of your copy of the notebook; your instructor grades it."
NOTE_CLASS = "dlcourse-answer-note"
TEST_TAG = "raises-exception"

logger = logging.getLogger(__name__)


def _cell_metadata(node):
    """The notebook metadata myst-nb keeps on a code cell's container ({} for any other node)."""
    if not (isinstance(node, nodes.container) and node.get("nb_element") == "cell_code"):
        return {}
    metadata = node.get("cell_metadata", {})
    return metadata if isinstance(metadata, dict) else {}


def _is_test_cell(node):
    metadata = _cell_metadata(node)
    grader = metadata.get("nbgrader", {})
    return bool(grader.get("grade") and not grader.get("solution")) or TEST_TAG in metadata.get("tags", [])


def _is_placeholder(node):
    return isinstance(node, nodes.paragraph) and node.astext().strip() == ANSWER_PLACEHOLDER


def _is_answer(node):
    grader = _cell_metadata(node).get("nbgrader", {})
    classes = node.get("classes", []) if isinstance(node, nodes.Element) else []
    return (NOTE_CLASS in classes or MODEL_ANSWER_CLASS in classes
            or bool(grader.get("grade") and grader.get("solution")))    # an answer written as code


def _answer_note():
    return nodes.paragraph("", "", nodes.emphasis("", ANSWER_NOTE), classes=[NOTE_CLASS])


def _frame(section, kind):
    """Wrap the section's children from after its title through the task's last node in a container."""
    is_end = _is_test_cell if kind == "exercise" else _is_answer
    children = list(section.children)
    end = next((index for index, child in enumerate(children[1:], 1) if is_end(child)), None)
    if end is None:
        what = "test cell" if kind == "exercise" else "answer cell"
        logger.warning(f"{section[0].astext()!r} has no {what} before the next heading; tasks are framed "
                       "from the heading through their test cell or answer (authoring.md)",
                       location=section, type="dlcourse", subtype="task")
        return
    body = nodes.container(classes=["dlcourse-task-body"])
    for child in children[1:end + 1]:
        section.remove(child)
        body += child
    section.insert(1, body)
    section["classes"] += ["dlcourse-task", f"dlcourse-{kind}"]


class FrameTasks(SphinxPostTransform):
    """Frame exercises and questions; replace the answer placeholder with a note for readers."""
    default_priority = 900

    def run(self, **kwargs):
        for paragraph in list(self.document.findall(_is_placeholder)):
            paragraph.replace_self(_answer_note())
        for section in list(self.document.findall(nodes.section)):
            if not (section.children and isinstance(section[0], nodes.title)):
                continue
            match = TASK_HEADING.match(section[0].astext().strip())
            if match:
                _frame(section, match.group(1).lower())


def setup(app):
    app.add_post_transform(FrameTasks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
