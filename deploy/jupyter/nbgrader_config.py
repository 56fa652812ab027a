"""nbgrader in every single-user server of the course's JupyterHub (the hub puts this folder on
JUPYTER_CONFIG_PATH): the exchange and the course id; for the instructor also the course folder and
the grader's defences, so that the formgrader's Autograde grades as `python -m dlcourse grade` does."""
from dlcourse.deploy import configure_nbgrader

c = get_config()  # noqa: F821
configure_nbgrader(c)
