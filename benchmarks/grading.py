"""Benchmark of the grading workflow; writes the generated parts of the instructor guide.

Run: `make grading-benchmark` (not part of `make test`; most of its time goes to grading the eight chapters'
691 library entries through nbgrader, about an hour and a half on 2 cores). Writes to _static/grading/:

- grading_speed.md     per chapter: plain execution of the solved notebook (nbclient, no sandbox), the
                       same in the sandbox, and grading (nbgrader, sandbox, checks, merge) per
                       submission with 1 and with 2 jobs, and the speed-up;
- grading_library.md   the library report, at check level and through nbgrader;
- grading_hostile.md   the hostile and broken submissions: expected and observed grades, through
                       `python -m dlcourse grade` and through plain `nbgrader autograde`;
- sample_grades.csv    the CSV of a small class with every kind of row, and sample_feedback.md an
                       excerpt of a feedback page of the benchmark class (the guide shows both).

Options: --students N (size of the timed class, default 8), --only speed|showcase|hostile|library.
"""
import argparse
import html
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from dlcourse.grading import library, library_report
from dlcourse.grading.collect import collect
from dlcourse.grading.course import Course
from dlcourse.grading.export import write_csv
from dlcourse.grading.runner import grade_class, prepare
from dlcourse.grading.sandbox import SandboxKernelManager, sandbox_mode
from dlcourse.release import REPO, chapter_ids

sys.path.insert(0, str(REPO / "tests"))

from course_notebooks import read, student_path  # noqa: E402

OUT = REPO / "_static" / "grading"


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def execute(nb_bytes, sandboxed, repeats=3):
    """Median seconds to execute a notebook top to bottom with nbclient (kernel start included)."""
    times = []
    for _ in range(repeats):
        nb = nbformat.reads(nb_bytes.decode(), as_version=4)
        kwargs = {"kernel_manager_class": SandboxKernelManager} if sandboxed else {}
        client = NotebookClient(nb, timeout=120, allow_errors=True, **kwargs)
        with tempfile.TemporaryDirectory() as cwd:
            started = time.perf_counter()
            client.execute(cwd=cwd)
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def class_export(chapter, root, students):
    """A class of ``students``: solved notebooks, every third one with a mistake from the library."""
    entries = [e for e in library.load(chapter.chapter) if e.kind == "mistake" and not e.gap]
    release = read(student_path(chapter.chapter))
    export = root / "export"
    export.mkdir()
    for number in range(students):
        entry = entries[(number * 7) % len(entries)] if number % 3 == 2 and entries else None
        data = library.submission(chapter, release, entry)
        (export / f"student{number:02d}_{chapter.chapter}.ipynb").write_bytes(data)
    return export


def timed_class(chapter_id, students, jobs_list=(1, 2)):
    """{jobs: seconds for the class} (the course is prepared beforehand; its time is reported apart)."""
    chapter = library.Chapter(chapter_id)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        root = Path(tmp)
        export = class_export(chapter, root, students)
        course = Course(root / "course", chapter_id)
        started = time.perf_counter()
        prepare(course, log=log)
        preparing = time.perf_counter() - started
        submissions, _ = collect(export, chapter_id, root / "inbox")
        walls, per_submission = {}, {}
        for jobs in jobs_list:
            started = time.perf_counter()
            grade_class(course, submissions, jobs=jobs, force=True, log=lambda message: None)
            walls[jobs] = time.perf_counter() - started
            timings = json.loads((course.state / "timings.json").read_text())
            per_submission[jobs] = statistics.mean(timings[s.student] for s in submissions)
            log(f"{chapter_id}: {students} submissions with {jobs} job(s) in {walls[jobs]:.1f} s")
        csv_text = write_csv(course).read_text()
        feedback = sorted((course.root / "feedback").glob(f"*/{chapter_id}/{chapter_id}.html"))
        sample = next(filter(None, (feedback_excerpt(page.read_text()) for page in feedback)), None)
        solved = library.submission(chapter, nbformat.read(course.release, as_version=4))
    return {"prepare": preparing, "walls": walls, "per_submission": per_submission, "csv": csv_text,
            "feedback": sample, "solved": solved}


def feedback_excerpt(page):
    """The text of the feedback page around the first failed test (what a student reads)."""
    text = html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)))
    text = re.sub(r"\n\s*\n+", "\n", text)
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    at = next((i for i, line in enumerate(lines) if "CheckError" in line), None)
    if at is None:
        return None
    start = max(i for i in range(at + 1) if lines[i].startswith("Grade cell:") or i == 0)
    return "\n".join(lines[start:at + 1])


BURN = "import time\nt = time.perf_counter()\nsum(i * i for i in range(6 * 10 ** 6))\nprint(time.perf_counter() - t)"


def parallel_capacity():
    """How much faster two CPU-bound processes finish together than one after the other, here and now.

    A virtual machine's "2 cores" may share one physical core or be throttled; this calibrates the
    speed-up of grading with 2 jobs.
    """
    import subprocess
    ones, pairs = [], []
    for _ in range(3):                      # the best of three: other work on the machine only slows it
        ones.append(float(subprocess.run([sys.executable, "-c", BURN], capture_output=True, text=True).stdout))
        started = time.perf_counter()
        pair = [subprocess.Popen([sys.executable, "-c", BURN], stdout=subprocess.DEVNULL) for _ in range(2)]
        for process in pair:
            process.wait()
        pairs.append(time.perf_counter() - started)
    return 2 * min(ones) / min(pairs)


