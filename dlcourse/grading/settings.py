"""The limits of a grading run: the one place that defines them, their defaults and what they mean.

Book: "Instructor guide", section "Grading a class with nbgrader" (limits).

:class:`Settings` is what ``python -m dlcourse grade`` takes as options (:data:`OPTIONS`), what the
generated grading configuration writes (:func:`config_lines`), and where the nbgrader pieces take
their defaults from: the executor (:class:`~dlcourse.grading.execute.SafeExecute`) and the kernel
manager (:class:`~dlcourse.grading.sandbox.SandboxKernelManager`) declare their configurable traits
with :func:`trait`, so that a plain ``nbgrader autograde`` without any configuration gets the same
limits.
"""
from dataclasses import dataclass, field, fields

from traitlets import Integer

__all__ = ["Settings", "DEFAULTS", "OPTIONS", "SANDBOX_MODES", "trait", "help_of", "config_values", "config_lines"]

SANDBOX_MODES = ("auto", "bwrap", "rlimits", "off")
MB = 1024 * 1024


def _limit(default, help_text, owner, option=False, trait=None):
    """A field: its default, its help, the nbgrader class (and trait, if named otherwise) that applies it, and
    whether ``python -m dlcourse grade`` has an option for it."""
    return field(default=default, metadata={"help": help_text, "owner": owner, "option": option, "trait": trait})


@dataclass(frozen=True)
class Settings:
    """Limits of a grading run (the defaults suit a chapter that runs in <= 20 s)."""
    cell_timeout: int = _limit(60, "s per cell", "SafeExecute", option=True, trait="timeout")
    notebook_timeout: int = _limit(300, "s per notebook", "SafeExecute", option=True)
    interrupt_grace: int = _limit(10, "s an interrupted cell has to stop before its kernel is killed", "SafeExecute",
                                  option=True)
    submission_timeout: int = _limit(420, "s per submission, nbgrader included", None, option=True)
    cpu_seconds: int = _limit(300, "CPU s of the kernel", "SandboxKernelManager", option=True)
    memory_mb: int = _limit(4096, "MB of address space of the kernel", "SandboxKernelManager", option=True)
    file_size_mb: int = _limit(64, "MB: the largest file the kernel may write", "SandboxKernelManager", option=True)
    processes: int = _limit(512, "processes and threads of the kernel's user", "SandboxKernelManager")
    tmp_mb: int = _limit(256, "MB of the kernel's private /tmp and working directory", "SandboxKernelManager")
    max_stream_chars: int = _limit(20_000, "characters kept of each output stream, per cell", "SafeExecute")
    tail_chars: int = _limit(2_000, "characters kept from the end of a truncated stream", "SafeExecute")
    max_rich_outputs: int = _limit(40, "figures and results kept per cell", "SafeExecute")
    max_rich_chars: int = _limit(4_000_000, "characters of figures and results kept per cell", "SafeExecute")
    sandbox: str = _limit("auto", "auto: bubblewrap when it works here, else resource limits only",
                          "SandboxKernelManager", option=True, trait="mode")

    def prlimit_args(self):
        """``prlimit`` options for the kernel: soft limits, and hard limits it cannot raise."""
        return [f"--cpu={self.cpu_seconds}:{self.cpu_seconds + 5}", f"--as={self.memory_mb * MB}",
                f"--fsize={self.file_size_mb * MB}", f"--nproc={self.processes}", "--core=0", "--"]


DEFAULTS = Settings()
OPTIONS = [f.name for f in fields(Settings) if f.metadata["option"]]    # options of `python -m dlcourse grade`
_FIELDS = {f.name: f for f in fields(Settings)}


def help_of(name):
    return _FIELDS[name].metadata["help"]


def trait(name):
    """A configurable ``Integer`` trait whose default and help are those of the limit ``name``."""
    return Integer(getattr(DEFAULTS, name), help=help_of(name)).tag(config=True)


def config_values(settings):
    """(class, trait, value) for every limit of ``settings`` that an nbgrader piece applies."""
    return [(f.metadata["owner"], f.metadata["trait"] or f.name, getattr(settings, f.name))
            for f in fields(Settings) if f.metadata["owner"] is not None]


def config_lines(settings):
    """``c.<Class>.<trait> = value`` lines that give nbgrader's pieces the limits of ``settings``."""
    return [f"c.{owner}.{name} = {value!r}" for owner, name, value in config_values(settings)]
