"""The course on JupyterHub, end to end through the hub's and the single-user servers' REST APIs.

`make hub-test` (also run by .ci/run) starts the deployment of deploy/ on 127.0.0.1 with an
instructor and two students (DummyAuthenticator and SimpleLocalProcessSpawner, which run without
privileges, in place of the PAM logins and Unix accounts of a real machine), then: the instructor
generates and releases a chapter; each student fetches it, alice solves it, bob makes a mistake and
also tries to read the instructor's source from his code, both submit; the instructor collects and
autogrades (sandboxed) with the formgrader; the grades are checked; feedback is generated and
released; each student fetches their own. A student cannot reach another student's server or the
instructor's, nor leave their own folder; at grading time bob's code cannot read the instructor's
source. Every process the hub started is stopped, and the folders are removed.
"""
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
import pytest

from dlcourse.deploy import DEPLOY
from dlcourse.grading import library
from dlcourse.grading.sandbox import sandbox_mode

CHAPTER = "02_backprop"
INSTRUCTOR, STUDENTS = "teacher", ("alice", "bob")
PROXY = DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy"
SNOOP = '''try:
    open({source!r}).read()
    print("SNOOP allowed")
except OSError as error:
    print("SNOOP denied", type(error).__name__)
'''
TEST_CONFIG = '''c = get_config()  # noqa: F821
load_subconfig({deploy!r})
# unprivileged stand-ins for the PAM logins and Unix accounts of a real machine
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r}
c.Spawner.args = ["--ServerApp.allow_root=True"]     # the servers run as the test's user, root on CI
c.Spawner.start_timeout = 120
c.JupyterHub.tornado_settings = {{"slow_spawn_timeout": 0}}   # start the three servers at once
c.Spawner.http_timeout = 120
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.JupyterHub.services = [{{"name": "course-test", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "course-test", "services": ["course-test"],
                             "scopes": ["admin:users", "admin:servers", "tokens", "list:users"]}}]
'''


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Client:
    """HTTP with a token; returns (status, parsed JSON or text)."""

    def __init__(self, base, token):
        self.base, self.token = base, token

    def call(self, method, path, data=None, form=None, timeout=300):
        body, headers = None, {"Authorization": f"token {self.token}"}
        if data is not None:
            body, headers["Content-Type"] = json.dumps(data).encode(), "application/json"
        elif form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.base + path, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
        except urllib.error.URLError as error:          # not listening yet
            return 0, str(error.reason)
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def ok(self, method, path, **kw):
        status, answer = self.call(method, path, **kw)
        assert status < 300, f"{method} {path}: {status} {str(answer)[:500]}"
        return answer


