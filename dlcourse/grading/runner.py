"""Grading a class: each student in a private course directory, N at a time, merged one by one.

Book: "Instructor guide", section "Grading a class with nbgrader".

nbgrader grades one student at a time and its SQLite gradebook dislikes concurrent writers. So every
submission is graded in a course directory of its own (``<course>/.work/<id>/<student>``: the course
configuration, a copy of the gradebook *without* students, the repaired notebook) by a separate
process (:mod:`dlcourse.grading.worker`), ``jobs`` of them at once, and the main process alone copies
each student's scores, autograded notebook and feedback into the course, as each finishes. A worker
that exceeds the wall-clock limit is killed and the submission is graded without running it (every
test 0, with the reason), so one hostile notebook cannot stall or sink the batch.
"""
import contextlib
import hashlib
import json
import shutil
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from .course import REFERENCE_STUDENT, GradingSetupError
from .feedback import leaked_lines
from .findings import inspect_graded, static_flags
from .notebooks import canonical, placeholder, read_submission
from .pool import WorkerPool
from .scoring import evidence_of
from .worker import nbgrader_env

__all__ = ["Result", "prepare", "grade_class", "grade_notebook", "reference_run", "merge"]


@dataclass
class Result:
    """What grading one submission produced (``notes``: what happened; ``flags``: for a human to check)."""
    student: str
    status: str = "graded"       # graded | unreadable | missing | not run | grader error
    original: str = ""
    sha256: str = ""
    notes: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    seconds: float = 0.0
    workdir: str = ""


# ---------------------------------------------------------------------- one submission
def _workdir(course, student, nb, log=b""):
    """A fresh private course directory for ``student`` with ``nb`` submitted (and ``log`` as worker.log)."""
    workdir = course.work / student
    if workdir.exists():
        shutil.rmtree(workdir)
    submitted = workdir / "submitted" / student / course.chapter
    submitted.mkdir(parents=True)
    (workdir / "grading" / course.chapter).mkdir(parents=True)
    shutil.copy(course.root / "nbgrader_config.py", workdir)
    shutil.copy(course.template, workdir / "gradebook.db")
    if course.evidence_file.exists():
        shutil.copy(course.evidence_file, workdir / "grading" / course.chapter)
    shutil.copytree(course.source.parent, workdir / "solutions" / course.chapter)
    shutil.copytree(course.release.parent, workdir / "chapters" / course.chapter)
    nbformat.write(nb, submitted / f"{course.chapter}.ipynb")
    if log:
        (workdir / "worker.log").write_bytes(log)
    return workdir


def _attempt(course, student, nb, not_run, pool, log=b""):
    """Grade ``nb`` in a fresh private course directory: (workdir, the worker's answer, seconds, killed).

    The answer is None when the worker was killed or wrote none; ``answer["autograde"]`` says whether
    nbgrader's autograde succeeded.
    """
    workdir = _workdir(course, student, nb, log)
    return (workdir, *pool.run(course, workdir, student, not_run))


def grade_notebook(course, student, nb, not_run=None, pool=None):
    """Grade one canonical notebook in a private course directory; returns a :class:`Result`."""
    own_pool = pool is None
    pool = pool or WorkerPool(1)
    try:
        return _grade_notebook(course, student, nb, not_run, pool)
    finally:
        if own_pool:
            pool.close()


def _grade_notebook(course, student, nb, not_run, pool):
    result = Result(student)
    workdir, answer, result.seconds, killed = _attempt(course, student, nb, not_run, pool)
    result.workdir = str(workdir)
    if not (answer or {}).get("autograde"):
        if killed:
            reason = f"grading did not finish within {course.settings.submission_timeout} s"
            result.status = "not run"
        else:
            reason = "the grader failed on this notebook"
            result.status = "grader error"
            result.flags.append(f"grader error: {(answer or {}).get('error') or 'see worker.log'}"[:300])
        result.notes.append(reason)
        log = (workdir / "worker.log").read_bytes() if (workdir / "worker.log").exists() else b""
        workdir, answer, seconds, _ = _attempt(course, student, nb, reason, pool, log)
        result.seconds += seconds
        if not (answer or {}).get("autograde"):
            raise GradingSetupError(f"{student}: even grading without running failed; see {workdir}/worker.log")
    notes, flags = inspect_graded(course, workdir, student)
    result.notes += notes
    result.flags += flags
    return result


