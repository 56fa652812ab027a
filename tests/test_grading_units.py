"""The grader's parts, without running kernels: collecting, reading, repairing, scanning, scoring,
hiding hidden tests, and the sandbox's command line."""
import copy
import json
import os
import zipfile

import nbformat
import pytest
from nbformat.notebooknode import from_dict

from course_notebooks import CHAPTERS, read, source_path, student_path
from dlcourse.conventions import grade_id, is_test_cell
from dlcourse.grading import sandbox
from dlcourse.grading.collect import collect, safe_student_id
from dlcourse.grading.course import config_block, grading_edition
from dlcourse.grading.execute import METADATA_KEY
from dlcourse.grading.feedback import REDACTED, HideHiddenTests, hidden_lines, leaked_lines
from dlcourse.grading.notebooks import REPORT_SOURCE, canonical, grade_ids, read_submission
from dlcourse.grading.scan import scan
from dlcourse.grading.scoring import score_cell
from dlcourse.grading.settings import Settings

CHAPTER = "02_backprop"
EXERCISES = ["linear_backward", "mlp_backward", "numerical_gradient", "relu_derivative", "sigmoid_derivative",
             "softmax_cross_entropy", "tanh_derivative"]


@pytest.fixture(scope="module")
def notebooks():
    source = grading_edition(read(source_path(CHAPTER)))
    return source, read(student_path(CHAPTER))


