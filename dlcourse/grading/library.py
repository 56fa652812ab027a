"""Measuring the tests: libraries of wrong and of correct implementations of every exercise.

Book: "Instructor guide", section "Grading a class with nbgrader" (what the tests catch).

A chapter's library is ``tests/grading/library/<chapter id>.py``: functions written as a student
would write them, each decorated with :func:`mistake` or :func:`correct`::

    @mistake("linear_backward", "dW transposed", "It looks transposed")
    def linear_backward(dout, cache):
        x, w = cache
        return dout @ w, x.T @ dout, dout.sum(axis=0)

    @correct("linear_backward", "a loop over the examples")
    def linear_backward(dout, cache):
        ...

The function is named like the exercise and must be self-contained *notebook* code: it may use
what the chapter's notebook imports (``np``, ``activations``, ...) and the student's other exercise
functions, but not the reference implementation of its own exercise (the grading kernel rejects
that). ``mistake(exercise, name, message)``: ``message`` is a phrase the *visible* test's failure
must contain (the mistake is named); ``visible=False`` for a mistake only the hidden tests catch;
``gap="why"`` for a known mistake the tests do not catch yet (reported, not hidden).

Two ways to run a library (:func:`dlcourse.grading.library_report.evaluate`): at *check level*, in this process, the entry is
executed in a namespace built like the notebook's (its imports, definitions and solutions) and the
chapter's own test cells run on it, visible part alone and then with the hidden tests -- fast, run
by ``make test``; or *through nbgrader*, each entry becomes a submission (the solved notebook with
that one function replaced) graded by ``python -m dlcourse grade`` -- slow, run by
``make grading-benchmark``. :mod:`dlcourse.grading.library_report` writes the Markdown table of the
instructor guide.
"""
import ast
import contextlib
import copy
import functools
import importlib.util
import inspect
import io
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..conventions import HIDDEN_TESTS, SOLUTION, grade_id, is_exercise_cell, is_test_cell
from ..release import REPO
from .notebooks import defined_functions

__all__ = ["Entry", "Chapter", "mistake", "correct", "load", "chapters_with_library", "notebook_namespace",
           "run_entry", "verdict", "submission", "LIBRARY"]

LIBRARY = REPO / "tests" / "grading" / "library"
_REGISTRY = []


@dataclass
class Entry:
    """One implementation of one exercise, and what the tests must do with it."""
    exercise: str
    kind: str                   # "mistake" or "correct"
    name: str
    source: str
    message: str = None         # a phrase the visible test's failure must contain (mistakes)
    visible: bool = True        # False: only the hidden tests catch it
    gap: str = None             # a known mistake the tests do not catch, and why
    results: dict = field(default_factory=dict)


def _register(exercise, kind, name, **details):
    def decorate(function):
        if function.__name__ != exercise:
            raise ValueError(f"library function {function.__name__} must be named like its exercise {exercise}")
        lines = textwrap.dedent(inspect.getsource(function)).splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith(("def ", "async def ")))
        _REGISTRY.append(Entry(exercise, kind, name, "\n".join(lines[start:]) + "\n", **details))
        return function
    return decorate


def mistake(exercise, name, message=None, visible=True, gap=None):
    """Register a wrong implementation; the tests must take points off it (and name it in ``message``)."""
    return _register(exercise, "mistake", name, message=message, visible=visible, gap=gap)


def correct(exercise, name):
    """Register a correct implementation, different from the instructor's; it must get full marks."""
    return _register(exercise, "correct", name)


def chapters_with_library():
    return sorted(path.stem for path in LIBRARY.glob("[0-9]*.py"))


def load(chapter):
    """The entries of ``tests/grading/library/<chapter>.py`` (none if the chapter has no library)."""
    path = LIBRARY / f"{chapter}.py"
    if not path.exists():
        return []
    del _REGISTRY[:]
    spec = importlib.util.spec_from_file_location(f"grading_library_{chapter}", path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    entries = list(_REGISTRY)
    del _REGISTRY[:]
    return entries


# ---------------------------------------------------------------------- the chapter's notebook
def _clean(source):
    return "\n".join(line for line in source.splitlines() if not any(marker in line for marker in SOLUTION))


def _replace_function(source, name, replacement):
    """``source`` with the top-level function ``name`` replaced by ``replacement``."""
    lines = source.splitlines()
    node = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == name)
    start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
    return "\n".join(lines[:start] + replacement.rstrip().splitlines() + lines[node.end_lineno:])


