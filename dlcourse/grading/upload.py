"""Feedback pages ready to upload to the learning platform the submissions came from.

Book: "Instructor guide", section "Returning feedback".

``grading/<id>/feedback-upload.zip`` mirrors the platform's export: each student's feedback page
lies where their notebook lay, named after it, with ``-feedback.html`` in place of ``.ipynb``. That
is the name the platforms' bulk feedback upload matches to a student:

- Moodle ("Upload multiple feedback files in a zip"): the folder ``<Full Name>_<participant id>_assignsubmission_file_/``
  of the download says whose feedback it is;
- Canvas ("Re-upload submissions"): the numbers in ``<login>_<user id>_<attachment id>_...`` do, and
  the page becomes a comment on that submission;
- other layouts (``<student>/...``, ``<student>_...``) keep the student's folder or prefix.

Students whose file could not be matched (no notebook submitted) get no page in the zip; they are
listed. The zip has fixed time stamps, so the same feedback gives the same bytes.
"""
import json
import zipfile
from pathlib import PurePosixPath

__all__ = ["upload_name", "write_upload", "UPLOAD_SUFFIX"]

UPLOAD_SUFFIX = "-feedback.html"


def upload_name(original):
    """The name of a student's feedback page in the upload zip, from their file's path in the export."""
    path = PurePosixPath(original)
    stem = path.name[:-len(".ipynb")] if path.name.endswith(".ipynb") else path.stem
    return str(path.with_name(stem + UPLOAD_SUFFIX))


def write_upload(course):
    """Write ``grading/<id>/feedback-upload.zip`` from the feedback pages; returns (path, students left out)."""
    path, missing = course.state / "feedback-upload.zip", []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for report_file in sorted(course.reports.glob("*.json")):
            report = json.loads(report_file.read_text())
            student = report.get("student", report_file.stem)
            page = course.root / "feedback" / student / course.chapter / f"{course.chapter}.html"
            if not report.get("original") or not page.exists():
                missing.append(student)
                continue
            entry = zipfile.ZipInfo(upload_name(report["original"]), date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, page.read_bytes())
    return path, missing