# ---------------------------------------------------------------------- the course gradebook
def _write_report(course, student, report):
    (course.reports / f"{student}.json").write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")


def _merge_scores(course, workdir, student, flagged):
    chapter = course.chapter
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gradebook, \
            Gradebook(f"sqlite:///{workdir / 'gradebook.db'}") as graded:
        gradebook.update_or_create_student(student)
        submitted = graded.find_submission(chapter, student)
        gradebook.update_or_create_submission(chapter, student, timestamp=submitted.timestamp)
        for notebook in submitted.notebooks:
            target = gradebook.find_submission_notebook(notebook.name, chapter, student)
            target.flagged = flagged
            for grade in notebook.grades:
                mine = gradebook.find_grade(grade.name, notebook.name, chapter, student)
                mine.auto_score = grade.auto_score
                mine.needs_manual_grade = mine.manual_score is not None or mine.auto_score is None
            for comment in notebook.comments:
                gradebook.find_comment(comment.name, notebook.name, chapter, student).auto_comment = \
                    comment.auto_comment
        gradebook.db.commit()


def merge(course, result):
    """Copy one student's scores, autograded notebook and feedback from its workdir into the course.

    Manual scores already in the course gradebook (written answers) are kept.
    """
    workdir, student, chapter = Path(result.workdir), result.student, course.chapter
    with warnings.catch_warnings():       # nbgrader's use of SQLAlchemy warns about autoflush
        warnings.simplefilter("ignore")
        _merge_scores(course, workdir, student, bool(result.flags))
    for folder in ("submitted", "autograded"):
        source = workdir / folder / student / chapter
        target = course.root / folder / student / chapter
        if target.exists():
            shutil.rmtree(target)
        if source.exists():
            shutil.copytree(source, target)
    course.reports.mkdir(parents=True, exist_ok=True)
    report = {key: value for key, value in asdict(result).items() if key not in ("seconds", "workdir")}
    report.update(chapter=chapter, stamp=course.stamp())
    _write_report(course, student, report)
    timings_file = course.state / "timings.json"
    timings = json.loads(timings_file.read_text()) if timings_file.exists() else {}
    timings[student] = round(result.seconds, 2)
    timings_file.write_text(json.dumps(timings, indent=1, sort_keys=True))
    shutil.rmtree(workdir, ignore_errors=True)


def _feedback_batch(course, batch):
    result = subprocess.run([sys.executable, "-m", "dlcourse.grading.worker", "feedback", str(course.root),
                             course.chapter, *batch], cwd=course.root, env=nbgrader_env(),
                            capture_output=True, text=True)
    return {answer["student"]: answer for answer in
            (json.loads(line) for line in result.stdout.splitlines() if line.startswith("{"))}


def write_feedback(course, students, jobs=1, log=print):
    """Feedback pages for ``students`` from the course gradebook, ``jobs`` processes at once.

    A page that shows a hidden test line is deleted (this never happens unless the feedback
    preprocessor is misconfigured). Returns {student: problem} for missing or withheld pages.
    """
    problems, hidden = {}, course.hidden_lines()
    batches = [students[i::jobs] for i in range(jobs) if students[i::jobs]]
    answers = {}
    with ThreadPoolExecutor(max_workers=max(1, len(batches))) as pool:
        for part in pool.map(lambda batch: _feedback_batch(course, batch), batches):
            answers.update(part)
    for student in students:
        page = course.root / "feedback" / student / course.chapter / f"{course.chapter}.html"
        if not answers.get(student, {}).get("success") or not page.exists():
            problems[student] = "grader error: no feedback page was generated"
        elif leaked_lines(page.read_text(errors="replace"), hidden):
            page.unlink()
            problems[student] = "grader error: feedback withheld, it showed hidden test lines"
    for student, problem in problems.items():
        log(f"  {student}: {problem}")
        report_file = course.reports / f"{student}.json"
        if report_file.exists():
            report = json.loads(report_file.read_text())
            report["flags"] = [*report["flags"], problem]
            _write_report(course, student, report)
    return problems


