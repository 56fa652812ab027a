"""The limits of a grading run, as command-line options of ``python -m dlcourse grade``.

Book: "Instructor guide", section "Grading a class with nbgrader".
"""
from dataclasses import dataclass

__all__ = ["Settings"]


@dataclass
class Settings:
    """Limits of a grading run; every one is a command-line option of ``python -m dlcourse grade``."""
    cell_timeout: int = 60            # s per cell (the repository's nbgrader_config.py says 60)
    notebook_timeout: int = 300       # s per notebook, all cells together
    interrupt_grace: int = 10         # s an interrupted cell has to stop before its kernel is killed
    submission_timeout: int = 420     # s per submission including nbgrader itself; then it is killed
    sandbox: str = "auto"             # auto | bwrap | rlimits | off
    cpu_seconds: int = 300
    memory_mb: int = 4096
    file_size_mb: int = 64
    processes: int = 512
    tmp_mb: int = 256
    max_stream_chars: int = 20_000
