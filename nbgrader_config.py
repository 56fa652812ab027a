"""nbgrader configuration of the course: the repository root is the course directory.

solutions/<id>/<id>.ipynb are the instructor sources; `python -m dlcourse release` runs
`nbgrader generate_assignment` and writes the student notebooks to chapters/<id>/.

Every nbgrader command run with this configuration grades as `python -m dlcourse grade` does
(`configure` installs the grader's pieces: damaged files read, test cells repaired and guarded, the
kernel sandboxed with time and resource limits, a test scored only on its checks' evidence, feedback
without hidden tests that renders offline). A course folder elsewhere (e.g. on JupyterHub) loads
this file with `load_subconfig` and sets its own root; see the instructor guide.
"""
import os

from dlcourse.grading.pipeline import configure

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "dlcourse"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "chapters"

configure(c)   # the limits are dlcourse.grading.settings.Settings' defaults; override them below if needed
