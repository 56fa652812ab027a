"""JupyterHub for the course on one machine: `jupyterhub -f deploy/jupyterhub_config.py`.

Who may log in, where the instructor's course folder and nbgrader's exchange are: deploy/course.toml
(or the file named by DLCOURSE_DEPLOY). The instructor guide, "The course on JupyterHub", explains
every file of deploy/.
"""
from dlcourse.deploy import configure_hub

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)
configure_hub(c)

# A real machine: PAM logins of the machine's Unix accounts, one server process per account.
c.JupyterHub.authenticator_class = "jupyterhub.auth.PAMAuthenticator"
c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
# Serve it behind HTTPS: put a TLS certificate here, or a reverse proxy in front of the port.
# c.JupyterHub.ssl_cert = "/etc/letsencrypt/live/<host>/fullchain.pem"
# c.JupyterHub.ssl_key = "/etc/letsencrypt/live/<host>/privkey.pem"
