"""The command line: ``python -m dlcourse <command>``.

Book: "Instructor guide".
"""
import argparse
import os
import sys

__all__ = ["main"]

# the grading limits that are options of `grade` (fields of dlcourse.grading.settings.Settings), with their help
_LIMITS = [("cell_timeout", "s per cell"), ("notebook_timeout", "s per notebook"),
           ("interrupt_grace", "s an interrupted cell has to stop before its kernel is killed"),
           ("submission_timeout", "s per submission, nbgrader included"),
           ("cpu_seconds", "CPU s of the kernel"), ("memory_mb", "address space of the kernel"),
           ("file_size_mb", "largest file the kernel may write")]


def _add_grade_commands(commands):
    from .grading.settings import Settings
    defaults = Settings()
    grade = commands.add_parser(
        "grade", help="grade a folder or zip of submissions: autograde, feedback, CSV",
        description="Collect, repair, autograde (sandboxed), write feedback and grades.csv in a course folder "
                    "outside the repository. See the book's instructor guide.")
    grade.add_argument("chapter", help="chapter id, e.g. 02_backprop")
    grade.add_argument("submissions", help="a folder or zip exported by the learning platform")
    grade.add_argument("--course", required=True, help="the course folder (created if missing), outside the repo")
    grade.add_argument("--jobs", default="1", help="submissions graded at once (a number, or 'auto' = all cores)")
    grade.add_argument("--force", action="store_true", help="regrade submissions that did not change")
    grade.add_argument("--pattern", help="regex with a named group 'student', matched against each file's path")
    grade.add_argument("--roster", help="file with one student id per line: students without a notebook get 0")
    grade.add_argument("--solutions", help="folder of instructor sources (default: the repository's solutions/)")
    for name, help_text in _LIMITS:
        grade.add_argument("--" + name.replace("_", "-"), type=int, default=getattr(defaults, name),
                           help=f"{help_text} (default {getattr(defaults, name)})")
    grade.add_argument("--sandbox", choices=["auto", "bwrap", "rlimits", "off"], default=defaults.sandbox,
                       help="auto: bubblewrap when it works here, else resource limits only")
    export = commands.add_parser("grade-export", help="rewrite grades.csv from the gradebook (after manual grading)")
    export.add_argument("chapter")
    export.add_argument("--course", required=True)
    report = commands.add_parser("grade-report", help="measure the tests against the libraries of wrong and "
                                                      "correct implementations (tests/grading/library)")
    report.add_argument("chapters", nargs="*", help="chapter ids (default: every chapter with a library)")
    report.add_argument("--nbgrader", action="store_true", help="also grade every entry through nbgrader (slow)")
    report.add_argument("--jobs", default="1")
    report.add_argument("--out", help="write the Markdown report here (default: print it)")


def _jobs(text):
    return (os.cpu_count() or 1) if text == "auto" else max(1, int(text))


def _grade(args):
    from .grading.collect import collect
    from .grading.course import Course, GradingSetupError
    from .grading.export import write_csv
    from .grading.runner import grade_class
    from .grading.settings import Settings
    settings = Settings(sandbox=args.sandbox, **{name: getattr(args, name) for name, _ in _LIMITS})
    course = Course(args.course, args.chapter, solutions=args.solutions, settings=settings)
    try:
        course.require_safe_location()         # before anything is written there
    except GradingSetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    course.state.mkdir(parents=True, exist_ok=True)
    roster = [line.strip() for line in open(args.roster) if line.strip()] if args.roster else ()
    submissions, notes = collect(args.submissions, args.chapter, course.state / "inbox", args.pattern, roster)
    for note in notes:
        print(f"note: {note}")
    results = grade_class(course, submissions, jobs=_jobs(args.jobs), force=args.force)
    path = write_csv(course)
    flagged = sum(bool(r.flags) for r in results)
    print(f"graded {len(results)} submission(s); {flagged} flagged for review")
    print(f"grades:   {path}")
    print(f"feedback: {course.root / 'feedback'}/<student>/{args.chapter}/{args.chapter}.html")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m dlcourse", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    release_cmd = commands.add_parser("release", help="regenerate chapters/ from solutions/ with nbgrader")
    release_cmd.add_argument("--check", action="store_true",
                             help="do not write; exit 1 if chapters/ differs from a fresh release")
    release_cmd.add_argument("chapters", nargs="*", help="chapter ids (default: all)")
    commands.add_parser("instructor-source",
                        help="write _build/instructor_src, the instructor edition's source tree")
    check_cmd = commands.add_parser("check", help="run a chapter notebook, then check all its work (students)",
                                    description="Run the notebook as Run All would, then print every test's "
                                                "result with the full message and the unanswered questions.")
    check_cmd.add_argument("notebook", help="the chapter notebook, e.g. chapters/02_backprop/02_backprop.ipynb")
    _add_grade_commands(commands)
    args = parser.parse_args(argv)

    if args.command == "check":
        from .check_notebook import check_notebook
        return check_notebook(args.notebook)
    if args.command == "grade":
        return _grade(args)
    if args.command == "grade-export":
        from .grading.course import Course
        from .grading.export import write_csv
        print(f"wrote {write_csv(Course(args.course, args.chapter))}")
        return 0
    if args.command == "grade-report":
        from .grading.library_report import main as report_main
        return report_main(args.chapters, nbgrader=args.nbgrader, jobs=_jobs(args.jobs), out=args.out)

    from . import editions, release
    if args.command == "instructor-source":
        print(f"wrote {editions.write_instructor_source()}")
    elif args.command == "release":
        if args.check:
            stale = release.stale_files()
            for path in stale:
                print(f"stale: {path}")
            print("chapters/ is up to date" if not stale else "run `python -m dlcourse release`")
            return 1 if stale else 0
        out = release.release(ids=args.chapters or None)
        print(f"wrote {', '.join(args.chapters or release.chapter_ids())} to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
