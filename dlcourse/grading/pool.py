"""Worker processes for grading: one fork server per job, each student in a child it forks.

Book: "Instructor guide", section "Grading a class with nbgrader" (speed).

Starting a Python that imports nbgrader takes about 2 s, as long as grading a small notebook.
:class:`WorkerPool` keeps ``jobs`` fork servers (``python -m dlcourse.grading.worker serve``) that
have imported it once; each submission is graded in a child a server forks in a new session, and a
child that runs past the time limit is killed with its whole session.
"""
import json
import os
import queue
import select
import signal
import subprocess
import sys
import time

from .worker import nbgrader_env

__all__ = ["WorkerPool"]


class _ForkServer:
    """A ``worker serve`` process: grades one student at a time in a forked child it reports back."""

    def __init__(self):
        self.process = subprocess.Popen([sys.executable, "-m", "dlcourse.grading.worker", "serve"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        env=nbgrader_env(), start_new_session=True)
        self.buffer = b""

    def _line(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.process.stdout], [], [], remaining)[0]:
                return None
            chunk = os.read(self.process.stdout.fileno(), 4096)
            if not chunk:
                raise EOFError("the fork server exited")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def run(self, request, timeout):
        """True when the child finished within ``timeout`` seconds, False when it had to be killed."""
        self.process.stdin.write((json.dumps(request) + "\n").encode())
        self.process.stdin.flush()
        pid = self._line(60)["pid"]
        if self._line(timeout) is not None:
            return True
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._line(60)
        return False

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait()


class WorkerPool:
    """``jobs`` fork servers (one per concurrent submission), started lazily and reused."""

    def __init__(self, jobs):
        self.idle = queue.Queue()
        self.jobs = jobs

    def run(self, course, workdir, student, not_run=None):
        """(the worker's answer or None, seconds, killed) for one student."""
        request = {"course": str(workdir), "chapter": course.chapter, "student": student, "not_run": not_run}
        answer_file = workdir / "worker.json"
        answer_file.unlink(missing_ok=True)
        try:
            server = self.idle.get_nowait()
        except queue.Empty:
            server = _ForkServer()
        started = time.monotonic()
        try:
            finished = server.run(request, course.settings.submission_timeout)
        except (EOFError, OSError, TypeError, ValueError):      # the server died: start a fresh one next time
            server.close()
            return self._answer(answer_file), time.monotonic() - started, False
        self.idle.put(server)
        if not finished:
            return None, time.monotonic() - started, True
        return self._answer(answer_file), time.monotonic() - started, False

    @staticmethod
    def _answer(path):
        try:
            return json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            return None

    def close(self):
        while not self.idle.empty():
            self.idle.get_nowait().close()
