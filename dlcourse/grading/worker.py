"""nbgrader's autograde for one student in a private course directory, and feedback for the class.

Book: "Instructor guide", section "Grading a class with nbgrader".

:func:`grade` writes ``worker.json`` in the course directory: ``{"autograde": bool, "error": ...,
"autograde_seconds": ...}``; its log goes to ``worker.log``.
With ``not_run`` no kernel is started and every code cell gets a "not run" error (for files that
cannot be run, or runs that had to be killed).

Its commands (each student is graded in a process of its own, so that it can be killed):

- ``python -m dlcourse.grading.worker run <course dir> <chapter> <student> [--not-run REASON]``;
- ``python -m dlcourse.grading.worker assign <course> <chapter>``: ``nbgrader generate_assignment``;
- ``python -m dlcourse.grading.worker feedback <course> <chapter> <student>...``: feedback pages,
  written in the course directory once every score is merged (one process, templates compiled once);
- ``python -m dlcourse.grading.worker serve``: a *fork server* that imports nbgrader once (about 2 s)
  and then, for each JSON request read from stdin (``{"course", "chapter", "student", "not_run"}``),
  forks a child in a new session that grades it, answers ``{"pid": ...}`` at once and
  ``{"status": ...}`` when the child has finished. The runner kills a child's session on timeout.
"""
import argparse
import json
import os
import sys
import time
import traceback

__all__ = ["grade", "feedback", "assign", "preload", "serve", "main", "nbgrader_env"]


def nbgrader_env():
    """The environment for nbgrader subprocesses: this Python's bin first (nbgrader runs ``alembic``)."""
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    return {**os.environ, "PATH": path, "PYTHONWARNINGS": "ignore"}


def preload():
    """Import what grading needs, once (the fork server's children inherit it)."""
    # jsonschema from 4.25 (requirements.txt pins 4.24; an instructor's own environment may have a later one)
    # compiles an RFC 3987 grammar when imported (2 s per process); notebook schemas never use the "iri"
    # formats that need it, and jsonschema skips them when the module cannot be imported
    sys.modules.setdefault("rfc3987_syntax", None)
    import nbconvert.exporters.html  # noqa: F401
    import nbgrader.api
    from nbgrader.apps import NbGraderAPI  # noqa: F401

    from . import execute, feedback, sandbox, scoring  # noqa: F401
    from .pipeline import read_schema_version_in_process

    read_schema_version_in_process()
    nbgrader.api.get_alembic_version()         # read once here: the fork server's children inherit it


def _api(course, chapter, not_run=None):
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=course).load_config()
    if not_run:
        config.SafeExecute.run_kernel = False
        config.SafeExecute.not_run_reason = not_run
    return NbGraderAPI(config=config)


def grade(course, chapter, student, not_run=None):
    """Autograde ``student`` in the private course directory ``course``; writes ``worker.json``."""
    preload()
    os.chdir(course)
    result = {"autograde": False, "error": None}
    try:
        started = time.monotonic()
        graded = _api(course, chapter, not_run).autograde(chapter, student, force=True, create=True)
        result["autograde_seconds"] = round(time.monotonic() - started, 3)
        result["autograde"] = bool(graded.get("success"))
        if not result["autograde"]:
            result["error"] = (graded.get("error") or graded.get("log") or "")[-4000:]
    except Exception:
        result["error"] = traceback.format_exc()[-4000:]
    with open(os.path.join(course, "worker.json"), "w") as file:
        json.dump(result, file)
    return 0 if result["autograde"] else 1


def feedback(course, chapter, students):
    """``nbgrader generate_feedback`` for ``students`` of the course, in one converter run (the HTML
    templates are compiled once); prints one JSON line per student."""
    preload()
    os.chdir(course)
    api = _api(course, chapter)
    everyone = sorted(os.listdir(os.path.join(course, "autograded")))
    api.coursedir.student_id = "*"
    api.coursedir.student_id_exclude = ",".join(s for s in everyone if s not in set(students))
    answer = api.generate_feedback(chapter, force=True)
    for student in students:
        page = os.path.join(course, "feedback", student, chapter, f"{chapter}.html")
        print(json.dumps({"student": student, "success": bool(answer.get("success")) and os.path.exists(page),
                          "error": None if answer.get("success") else (answer.get("error") or "")[-2000:]}),
              flush=True)
    return 0 if answer.get("success") else 1


def assign(course, chapter):
    """``nbgrader generate_assignment`` in ``course`` (twice as fast as the nbgrader command)."""
    preload()
    os.chdir(course)
    answer = _api(course, chapter).generate_assignment(chapter, force=True)
    if not answer.get("success"):
        print(answer.get("error") or answer.get("log"), file=sys.stderr)
    return 0 if answer.get("success") else 1


def _child(request):
    """In the forked child: a new session, output to worker.log, grade, exit without cleanup."""
    code = 1
    try:
        os.setsid()
        log = os.open(os.path.join(request["course"], "worker.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.dup2(log, 1)
        os.dup2(log, 2)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        code = grade(request["course"], request["chapter"], request["student"], request.get("not_run"))
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve():
    """The fork server loop (single-threaded, so forking is safe)."""
    preload()
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"status": status}), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m dlcourse.grading.worker")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="grade one student")
    run.add_argument("course")
    run.add_argument("chapter")
    run.add_argument("student")
    run.add_argument("--not-run", default=None)
    commands.add_parser("serve", help="fork server: read JSON requests from stdin")
    release = commands.add_parser("assign", help="nbgrader generate_assignment")
    release.add_argument("course")
    release.add_argument("chapter")
    write = commands.add_parser("feedback", help="write the feedback pages of students of a course")
    write.add_argument("course")
    write.add_argument("chapter")
    write.add_argument("students", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve()
        return 0
    if args.command == "feedback":
        return feedback(args.course, args.chapter, args.students)
    if args.command == "assign":
        return assign(args.course, args.chapter)
    return grade(args.course, args.chapter, args.student, args.not_run)


if __name__ == "__main__":
    sys.exit(main())
