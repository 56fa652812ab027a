"""Hostile and broken submissions of the grading fixture chapter, each with the grade it must get.

The fixture chapter (``solutions/00_grading_fixture``) has two exercises, ``linear_backward``
(test cell worth 2 points) and ``softmax_cross_entropy`` (3 points), and one written answer (1 point,
graded by hand). A case builds the file a student uploads from the fixture's student version and
states the two autograded scores it must get, the status, and words that must appear in the flags
(for the instructor) and in the notes (what happened). :func:`grade_cases` grades them all as one
class through ``python -m dlcourse grade``'s path; :func:`grade_cases_plain` grades them (or the
:data:`REPRESENTATIVE` few) with plain ``nbgrader autograde`` and the repository's configuration, the
way a course on JupyterHub grades. Used by tests/test_grading_hostile.py and by
benchmarks/grading.py, which writes the table of expected and observed grades for the guide.
"""
import copy
import csv
import json
import random
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from dlcourse.grading.collect import collect
from dlcourse.grading.course import Course
from dlcourse.grading.export import write_csv
from dlcourse.conventions import grade_id
from dlcourse.grading.library import Chapter
from dlcourse.grading.runner import grade_class, prepare
from dlcourse.grading.settings import Settings, config_lines
from dlcourse.grading.worker import nbgrader_env
from dlcourse.release import REPO

__all__ = ["CHAPTER", "SOLUTIONS", "TESTS", "Case", "CASES", "SETTINGS", "REPRESENTATIVE", "snoop_targets",
           "grade_cases", "grade_cases_plain", "snoop_report"]

CHAPTER = "00_grading_fixture"
SOLUTIONS = Path(__file__).parent / "solutions"
SOLVED = Chapter(CHAPTER, SOLUTIONS).solved()     # solution cell id -> the instructor's code, without markers
TESTS = ("test_linear_backward", "test_softmax_cross_entropy")
# small limits, so that the slow cases stay fast
SETTINGS = dict(cell_timeout=3, interrupt_grace=3, notebook_timeout=40, submission_timeout=90, memory_mb=1500,
                cpu_seconds=60, file_size_mb=8)

WRONG_LINEAR = '''def linear_backward(dout, cache):
    x, w = cache
    return dout @ w, x.T @ dout, dout.sum(axis=0)      # dW transposed
'''
WRONG_SOFTMAX = '''def softmax_cross_entropy(logits, labels):
    n = len(logits)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    grad = p.copy()
    grad[np.arange(n), labels] -= 1.0
    return float(-np.log(p[np.arange(n), labels]).mean()), grad      # the 1/N is missing
'''


def _index(nb, gid):
    return next(i for i, c in enumerate(nb.cells) if grade_id(c) == gid)


class Student:
    """A student's notebook: the student version with exercises filled in, then edited by a case."""

    def __init__(self, release, linear="correct", softmax="correct", answer=True):
        self.nb = copy.deepcopy(release)
        self.set("linear_backward", SOLVED["linear_backward"] if linear == "correct" else linear)
        self.set("softmax_cross_entropy", SOLVED["softmax_cross_entropy"] if softmax == "correct" else softmax)
        if answer:
            self.set("written_shift", "Because exp overflows for large logits, and softmax is shift invariant.")

    def set(self, gid, text):
        if text is not None:
            self.nb.cells[_index(self.nb, gid)].source = text
        return self

    def insert_after(self, gid, code):
        self.nb.cells.insert(_index(self.nb, gid) + 1, nbformat.v4.new_code_cell(code))
        return self

    def file(self, version=(4, 5)):
        nb = copy.deepcopy(self.nb)
        if version[0] == 3:
            return nbformat.writes(nbformat.convert(nb, 3), version=3).encode()
        if version != (4, 5):
            for cell in nb.cells:
                cell.pop("id", None)
            nb.nbformat_minor = version[1]
            return json.dumps(nb, indent=1).encode()
        return nbformat.writes(nb).encode()


def edit(*steps, version=(4, 5), **student):
    """A builder: a :class:`Student` (keyword arguments) with ``steps`` applied, as file bytes."""
    def build(release, context):
        s = Student(release, **student)
        for step in steps:
            step(s, context)
        return s.file(version)
    return build


