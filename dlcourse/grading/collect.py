"""From a learning platform's export (a folder or a zip) to one submission per student.

Book: "Instructor guide", section "Grading a class with nbgrader".

Recognised layouts (``<chapter>`` is e.g. ``02_backprop``):

- a folder per student: ``<student>/<anything>.ipynb``, also nbgrader's
  ``<student>/<chapter>/<chapter>.ipynb`` and Moodle's ``<Full Name>_<id>_assignsubmission_file_/``;
- one file per student and notebook: ``<student>_<anything>.ipynb`` (Canvas:
  ``<login>_<id>_<id>_<original name>.ipynb``), the student id being the part before the first ``_``;
- or any layout, with ``pattern``: a regular expression with a named group ``student`` matched
  against each path relative to the export.

Student ids are made safe as folder names (letters, digits, ``.``, ``-``, ``_``). When a student
has several notebooks, the one named after the chapter is graded (the last by name when there are
several), and the others are listed in the notes. Zip files are extracted safely: absolute paths,
``..``, members over 50 MB and anything beyond 4 GB in total are refused.
"""
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

__all__ = ["Submission", "collect", "safe_student_id", "extract_zip", "MAX_MEMBER_BYTES"]

MAX_MEMBER_BYTES = 50 * 1024 * 1024
MAX_TOTAL_BYTES = 4 * 1024 ** 3
_IGNORED_PARTS = {"__MACOSX", ".ipynb_checkpoints"}
_MOODLE = re.compile(r"^(?P<student>.+?)_\d+_assign(?:submission|ment)_(?:file|onlinetext)_?$")


@dataclass
class Submission:
    """One student's notebook for one chapter (``path`` None when the student has none)."""
    student: str
    path: Path = None
    original: str = ""
    notes: list = field(default_factory=list)


def safe_student_id(name):
    """A student id usable as a folder name: other characters become ``-``."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name.strip()).strip("-.")
    return cleaned or "unknown"


def extract_zip(archive, target):
    """Extract ``archive`` into ``target`` safely; returns notes on what was skipped."""
    notes, total = [], 0
    target = Path(target)
    with zipfile.ZipFile(archive) as zipped:
        for member in zipped.infolist():
            name = PurePosixPath(member.filename.replace("\\", "/"))
            if member.is_dir():
                continue
            if name.is_absolute() or ".." in name.parts:
                notes.append(f"refused unsafe path in the zip: {member.filename}")
                continue
            if member.file_size > MAX_MEMBER_BYTES or total + member.file_size > MAX_TOTAL_BYTES:
                notes.append(f"skipped {member.filename}: larger than {MAX_MEMBER_BYTES // 2 ** 20} MB "
                             f"or the zip holds more than {MAX_TOTAL_BYTES // 2 ** 30} GB")
                continue
            total += member.file_size
            destination = target.joinpath(*name.parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            with zipped.open(member) as source:
                data = source.read(MAX_MEMBER_BYTES + 1)
            destination.write_bytes(data[:MAX_MEMBER_BYTES])
    return notes


def _student_of(relative, pattern):
    parts = relative.parts
    if pattern is not None:
        match = re.search(pattern, relative.as_posix())
        return match.group("student") if match else None
    if len(parts) > 1:
        moodle = _MOODLE.match(parts[0])
        return moodle.group("student") if moodle else parts[0]
    stem = relative.stem
    return stem.split("_", 1)[0] if "_" in stem else None


def collect(export, chapter, workdir, pattern=None, roster=()):
    """The submissions in ``export`` (folder or zip) for ``chapter``, sorted by student id.

    ``workdir``: where a zip is extracted. ``roster``: student ids that must appear (a missing one
    gets a submission without a path). Returns (submissions, notes about the export).
    """
    export, notes = Path(export), []
    if export.is_file() and zipfile.is_zipfile(export):
        root = Path(workdir) / "extracted"
        notes += extract_zip(export, root)
    elif export.is_dir():
        root = export
    else:
        raise FileNotFoundError(f"{export} is neither a folder nor a zip file")
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or any(p in _IGNORED_PARTS or p.startswith(".") for p in relative.parts):
            continue
        student = _student_of(relative, pattern)
        if student is None:
            if path.suffix == ".ipynb":
                notes.append(f"ignored {relative}: no student id in the name")
            continue
        found.setdefault(safe_student_id(student), []).append((relative, path))
    submissions, roster = [], {safe_student_id(s) for s in roster}
    for student in sorted(set(found) | roster):
        files = found.get(student, [])
        notebooks = [(rel, path) for rel, path in files if path.suffix == ".ipynb"]
        named = [(rel, path) for rel, path in notebooks if chapter in rel.as_posix()]
        if pattern is None and len(files) and all(len(rel.parts) == 1 for rel, _ in files):
            notebooks = named                      # flat export: only files named after this chapter count
        candidates = named or notebooks
        if not candidates:
            if files or student in roster:
                submissions.append(Submission(student, None, ""))
            continue
        relative, path = candidates[-1]
        entry = Submission(student, path, relative.as_posix())
        if len(notebooks) > 1:
            others = ", ".join(rel.as_posix() for rel, _ in notebooks if rel != relative)
            entry.notes.append(f"several notebooks submitted; graded {relative.as_posix()}, not {others}")
        submissions.append(entry)
    return submissions, notes