# ---------------------------------------------------------------------- collecting
def write(path, data=b"{}"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_collect_recognises_platform_layouts(tmp_path):
    export = tmp_path / "export"
    write(export / "alice_101_202_02_backprop.ipynb")                                   # Canvas
    write(export / "bob_02_backprop (1).ipynb")
    write(export / "carol_01_sgd.ipynb")                                                # another chapter only
    write(export / ".hidden_02_backprop.ipynb")
    submissions, _ = collect(export, CHAPTER, tmp_path / "work", roster=["zoe"])
    assert [(s.student, s.original) for s in submissions] == [
        ("alice", "alice_101_202_02_backprop.ipynb"), ("bob", "bob_02_backprop (1).ipynb"), ("carol", ""),
        ("zoe", "")]

    folders = tmp_path / "folders"
    write(folders / "Jane Doe_4711_assignsubmission_file_" / "Untitled.ipynb")             # Moodle
    write(folders / "dave" / CHAPTER / f"{CHAPTER}.ipynb")                                  # nbgrader layout
    write(folders / "dave" / "old_attempt.ipynb")
    write(folders / "erin" / "notes.txt")
    write(folders / "erin" / ".ipynb_checkpoints" / f"{CHAPTER}-checkpoint.ipynb")
    submissions, _ = collect(folders, CHAPTER, tmp_path / "work2")
    found = {s.student: s for s in submissions}
    assert sorted(found) == ["Jane-Doe", "dave", "erin"]
    assert found["Jane-Doe"].original.endswith("Untitled.ipynb")
    assert found["dave"].original == f"dave/{CHAPTER}/{CHAPTER}.ipynb" and "old_attempt" in found["dave"].notes[0]
    assert found["erin"].path is None


def test_collect_extracts_zips_safely(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("alice/02_backprop.ipynb", "{}")
        zipped.writestr("../evil/02_backprop.ipynb", "{}")
        zipped.writestr("/abs/02_backprop.ipynb", "{}")
    submissions, notes = collect(archive, CHAPTER, tmp_path / "work")
    assert [s.student for s in submissions] == ["alice"]
    assert sum("unsafe path" in note for note in notes) == 2
    assert not (tmp_path / "evil").exists()


def test_safe_student_ids():
    assert safe_student_id("Jane Doe") == "Jane-Doe"
    assert safe_student_id("../../etc") == "etc"
    assert safe_student_id("émile.z") == "mile.z"


def test_collect_with_a_pattern(tmp_path):
    write(tmp_path / "export" / "submission-s123456-final.ipynb")
    submissions, _ = collect(tmp_path / "export", CHAPTER, tmp_path / "w", pattern=r"submission-(?P<student>s\d+)")
    assert [s.student for s in submissions] == ["s123456"]


# ---------------------------------------------------------------------- reading and repairing
@pytest.mark.parametrize("data, reason", [
    (b"", "empty"), (b"\x89PNG\r\n\x1a\n\x00\x00\xff", "not a text file"), (b'{"cells": [', "not valid notebook JSON"),
    (b'["a", "list"]', "not a Jupyter notebook"), (b'{"nbformat": 4, "cells": "abc"}', "not a Jupyter notebook"),
])
def test_unreadable_files_are_explained(tmp_path, data, reason):
    path = tmp_path / "x.ipynb"
    path.write_bytes(data)
    nb, problem, _ = read_submission(path)
    assert nb is None and reason in problem


def test_old_nbformat_is_converted(tmp_path, notebooks):
    _, release = notebooks
    path = tmp_path / "v3.ipynb"
    path.write_text(nbformat.writes(nbformat.convert(copy.deepcopy(release), 3), version=3))
    nb, problem, notes = read_submission(path)
    assert problem is None and notes == ["converted from nbformat 3.0"] and nb.nbformat == 4


def test_canonical_of_the_student_version_changes_nothing_but_adds_the_report(notebooks):
    source, release = notebooks
    nb, repairs = canonical(release, source, release)
    assert repairs == []
    assert [c.source for c in nb.cells[:-1]] == [c.source for c in release.cells]
    assert nb.cells[-1].source == REPORT_SOURCE
    again, repairs = canonical(nb, source, release)
    assert [c.source for c in again.cells] == [c.source for c in nb.cells] and repairs == []


def test_canonical_restores_tests_and_metadata(notebooks):
    source, release = notebooks
    nb = copy.deepcopy(release)
    tests = [c for c in nb.cells if is_test_cell(c)]
    nb.cells.remove(tests[0])                              # deleted
    nb.cells.append(tests[1])                              # a second copy at the end
    tests[2].source = "pass"                               # edited
    for cell in nb.cells:                                  # solutions lose their metadata
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
            cell.metadata = {}
    nb.cells.insert(0, from_dict({"cell_type": "code", "source": 42, "metadata": {}}))    # malformed
    fixed, repairs = canonical(nb, source, release)
    assert [gid for gid in grade_ids(fixed)] == [gid for gid in grade_ids(release)]
    order = [grade_id(c) for c in fixed.cells]
    assert [g for g in order if g] == [grade_id(c) for c in release.cells if grade_id(c)]
    for cell in fixed.cells:
        gid = grade_id(cell)
        if gid and gid.startswith("test_"):
            assert order[order.index(gid) - 1] == gid[len("test_"):]    # right after its exercise
    assert any("dropped 1 malformed" in r for r in repairs) and any("was missing" in r for r in repairs)
    assert any("appeared 2 times" in r for r in repairs) and any("was edited" in r for r in repairs)
    nbformat.validate(fixed)


def test_grading_edition_releases_to_the_same_student_version(notebooks):
    source, release = notebooks
    lines = hidden_lines(source.cells)
    assert any("dlcourse.grading.guard" in line for line in lines)
    for cell in source.cells:
        if "dlcourse.grading.guard" in cell.source:
            clean = read(student_path(CHAPTER)).cells
            visible = next(c.source for c in clean if grade_id(c) == grade_id(cell))
            assert cell.source.split("### END HIDDEN TESTS\n", 1)[1].startswith(visible)


def test_a_course_inside_the_repository_is_refused():
    from dlcourse.grading.course import Course, GradingSetupError
    from dlcourse.release import REPO
    with pytest.raises(GradingSetupError, match="inside the repository"):
        Course(REPO / "solutions" / "my_class", CHAPTER).set_up()
    assert not (REPO / "solutions" / "my_class").exists()


def test_the_grade_command_refuses_such_a_course_before_writing(tmp_path, capsys):
    from dlcourse.cli import main
    from dlcourse.release import REPO
    assert main(["grade", CHAPTER, str(tmp_path), "--course", str(REPO / "solutions" / "my_class")]) == 2
    assert "inside the repository" in capsys.readouterr().err
    assert not (REPO / "solutions" / "my_class").exists()


# ---------------------------------------------------------------------- scanning
def test_scan_finds_gaming_and_not_solutions(notebooks):
    source, _ = notebooks
    solutions = [c.source for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")
                 and c.cell_type == "code"]
    assert scan(solutions, EXERCISES, ["check_linear_backward"]) == []
    findings = {str(f) for f in scan([
        "linear_backward = layers.linear_backward",
        "from dlcourse.network import mlp_backward as mb",
        "np.allclose = lambda *a, **k: True\nimport builtins\nbuiltins.abs = abs",
        "def check_linear_backward(f):\n    pass",
        "get_ipython().set_custom_exc((Exception,), print)",
        "import os\nos._exit(0)",
        "exec('x = 1')\nf = getattr(network, 'mlp_backward')",
        "%time x = 1\n!ls",
        "def broken(:",
    ], EXERCISES, ["check_linear_backward"])}
    assert findings >= {"reference: layers.linear_backward", "reference: from dlcourse.network import mlp_backward",
                        "patching: assigns np.allclose", "patching: assigns builtins.abs",
                        "patching: redefines check_linear_backward", "ipython: get_ipython()",
                        "process: os._exit", "dynamic: exec()", "reference: getattr(..., 'mlp_backward')"}


# ---------------------------------------------------------------------- scoring
def make_test_cell(outputs, passed=None, points=3):
    cell = nbformat.v4.new_code_cell("check_x(x)", metadata={"nbgrader": {
        "grade": True, "solution": False, "grade_id": "test_x", "points": points, "locked": True}})
    cell.outputs = [from_dict(o) for o in outputs]
    if passed is not None:
        cell.metadata[METADATA_KEY] = {"passed": passed}
    return cell


OK = {"output_type": "stream", "name": "stdout", "text": "x: 4 checks passed\nx: 6 checks passed\n"}
STDERR = {"output_type": "stream", "name": "stderr", "text": "RuntimeWarning: overflow\n"}
ERROR = {"output_type": "error", "ename": "CheckError", "evalue": "x is wrong", "traceback": []}


@pytest.mark.parametrize("outputs, passed, expected, score", [
    ([OK], None, ["x: 4 checks passed", "x: 6 checks passed"], 3),
    ([OK, STDERR], None, ["x: 4 checks passed", "x: 6 checks passed"], 3),         # stderr is not a failure
    ([STDERR, OK], ["x: 4 checks passed", "x: 6 checks passed"], ["x: 4 checks passed", "x: 6 checks passed"], 3),
    ([OK, ERROR], None, ["x: 4 checks passed"], 0),
    ([], None, ["x: 4 checks passed", "x: 6 checks passed"], 0),                      # no evidence
    ([OK], None, ["x: 4 checks passed", "x: 7 checks passed"], 0),                    # wrong count: faked
    ([], None, None, 3),                                                             # nbgrader's rule
    ([STDERR], None, None, 3),
])
def test_score_cell(outputs, passed, expected, score):
    assert score_cell(make_test_cell(outputs, passed), expected)[0] == score


# ---------------------------------------------------------------------- feedback
def test_hidden_tests_are_removed_from_feedback(notebooks):
    source, _ = notebooks
    nb = copy.deepcopy(source)
    lines = hidden_lines(nb.cells)
    test = next(c for c in nb.cells if "BEGIN HIDDEN TESTS" in c.source)
    test.outputs = [from_dict({"output_type": "error", "ename": "CheckError", "evalue": "dx is wrong",
                               "traceback": ["\x1b[0;31mCell\x1b[0m", test.source, "CheckError: dx is wrong"]})]
    echo = next(c for c in nb.cells if c.cell_type == "code" and not c.metadata.get("nbgrader"))
    echo.outputs = [from_dict({"output_type": "stream", "name": "stdout", "text": f"In[10]: {lines[0]}\n"})]
    nb, _ = HideHiddenTests().preprocess(nb, {})
    assert "BEGIN HIDDEN TESTS" not in json.dumps(nb)
    assert test.outputs[0].traceback == ["CheckError: dx is wrong"]
    assert echo.outputs[0].text == f"In[10]: {REDACTED}\n"
    assert not any(line in json.dumps(nb) for line in lines)


def test_leak_detection_sees_through_markup():
    line = "check_linear_backward(linear_backward, seed=7, shapes=((3, 8, 5),))"
    page = ('<span class="n">check_linear_backward</span><span class="p">(</span>linear_backward, '
            '<span class="n">seed</span>=<span class="mi">7</span>, shapes=((3, 8, 5),))')
    assert leaked_lines(page, [line]) == [line]
    assert leaked_lines("<p>check_linear_backward(linear_backward)</p>", [line]) == []


# ---------------------------------------------------------------------- the sandbox
def test_sandbox_command(tmp_path):
    course = tmp_path / "course"
    cwd = course / "autograded" / "alice" / CHAPTER
    cwd.mkdir(parents=True)
    (cwd / "data.csv").write_text("1,2")
    (cwd / f"{CHAPTER}.ipynb").write_text("{}")
    env = {"HOME": "/tmp", "PATH": "/usr/bin"}
    limits = Settings(cpu_seconds=10, memory_mb=100, file_size_mb=1)
    command = sandbox.kernel_command(["python", "-m", "k"], "bwrap", limits, str(tmp_path / "private"), str(cwd),
                                     env, drop_to_uid=sandbox.SANDBOX_UID)
    assert command[:2] == ["prlimit", "--cpu=10:15"] and f"--as={100 * 2 ** 20}" in command
    assert "bwrap" in command and "--unshare-net" in command and "--unshare-pid" in command
    bound = [command[i + 1] for i, arg in enumerate(command) if arg in ("--bind", "--ro-bind")]
    assert str(cwd / "data.csv") in bound and str(cwd / f"{CHAPTER}.ipynb") not in bound
    assert not any(path == str(course) or path.startswith(str(course) + "/autograded/alice/" + CHAPTER + "/x")
                   for path in bound)
    assert command[command.index("setpriv") + 1] == f"--reuid={sandbox.SANDBOX_UID}"
    assert command[-6:] == ["env", "-i", "HOME=/tmp", "PATH=/usr/bin", "python", "-m", "k"][-6:]
    assert sandbox.kernel_command(["k"], "rlimits", limits, "p", str(cwd), {})[0] == "prlimit"
    assert sandbox.kernel_command(["k"], "off", limits, "p", str(cwd), {}) == ["env", "-i", "k"]


@pytest.mark.parametrize("code, words", [
    (-11, "segmentation fault"), (139, "segmentation fault"), (152, "CPU time limit of 10 s"), (3, "status 3"),
    (137, "SIGKILL"), (None, "stopped responding")])
def test_describe_exit(code, words):
    assert words in sandbox.describe_exit(code, Settings(cpu_seconds=10))


def test_config_block_installs_the_grading_pipeline():
    block = config_block(Settings(cell_timeout=7), EXERCISES)
    assert "c.SafeExecute.timeout = 7" in block
    namespace = {"c": __import__("traitlets.config", fromlist=["Config"]).Config()}
    exec(block, namespace)
    c = namespace["c"]
    assert "dlcourse.grading.execute.SafeExecute" in c.Autograde.autograde_preprocessors
    assert "dlcourse.grading.pipeline.RepairCells" in c.Autograde.sanitize_preprocessors
    assert "dlcourse.grading.feedback.HideHiddenTests" in c.GenerateFeedback.preprocessors
    assert c.SandboxKernelManager.exercises == EXERCISES and c.SafeExecute.timeout == 7
    assert c.EvidenceAutoGrades.record_missing is False


def test_the_repository_configuration_installs_the_same_pipeline():
    from traitlets.config.loader import PyFileConfigLoader

    from course_notebooks import REPO
    repository = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
    namespace = {"c": __import__("traitlets.config", fromlist=["Config"]).Config()}
    exec(config_block(Settings(), EXERCISES), namespace)
    for section, key in [("Autograde", "sanitize_preprocessors"), ("Autograde", "autograde_preprocessors"),
                         ("Autograde", "exporter_class"), ("GenerateFeedback", "preprocessors"),
                         ("GenerateFeedback", "exporter_class"), ("SandboxKernelManager", "mode"),
                         ("SafeExecute", "timeout")]:
        assert repository[section][key] == namespace["c"][section][key], (section, key)
    assert repository.EvidenceAutoGrades.record_missing is True


def test_bwrap_probe_is_honest():
    mode = sandbox.sandbox_mode("auto")
    assert mode in ("bwrap", "rlimits")
    if os.path.exists("/usr/bin/bwrap") and mode == "rlimits":
        pytest.skip("bwrap is installed but cannot create namespaces here")


def test_the_limits_are_defined_once():
    """The executor's and the kernel manager's traits default to Settings' values, and the configuration
    the grader writes sets every limit on the class that applies it."""
    from dataclasses import fields

    from traitlets.config import Config

    from dlcourse.grading.execute import SafeExecute
    from dlcourse.grading.settings import DEFAULTS, config_lines

    executor, manager = SafeExecute(), sandbox.SandboxKernelManager()
    assert executor.timeout == DEFAULTS.cell_timeout and executor.notebook_timeout == DEFAULTS.notebook_timeout
    assert manager.limits() == Settings() and manager.mode == DEFAULTS.sandbox
    changed = Settings(**{f.name: (7 if f.type is int else "rlimits") for f in fields(Settings)})
    config = Config()
    exec("\n".join(config_lines(changed)), {"c": config})
    executor, manager = SafeExecute(config=config), sandbox.SandboxKernelManager(config=config)
    assert manager.limits() == Settings(cpu_seconds=7, memory_mb=7, file_size_mb=7, processes=7, tmp_mb=7)
    assert manager.mode == "rlimits"
    assert (executor.timeout, executor.notebook_timeout, executor.interrupt_grace, executor.max_stream_chars,
            executor.tail_chars, executor.max_rich_outputs, executor.max_rich_chars) == (7,) * 7


# ---------------------------------------------------------------------- bad input to the commands
def _export_with_one_notebook(tmp_path):
    export = tmp_path / "export"
    write(export / f"alice_{CHAPTER}.ipynb", b"{}")
    return export


@pytest.mark.parametrize("case, words", [
    ("unknown chapter", "the chapters are: " + ", ".join(CHAPTERS)),
    ("mistyped chapter", f"did you mean {CHAPTERS[0]}?"),
    ("missing zip", "does not exist: give the folder or the zip file"),
    ("not a zip", "is not a zip file"),
    ("empty export", "no notebook for"),
    ("missing roster", "the roster"),
    ("bad pattern", "is not a regular expression"),
    ("pattern without student", "has no named group 'student'"),
    ("jobs", "is not a positive number"),
    ("course is a file", "exists and is not a folder"),
    ("negative limit", "--cell-timeout -5 is not positive"),
])
def test_bad_input_to_grade_gets_one_sentence_and_leaves_nothing(tmp_path, capsys, case, words):
    from dlcourse.cli import main
    export, course, chapter, extra = _export_with_one_notebook(tmp_path), tmp_path / "course", CHAPTERS[0], []
    if case == "unknown chapter":
        chapter = "99_no_such_chapter"
    elif case == "mistyped chapter":
        chapter = CHAPTERS[0].replace("_", "-", 1)
    elif case == "missing zip":
        export = tmp_path / "export.zip"
    elif case == "not a zip":
        export = tmp_path / "export.zip"
        export.write_text("not a zip")
    elif case == "empty export":
        export = tmp_path / "empty"
        export.mkdir()
    elif case == "course is a file":
        course.write_text("")
    extra = {"missing roster": ["--roster", str(tmp_path / "roster.txt")], "bad pattern": ["--pattern", "(["],
             "pattern without student": ["--pattern", r"s\d+"], "jobs": ["--jobs", "many"],
             "negative limit": ["--cell-timeout", "-5"]}.get(case, [])
    before = sorted(tmp_path.rglob("*"))
    assert main(["grade", chapter, str(export), "--course", str(course), *extra]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("error: ") and err.count("\n") == 1 and words in err, err
    assert "Traceback" not in out + err
    assert sorted(tmp_path.rglob("*")) == before, "the command left something behind"


def test_bad_input_to_the_other_commands(tmp_path, capsys):
    from dlcourse.cli import main
    assert main(["grade-export", CHAPTERS[0], "--course", str(tmp_path)]) == 2
    assert main(["release", "99_no_such_chapter"]) == 2
    assert main(["grade-report", "99_no_such_chapter"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and all(line.startswith("error: ") for line in err)
    assert "run `python -m dlcourse grade" in err[0] and "the chapters are" in err[1]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("original, name", [
    ("alice_1000_5000_02_backprop.ipynb", "alice_1000_5000_02_backprop-feedback.html"),            # Canvas
    ("alice_LATE_1000_5000_02_backprop (1).ipynb", "alice_LATE_1000_5000_02_backprop (1)-feedback.html"),
    ("Jane Doe_4711_assignsubmission_file_/Untitled.ipynb",                                          # Moodle
     "Jane Doe_4711_assignsubmission_file_/Untitled-feedback.html"),
    ("dave/02_backprop/02_backprop.ipynb", "dave/02_backprop/02_backprop-feedback.html"),          # nbgrader
])
def test_upload_names_keep_what_the_platform_matches_on(original, name):
    from dlcourse.grading.upload import upload_name
    assert upload_name(original) == name


def test_a_new_gradebook_reads_the_schema_version_nbgrader_would_ask_alembic_for(monkeypatch):
    """configure() replaces nbgrader's `alembic heads` subprocess (3 s per new gradebook) by a read in the process."""
    import nbgrader.api
    from traitlets.config import Config

    from dlcourse.grading.pipeline import configure
    from dlcourse.grading.worker import nbgrader_env

    monkeypatch.setattr(nbgrader.api, "get_alembic_version", nbgrader.api.get_alembic_version)
    monkeypatch.setenv("PATH", nbgrader_env()["PATH"])          # nbgrader runs alembic from PATH
    asked_alembic = nbgrader.api.get_alembic_version()
    configure(Config())
    assert nbgrader.api.get_alembic_version() == asked_alembic
