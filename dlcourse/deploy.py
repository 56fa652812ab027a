"""The course on one JupyterHub machine: nbgrader's exchange and formgrader, the grader's defences.

Book: "Instructor guide", section "The course on JupyterHub".

One file describes a deployment, ``deploy/course.toml`` (or the file named by ``DLCOURSE_DEPLOY``)::

    course_id = "dlcourse"
    instructors = ["teacher"]            # graders: their server opens the course folder, with the formgrader
    roster = "roster.txt"                # students, one login a line (relative paths: to this file)
    course_dir = "/home/teacher/dlcourse-course"
    exchange = "/srv/nbgrader/exchange"  # nbgrader's exchange: writable by every user
    state = "/srv/dlcourse/hub"          # the hub's database and cookie secret
    ip = "0.0.0.0"
    port = 8000

and three small configuration files in ``deploy/`` apply it: ``jupyterhub_config.py`` calls
:func:`configure_hub`, ``jupyter/nbgrader_config.py`` (in every single-user server's Jupyter config
path) calls :func:`configure_nbgrader`, ``jupyter/jupyter_server_config.py`` calls
:func:`configure_server`. ``python -m dlcourse hub-course`` (:func:`set_up_course`) makes the
instructor's course folder and the exchange.
"""
import os
import shutil
import sys
import tomllib
from pathlib import Path

from .release import REPO, chapters_in

__all__ = ["DEPLOY", "ENVIRONMENT", "load", "role_of", "configure_hub", "configure_nbgrader", "configure_server",
           "set_up_course"]

DEPLOY = REPO / "deploy"
ENVIRONMENT = "DLCOURSE_DEPLOY"     # the path of course.toml, for the hub and every single-user server
ROLE = "DLCOURSE_ROLE"              # "instructor" or "student", set by the hub for each server
DEFAULTS = {"course_id": "dlcourse", "instructors": [], "roster": "roster.txt", "course_dir": "",
            "exchange": "/srv/nbgrader/exchange", "state": "/srv/dlcourse/hub", "ip": "0.0.0.0", "port": 8000}


def load(path=None):
    """The deployment: course.toml with defaults, paths made absolute, ``students`` read from the roster."""
    path = Path(path or os.environ.get(ENVIRONMENT) or DEPLOY / "course.toml").resolve()
    settings = {**DEFAULTS, **tomllib.loads(path.read_text())}
    for key in ("roster", "course_dir", "exchange", "state"):
        if settings[key]:
            settings[key] = str((path.parent / settings[key]).resolve())
    roster = Path(settings["roster"])
    settings["students"] = [line.strip() for line in roster.read_text().splitlines()
                            if line.strip() and not line.startswith("#")] if roster.exists() else []
    settings["path"] = str(path)
    if not settings["course_dir"]:
        raise ValueError(f"{path} does not say where the instructor's course folder is (course_dir)")
    return settings


def role_of(user, settings):
    return "instructor" if user in settings["instructors"] else "student"


def configure_hub(c, path=None):
    """JupyterHub for the course: who may log in, what each server opens and knows, the proxy.

    The defaults suit a real machine (PAM logins, one Unix account per user, LocalProcessSpawner);
    the integration test swaps in DummyAuthenticator and SimpleLocalProcessSpawner.
    """
    settings = load(path)
    c.JupyterHub.ip, c.JupyterHub.port = settings["ip"], int(settings["port"])
    state = Path(settings["state"])
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.Authenticator.allowed_users = set(settings["students"]) | set(settings["instructors"])
    c.Spawner.cmd = [str(Path(sys.executable).parent / "jupyterhub-singleuser")]
    c.Spawner.default_url = "/lab"
    c.Spawner.environment = {ENVIRONMENT: settings["path"], "JUPYTER_CONFIG_PATH": str(DEPLOY / "jupyter")}
    proxy = DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy"
    if proxy.exists():
        c.ConfigurableHTTPProxy.command = [str(proxy)]

    def pre_spawn_hook(spawner):
        role = role_of(spawner.user.name, settings)
        spawner.environment[ROLE] = role
        if role == "instructor":
            spawner.notebook_dir = settings["course_dir"]

    c.Spawner.pre_spawn_hook = pre_spawn_hook
    return c


def configure_nbgrader(c, path=None, role=None):
    """nbgrader in a single-user server: the exchange and course id for everyone; a student submits and
    fetches feedback as their hub login; an instructor also gets the course folder and the grader's
    pieces (:func:`dlcourse.grading.pipeline.configure`)."""
    settings = load(path)
    c.Exchange.root = settings["exchange"]
    c.CourseDirectory.course_id = settings["course_id"]
    if (role or os.environ.get(ROLE, "student")) == "instructor":
        from .grading.pipeline import configure
        c.CourseDirectory.root = settings["course_dir"]
        configure(c)
    elif os.environ.get("JUPYTERHUB_USER"):
        c.CourseDirectory.student_id = os.environ["JUPYTERHUB_USER"]     # on a real machine also the Unix login
    return c


def configure_server(c):
    """Jupyter Server in a single-user server: a student's server has no formgrader (its menu entry in
    JupyterLab then opens nothing)."""
    if os.environ.get(ROLE, "student") != "instructor":
        c.ServerApp.jpserver_extensions = {"nbgrader.server_extensions.formgrader": False,
                                           "nbgrader.server_extensions.course_list": False}
    return c


COURSE_CONFIG = '''"""nbgrader configuration of this course folder (written by `python -m dlcourse hub-course`)."""
from dlcourse.deploy import configure_nbgrader

c = get_config()  # noqa: F821
configure_nbgrader(c, {path!r}, role="instructor")
'''


def set_up_course(path=None, solutions=None, log=print):
    """Make (or update) the instructor's course folder and the exchange; add the roster to the gradebook.

    The course's sources are a copy of the repository's ``solutions/`` (run again after pulling a new
    version of the course); the gradebook, the submissions and the grades are kept.
    """
    from nbgrader.api import Gradebook
    settings = load(path)
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])  # alembic
    course, solutions = Path(settings["course_dir"]), Path(solutions or REPO / "solutions")
    for chapter in chapters_in(solutions):
        target = course / "source" / chapter
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(solutions / chapter, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (course / "nbgrader_config.py").write_text(COURSE_CONFIG.format(path=settings["path"]))
    exchange = Path(settings["exchange"])
    if not exchange.exists():
        exchange.mkdir(parents=True)
        exchange.chmod(0o1777)      # every user writes there; nbgrader sets the modes of what is inside
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in settings["students"]:
            gradebook.update_or_create_student(student)
    log(f"course {settings['course_id']} in {course}: {len(chapters_in(solutions))} chapter(s), "
        f"{len(settings['students'])} student(s); exchange {exchange}")
    return course