# ---------------------------------------------------------------------- whole runs
def reference_run(course, log=print):
    """Grade the instructor's solution like a submission; it must get full marks.

    Returns (evidence, baseline): the success lines of each test cell, and the flags the solution
    itself raises that are not failures -- calls of other exercises' reference functions and static
    findings in its own code (a chapter may expect students to use them) -- which are not reported
    for students either.
    """
    source = nbformat.read(course.source, as_version=4)
    release = nbformat.read(course.release, as_version=4)
    nb, _ = canonical(source, source, release)
    result = grade_notebook(course, REFERENCE_STUDENT, nb)
    baseline = sorted(set(static_flags(course, nb, release))
                      | {flag for flag in result.flags if flag.startswith("reference call") and "(recorded)" in flag})
    result.flags = [flag for flag in result.flags if flag not in baseline]
    path = Path(result.workdir) / "autograded" / REFERENCE_STUDENT / course.chapter / f"{course.chapter}.ipynb"
    evidence, failures = evidence_of(nbformat.read(path, as_version=4))
    if failures or result.flags:
        raise GradingSetupError(f"the instructor's solution of {course.chapter} does not pass its own tests "
                                f"under the grader: {'; '.join(failures + result.flags)}")
    log(f"reference run: {course.chapter} solution passes all {len(evidence)} test cells "
        f"in {result.seconds:.1f} s" + (f"; allowed flags: {baseline}" if baseline else ""))
    shutil.rmtree(result.workdir, ignore_errors=True)
    return evidence, baseline


def prepare(course, log=print):
    """Make ``course`` ready to grade: set it up and, when that changed it, grade the instructor's solution.

    True when the course was (re)made.
    """
    if not course.set_up(log=log):
        return False
    course.record_reference(*reference_run(course, log=log))
    return True


def _previous(course, student, sha, stamp):
    path = course.reports / f"{student}.json"
    if not path.exists():
        return None
    report = json.loads(path.read_text())
    if report.get("sha256") != sha or report.get("stamp") != stamp:
        return None
    return Result(**{key: report[key] for key in ("student", "status", "original", "sha256", "notes", "flags")})


def grade_class(course, submissions, jobs=1, force=False, log=print):
    """Grade ``submissions`` (from :func:`~dlcourse.grading.collect.collect`); returns the results."""
    prepare(course, log=log)
    source = nbformat.read(course.source, as_version=4)
    release = nbformat.read(course.release, as_version=4)
    stamp = course.stamp()
    baseline = course.baseline()
    results, todo = [], []
    for submission in submissions:
        data = submission.path.read_bytes() if submission.path else b""
        sha = hashlib.sha256(data).hexdigest() if submission.path else ""
        previous = None if force else _previous(course, submission.student, sha, stamp)
        if previous is not None:
            results.append(previous)
            continue
        if submission.path:
            archive = course.state / "originals" / submission.student
            archive.mkdir(parents=True, exist_ok=True)
            (archive / Path(submission.original).name).write_bytes(data)
            nb, problem, notes = read_submission(submission.path)
        else:
            nb, problem, notes = None, "no notebook was submitted", []
        item = Result(submission.student, original=submission.original, sha256=sha,
                      notes=list(submission.notes) + notes)
        if nb is None:
            item.status = "missing" if not submission.path else "unreadable"
            item.notes.append(problem)
            nb, _ = canonical(placeholder(release, problem), source, release)
            todo.append((item, nb, problem))
            continue
        nb, repairs = canonical(nb, source, release)
        item.notes += repairs
        item.flags += static_flags(course, nb, release)
        todo.append((item, nb, None))
    log(f"grading {len(todo)} submission(s) of {course.chapter} with {jobs} job(s)"
        + (f"; {len(results)} unchanged since the last run" if results else ""))
    workers = WorkerPool(jobs)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool, contextlib.closing(workers):
        futures = {pool.submit(grade_notebook, course, item.student, nb, not_run, workers): item
                   for item, nb, not_run in todo}
        for future in as_completed(futures):
            item = futures[future]
            graded = future.result()
            item.notes += graded.notes
            item.flags = [flag for flag in item.flags + graded.flags if flag not in baseline]
            item.seconds, item.workdir = graded.seconds, graded.workdir
            if item.status == "graded":
                item.status = graded.status
            merge(course, item)
            results.append(item)
            log(f"  {item.student}: {item.status} in {item.seconds:.1f} s"
                + (f"; flags: {'; '.join(item.flags)}" if item.flags else ""))
    graded_now = sorted(item.student for item, _, _ in todo)
    if graded_now:
        started = time.monotonic()
        write_feedback(course, graded_now, jobs=jobs, log=log)
        log(f"feedback for {len(graded_now)} student(s) in {time.monotonic() - started:.1f} s")
    return sorted(results, key=lambda r: r.student)
