"""The command line: ``python -m dlcourse <command>``.

Book: "Instructor guide".
"""
import argparse
import shutil
import sys
import tempfile

__all__ = ["main", "build_parser"]


def _add_grade_commands(commands):
    from .grading.settings import DEFAULTS, OPTIONS, SANDBOX_MODES, help_of
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
    for name in OPTIONS:
        default = getattr(DEFAULTS, name)
        grade.add_argument("--" + name.replace("_", "-"), type=type(default), default=default,
                           choices=SANDBOX_MODES if name == "sandbox" else None,
                           help=f"{help_of(name)} (default {default})")
    export = commands.add_parser("grade-export", help="rewrite grades.csv and the feedback upload zip from the "
                                                      "gradebook (after manual grading)")
    export.add_argument("chapter")
    export.add_argument("--course", required=True)
    report = commands.add_parser("grade-report", help="measure the tests against the libraries of wrong and "
                                                      "correct implementations (tests/grading/library)")
    report.add_argument("chapters", nargs="*", help="chapter ids (default: every chapter with a library)")
    report.add_argument("--nbgrader", action="store_true", help="also grade every entry through nbgrader (slow)")
    report.add_argument("--jobs", default="1")
    report.add_argument("--out", help="write the Markdown report here (default: print it)")
    hub = commands.add_parser("hub-course", help="make or update the instructor's course folder and the exchange "
                                                 "of a JupyterHub deployment (deploy/course.toml)")
    hub.add_argument("--deploy", help="the deployment's course.toml (default: $DLCOURSE_DEPLOY or deploy/course.toml)")


def _error(message):
    print(f"error: {message}", file=sys.stderr)
    return 2


def _grade(args):
    """Check every input, collect the export in a temporary folder, and only then create the course."""
    from .grading import inputs
    from .grading.collect import collect
    from .grading.course import Course, GradingSetupError
    from .grading.export import write_csv
    from .grading.runner import grade_class
    from .grading.settings import OPTIONS, Settings
    from .grading.upload import write_upload
    from .release import REPO
    try:
        inputs.chapter(args.chapter, args.solutions or REPO / "solutions")
        export, roster = inputs.export(args.submissions), inputs.roster(args.roster)
        pattern, jobs = inputs.pattern(args.pattern), inputs.jobs(args.jobs)
        settings = inputs.limits(Settings(**{name: getattr(args, name) for name in OPTIONS}), OPTIONS)
        inputs.sandbox(settings.sandbox)
        course = Course(inputs.course_folder(args.course), args.chapter, solutions=args.solutions, settings=settings)
        course.require_safe_location()
    except (inputs.InputError, GradingSetupError) as error:
        return _error(error)
    created = not course.root.exists()
    with tempfile.TemporaryDirectory(prefix="dlcourse-inbox-") as inbox:
        submissions, notes = collect(export, args.chapter, inbox, pattern, roster)
        if not submissions:
            return _error(f"no notebook for {args.chapter} was found in {export}: the export should hold one "
                          "notebook per student (a folder per student, or files named <student>_...), or give "
                          "--pattern")
        for note in notes:
            print(f"note: {note}")
        try:
            results = grade_class(course, submissions, jobs=jobs, force=args.force)
        except (GradingSetupError, RuntimeError) as error:
            if created:
                shutil.rmtree(course.root, ignore_errors=True)
            return _error(error)
    path = write_csv(course)
    upload, missing = write_upload(course)
    flagged = sum(bool(r.flags) for r in results)
    print(f"graded {len(results)} submission(s); {flagged} flagged for review")
    print(f"grades:   {path}")
    print(f"feedback: {course.root / 'feedback'}/<student>/{args.chapter}/{args.chapter}.html")
    print(f"upload:   {upload} (feedback pages named for the learning platform"
          + (f"; none for {', '.join(missing)})" if missing else ")"))
    return 0


def _grade_export(args):
    """Rewrite the CSV and the upload zip from the gradebook (after manual grading)."""
    from .grading.course import Course
    from .grading.export import write_csv
    from .grading.upload import write_upload
    course = Course(args.course, args.chapter)
    if not (course.root / "gradebook.db").exists() or not course.reports.is_dir():
        return _error(f"{course.root} has no grading of {args.chapter}: run `python -m dlcourse grade "
                      f"{args.chapter} <export> --course {args.course}` first")
    print(f"wrote {write_csv(course)}")
    upload, missing = write_upload(course)
    print(f"wrote {upload}" + (f" (no feedback page for {', '.join(missing)})" if missing else ""))
    return 0


def build_parser():
    """The command line's parser (the tests check every command the docs print against it)."""
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
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)

    if args.command == "check":
        from .check_notebook import check_notebook
        return check_notebook(args.notebook)
    if args.command == "grade":
        return _grade(args)
    if args.command == "grade-export":
        return _grade_export(args)
    if args.command == "hub-course":
        from .deploy import set_up_course
        try:
            set_up_course(args.deploy)
        except (OSError, ValueError) as error:
            return _error(f"the deployment cannot be set up: {error}")
        return 0
    if args.command == "grade-report":
        from .grading import inputs
        from .grading.library import chapters_with_library
        from .grading.library_report import main as report_main
        unknown = sorted(set(args.chapters) - set(chapters_with_library()))
        try:
            jobs = inputs.jobs(args.jobs)
        except inputs.InputError as error:
            return _error(error)
        if unknown:
            return _error(f"no library of mistakes for {', '.join(unknown)}: the chapters with one are "
                          f"{', '.join(chapters_with_library())}")
        return report_main(args.chapters, nbgrader=args.nbgrader, jobs=jobs, out=args.out)

    from . import editions, release
    unknown = sorted(set(getattr(args, "chapters", None) or ()) - set(release.chapter_ids()))
    if unknown:
        return _error(f"there is no chapter {', '.join(unknown)} in solutions/; the chapters are: "
                      f"{', '.join(release.chapter_ids())}")
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