def cell_after(gid, code):
    return lambda s, context: s.insert_after(gid, code.format(**context))


def raw(data):
    return lambda release, context: data


def remove(*gids):
    def step(s, context):
        s.nb.cells = [c for c in s.nb.cells if grade_id(c) not in gids]
    return step


def move(gid, to):
    def step(s, context):
        cell = s.nb.cells.pop(_index(s.nb, gid))
        s.nb.cells.insert(to if to >= 0 else len(s.nb.cells), cell)
    return step


def duplicate(gid, times=2, last=None):
    def step(s, context):
        at = _index(s.nb, gid)
        for copy_number in range(times - 1):
            twin = copy.deepcopy(s.nb.cells[at])
            twin["id"] = f"{twin.get('id', 'cell')}-copy{copy_number}"
            s.nb.cells.insert(at, twin)
        if last is not None:
            s.nb.cells[at + times - 1].source = last
    return step


def split(gid):
    def step(s, context):
        at = _index(s.nb, gid)
        first, second = copy.deepcopy(s.nb.cells[at]), copy.deepcopy(s.nb.cells[at])
        first.source, second.source = "check_softmax_cross_entropy(", "    softmax_cross_entropy)"
        second["id"] = f"{second.get('id', 'cell')}-split"
        s.nb.cells[at:at + 1] = [first, second]
    return step


def metadata(gid, change):
    def step(s, context):
        cells = s.nb.cells if gid is None else [s.nb.cells[_index(s.nb, gid)]]
        for cell in cells:
            change(cell.metadata)
    return step


def _tamper_test_metadata(meta):
    meta["nbgrader"].update(grade=False, solution=True, points=100, locked=False)
    meta["tags"] = ["skip-execution", "raises-exception", "remove-cell"]


def _garbage(meta):
    if "nbgrader" in meta:
        meta["nbgrader"] = {"grade_id": 42, "points": "many", "grade": "yes"}


SNOOP = '''import json, os, resource, socket
def attempt(action):
    try:
        return "allowed: " + str(action())[:40]
    except Exception as error:
        return "denied: " + type(error).__name__
report = {{
    "uid": os.getuid(),
    "read gradebook": attempt(lambda: open({gradebook!r}, "rb").read(10)),
    "write gradebook": attempt(lambda: open({gradebook!r}, "ab").write(b"x")),
    "list submissions": attempt(lambda: os.listdir({submissions!r})),
    "read a classmate": attempt(lambda: open({classmate!r}, "rb").read(10)),
    "read hidden tests": attempt(lambda: open({solutions!r}).read(10)),
    "write the course": attempt(lambda: open({course!r} + "/planted.txt", "w").write("x")),
    "network": attempt(lambda: socket.create_connection(("1.1.1.1", 53), timeout=2)),
    "read /etc/shadow": attempt(lambda: open("/etc/shadow").read(10)),
    "limits": {{name: resource.getrlimit(getattr(resource, "RLIMIT_" + name))[0]
               for name in ("CPU", "AS", "FSIZE", "NPROC", "CORE")}},
}}
print("SNOOP " + json.dumps(report))
'''


def snoop_targets(report):
    """The attempts of the 'sandbox_snoop' case that were not denied (must be empty)."""
    return {key: value for key, value in report.items()
            if key not in ("uid", "limits") and not value.startswith("denied")}


@dataclass
class Case:
    name: str
    category: str
    description: str
    build: object                  # (student version, context) -> file bytes, or None: no notebook
    scores: tuple                  # (test_linear_backward, test_softmax_cross_entropy)
    status: str = "graded"
    flags: tuple = ()              # words in the flags column; () means: no flags at all
    notes: tuple = ()              # words in the notes column
    written: str = ""              # the written answer's column: "" = waiting for manual grading, "0" = blank


def cheat(code):
    """A wrong linear_backward with ``code`` after it, in the same cell (so it runs before the test)."""
    return edit(linear=WRONG_LINEAR + code)


