"""nbgrader configuration of the course: the repository root is the course directory.

solutions/<id>/<id>.ipynb are the instructor sources; `python -m dlcourse release` runs
`nbgrader generate_assignment` and writes the student notebooks to chapters/<id>/.
"""
import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "dlcourse"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "chapters"

# A chapter runs in <= 20 s on 2 cores; a single cell that takes a minute is stuck.
c.Execute.timeout = 60
