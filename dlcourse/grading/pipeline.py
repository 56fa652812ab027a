"""The grader's defences as nbgrader pieces, and :func:`configure`, which installs them in any nbgrader config.

Book: "Instructor guide", sections "Grading a class with nbgrader" and "The course on JupyterHub".

Every route to a grade goes through nbgrader's ``autograde``: ``python -m dlcourse grade``, plain
``nbgrader autograde`` with the repository's ``nbgrader_config.py``, and the formgrader's button on
JupyterHub. :func:`configure` makes all three run the same pipeline:

- reading (:class:`SubmissionExporter`): a file that is not a readable notebook is graded as the empty
  student version, without running it, with the reason in the notebook (nbgrader would fail);
- sanitising: :class:`RepairCells` puts the official test cells back at their official places and
  gives exercise and answer cells their official metadata (:func:`~dlcourse.grading.notebooks.canonical`),
  before nbgrader's own ``OverwriteCells`` restores the hidden tests;
- autograding: :class:`GuardTestCells` puts the integrity guard's check at the top of every test
  cell, :class:`~dlcourse.grading.execute.SafeExecute` runs the notebook in the sandbox with the
  limits, and :class:`~dlcourse.grading.scoring.EvidenceAutoGrades` scores a test cell only when its
  checks printed what they print for the instructor's solution;
- feedback: :class:`~dlcourse.grading.feedback.HideHiddenTests` and the offline page of
  :mod:`dlcourse.grading.feedback_page`.

:func:`configure` also makes a new gradebook read its schema version in the process
(:func:`read_schema_version_in_process`).
"""
import ast
import functools
import os

import nbformat
from nbconvert.exporters import NotebookExporter
from nbgrader.preprocessors import NbGraderPreprocessor

from ..conventions import HIDDEN_TESTS, is_test_cell
from .execute import METADATA_KEY
from .notebooks import canonical, placeholder, read_submission

__all__ = ["SubmissionExporter", "RepairCells", "GuardTestCells", "configure", "guard_region", "official_notebooks",
           "coursedir_of", "check_names", "is_guarded", "read_schema_version_in_process", "NOT_RUN"]

NOT_RUN = "dlcourse_not_run"      # resources key: why the submission is graded without running it


def coursedir_of(configurable):
    """The nbgrader ``CourseDirectory`` of the converter that runs ``configurable`` (a preprocessor or exporter)."""
    node = configurable
    while node is not None:
        if getattr(node, "coursedir", None) is not None:
            return node.coursedir
        node = getattr(node, "parent", None)
    from nbgrader.coursedir import CourseDirectory
    return CourseDirectory(config=configurable.config)


def official_notebooks(configurable, resources):
    """(source, student version) of the notebook being graded, read from the course directory."""
    coursedir, info = coursedir_of(configurable), resources["nbgrader"]
    notebooks = []
    for step in (coursedir.source_directory, coursedir.release_directory):
        path = os.path.join(coursedir.format_path(step, ".", info["assignment"]), f"{info['notebook']}.ipynb")
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path} is missing: run `nbgrader generate_assignment {info['assignment']}` "
                                    "in the course directory first")
        notebooks.append(nbformat.read(path, as_version=4))
    return tuple(notebooks)


class SubmissionExporter(NotebookExporter):
    """nbgrader's reader of submitted notebooks, for files that are not readable notebooks too.

    Such a file is graded as the empty student version, without running it, with a note saying why.
    """

    def from_filename(self, filename, resources=None, **kw):
        resources = resources if resources is not None else {}
        resources.setdefault("metadata", {})
        resources["metadata"].update(name=os.path.splitext(os.path.basename(filename))[0],
                                     path=os.path.dirname(filename))
        nb, problem, _ = read_submission(filename)
        if nb is None:
            resources[NOT_RUN] = problem
            nb = placeholder(official_notebooks(self, resources)[1], problem)
        return self.from_notebook_node(nb, resources, **kw)


