"""The library report: per exercise, mistakes caught and correct variants accepted.

Book: "Instructor guide", section "Grading a class with nbgrader" (what the tests catch).

``python -m dlcourse grade-report [--nbgrader] [--out FILE]`` evaluates every chapter's library
(:mod:`dlcourse.grading.library`) at check level, and with ``--nbgrader`` also as submissions graded
by ``python -m dlcourse grade``, and prints or writes the Markdown report the guide includes.
"""
import contextlib
import csv
import tempfile
from pathlib import Path

import nbformat

from .library import Chapter, chapters_with_library, load, run_entry, submission, verdict
from ..conventions import grade_id, is_test_cell

__all__ = ["evaluate", "report", "main"]


def evaluate(chapter_id, nbgrader=False, course=None, jobs=1, solutions=None, log=print):
    """Run the library of ``chapter_id``: entries with ``results`` filled in (and ``nbgrader`` scores)."""
    chapter = Chapter(chapter_id, solutions)
    entries = load(chapter_id)
    for entry in entries:
        entry.results = run_entry(chapter, entry)
        entry.results["ok"] = verdict(entry, entry.results)
    if nbgrader:
        _evaluate_with_nbgrader(chapter, entries, course, jobs, solutions, log)
    return entries


def _evaluate_with_nbgrader(chapter, entries, course_dir, jobs, solutions, log):
    from .collect import collect
    from .course import Course
    from .export import write_csv
    from .runner import grade_class, prepare

    with contextlib.ExitStack() as stack:
        root = Path(course_dir or stack.enter_context(tempfile.TemporaryDirectory(prefix="library-")))
        course = Course(root / "course", chapter.chapter, solutions=solutions)
        prepare(course, log=log)
        release = nbformat.read(course.release, as_version=4)
        export = root / "export"
        export.mkdir(exist_ok=True)
        names = {}
        for number, entry in enumerate(entries):
            student = f"{entry.kind}{number:03d}"
            names[student] = entry
            (export / f"{student}_{chapter.chapter}.ipynb").write_bytes(submission(chapter, release, entry))
        submissions, _ = collect(export, chapter.chapter, root / "inbox")
        grade_class(course, submissions, jobs=jobs, force=True, log=log)
        with open(write_csv(course)) as file:
            rows = {row["student"]: row for row in csv.DictReader(file)}
        maxima = {grade_id(cell): float(cell.metadata["nbgrader"]["points"]) for cell in chapter.tests}
        for student, entry in names.items():
            scores = {test: float(rows[student][test]) for test in maxima}
            target = grade_id(chapter.test_of(entry.exercise))
            full = all(scores[test] == maxima[test] for test in maxima)
            lost = scores[target] < maxima[target]
            entry.results["nbgrader"] = {"scores": scores, "flags": rows[student]["flags"],
                                         "ok": full if entry.kind == "correct" else (lost or bool(entry.gap)),
                                         "stopped": _cells_failing_outside_tests(course, student)}


def _cells_failing_outside_tests(course, student):
    """The cells of a graded one-entry notebook that raised although they are not test cells: Run All must reach
    the end whatever one exercise holds (the experiments fall back to the reference)."""
    path = Path(course.root) / "autograded" / student / course.chapter / f"{course.chapter}.ipynb"
    if not path.exists():
        return ["no autograded notebook"]
    nb = nbformat.read(path, as_version=4)
    return [f"cell {index}: {output.ename}" for index, cell in enumerate(nb.cells) if cell.cell_type == "code"
            and not is_test_cell(cell) for output in cell.get("outputs", []) if output.output_type == "error"]


# ---------------------------------------------------------------------- the report
def report(results):
    """Markdown: per exercise, mistakes caught / total and correct variants accepted / total."""
    lines = []
    with_nbgrader = any("nbgrader" in e.results for entries in results.values() for e in entries)
    header = "| chapter | exercise | mistakes caught | named by the visible test | correct variants accepted |"
    rule = "|---|---|---|---|---|"
    if with_nbgrader:
        header += " caught through nbgrader | accepted through nbgrader | notebooks that ran to the end |"
        rule += "---|---|---|"
    lines += [header, rule]
    gaps = []
    for chapter_id, entries in results.items():
        for exercise in sorted({e.exercise for e in entries}):
            mistakes = [e for e in entries if e.exercise == exercise and e.kind == "mistake"]
            variants = [e for e in entries if e.exercise == exercise and e.kind == "correct"]
            caught = [e for e in mistakes if not e.results["graded"][0]]
            named = [e for e in mistakes if e.visible and e.message and e.message in e.results["visible"][1]]
            accepted = [e for e in variants if e.results["graded"][0]]
            row = (f"| {chapter_id} | `{exercise}` | {len(caught)}/{len(mistakes)} | "
                   f"{len(named)}/{sum(e.visible and not e.gap for e in mistakes)} | {len(accepted)}/{len(variants)} |")
            if with_nbgrader:
                lost = [e for e in mistakes if not e.gap and e.results.get("nbgrader", {}).get("ok")]
                full = [e for e in variants if e.results.get("nbgrader", {}).get("ok")]
                graded = [e for e in mistakes + variants if "nbgrader" in e.results]
                ran = [e for e in graded if not e.results["nbgrader"].get("stopped")]
                row += (f" {len(lost)}/{sum(not e.gap for e in mistakes)} | {len(full)}/{len(variants)} |"
                        f" {len(ran)}/{len(graded)} |")
            lines.append(row)
            gaps += [f"- {chapter_id}, `{e.exercise}`, {e.name}: {e.gap}" for e in mistakes if e.gap]
    if gaps:
        lines += ["", "Known gaps (mistakes the tests do not catch yet):", ""] + gaps
    lines += ["", "<details><summary>Every entry</summary>", "",
              "| chapter | exercise | kind | implementation | verdict | the visible test says |", "|---|---|---|---|---|---|"]
    for chapter_id, entries in results.items():
        for e in entries:
            said = e.results["visible"][1].replace("\n", " ")
            if "Your result equals" in said:          # the part that names the mistake
                said = said[said.index("Your result equals"):]
            said = said.replace("|", "\\|")[:160] or "passed"
            verdict_text = "as required" if e.results["ok"] else "**NOT as required**"
            lines.append(f"| {chapter_id} | `{e.exercise}` | {e.kind} | {e.name} | {verdict_text} | {said} |")
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def main(chapters=(), nbgrader=False, jobs=1, out=None, log=print):
    """``python -m dlcourse grade-report``: evaluate the libraries, print or write the report."""
    results = {chapter: evaluate(chapter, nbgrader=nbgrader, jobs=jobs, log=log)
               for chapter in (chapters or chapters_with_library())}
    text = report(results)
    if out:
        Path(out).write_text(text)
        log(f"wrote {out}")
    else:
        print(text)
    failures = [e for entries in results.values() for e in entries
                if not e.results["ok"] or not e.results.get("nbgrader", {"ok": True})["ok"]]
    return 1 if failures else 0