CASES = [
    # ------------------------------------------------------------------ ordinary submissions
    Case("correct", "ordinary", "both exercises right, written answer given", edit(), (2, 3)),
    Case("empty", "ordinary", "the student version, unchanged", edit(linear=None, softmax=None, answer=False),
         (0, 0), written="0"),
    Case("partly", "ordinary", "softmax gradient without the 1/N", edit(softmax=WRONG_SOFTMAX), (2, 0)),
    # ------------------------------------------------------------------ broken files
    Case("truncated", "broken file", "the first 1500 bytes of a correct notebook",
         lambda release, context: Student(release).file()[:1500], (0, 0), "unreadable",
         notes=("not valid notebook JSON",), written="0"),
    Case("binary", "broken file", "random bytes named .ipynb",
         raw(bytes(random.Random(0).randrange(256) for _ in range(3000))), (0, 0), "unreadable",
         notes=("not a text file",), written="0"),
    Case("not_a_notebook", "broken file", "valid JSON, not a notebook", raw(b'{"hello": "world"}'), (0, 0),
         "unreadable", notes=("not a Jupyter notebook",), written="0"),
    Case("empty_file", "broken file", "a file of 0 bytes", raw(b""), (0, 0), "unreadable",
         notes=("empty",), written="0"),
    Case("missing", "broken file", "a folder with a README but no notebook", None, (0, 0), "missing",
         notes=("no notebook",), written="0"),
    Case("nbformat_4_0", "broken file", "a correct notebook saved as nbformat 4.0 (no cell ids)",
         edit(version=(4, 0)), (2, 3), notes=("converted from nbformat 4.0",)),
    Case("nbformat_3", "broken file", "a correct notebook saved as nbformat 3", edit(version=(3, 0)), (2, 3),
         notes=("converted from nbformat 3",)),
    # ------------------------------------------------------------------ time, kernel, output
    Case("infinite_loop", "runaway", "softmax_cross_entropy never returns",
         edit(softmax="def softmax_cross_entropy(logits, labels):\n    while True:\n        pass"), (2, 0),
         notes=("test_softmax_cross_entropy timed out and was interrupted",)),
    Case("ignores_interrupt", "runaway", "a cell loops forever and swallows KeyboardInterrupt",
         edit(cell_after("test_linear_backward", "import time\nwhile True:\n    try:\n        time.sleep(1)\n"
                                                 "    except KeyboardInterrupt:\n        pass")), (2, 0),
         notes=("ignored the interrupt",)),
    Case("slow", "runaway", "linear_backward sleeps 60 s per call",
         edit(linear="import time\n" + "def linear_backward(dout, cache):\n    time.sleep(60)\n"
                     "    x, w = cache\n    return dout @ w, dout.T @ x, dout.sum(axis=0)"), (0, 3),
         notes=("test_linear_backward timed out",)),
    Case("os_exit", "kernel death", "os._exit(3) after the first test",
         edit(cell_after("test_linear_backward", "import os\nos._exit(3)")), (2, 0),
         flags=("process: os._exit",), notes=("kernel died", "status 3")),
    Case("segfault", "kernel death", "softmax_cross_entropy dereferences a null pointer",
         edit(softmax="import ctypes\ndef softmax_cross_entropy(logits, labels):\n    ctypes.string_at(0)"),
         (2, 0), flags=("process: import ctypes",), notes=("segmentation fault",)),
    Case("out_of_memory", "runaway", "linear_backward allocates 800 MB arrays until the 1.5 GB limit",
         edit(linear="def linear_backward(dout, cache):\n    hoard = [np.empty(10**8) for _ in range(100)]\n"
                     "    x, w = cache\n    return dout @ w, dout.T @ x, dout.sum(axis=0)"), (0, 3)),
    Case("sys_exit", "kernel death", "sys.exit(0) in a cell", edit(cell_after("test_linear_backward",
                                                                            "import sys\nsys.exit(0)")),
         (2, 3), flags=("process: sys.exit",)),
    Case("exit_call", "kernel death", "exit() in a cell", edit(cell_after("test_linear_backward", "exit()")),
         (2, 3), flags=("process: exit()",)),
    Case("keyboard_interrupt", "kernel death", "raise KeyboardInterrupt in a cell",
         edit(cell_after("test_linear_backward", "raise KeyboardInterrupt")), (2, 3)),
    Case("huge_output", "runaway", "3 MB printed by a cell, 300 lines by every call of linear_backward",
         edit(cell_after("linear_backward", "for i in range(40000):\n    print('spam' * 20)"),
              linear="def linear_backward(dout, cache):\n    for i in range(300):\n        print('debug', i)\n"
                     "    x, w = cache\n    return dout @ w, dout.T @ x, dout.sum(axis=0)"), (2, 3),
         notes=("truncated",)),
    Case("big_file", "runaway", "writes a 10 MB file (the limit here is 8 MB)",
         edit(cell_after("test_linear_backward", "with open('big.bin', 'wb') as f:\n"
                                                 "    f.write(bytes(10 * 2**20))")), (2, 3)),
    # ------------------------------------------------------------------ test cells and metadata
    Case("test_deleted", "tampered cells", "both test cells deleted, solutions right",
         edit(remove(*TESTS)), (2, 3), notes=("test_linear_backward was missing",)),
    Case("test_deleted_wrong", "tampered cells", "linear_backward wrong and its test cell deleted",
         edit(remove("test_linear_backward"), linear=WRONG_LINEAR), (0, 3), notes=("was missing",)),
    Case("test_duplicated", "tampered cells", "the softmax test cell three times",
         edit(duplicate("test_softmax_cross_entropy", 3)), (2, 3), notes=("appeared 3 times",)),
    Case("test_reordered", "tampered cells", "first test moved to the end, second above its exercise",
         edit(move("test_linear_backward", -1), move("test_softmax_cross_entropy", 2)), (2, 3)),
    Case("test_split", "tampered cells", "the softmax test cell split in two", edit(split("test_softmax_cross_entropy")),
         (2, 3), notes=("appeared 2 times",)),
    Case("test_edited_wrong", "tampered cells", "linear_backward wrong, its test replaced by `pass`",
         edit(lambda s, c: s.set("test_linear_backward", "pass"), linear=WRONG_LINEAR), (0, 3),
         notes=("test_linear_backward was edited",)),
    Case("metadata_stripped", "tampered cells", "all metadata removed from every cell, solutions right",
         edit(metadata(None, lambda meta: meta.clear())), (2, 3)),
    Case("metadata_stripped_wrong", "tampered cells", "linear_backward wrong, its test cell's metadata removed",
         edit(metadata("test_linear_backward", lambda meta: meta.clear()), linear=WRONG_LINEAR), (0, 3)),
    Case("metadata_edited_wrong", "tampered cells",
         "linear_backward wrong, its test cell made an ungraded answer with 100 points and skip-execution tags",
         edit(metadata("test_linear_backward", _tamper_test_metadata), linear=WRONG_LINEAR), (0, 3)),
    Case("metadata_garbage", "tampered cells", "every nbgrader metadata replaced by junk, solutions right",
         edit(metadata(None, _garbage)), (2, 3)),
    Case("solution_deleted", "tampered cells", "the linear_backward cell deleted", edit(remove("linear_backward")),
         (0, 3), notes=("linear_backward was missing",)),
    Case("solution_duplicated", "tampered cells", "the linear_backward cell twice: a stub, then the solution",
         edit(duplicate("linear_backward", 2, last=None), lambda s, c: s.set("linear_backward", "pass")), (2, 3),
         notes=("appeared more than once",)),
    # ------------------------------------------------------------------ warnings
    Case("warnings", "correct but noisy", "right answers that warn, print to stderr and log while tested",
         edit(linear="import logging, sys, warnings\ndef linear_backward(dout, cache):\n"
                     "    warnings.warn('check the shapes')\n    print('debug', file=sys.stderr)\n"
                     "    logging.warning('called')\n    x, w = cache\n"
                     "    return dout @ w, dout.T @ x, dout.sum(axis=0)"), (2, 3)),
    # ------------------------------------------------------------------ gaming the tests
    Case("cheat_redefine_check", "cheating", "wrong code; check_linear_backward redefined to print success",
         cheat("def check_linear_backward(f, **kw):\n    print('linear_backward: 21 checks passed')"), (0, 3),
         flags=("redefined", "redefines check_linear_backward")),
    Case("cheat_patch_checker", "cheating", "wrong code; Checker.close replaced by a no-op",
         cheat("from dlcourse.checks import core\ncore.Checker.close = lambda self, *a, **k: self.ok()"), (0, 0),
         flags=("Checker.close was replaced",)),
    Case("cheat_patch_code", "cheating", "wrong code; the code object of Checker.close swapped",
         cheat("from dlcourse.checks import core\n"
               "core.Checker.close.__code__ = (lambda self, *a, **k: self.ok()).__code__"), (0, 0),
         flags=("Checker.close was modified",)),
    Case("cheat_patch_numpy", "cheating", "wrong code; np.all always True", cheat("np.all = lambda *a, **k: True"),
         (0, 0), flags=("numpy.all was replaced",)),
    Case("cheat_patch_testing", "cheating", "wrong code; numpy.testing.assert_allclose a no-op",
         cheat("np.testing.assert_allclose = lambda *a, **k: None"), (0, 0),
         flags=("numpy.testing.assert_allclose was replaced",)),
    Case("cheat_patch_builtins", "cheating", "wrong code; builtins.abs replaced",
         cheat("import builtins\nbuiltins.abs = lambda value: 0 * value"), (0, 0),
         flags=("builtins.abs was replaced",)),
    Case("cheat_reference", "cheating", "linear_backward = layers.linear_backward (the reference)",
         edit(linear="linear_backward = layers.linear_backward"), (0, 3),
         flags=("reference call: linear_backward -> dlcourse.layers.linear_backward (raised)",
                "static reference: layers.linear_backward")),
    Case("cheat_reference_wrapped", "cheating", "a function that calls the reference under another name",
         edit(linear="from dlcourse.layers import linear_backward as _lb\n"
                     "def linear_backward(dout, cache):\n    return _lb(dout, cache)"), (0, 3),
         flags=("reference call", "from dlcourse.layers import linear_backward")),
    Case("cheat_custom_exc", "cheating", "wrong code; IPython told to swallow every exception",
         cheat("get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)"), (0, 0),
         flags=("custom exceptions were changed",)),
    Case("cheat_fake_success", "cheating", "wrong code; exceptions swallowed and the visible success line faked",
         cheat("def fake(*a, **k):\n    print('linear_backward: 21 checks passed')\n"
               "get_ipython().set_custom_exc((Exception,), fake)"), (0, 0), flags=("custom exceptions",)),
    Case("cheat_transformer", "cheating", "wrong code; an input transformer empties every test cell",
         cheat("get_ipython().input_transformers_post.append(\n"
               "    lambda lines: [] if any('check_' in line for line in lines) else lines)"), (0, 0),
         flags=("no evidence", "input transformers")),
    Case("cheat_stdout", "cheating", "wrong code; sys.stdout swapped for a buffer",
         cheat("import io, sys\nsys.stdout = io.StringIO()"), (0, 0), flags=("sys.stdout was replaced",)),
    # ------------------------------------------------------------------ the sandbox
    Case("script_injection", "sandbox", "a script tag in a markdown cell and in an HTML output (for the feedback page)",
         edit(lambda s, c: s.nb.cells.insert(1, nbformat.v4.new_markdown_cell("<script>window.pwned = 1</script>")),
              cell_after("test_softmax_cross_entropy", "from IPython.display import HTML, display\n"
                                                       "display(HTML('<script>window.pwned = 2</script>'))")), (2, 3)),
    Case("sandbox_snoop", "sandbox", "tries to read and write the gradebook, classmates, hidden tests, network",
         edit(cell_after("test_softmax_cross_entropy", SNOOP)), (2, 3)),
]


