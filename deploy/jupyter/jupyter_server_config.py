"""Jupyter Server in every single-user server of the course's JupyterHub: students get no formgrader
(the instructor keeps it)."""
from dlcourse.deploy import configure_server

c = get_config()  # noqa: F821
configure_server(c)
