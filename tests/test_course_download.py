"""The course download (dlcourse/download.py): what it holds, and that a chapter runs from it alone.

The fast tests read the zip and its pins. The test marked ``download`` (``make test-download``, run by
``.ci/run`` beside ``make test``; a few minutes, it installs torch) unzips the download in a temporary folder
outside the repository, installs its requirements into a fresh venv (no system site-packages, so a missing
requirement fails) and runs every chapter's student notebook there, two at a time: only the test cells may
fail, each with NotImplementedError, and ``python -m dlcourse check`` reports the blank chapter.
"""
import os
import re
import subprocess
import sys
import textwrap
import zipfile

import nbformat
import pytest

from course_notebooks import CHAPTERS, REPO, student_path
from dlcourse.download import FOLDER, DownloadError, imported_distributions, requirements_lines, \
    write_course_download

NOT_FOR_STUDENTS = {"jupyter-book", "nbgrader", "pytest", "nbval", "playwright", "myst-nb", "sphinx", "hypothesis"}


@pytest.fixture(scope="module")
def download(tmp_path_factory):
    return write_course_download(tmp_path_factory.mktemp("download"))


def pinned(requirements):
    return {re.split(r"==", line)[0].lower(): line for line in requirements.splitlines()
            if line and not line.startswith(("#", "./"))}


def test_the_zip_holds_every_student_notebook_unchanged_the_wheel_and_a_readme(download):
    archive = zipfile.ZipFile(download)
    for chapter in CHAPTERS:
        assert archive.read(f"{FOLDER}/chapters/{chapter}/{chapter}.ipynb") == student_path(chapter).read_bytes()
    wheels = [name for name in archive.namelist() if name.endswith(".whl")]
    assert len(wheels) == 1
    readme = archive.read(f"{FOLDER}/README.md").decode()
    assert "python -m pip install -r requirements.txt" in readme and "python -m dlcourse check" in readme


def test_the_wheel_holds_the_package_and_its_command(download):
    wheel = next(path for path in download.parent.glob("dlcourse-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for module in ("dlcourse/__init__.py", "dlcourse/checks/__init__.py", "dlcourse/check_notebook.py",
                   "dlcourse/fallback.py", "dlcourse/plotting.py"):
        assert module in names
    assert not any("__pycache__" in name for name in names)
    entry_points = next(name for name in names if name.endswith("entry_points.txt"))
    assert "dlcourse = dlcourse.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_requirements_pin_what_the_notebooks_import_and_nothing_of_the_book(download):
    text = zipfile.ZipFile(download).read(f"{FOLDER}/requirements.txt").decode()
    pins = pinned(text)
    assert pins["torch"] == "torch==2.13.0"
    for name in ("numpy", "matplotlib", "scikit-learn", "threadpoolctl", "ipykernel", "jupyterlab"):
        assert re.fullmatch(rf"{name}==[\w.]+", pins[name]), f"{name} is pinned: {pins.get(name)}"
    assert not NOT_FOR_STUDENTS & set(pins), "the download installs only what the notebooks need"
    repository_pins = pinned((REPO / "requirements.txt").read_text())
    for name, line in pins.items():
        assert repository_pins.get(name, line) == line, f"{line} differs from the repository's requirements.txt"
    assert text.rstrip().splitlines()[-1] == f"./{next(download.parent.glob('dlcourse-*.whl')).name}"


def notebook(path, *sources):
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources]), path)
    return path


def test_optional_imports_are_not_required_and_dlcourse_modules_are_followed(tmp_path):
    path = notebook(tmp_path / "n.ipynb", "%matplotlib inline\nimport numpy as np",
                    "try:\n    import docutils\nexcept ImportError:\n    docutils = None")
    assert imported_distributions([path]) == ["numpy"]
    # datasets imports sklearn inside a function; book imports myst_nb only optionally
    following = imported_distributions([notebook(tmp_path / "m.ipynb", "from dlcourse import datasets")])
    assert {"numpy", "scikit-learn"} <= set(following) and "myst-nb" not in following


def test_an_uninstalled_import_is_one_sentence(tmp_path):
    path = notebook(tmp_path / "n.ipynb", "import surely_not_installed_anywhere")
    with pytest.raises(DownloadError, match="surely_not_installed_anywhere, which is not installed here"):
        requirements_lines([path])
    with pytest.raises(DownloadError, match="is not valid Python"):
        requirements_lines([notebook(tmp_path / "m.ipynb", "def broken(:")])


RUN_CHAPTERS = textwrap.dedent("""
    import json, sys
    import nbformat
    from nbclient import NotebookClient
    from dlcourse.check_notebook import this_python_kernel_manager
    results = {}
    for path in sys.argv[1:]:
        nb = nbformat.read(path, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell("import dlcourse; print(dlcourse.__file__)"))
        NotebookClient(nb, timeout=300, allow_errors=True, kernel_name="python3",
                       kernel_manager_class=this_python_kernel_manager(),
                       resources={"metadata": {"path": path.rsplit("/", 1)[0]}}).execute()
        errors = [(i, o.ename, "raises-exception" in c.metadata.get("tags", [])) for i, c in enumerate(nb.cells)
                  if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        results[path] = {"errors": errors, "dlcourse": nb.cells[-1].outputs[0]["text"].strip()}
    print(json.dumps(results))
""")


@pytest.mark.download
def test_every_chapter_runs_from_the_download_in_a_fresh_venv(tmp_path):
    import json
    folder = tmp_path / "student"
    with zipfile.ZipFile(write_course_download(tmp_path / "built")) as archive:
        archive.extractall(folder)
    course, venv = folder / FOLDER, tmp_path / "venv"
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    install = subprocess.run([python, "-m", "pip", "install", "--quiet", "-r", "requirements.txt"], cwd=course,
                             env=env, capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-2000:]
    notebooks = [str(course / "chapters" / c / f"{c}.ipynb") for c in CHAPTERS]
    # two processes, one chapter at a time each: both cores
    runs = [subprocess.Popen([python, "-c", RUN_CHAPTERS, *notebooks[half::2]], cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for half in (0, 1)]
    results = {}
    for run in runs:
        stdout, stderr = run.communicate()
        assert run.returncode == 0, stderr[-2000:]
        results.update(json.loads(stdout))
    assert sorted(results) == sorted(notebooks)
    for path, result in results.items():
        assert result["dlcourse"].startswith(str(venv)), f"dlcourse came from {result['dlcourse']}, not the venv"
        wrong = [(cell, name) for cell, name, is_test in result["errors"] if not is_test or name != "NotImplementedError"]
        assert not wrong, f"{path}: cells other than the test cells fail, or fail otherwise: {wrong}"
        assert result["errors"], f"{path}: the stubs make the test cells fail"
    check = subprocess.run([python, "-m", "dlcourse", "check", f"chapters/{CHAPTERS[0]}/{CHAPTERS[0]}.ipynb"],
                           cwd=course, env=env, capture_output=True, text=True)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "not implemented yet" in check.stdout and "written questions still unanswered" in check.stdout