class Chapter:
    """The facts about a chapter the library needs, read from its source and student notebooks."""

    def __init__(self, chapter, solutions=None):
        root = Path(solutions or REPO / "solutions")
        self.chapter = chapter
        self.source = nbformat.read(root / chapter / f"{chapter}.ipynb", as_version=4)
        self.solution_cells = {grade_id(c): c for c in self.source.cells if is_exercise_cell(c)}
        self.tests = [c for c in self.source.cells if is_test_cell(c)]
        self._cell_of = {name: gid for gid, cell in self.solution_cells.items()
                         for name in defined_functions(cell.source)}

    def cell_of(self, exercise):
        return self._cell_of[exercise]

    def test_of(self, exercise):
        """The test cell that follows the exercise's solution cell."""
        cells, gid = self.source.cells, self.cell_of(exercise)
        index = next(i for i, c in enumerate(cells) if grade_id(c) == gid)
        return next(c for c in cells[index:] if is_test_cell(c))

    @functools.cached_property
    def definitions(self):
        """[(grade id, compiled imports and definitions)] of the code cells that are not test cells, in order
        (None for a cell that does not parse)."""
        compiled = []
        for cell in self.source.cells:
            if cell.cell_type != "code" or is_test_cell(cell):
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                compiled.append((grade_id(cell), None))
                continue
            keep = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))]
            compiled.append((grade_id(cell), compile(ast.Module(body=keep, type_ignores=[]), "<notebook>", "exec")))
        return compiled

    def solved(self, exercise=None, replacement=None, entries=()):
        """{solution cell id: code}: the instructor's solutions, one function (or each entry's) replaced."""
        code = {gid: _clean(cell.source) for gid, cell in self.solution_cells.items()}
        replacements = list(entries) + ([(exercise, replacement)] if exercise is not None else [])
        for name, source in ((e.exercise, e.source) if isinstance(e, Entry) else e for e in replacements):
            gid = self.cell_of(name)
            code[gid] = _replace_function(code[gid], name, source)
        return code


def notebook_namespace(chapter, code):
    """A namespace like the notebook's: its imports and definitions, then the solution cells ``code``."""
    namespace = {"__name__": "__main__"}
    for gid, definitions in chapter.definitions:
        if gid in code:
            exec(compile(code[gid], f"<{gid}>", "exec"), namespace)
        elif definitions is not None:
            exec(definitions, namespace)
    return namespace


def _visible(source):
    return HIDDEN_TESTS.remove(source)


def _hidden(source):
    """The hidden part of a test cell (what runs after its visible part when graded)."""
    return "\n".join(HIDDEN_TESTS.regions(source))


def _run(source, namespace):
    """(passed, message) of a test cell's code."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            exec(compile(source, "<test cell>", "exec"), namespace)
        except Exception as error:            # a failing check raises; so may the student's code
            return False, f"{type(error).__name__}: {error}"
    return True, ""


def run_entry(chapter, entry):
    """Check level: {"visible": (passed, message), "graded": (passed, message)} for one entry."""
    test = chapter.test_of(entry.exercise).source
    namespace = notebook_namespace(chapter, chapter.solved(entry.exercise, entry.source))
    visible = _run(_visible(test), namespace)
    # the graded cell runs the visible calls first: when they fail, so does the cell; else its hidden calls decide
    return {"visible": visible, "graded": _run(_hidden(test), namespace) if visible[0] else visible}


def verdict(entry, results):
    """Whether the tests did what they must with ``entry`` (a mistake caught and named, a variant accepted)."""
    passed_visible, message = results["visible"]
    passed_graded = results["graded"][0]
    if entry.kind == "correct":
        return passed_graded
    if entry.gap:
        return passed_graded          # a known gap must stay visible in the report until it is fixed
    named = entry.message is None or entry.message in message
    return not passed_graded and (not entry.visible or (not passed_visible and named))


# ---------------------------------------------------------------------- through nbgrader
def submission(chapter, release, entry=None, answer="A written answer.", entries=()):
    """The student version with every exercise solved, ``entry``'s function (or each of ``entries``') replaced
    (notebook bytes)."""
    nb = copy.deepcopy(release)
    code = chapter.solved(entries=([entry] if entry else []) + list(entries))
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in code:
            cell.source = code[gid]
        elif gid and cell.metadata["nbgrader"].get("solution"):
            cell.source = answer
    return nbformat.writes(nb).encode()
