"""Reading a submitted notebook and putting its graded cells back in order, before nbgrader sees it.

Book: "Instructor guide", section "Grading a class with nbgrader".

The principle: a submission is graded as "Restart kernel and run all" of the student's notebook,
with the official test cells at their official places. :func:`read_submission` reads anything a
student can upload (a truncated or binary file, another nbformat version, JSON that is not a
notebook) and says why it cannot be graded when it cannot. :func:`canonical` rebuilds a readable
notebook cell by cell:

- every cell becomes a fresh, valid cell (malformed cells are dropped, outputs cleared);
- test cells are removed wherever they are (edited, duplicated, split, moved, stripped of their
  metadata) and the official one is inserted right after the last cell holding its exercise;
- exercise and written-answer cells get their official nbgrader metadata back; a duplicate loses it
  (the last copy counts, as when the notebook runs); a cell whose metadata was stripped is
  recognised again (the functions it defines, or its place after the question); a deleted one is
  replaced by the student version's stub;
- the notebook metadata (kernel) is the course's, and a last cell prints the guard's report.

Every change is described in the returned list of repairs, which the grader's report keeps.
"""
import ast
import copy
import json
import re
import warnings
from pathlib import Path

import nbformat
from nbformat.notebooknode import from_dict

from ..conventions import HIDDEN_TESTS, grade_id, is_exercise_cell, is_test_cell
from .execute import METADATA_KEY
from .feedback import REPORT_TAG
from .scan import as_python

__all__ = ["read_submission", "canonical", "placeholder", "grade_ids", "defined_functions", "exercise_names",
           "REPORT_SOURCE", "MAX_BYTES"]

MAX_BYTES = 50 * 1024 * 1024
REPORT_SOURCE = '__import__("dlcourse.grading.guard", fromlist=["report"]).report()'


def read_submission(path):
    """(notebook, None, notes) for a readable file, or (None, reason, notes) when it cannot be graded."""
    notes = []
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        return None, f"the file could not be opened ({error.strerror})", notes
    if len(data) > MAX_BYTES:
        return None, f"the file is larger than {MAX_BYTES // 2 ** 20} MB", notes
    if not data.strip():
        return None, "the file is empty", notes
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return None, "the file is not a text file (not a notebook)", notes
    except json.JSONDecodeError as error:
        return None, f"the file is not valid notebook JSON, truncated or corrupted ({error.msg}, line " \
                     f"{error.lineno})", notes
    if not isinstance(raw, dict) or not isinstance(raw.get("cells", raw.get("worksheets")), list):
        return None, "the file is JSON but not a Jupyter notebook", notes
    version = f"{raw.get('nbformat')}.{raw.get('nbformat_minor')}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as error:        # nbformat raises many kinds of errors on odd input
        return None, f"the notebook could not be read ({type(error).__name__}: {error})"[:300], notes
    if version != "4.5":
        notes.append(f"converted from nbformat {version}")
    return nb, None, notes


def grade_ids(nb):
    """grade_id -> cell for the cells of ``nb`` that carry one (in order of first appearance; the last
    copy wins)."""
    return {grade_id(cell): cell for cell in nb.cells if grade_id(cell)}


def defined_functions(source):
    """Names of the functions a code cell defines at top level (a regex when it does not parse)."""
    try:
        tree = ast.parse(as_python(source))
    except SyntaxError:
        return set(re.findall(r"^def\s+(\w+)\s*\(", source, flags=re.M))
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def exercise_names(nb):
    """The functions students write: those defined in the exercise cells of the source ``nb``."""
    return sorted(set().union(*(defined_functions(cell.source) for cell in nb.cells if is_exercise_cell(cell))))


def placeholder(release, reason):
    """The student version (stubs only) with a note at the top: what a file that cannot be read is graded as."""
    nb = copy.deepcopy(release)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(f"**Note from the grader:** {reason}. This is the empty "
                                                     "student version, graded without running it."))
    return nb


def _fresh_cell(raw):
    """A valid nbformat 4.5 cell with the student's type, source, metadata and attachments, or None."""
    if not isinstance(raw, dict) or raw.get("cell_type") not in ("code", "markdown", "raw"):
        return None
    source = raw.get("source", "")
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        source = "".join(source)
    if not isinstance(source, str):
        return None
    metadata = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
    metadata = {key: copy.deepcopy(value) for key, value in metadata.items() if key != METADATA_KEY}
    tags = metadata.get("tags")
    if tags is not None:
        tags = [t for t in tags if isinstance(t, str) and t and "," not in t and t != REPORT_TAG] \
            if isinstance(tags, list) else []
        metadata["tags"] = sorted(set(tags), key=tags.index)
    if not isinstance(metadata.get("nbgrader"), dict) or not isinstance(metadata["nbgrader"].get("grade_id"), str):
        metadata.pop("nbgrader", None)
    maker = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell,
             "raw": nbformat.v4.new_raw_cell}[raw["cell_type"]]
    cell = maker(source=source, metadata=metadata)
    if raw["cell_type"] != "code" and isinstance(raw.get("attachments"), dict):
        cell.attachments = copy.deepcopy(raw["attachments"])
    try:
        nbformat.validate(nbformat.v4.new_notebook(cells=[cell]))
    except nbformat.ValidationError:
        cell.pop("attachments", None)
        cell.metadata = {key: value for key, value in cell.metadata.items() if key in ("nbgrader",)}
        try:
            nbformat.validate(nbformat.v4.new_notebook(cells=[cell]))
        except nbformat.ValidationError:
            return None
    return cell