def descendants(pid):
    """Every process below ``pid`` (from /proc)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    if not PROXY.exists():
        if os.environ.get("DLCOURSE_REQUIRE_HUB"):
            pytest.fail("configurable-http-proxy is not installed: run `make hub-deps`")
        pytest.skip("configurable-http-proxy is not installed: `make hub-test` installs it and runs this test")
    root = tmp_path_factory.mktemp("hub")
    (root / "roster.txt").write_text("\n".join(STUDENTS) + "\n")
    port, token = free_port(), secrets.token_hex(16)
    (root / "course.toml").write_text(
        f'course_id = "dlcourse"\ninstructors = ["{INSTRUCTOR}"]\nroster = "roster.txt"\n'
        f'course_dir = "home/{INSTRUCTOR}/course"\nexchange = "exchange"\nstate = "state"\n'
        f'ip = "127.0.0.1"\nport = {port}\n')
    (root / "state").mkdir()
    env = {**os.environ, "DLCOURSE_DEPLOY": str(root / "course.toml"),
           "PATH": os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])}
    setup = subprocess.run([sys.executable, "-m", "dlcourse", "hub-course"], env=env, capture_output=True, text=True)
    assert setup.returncode == 0, setup.stderr
    (root / "hub_config.py").write_text(TEST_CONFIG.format(
        deploy=str(DEPLOY / "jupyterhub_config.py"), homes=str(root / "home" / "{username}"),
        hub_port=free_port(), api_port=free_port(), token=token))
    log = open(root / "hub.log", "w")
    process = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "jupyterhub"), "-f",
                                str(root / "hub_config.py")], cwd=root / "state", env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    admin = Client(base, token)
    started = []
    try:
        deadline = time.monotonic() + 60
        while admin.call("GET", "/hub/api/")[0] != 200:
            assert process.poll() is None and time.monotonic() < deadline, (root / "hub.log").read_text()[-3000:]
            time.sleep(0.5)
        users = {}
        for user in (INSTRUCTOR, *STUDENTS):
            users[user] = Client(base, admin.ok("POST", f"/hub/api/users/{user}/tokens",
                                                data={"note": "test", "expires_in": 3600})["token"])
            admin.call("POST", f"/hub/api/users/{user}/server")
        for user in users:
            while not admin.ok("GET", f"/hub/api/users/{user}")["servers"].get("", {}).get("ready"):
                assert process.poll() is None and time.monotonic() < deadline + 120, (root / "hub.log").read_text()[-3000:]
                time.sleep(0.5)
        started = descendants(process.pid)
        print(f"hub and three servers ready in {time.monotonic() - deadline + 60:.1f} s")
        yield root, users, admin
    finally:           # the hub stops the servers it started when it stops (JupyterHub.cleanup_servers)
        started = set(started) | set(descendants(process.pid))
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = [pid for pid in started if alive(pid)]
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        assert not left, f"processes left running after the hub stopped: {left}"


@pytest.fixture(scope="module")
def course_run(hub):
    """The whole course, in order; returns what the checks below look at."""
    root, users, _ = hub
    teacher, alice, bob = (users[name] for name in (INSTRUCTOR, *STUDENTS))
    clock, phases = time.monotonic(), {}

    def phase(name):
        nonlocal clock
        phases[name] = round(time.monotonic() - clock, 1)
        clock = time.monotonic()

    grader = f"/user/{INSTRUCTOR}/formgrader/api"
    assert teacher.ok("POST", f"{grader}/assignment/{CHAPTER}/assign")["success"]
    assert teacher.ok("POST", f"{grader}/assignment/{CHAPTER}/release")["success"]
    course = root / "home" / INSTRUCTOR / "course"
    source = str(course / "source" / CHAPTER / f"{CHAPTER}.ipynb")
    chapter = library.Chapter(CHAPTER, course / "source")
    mistake = next(e for e in library.load(CHAPTER) if e.name == "dW transposed")
    for user, client in (("alice", alice), ("bob", bob)):
        listed = client.ok("GET", "/user/%s/assignments?course_id=dlcourse" % user)
        assert any(a["assignment_id"] == CHAPTER for a in listed["value"]), listed
        client.ok("POST", f"/user/{user}/assignments/fetch", form={"assignment_id": CHAPTER, "course_id": "dlcourse"})
        path = f"/user/{user}/api/contents/{CHAPTER}/{CHAPTER}.ipynb"
        fetched = nbformat.from_dict(client.ok("GET", path)["content"])
        solved = nbformat.reads(library.submission(chapter, fetched, mistake if user == "bob" else None).decode(),
                                as_version=4)
        if user == "bob":
            solved.cells.append(nbformat.v4.new_code_cell(SNOOP.format(source=source)))
        client.ok("PUT", path, data={"type": "notebook", "format": "json", "content": solved})
        client.ok("POST", f"/user/{user}/assignments/submit", form={"assignment_id": CHAPTER, "course_id": "dlcourse"})
    phase("release, fetch, solve, submit")
    assert teacher.ok("POST", f"{grader}/assignment/{CHAPTER}/collect")["success"]
    for user in STUDENTS:
        answer = teacher.ok("POST", f"{grader}/submission/{CHAPTER}/{user}/autograde")
        assert answer["success"], answer
    submissions = {s["student"]: s for s in teacher.ok("GET", f"{grader}/submissions/{CHAPTER}")}
    phase("collect, autograde (evidence recorded first)")
    assert teacher.ok("POST", f"{grader}/assignment/{CHAPTER}/generate_feedback")["success"]
    assert teacher.ok("POST", f"{grader}/assignment/{CHAPTER}/release_feedback")["success"]
    pages = {}
    for user, client in (("alice", alice), ("bob", bob)):
        client.ok("POST", f"/user/{user}/assignments/fetch_feedback", form={"assignment_id": CHAPTER,
                                                                           "course_id": "dlcourse"})
        folder = client.ok("GET", f"/user/{user}/api/contents/{CHAPTER}/feedback")["content"]
        contents = f"/user/{user}/api/contents/"
        pages[user] = [client.ok("GET", contents + urllib.parse.quote(page["path"]))["content"]
                       for stamp in folder for page in client.ok(
                           "GET", contents + urllib.parse.quote(stamp["path"]))["content"]]
    phase("feedback generated, released, fetched")
    print(f"hub test phases (s): {phases}")
    return course, submissions, pages


def test_the_grades_are_right(course_run):
    course, submissions, _ = course_run
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {user: {g.name: g.score for g in gradebook.find_submission_notebook(CHAPTER, CHAPTER, user).grades
                         if g.name.startswith("test_")} for user in STUDENTS}
        maxima = {g.name: g.max_score for g in gradebook.find_notebook(CHAPTER, CHAPTER).grade_cells
                  if g.name.startswith("test_")}
    assert scores["alice"] == maxima
    # bob's dW is transposed: linear_backward fails, and so does mlp_backward, which calls it
    assert scores["bob"] == {**maxima, "test_linear_backward": 0, "test_mlp_backward": 0}
    assert submissions["alice"]["code_score"] == sum(maxima.values())
    assert submissions["bob"]["code_score"] == sum(maxima.values()) - maxima["test_linear_backward"] \
        - maxima["test_mlp_backward"]


def test_grading_ran_in_the_sandbox(course_run):
    course, _, _ = course_run
    graded = nbformat.read(course / "autograded" / "bob" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    text = "".join(o.get("text", "") for cell in graded.cells for o in cell.get("outputs", []))
    assert "SNOOP" in text
    if sandbox_mode("auto") != "bwrap":
        pytest.skip("bubblewrap is not usable here: only resource limits apply")
    assert "SNOOP denied" in text, "at grading time the student's code read the instructor's source"


def test_each_student_fetches_only_their_own_feedback(course_run):
    _, _, pages = course_run
    assert [len(pages[user]) for user in STUDENTS] == [1, 1]
    alice, bob = pages["alice"][0], pages["bob"][0]
    assert "linear_backward: 21 checks passed" in alice and "It looks transposed" not in alice
    assert "It looks transposed" in bob
    assert re.search(r"\(Score: 16\.0 / 22\.0\)", alice) and re.search(r"\(Score: 9\.0 / 22\.0\)", bob)
    assert "BEGIN HIDDEN TESTS" not in alice + bob


def test_students_cannot_reach_other_folders(hub, course_run):
    _, users, _ = hub
    bob = users["bob"]
    for path in (f"/user/alice/api/contents/{CHAPTER}/{CHAPTER}.ipynb",
                 f"/user/{INSTRUCTOR}/api/contents/source/{CHAPTER}/{CHAPTER}.ipynb",
                 f"/user/{INSTRUCTOR}/formgrader/api/submissions/{CHAPTER}"):
        status, _ = bob.call("GET", path)
        assert status in (403, 404), f"bob reached {path}: {status}"
    for path in ("../alice", "../../exchange", f"../{INSTRUCTOR}/course/source"):
        status, _ = bob.call("GET", f"/user/bob/api/contents/{urllib.parse.quote(path, safe='')}")
        assert status in (400, 403, 404), f"bob's server served {path}: {status}"
    status, _ = bob.call("GET", "/user/bob/formgrader/api/submissions/" + CHAPTER)
    assert status == 404, "a student's server has a formgrader"
