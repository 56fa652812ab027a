"""The sandbox a student's kernel runs in: resource limits, a private filesystem view, no network.

Book: "Instructor guide", section "Grading a class with nbgrader" (threat model).

nbgrader starts one Jupyter kernel per notebook. :class:`SandboxKernelManager` is the kernel manager
the grading configuration gives nbgrader's executor; it wraps the kernel's command line in

    prlimit (CPU time, address space, file size, processes, no core dumps)
      bwrap (Debian's bubblewrap: new mount, PID, network, IPC and UTS namespaces)
        setpriv (as root: drop to an unprivileged user and every capability)
          env -i (a clean environment: no credentials of the grader leak into the kernel)
            python -m dlcourse.grading.kernel (ipykernel with the integrity guard installed)

Inside bwrap the kernel sees the system (read-only), the Python installation and the ``dlcourse``
package (read-only), an empty private /tmp, and its working directory as a private scratch copy.
It does not see the course directory (other students' submissions, the gradebook, the instructor's
sources with hidden tests), the repository or anyone's home directory, and it has no network. Kernel
and grader talk over ZeroMQ IPC sockets in a private directory bound into the sandbox.

Without a working bwrap (``mode="rlimits"``) only the limits and the clean environment apply.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import CaselessStrEnum, List, Unicode

from .settings import DEFAULTS, MB, SANDBOX_MODES, Settings, help_of, trait

__all__ = ["SandboxKernelManager", "sandbox_mode", "kernel_command", "describe_exit", "SANDBOX_UID"]

SANDBOX_UID = 65534          # "nobody" on Debian; the kernel runs as this user when the grader is root


@lru_cache(maxsize=None)
def _bwrap_works(bwrap):
    """Whether ``bwrap`` can create the namespaces it needs here (containers may forbid it)."""
    if not bwrap:
        return False
    try:
        result = subprocess.run([bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--unshare-pid",
                                 "--unshare-net", "--unshare-ipc", "--", "true"],
                                capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def sandbox_mode(requested="auto"):
    """The mode that will be used: ``bwrap`` when requested or available, else ``rlimits`` (or ``off``).

    ``auto`` falls back to ``rlimits`` when bubblewrap is missing or cannot run; ``bwrap`` insists
    and raises ``RuntimeError`` instead.
    """
    if requested in ("rlimits", "off"):
        return requested
    works = _bwrap_works(shutil.which("bwrap"))
    if requested == "bwrap" and not works:
        raise RuntimeError("bubblewrap (bwrap) is not installed or cannot create namespaces here: "
                           "`apt-get install bubblewrap`, or grade with --sandbox rlimits")
    return "bwrap" if works else "rlimits"


def _readable_paths():
    """What the kernel must read: the system, the interpreter, installed packages and dlcourse itself.

    Only site-packages entries of ``sys.path`` are bound: other entries (the grader's working
    directory, a repository checkout) could expose the gradebook or the hidden tests.
    """
    import dlcourse
    paths = {"/usr", "/etc", sys.prefix, sys.base_prefix, str(Path(dlcourse.__file__).resolve().parent)}
    paths |= {p for p in sys.path if p and os.path.isdir(p) and os.path.basename(p) in ("site-packages",
                                                                                          "dist-packages")}
    # drop paths inside other paths: binding the outer one is enough
    resolved = sorted({os.path.realpath(p) for p in paths} | paths)
    return [p for p in resolved if os.path.exists(p)
            and not any(p != q and p.startswith(q.rstrip("/") + "/") for q in resolved)]


def _parents(path):
    """The directories above ``path``, outermost first (``/a/b/c`` -> ``/a``, ``/a/b``)."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:depth]) for depth in range(1, len(parts))]


def _parent_dirs(path, skip=()):
    """``bwrap`` options creating the parents of ``path`` world-traversable (bwrap copies 0700 otherwise)."""
    return [arg for parent in _parents(path) if parent not in skip for arg in ("--perms", "0755", "--dir", parent)]


def _bind_args(paths, flag):
    """``bwrap`` options binding ``paths`` at the same place, parents created world-traversable."""
    args, made = [], set(paths)
    for path in sorted(paths):
        args += _parent_dirs(path, skip=made)
        made |= set(_parents(path))
        args += [flag, path, path]
    return args


