"""The grading kernel: ``python -m dlcourse.grading.kernel -f <connection file>``.

Book: "Instructor guide", section "Grading a class with nbgrader".

An ordinary IPython kernel (what ``python -m ipykernel_launcher`` starts), except that the integrity
guard (:mod:`dlcourse.grading.guard`) is installed before the first cell runs. The sandbox passes the
chapter's exercise names in ``DLCOURSE_GRADING_EXERCISES`` (comma-separated).
"""
import os
import sys

__all__ = ["main"]


def main():
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]          # like ipykernel_launcher: files in the notebook's folder must not shadow modules
    exercises = [name for name in os.environ.pop("DLCOURSE_GRADING_EXERCISES", "").split(",") if name]
    from ipykernel.kernelapp import IPKernelApp

    from . import guard
    guard.install(exercises)
    app = IPKernelApp.instance()
    app.initialize([*sys.argv[1:], "--no-stdout"])   # the kernel's own banner would go to the grader's log
    guard.install_shell(app.shell)
    app.start()


if __name__ == "__main__":
    main()