def speed(students):
    rows = []
    samples = None
    capacity = parallel_capacity()
    for chapter_id in chapter_ids():
        if chapter_id not in library.chapters_with_library():
            log(f"{chapter_id}: no library yet, timed with the instructor's solution only")
        try:
            result = timed_class(chapter_id, students)
        except Exception as error:          # a chapter being written may not grade yet: report it
            first = (str(error).splitlines() or [type(error).__name__])[0][:160]
            log(f"{chapter_id}: could not be graded: {first}")
            rows.append(f"| {chapter_id} | could not be graded: {first} |" + " |" * 7)
            continue
        plain = execute(result["solved"], sandboxed=False)
        boxed = execute(result["solved"], sandboxed=True)
        one, two = result["per_submission"][1], result["walls"][2] / students
        whole = result["walls"][1] / students      # one job, everything included (merge, feedback)
        rows.append(f"| {chapter_id} | {plain:.1f} | {boxed:.1f} | {one:.1f} | {whole:.1f} | {whole / plain - 1:+.0%} | "
                    f"{two:.1f} | {result['walls'][1] / result['walls'][2]:.2f} | {result['prepare']:.0f} |")
        if result["feedback"] and samples is None:
            samples = result
    text = "\n".join([
        f"Measured by `make grading-benchmark` on {_machine()}, sandbox mode `{sandbox_mode()}`, a class of "
        f"{students} submissions per chapter (every third with a mistake from the library). On this machine, at "
        f"the time, two CPU-bound Python processes ran {capacity:.2f} times as fast together as one after the "
        f"other: the best speed-up 2 jobs can give.", "",
        "| chapter | plain execution (s) | in the sandbox (s) | autograde in its worker (s) | class with 1 job, per "
        "submission (s) | overhead over plain execution | class with 2 jobs, per submission (s) | speed-up with 2 "
        "jobs | preparing the course, once (s) |",
        "|---|---|---|---|---|---|---|---|---|", *rows, ""])
    (OUT / "grading_speed.md").write_text(text)
    if samples:
        (OUT / "sample_feedback.md").write_text("```text\n" + samples["feedback"] + "\n```\n")
    log("wrote grading_speed.md, sample_feedback.md")


def showcase(chapter_id="02_backprop"):
    """The sample CSV of the guide: a small class with every kind of row."""
    chapter = library.Chapter(chapter_id)
    release = read(student_path(chapter_id))
    mistakes = {(e.exercise, e.name): e for e in library.load(chapter_id)}
    cheat = library.Entry("linear_backward", "mistake", "cheat", "linear_backward = layers.linear_backward\n")
    files = {
        "ada": library.submission(chapter, release),
        "ben": student_path(chapter_id).read_bytes(),
        "cleo": library.submission(chapter, release, mistakes[("linear_backward", "dW transposed")]),
        "dan": library.submission(chapter, release)[:5000],
        "eve": library.submission(chapter, release, cheat),
    }
    with tempfile.TemporaryDirectory(prefix="showcase-") as tmp:
        root = Path(tmp)
        (root / "export" / "fay").mkdir(parents=True)
        (root / "export" / "fay" / "notes.txt").write_text("I could not finish.")
        for student, data in files.items():
            (root / "export" / student).mkdir()
            (root / "export" / student / f"{chapter_id}.ipynb").write_bytes(data)
        course = Course(root / "course", chapter_id)
        submissions, _ = collect(root / "export", chapter_id, root / "inbox")
        grade_class(course, submissions, jobs=2, log=log)
        (OUT / "sample_grades.csv").write_text(write_csv(course).read_text())
    log("wrote sample_grades.csv")


def _machine():
    import os
    import platform
    return f"{os.cpu_count()} CPU cores ({platform.processor() or platform.machine()}), Python {platform.python_version()}"


def hostile():
    from grading.hostile import CASES, SETTINGS, TESTS, grade_cases, grade_cases_plain
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        _, rows, _, seconds = grade_cases(Path(tmp), log=log)
        _, plain, plain_seconds = grade_cases_plain(Path(tmp))
    lines = [f"{len(CASES)} submissions of the two-exercise fixture chapter (tests 2 + 3 points), graded as one "
             f"class by `python -m dlcourse grade`'s path in {seconds:.0f} s with 2 jobs, and by plain `nbgrader "
             f"autograde` with the repository's configuration in {plain_seconds:.0f} s (one at a time); limits: "
             f"{SETTINGS}. Plain nbgrader records no submission for a folder without a notebook (\"none\").", "",
             "| case | what the student did | expected | `grade` | `nbgrader autograde` | status | "
             "flags and notes (abridged) |", "|---|---|---|---|---|---|---|"]
    for case in CASES:
        row = rows[case.name]
        expected = "+".join(f"{s:g}" for s in case.scores)
        observed = "+".join(f"{float(row[t]):g}" for t in TESTS)
        by_nbgrader = "none" if plain[case.name] is None else "+".join(f"{s:g}" for s in plain[case.name])
        allowed = (expected, "none") if case.status == "missing" else (expected,)
        marks = ["" if seen in allowed else " **MISMATCH**" for seen in (observed, by_nbgrader)]
        said = " / ".join(part for part in (row["flags"], row["notes"]) if part).replace("|", "/").replace("<", "&lt;")
        lines.append(f"| {case.name} | {case.description} | {expected} | {observed}{marks[0]} | "
                     f"{by_nbgrader}{marks[1]} | {row['status']} | {said[:150]} |")
    (OUT / "grading_hostile.md").write_text("\n".join(lines) + "\n")
    log(f"wrote grading_hostile.md ({seconds:.0f} s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--only", choices=["speed", "showcase", "hostile", "library"])
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "speed"):
        speed(args.students)
    if args.only in (None, "showcase"):
        showcase()
    if args.only in (None, "hostile"):
        hostile()
    if args.only in (None, "library"):
        library_report.main(nbgrader=True, jobs=2, out=OUT / "grading_library.md", log=log)


if __name__ == "__main__":
    main()