def _without_guard(source):
    """A grading-edition test cell without its hidden guard region: the repository's source cell."""
    guard = next((line for line in source.splitlines() if "dlcourse.grading.guard" in line), None)
    return source.replace(HIDDEN_TESTS.wrap(guard), "") if guard else source


def _official(cell):
    """A copy of an official (release) cell, for insertion."""
    return from_dict(copy.deepcopy(dict(cell)))


def canonical(nb, source, release):
    """(notebook ready for nbgrader, list of repairs) -- see the module docstring.

    ``source``: the instructor notebook (with solutions and hidden tests); ``release``: the
    student version generated from it.
    """
    repairs = []
    source_cells = grade_ids(source)
    source_order = list(source_cells)
    release_cells = grade_ids(release)
    tests = [gid for gid in source_order if is_test_cell(source_cells[gid])]
    official_texts = {}
    for gid in tests:
        for text in (release_cells[gid].source, source_cells[gid].source, _without_guard(source_cells[gid].source)):
            official_texts[text.strip()] = gid

    cells, dropped, copies = [], 0, {gid: [] for gid in tests}
    for raw in nb.cells:
        cell = _fresh_cell(raw)
        if cell is None:
            dropped += 1
            continue
        if cell.source.strip() == REPORT_SOURCE:          # the grader's own cell is added once, at the end
            continue
        gid = grade_id(cell)
        if gid in copies:
            copies[gid].append((len(cells), cell.source.strip()))
            continue
        if gid is None and cell.cell_type == "code" and cell.source.strip() in official_texts:
            copies[official_texts[cell.source.strip()]].append((len(cells), None))
            continue
        if gid is not None and gid not in source_cells:
            cell.metadata.pop("nbgrader")
            repairs.append(f"removed unknown grade id {gid!r} from a cell")
        elif gid is not None:
            cell.metadata["nbgrader"] = copy.deepcopy(release_cells[gid].metadata["nbgrader"])
        cells.append(cell)
    if dropped:
        repairs.append(f"dropped {dropped} malformed cell(s)")

    # duplicated exercise / answer cells: the last copy keeps its metadata
    last = {}
    for index, cell in enumerate(cells):
        gid = grade_id(cell)
        if gid is not None:
            if gid in last:
                cells[last[gid]].metadata.pop("nbgrader")
                repairs.append(f"cell {gid} appeared more than once: the last copy is graded")
            last[gid] = index

    def after_last(gid):
        where = [i for i, c in enumerate(cells) if grade_id(c) == gid]
        return where[-1] + 1 if where else None

    def position_for(gid):
        """After the student's copy of the nearest official cell before ``gid`` (same id or same text)."""
        index = next(i for i, c in enumerate(release.cells) if grade_id(c) == gid)
        for previous in reversed(release.cells[:index]):
            if grade_id(previous) is not None:
                at = after_last(grade_id(previous))
            else:
                text = previous.source.strip()
                where = [i for i, c in enumerate(cells) if text and grade_id(c) is None and c.source.strip() == text]
                at = where[-1] + 1 if where else None
            if at is not None:
                return at
        return 0

    for gid in source_order:
        if gid in tests or gid in last or not source_cells[gid].metadata["nbgrader"].get("solution"):
            continue
        official = release_cells[gid]
        adopted = None
        if official.cell_type == "code":
            wanted = defined_functions(source_cells[gid].source)
            candidates = [i for i, c in enumerate(cells) if c.cell_type == "code" and grade_id(c) is None
                          and wanted & defined_functions(c.source)]
            adopted = candidates[-1] if candidates else None
        else:
            at = position_for(gid)
            if at < len(cells) and cells[at].cell_type == "markdown" and grade_id(cells[at]) is None:
                adopted = at
        if adopted is not None:
            cells[adopted].metadata["nbgrader"] = copy.deepcopy(official.metadata["nbgrader"])
            repairs.append(f"restored the metadata of cell {gid}")
        else:
            cells.insert(position_for(gid), _official(official))
            repairs.append(f"cell {gid} was missing: inserted the empty student version")

    for gid in tests:
        index = source_order.index(gid)
        exercises = [g for g in source_order[:index] if is_exercise_cell(source_cells[g])]
        at = after_last(exercises[-1]) if exercises else None
        found = copies[gid]
        if not found:
            repairs.append(f"test cell {gid} was missing: restored")
        elif len(found) > 1:
            repairs.append(f"test cell {gid} appeared {len(found)} times: one official copy kept")
        elif found[0][1] is not None and found[0][1] not in official_texts:
            repairs.append(f"test cell {gid} was edited: restored")
        elif found[0][1] is None:
            repairs.append(f"test cell {gid} had lost its metadata: restored")
        cells.insert(at if at is not None else position_for(gid), _official(release_cells[gid]))

    cells.append(nbformat.v4.new_code_cell(REPORT_SOURCE, metadata={"tags": [REPORT_TAG]}))
    for index, cell in enumerate(cells):
        cell["id"] = f"cell-{index:04d}"
    metadata = copy.deepcopy(source.metadata)
    metadata[METADATA_KEY] = {"exercises": exercise_names(source)}     # for the tripwire in the grading kernel
    result = nbformat.v4.new_notebook(cells=cells, metadata=metadata)
    nbformat.validate(result)
    return result, repairs