def kernel_command(kernel_argv, mode, limits, private_dir, cwd, env, drop_to_uid=None):
    """The full command line of a sandboxed kernel (a pure function, so it can be tested).

    ``kernel_argv``: the kernel itself; ``limits``: :class:`~dlcourse.grading.settings.Settings`; ``private_dir``: the directory with the connection file
    and IPC sockets; ``cwd``: the notebook's directory, whose files the kernel sees as a private
    writable copy; ``env``: the kernel's entire environment.
    """
    inner = ["env", "-i"] + [f"{key}={value}" for key, value in sorted(env.items())] + list(kernel_argv)
    if mode == "off":
        return inner
    if mode == "rlimits":     # the kernel dies with the grader even though it runs in a session of its own
        return ["prlimit", *limits.prlimit_args(), "setpriv", "--pdeathsig", "KILL", "--", *inner]
    args = ["bwrap", "--die-with-parent", "--unshare-pid", "--unshare-net", "--unshare-ipc",
            "--unshare-uts", "--unshare-cgroup-try", "--hostname", "grading",
            "--dev", "/dev", "--proc", "/proc",
            "--perms", "1777", "--size", str(limits.tmp_mb * MB), "--tmpfs", "/tmp"]
    args += _bind_args(_readable_paths(), "--ro-bind")
    for name in ("bin", "lib", "lib32", "lib64", "sbin"):
        if os.path.islink(f"/{name}"):
            args += ["--symlink", os.readlink(f"/{name}"), f"/{name}"]
        elif os.path.isdir(f"/{name}"):
            args += ["--ro-bind", f"/{name}", f"/{name}"]
    # the working directory: a private, size-limited tmpfs with the notebook's files read-only in it
    if cwd and os.path.isdir(cwd):
        args += _parent_dirs(cwd)
        args += ["--perms", "1777", "--size", str(limits.tmp_mb * MB), "--tmpfs", cwd]
        for entry in sorted(os.listdir(cwd)):
            path = os.path.join(cwd, entry)
            if os.path.isfile(path) and not entry.endswith(".ipynb"):
                args += ["--ro-bind", path, path]
    args += ["--bind", private_dir, private_dir, "--chdir", cwd if cwd and os.path.isdir(cwd) else "/tmp", "--"]
    if drop_to_uid is not None:
        args += ["setpriv", f"--reuid={drop_to_uid}", f"--regid={drop_to_uid}", "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    return ["prlimit", *limits.prlimit_args(), *args, *inner]


def describe_exit(returncode, limits=None):
    """Words for how a kernel process ended, e.g. 'it crashed with a segmentation fault (SIGSEGV)'."""
    if returncode is None:
        return "it stopped responding"
    code = -returncode if returncode < 0 else (returncode - 128 if returncode > 128 else None)
    if code is None:
        return f"the kernel process exited with status {returncode} (os._exit, exit() or a crash)"
    try:
        name = signal.Signals(code).name
    except ValueError:
        return f"it was killed by signal {code}"
    known = {
        "SIGSEGV": "it crashed with a segmentation fault (SIGSEGV)",
        "SIGXCPU": "it used up its CPU time limit" + (f" of {limits.cpu_seconds} s" if limits else "")
                   + " (SIGXCPU)",
        "SIGXFSZ": "it wrote a file larger than the limit" + (f" of {limits.file_size_mb} MB" if limits else "")
                   + " (SIGXFSZ)",
        "SIGKILL": "it was killed (SIGKILL: a CPU or memory limit, or stopped by the grader)",
        "SIGABRT": "it aborted (SIGABRT), e.g. after running out of memory in C code",
        "SIGBUS": "it crashed with a bus error (SIGBUS)",
    }
    return known.get(name, f"it was killed by {name}")


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager that starts ``python -m dlcourse.grading.kernel`` inside the sandbox."""

    mode = CaselessStrEnum(SANDBOX_MODES, default_value=DEFAULTS.sandbox, help=help_of("sandbox")).tag(config=True)
    cpu_seconds = trait("cpu_seconds")
    memory_mb = trait("memory_mb")
    file_size_mb = trait("file_size_mb")
    processes = trait("processes")
    tmp_mb = trait("tmp_mb")
    exercises = List(Unicode(), help="exercise function names, for the reference-call tripwire").tag(config=True)
    private_root = Unicode("", help="where per-kernel private directories are made (default: system temp)"
                           ).tag(config=True)

    def limits(self):
        """The kernel's limits as :class:`~dlcourse.grading.settings.Settings`."""
        return Settings(cpu_seconds=self.cpu_seconds, memory_mb=self.memory_mb, file_size_mb=self.file_size_mb,
                        processes=self.processes, tmp_mb=self.tmp_mb)

    async def _async_pre_start_kernel(self, **kw):
        self._effective_mode = sandbox_mode(self.mode)
        self._private_dir = tempfile.mkdtemp(prefix="dlcourse-kernel-", dir=self.private_root or None)
        self._cwd = kw.get("cwd") or os.getcwd()
        if self._effective_mode == "bwrap":
            # the kernel has no network: talk over Unix sockets in the private directory
            self.transport = "ipc"
            self.ip = os.path.join(self._private_dir, "ipc")
        self.connection_file = os.path.join(self._private_dir, "kernel.json")
        if self.kernel_spec is not None:
            self.kernel_spec.interrupt_mode = "message"   # SIGINT does not cross into the sandbox
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments=None):
        drop = SANDBOX_UID if self._effective_mode == "bwrap" and os.geteuid() == 0 else None
        if drop is not None:
            os.chown(self._private_dir, drop, drop)
            os.chown(self.connection_file, drop, drop)
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
               "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
               "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "DLCOURSE_GRADING_EXERCISES": ",".join(self.exercises)}
        argv = [sys.executable, "-m", "dlcourse.grading.kernel", "-f", os.path.realpath(self.connection_file),
                *(extra_arguments or [])]
        return kernel_command(argv, self._effective_mode, self.limits(), self._private_dir, self._cwd, env, drop)

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        private = getattr(self, "_private_dir", None)
        if private and not restart:
            shutil.rmtree(private, ignore_errors=True)