def grade_cases(root, log=lambda message: None):
    """Grade :data:`CASES` as one class, a zip of a folder per case, with two jobs, in ``root``/course.

    ``log`` reports on preparing the course (grading itself is quiet). Returns (course, CSV row by
    student, :class:`~dlcourse.grading.runner.Result` by student, seconds grading took).
    """
    course = Course(root / "course", CHAPTER, solutions=SOLUTIONS, settings=Settings(**SETTINGS))
    prepare(course, log=log)
    release = nbformat.read(course.release, as_version=4)
    extracted = course.state / "inbox" / "extracted"
    context = {"gradebook": str(course.root / "gradebook.db"), "submissions": str(extracted),
               "classmate": str(extracted / "correct" / f"{CHAPTER}.ipynb"),
               "solutions": str(REPO / "solutions" / "02_backprop" / "02_backprop.ipynb"),
               "course": str(course.root)}
    archive = root / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for case in CASES:
            if case.build is None:
                zipped.writestr(f"{case.name}/README.txt", "my notebook is on my other laptop")
            else:
                zipped.writestr(f"{case.name}/{CHAPTER}.ipynb", case.build(release, context))
    submissions, _ = collect(archive, CHAPTER, course.state / "inbox")
    started = time.perf_counter()
    results = grade_class(course, submissions, jobs=2, log=lambda message: None)
    seconds = time.perf_counter() - started
    with open(write_csv(course)) as file:
        rows = {row["student"]: row for row in csv.DictReader(file)}
    return course, rows, {result.student: result for result in results}, seconds