class RepairCells(NbGraderPreprocessor):
    """The submission as "restart and run all" with the official test cells at their official places."""

    def preprocess(self, nb, resources):
        source, release = official_notebooks(self, resources)
        nb, repairs = canonical(nb, source, release)
        for repair in repairs:
            self.log.info("%s: %s", resources["nbgrader"]["student"], repair)
        state = nb.metadata.setdefault(METADATA_KEY, {})
        state["repairs"] = repairs
        if resources.get(NOT_RUN):
            state["not_run"] = resources[NOT_RUN]
        return nb, resources


def check_names(source):
    """The check functions of :mod:`dlcourse.checks` that a test cell's code names."""
    import dlcourse.checks
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return sorted({node.id for node in ast.walk(tree) if isinstance(node, ast.Name)
                   and node.id in getattr(dlcourse.checks, "__all__", ())})


def guard_region(source):
    """The hidden region at the top of a test cell that runs the integrity guard's check before the test.

    ``source``: the test cell's code, whose check functions the guard compares with the genuine ones.
    """
    call = f'__import__("dlcourse.grading.guard", fromlist=["verify"]).verify(globals(), {check_names(source)!r})'
    return HIDDEN_TESTS.wrap(call)


def is_guarded(source):
    """Whether a test cell already starts with :func:`guard_region` (the grading edition's cells do)."""
    return source.startswith(guard_region(source))


class GuardTestCells(NbGraderPreprocessor):
    """Put :func:`guard_region` at the top of every autograded test cell (once)."""

    def preprocess_cell(self, cell, resources, index):
        if is_test_cell(cell) and not is_guarded(cell.source):
            cell.source = guard_region(cell.source) + cell.source
        return cell, resources


@functools.cache
def _gradebook_schema_head():
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR
    return ScriptDirectory(ALEMBIC_DIR).get_current_head()


def read_schema_version_in_process():
    """A new gradebook reads its schema version from nbgrader's migration scripts in this process.

    nbgrader asks a fresh ``alembic heads`` process for it, about 3 s for every command that creates a
    gradebook (the answer is the same: tests/test_grading_units.py compares them).
    """
    import nbgrader.api
    nbgrader.api.get_alembic_version = _gradebook_schema_head


def configure(c, settings=None, record_evidence=True):
    """Install the grader's pieces and limits in the nbgrader configuration ``c``.

    ``settings``: :class:`~dlcourse.grading.settings.Settings` (default: the defaults);
    ``record_evidence``: whether a course without recorded evidence grades the instructor's
    solution first to record it (``python -m dlcourse grade`` records it itself).
    """
    from .settings import DEFAULTS, config_values
    nbgrader, ours = "nbgrader.preprocessors.", "dlcourse.grading."
    c.Autograde.exporter_class = ours + "pipeline.SubmissionExporter"
    c.Autograde.sanitize_preprocessors = [nbgrader + name for name in ("ClearOutput", "DeduplicateIds",
                                                                       "OverwriteKernelspec")] + [
        ours + "pipeline.RepairCells", nbgrader + "OverwriteCells", nbgrader + "CheckCellMetadata"]
    c.Autograde.autograde_preprocessors = [
        ours + "pipeline.GuardTestCells", ours + "execute.SafeExecute", nbgrader + "IgnorePattern",
        nbgrader + "LimitOutput", ours + "scoring.EvidenceAutoGrades", nbgrader + "AssignLatePenalties",
        nbgrader + "CheckCellMetadata"]
    c.EvidenceAutoGrades.record_missing = record_evidence
    c.LimitOutput.max_lines = -1        # SafeExecute truncates streams and keeps the checks' success lines
    c.LimitOutput.max_traceback = 100
    c.GenerateFeedback.exporter_class = ours + "feedback_page.FeedbackExporter"
    c.GenerateFeedback.preprocessors = [nbgrader + "GetGrades", ours + "feedback.HideHiddenTests",
                                        ours + "feedback_page.MystToText",
                                        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]
    c.HTMLExporter.sanitize_html = True   # feedback pages: no script from a student's notebook runs
    for owner, name, value in config_values(settings or DEFAULTS):
        c[owner][name] = value
    read_schema_version_in_process()
    return c
