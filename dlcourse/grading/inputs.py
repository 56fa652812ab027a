"""What an instructor gives the grading commands, checked before anything is written.

Book: "Instructor guide", section "Grading a class with nbgrader".

Each check raises :class:`InputError` with one sentence: what is wrong and what would be right
(e.g. the chapters there are). ``python -m dlcourse`` prints it and exits with status 2, having
created nothing.
"""
import difflib
import os
import re
import zipfile
from pathlib import Path

from ..release import chapters_in

__all__ = ["InputError", "chapter", "export", "roster", "pattern", "jobs", "course_folder", "limits", "sandbox"]


class InputError(ValueError):
    """A command-line input that cannot work; the message says what would."""


def chapter(name, solutions):
    """``name`` if ``solutions`` has that chapter (``<id>/<id>.ipynb``); else one sentence with the choices."""
    solutions = Path(solutions)
    if not solutions.is_dir():
        raise InputError(f"the solutions folder {solutions} does not exist: give --solutions the folder that holds "
                         "<chapter>/<chapter>.ipynb (default: the repository's solutions/)")
    available = chapters_in(solutions)
    if name in available:
        return name
    close = difflib.get_close_matches(name, available, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise InputError(f"there is no chapter {name!r} in {solutions}{hint}; the chapters are: "
                     + (", ".join(available) or "none"))


def export(path):
    """The platform's export: an existing folder or zip file."""
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError(f"{path} does not exist: give the folder or the zip file that the learning platform "
                         "exported (one notebook per student)")
    if path.is_file() and not zipfile.is_zipfile(path):
        raise InputError(f"{path} is not a zip file (or it is damaged): give the folder or the zip file that the "
                         "learning platform exported")
    return path


def roster(path):
    """Student ids, one a line, from ``path`` (None: no roster)."""
    if path is None:
        return ()
    try:
        text = Path(path).expanduser().read_text()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "it is not a text file"
        raise InputError(f"the roster {path} cannot be read ({reason}): give a text file with one student id "
                         "per line") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def pattern(text):
    """A regular expression with a named group ``student`` (None: the platform layouts are recognised)."""
    if text is None:
        return None
    try:
        compiled = re.compile(text)
    except re.error as error:
        raise InputError(f"--pattern {text!r} is not a regular expression ({error}); e.g. "
                         r"'submission-(?P<student>s\d+)'") from None
    if "student" not in compiled.groupindex:
        raise InputError(f"--pattern {text!r} has no named group 'student': write the part that is the student "
                         r"id as (?P<student>...), e.g. 'submission-(?P<student>s\d+)'")
    return text


def jobs(text):
    """The number of submissions graded at once: a positive number, or ``auto`` (every core)."""
    if text == "auto":
        return os.cpu_count() or 1
    if not str(text).isdigit() or int(text) < 1:
        raise InputError(f"--jobs {text!r} is not a positive number: give e.g. --jobs 2, or --jobs auto for one "
                         "job per core")
    return int(text)


def course_folder(path):
    """The course folder: missing (it is created) or a folder."""
    path = Path(path).expanduser()
    if path.exists() and not path.is_dir():
        raise InputError(f"the course folder {path} exists and is not a folder: give a new or existing folder "
                         "outside the repository")
    return path


def sandbox(mode):
    """The sandbox mode, when it can work here (``bwrap`` insists on bubblewrap)."""
    from .sandbox import sandbox_mode
    try:
        sandbox_mode(mode)
    except RuntimeError as error:
        raise InputError(str(error)) from None
    return mode


def limits(settings, options):
    """Every limit among ``options`` (field names of ``settings``) is a positive number."""
    for name in options:
        value = getattr(settings, name)
        if isinstance(value, int) and value <= 0:
            raise InputError(f"--{name.replace('_', '-')} {value} is not positive: give a number of "
                             "seconds or megabytes above 0")
    return settings
