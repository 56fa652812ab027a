"""A class of hostile and broken submissions (tests/grading/hostile.py) through the real grading paths.

The whole class is one zip, graded with two jobs in the sandbox by `python -m dlcourse grade`'s path:
every case must get the grade it must get, the rest of the class must be graded normally, and
nothing may be lost or leaked. The representative cases are also graded by plain `nbgrader
autograde` with the repository's configuration (all of them in `make grading-benchmark`), and must
get the same grades.
"""
import os

import pytest

from dlcourse.grading.feedback import leaked_lines
from dlcourse.grading.sandbox import SANDBOX_UID, sandbox_mode
from dlcourse.grading.settings import Settings
from grading.hostile import (CASES, CHAPTER, REPRESENTATIVE, SETTINGS, TESTS, grade_cases, grade_cases_plain,
                             snoop_report, snoop_targets)

CASE = {case.name: case for case in CASES}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course, rows, results, _ = grade_cases(tmp_path_factory.mktemp("hostile"))
    return course, rows, results


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_submission_gets_the_grade_it_must_get(graded, case):
    course, rows, _ = graded
    row = rows[case.name]
    observed = tuple(float(row[test]) for test in TESTS)
    assert observed == case.scores, f"{case.name}: {row}"
    assert row["status"] == case.status
    assert row["written_shift"] == case.written
    assert row["autograded"] == f"{sum(case.scores):g}" and row["autograded_max"] == "5"
    for word in case.notes:
        assert word in row["notes"], f"{case.name}: {word!r} not in notes: {row['notes']}"
    if case.flags:
        for word in case.flags:
            assert word in row["flags"], f"{case.name}: {word!r} not in flags: {row['flags']}"
    else:
        assert row["flags"] == "", f"{case.name}: unexpected flags {row['flags']}"


def test_nothing_is_lost(graded):
    course, rows, results = graded
    assert sorted(rows) == sorted(case.name for case in CASES)
    for case in CASES:
        feedback = course.root / "feedback" / case.name / CHAPTER / f"{CHAPTER}.html"
        assert feedback.exists(), f"no feedback for {case.name}"
        if case.build is not None:
            assert (course.state / "originals" / case.name / f"{CHAPTER}.ipynb").exists()
    assert not list((course.root / ".work" / CHAPTER).glob("[!_]*")), "per-student folders left behind"


def test_feedback_never_shows_hidden_tests(graded):
    course, _, _ = graded
    hidden = course.hidden_lines()
    assert any("seed=11" in line for line in hidden) and any("verify" in line for line in hidden)
    for case in CASES:
        page = (course.root / "feedback" / case.name / CHAPTER / f"{CHAPTER}.html").read_text()
        assert leaked_lines(page, hidden) == [], case.name
        assert "seed=11" not in page


def test_feedback_says_why_a_test_failed(graded):
    course, _, _ = graded
    pages = {name: (course.root / "feedback" / name / CHAPTER / f"{CHAPTER}.html").read_text()
             for name in ("partly", "segfault", "cheat_patch_numpy", "infinite_loop", "cheat_reference")}
    assert "without the 1/N" in pages["partly"]
    assert "segmentation fault" in pages["segfault"] and "CellNotRun" in pages["segfault"]
    assert "numpy.all was replaced" in pages["cheat_patch_numpy"]
    assert "CellTimeoutError" in pages["infinite_loop"]
    assert "the reference implementation of the function you are asked to write" in pages["cheat_reference"]


def test_feedback_pages_run_no_student_script(graded):
    course, _, _ = graded
    page = (course.root / "feedback" / "script_injection" / CHAPTER / f"{CHAPTER}.html").read_text()
    assert "<script>window.pwned" not in page


def test_the_sandbox_holds(graded):
    course, _, _ = graded
    report = snoop_report(course.root / "autograded" / "sandbox_snoop" / CHAPTER / f"{CHAPTER}.ipynb")
    mib = 2 ** 20
    assert report["limits"] == {"CPU": SETTINGS["cpu_seconds"], "AS": SETTINGS["memory_mb"] * mib,
                                "FSIZE": SETTINGS["file_size_mb"] * mib, "NPROC": Settings().processes, "CORE": 0}
    mode = sandbox_mode(SETTINGS.get("sandbox", "auto"))
    if mode != "bwrap":
        pytest.skip(f"bubblewrap is not usable here (sandbox mode {mode}): only resource limits apply")
    assert snoop_targets(report) == {}, report
    if os.geteuid() == 0:
        assert report["uid"] == SANDBOX_UID
    assert not (course.root / "planted.txt").exists()


# ---------------------------------------------------------------------- plain nbgrader, the repository's configuration
@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    return grade_cases_plain(tmp_path_factory.mktemp("plain"), REPRESENTATIVE)


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_plain_nbgrader_grades_like_the_grader(graded, plain, name):
    """The same scores as `python -m dlcourse grade` gave (a folder without a notebook: nbgrader records no
    submission at all, which its export counts as 0, as the grader's 'missing' row does)."""
    _, rows, _ = graded
    graded_scores = tuple(float(rows[name][test]) for test in TESTS)
    scores = plain[1][name]
    assert graded_scores == CASE[name].scores
    assert scores == graded_scores or (scores is None and CASE[name].status == "missing" and not any(graded_scores))


def test_plain_nbgrader_runs_the_kernel_in_the_sandbox(plain):
    course, _, _ = plain
    report = snoop_report(course / "autograded" / "sandbox_snoop" / CHAPTER / f"{CHAPTER}.ipynb")
    assert report["limits"]["CPU"] == SETTINGS["cpu_seconds"]
    if sandbox_mode(SETTINGS.get("sandbox", "auto")) != "bwrap":
        pytest.skip("bubblewrap is not usable here: only resource limits apply")
    assert snoop_targets(report) == {}, report
