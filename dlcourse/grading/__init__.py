"""Grading a class with nbgrader: from a platform's export of submissions to grades and feedback.

Book: "Instructor guide", section "Grading a class with nbgrader".

``python -m dlcourse grade <chapter> <folder or zip> --course <dir>`` runs the whole workflow:

- :mod:`.inputs` checks what the instructor gave the command, before anything is written;
- :mod:`.collect` maps the platform's files to students;
- :mod:`.notebooks` reads each file (or says why it cannot) and puts its graded cells in order;
- :mod:`.scan` looks for code that games the tests (flags only);
- :mod:`.course` prepares the course directory; :func:`.runner.prepare` grades the instructor's
  solution once to record what each test cell prints;
- :mod:`.runner` grades each student in a private course directory (:mod:`.worker`), N at a time;
- :mod:`.execute`, :mod:`.sandbox`, :mod:`.kernel`, :mod:`.guard` run the notebook safely;
- :mod:`.scoring` scores a test cell only when its checks said they passed;
- :mod:`.pipeline` installs all of these pieces in any nbgrader configuration (the repository's,
  a course folder's, a JupyterHub course's), so that every route grades alike;
- :mod:`.feedback` keeps the hidden tests out of the feedback pages; :mod:`.feedback_page` makes
  each page self-contained (maths offline, citations as text) and :mod:`.upload` names the pages
  for the learning platform;
- :mod:`.export` writes the reproducible CSV; :mod:`.library` and :mod:`.library_report` measure
  the tests against libraries of wrong and correct implementations;
- :mod:`.pool` keeps the worker processes, :mod:`.findings` turns what happened into notes and
  flags, :mod:`.settings` defines the limits and their defaults (once).

The layers, each importing only from those before it (``tests/test_package.py`` checks that there is
no import cycle): :mod:`dlcourse.conventions` and :mod:`.settings`; the pieces nbgrader runs
(:mod:`.sandbox`, :mod:`.execute`, :mod:`.feedback`, :mod:`.feedback_page`, :mod:`.guard`,
:mod:`.kernel`); :mod:`.scan`, :mod:`.notebooks`, :mod:`.pipeline`, :mod:`.scoring`,
:mod:`.findings`, :mod:`.collect`, :mod:`.inputs`; the processes (:mod:`.worker`, :mod:`.pool`);
:mod:`.course`; :mod:`.runner`; and what uses a whole run (:mod:`.export`, :mod:`.upload`,
:mod:`.library`, :mod:`.library_report`).

This package is imported by the grader, never by student notebooks (except :mod:`.guard`, inside
the grading kernel).
"""
__all__ = ["collect", "course", "execute", "export", "feedback", "feedback_page", "findings", "guard", "inputs",
           "kernel", "library", "library_report", "notebooks", "pipeline", "pool", "runner", "sandbox", "scan",
           "scoring", "settings", "upload", "worker"]