# the cases `make test` also grades through plain nbgrader (the grading benchmark grades them all): one of
# each kind, with the cell-metadata edits and the snooping into the instructor's files that plain
# nbgrader used to reward
REPRESENTATIVE = ("correct", "partly", "empty", "truncated", "missing", "infinite_loop", "test_deleted_wrong",
                  "metadata_edited_wrong", "metadata_stripped_wrong", "cheat_reference", "cheat_transformer",
                  "sandbox_snoop")

PLAIN_CONFIG = """c = get_config()  # noqa: F821
load_subconfig({repository!r})      # the repository's configuration: the grader's pieces and limits
c.CourseDirectory.root = {root!r}
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
"""


def _nbgrader(course, *args):
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"], cwd=course,
                            env=nbgrader_env(), capture_output=True, text=True)
    return result


def grade_cases_plain(root, names=None):
    """Grade the cases ``names`` (default: all) with ``nbgrader autograde`` in an ordinary nbgrader course
    whose configuration loads the repository's. Returns (course folder, {case: (score, score)}, seconds)."""
    course = root / "plain"
    shutil.copytree(SOLUTIONS / CHAPTER, course / "source" / CHAPTER)
    (course / "nbgrader_config.py").write_text(
        PLAIN_CONFIG.format(repository=str(REPO / "nbgrader_config.py"), root=str(course))
        + "\n".join(config_lines(Settings(**SETTINGS))) + "\n")
    result = _nbgrader(course, "generate_assignment", CHAPTER, "--force")
    assert result.returncode == 0, result.stderr
    release = nbformat.read(course / "release" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    submitted = course / "submitted"
    context = {"gradebook": str(course / "gradebook.db"), "submissions": str(submitted),
               "classmate": str(submitted / "correct" / CHAPTER / f"{CHAPTER}.ipynb"),
               "solutions": str(REPO / "solutions" / "02_backprop" / "02_backprop.ipynb"), "course": str(course)}
    cases = [case for case in CASES if names is None or case.name in names]
    for case in cases:
        folder = submitted / case.name / CHAPTER
        folder.mkdir(parents=True)
        if case.build is None:
            (folder / "README.txt").write_text("my notebook is on my other laptop")
        else:
            (folder / f"{CHAPTER}.ipynb").write_bytes(case.build(release, context))
    started = time.perf_counter()
    _nbgrader(course, "autograde", CHAPTER, "--force")     # nbgrader's exit status is 1 when one student fails
    seconds = time.perf_counter() - started
    scores = {}
    from nbgrader.api import Gradebook, MissingEntry
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for case in cases:
            try:
                notebook = gradebook.find_submission_notebook(CHAPTER, CHAPTER, case.name)
                grades = {grade.name: grade.score for grade in notebook.grades}
                scores[case.name] = tuple(float(grades[test]) for test in TESTS)
            except MissingEntry:
                scores[case.name] = None                    # nbgrader graded nothing for this student
    return course, scores, seconds


def snoop_report(autograded):
    """What the 'sandbox_snoop' case could do, from its autograded notebook."""
    notebook = nbformat.read(autograded, as_version=4)
    text = "".join(o.get("text", "") for cell in notebook.cells for o in cell.get("outputs", []))
    return json.loads(text.split("SNOOP ", 1)[1].splitlines()[0])
