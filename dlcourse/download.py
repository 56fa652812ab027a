"""The course download: what a student needs to run the chapters outside this repository, as one zip.

Book: "How to use this book", section "Get the notebooks running". ``make book`` writes it into the built
book (``_ext/course_download.py`` calls :func:`write_course_download` for ``_build/html/downloads/``), and
every chapter page, the introduction and "How to use this book" link to it.

The zip holds one folder, ``dlcourse-course/``: the student notebooks (``chapters/<id>/<id>.ipynb``), a
wheel of ``dlcourse``, ``requirements.txt`` and a ``README.md`` saying how to install and run them.
``requirements.txt`` pins, to the versions the book is built and tested with (``requirements.txt`` of the
repository, else the version installed here), every distribution the notebooks import, directly or through
the ``dlcourse`` modules they import, except optional imports (inside ``try ... except ImportError``, such as
myst-nb for the book's glue); then ipykernel and JupyterLab, which run the notebooks; its last line installs
the wheel. Jupyter Book, nbgrader and the test tools are not in it.
"""
import ast
import importlib.metadata
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from .release import REPO, chapter_ids

__all__ = ["ZIP_NAME", "FOLDER", "RUNNERS", "DownloadError", "imported_distributions", "requirements_lines",
           "build_wheel", "write_course_download"]

ZIP_NAME = "dlcourse-course.zip"
FOLDER = "dlcourse-course"
RUNNERS = ("ipykernel", "jupyterlab")     # what runs a notebook: a kernel and the notebook interface
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)         # a fixed time stamp, so the same sources give the same zip


class DownloadError(RuntimeError):
    """The course download cannot be built; the message says why."""


def _normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _catches_import_error(handler):
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError") for n in names)


def _imports(tree, package):
    """Absolute names of the modules ``tree`` imports (``package``: where relative imports start), without
    the optional ones; ``from a import b`` gives both ``a`` and ``a.b`` (b may be a module)."""
    optional = {id(node) for t in ast.walk(tree) if isinstance(t, ast.Try)
                and any(_catches_import_error(h) for h in t.handlers)
                for statement in t.body for node in ast.walk(statement)}
    for node in ast.walk(tree):
        if id(node) in optional:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _module_file(name, repo):
    """The source file of a ``dlcourse`` module, or None when ``name`` is not one (e.g. a function)."""
    path = Path(repo, *name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _notebook_trees(path):
    """The syntax tree of each code cell of a notebook (IPython magics and shell lines left out)."""
    import nbformat
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type != "code":
            continue
        code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            yield ast.parse(code)
        except SyntaxError as error:
            raise DownloadError(f"cell {index} of {path} is not valid Python ({error.msg}, line {error.lineno}), "
                                "so its imports cannot be read.") from None


def imported_distributions(notebooks, repo=REPO):
    """The installed distributions (sorted names) that ``notebooks`` import, directly or through dlcourse."""
    names, seen, queue = set(), set(), []
    for notebook in notebooks:
        for tree in _notebook_trees(notebook):
            queue.extend(_imports(tree, ""))
    while queue:
        name = queue.pop()
        top = name.split(".")[0]
        if top != "dlcourse":
            names.add(top)
            continue
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):        # importing a.b.c runs a, a.b and a.b.c
            module = ".".join(parts[:depth])
            path = _module_file(module, repo)
            if path is None or module in seen:
                continue
            seen.add(module)
            package = module if path.name == "__init__.py" else module.rpartition(".")[0]
            queue.extend(_imports(ast.parse(path.read_text()), package))
    third_party = sorted(n for n in names if n and n not in sys.stdlib_module_names and n != "__future__")
    owners = importlib.metadata.packages_distributions()
    missing = [n for n in third_party if n not in owners]
    if missing:
        raise DownloadError(f"the notebooks import {', '.join(missing)}, which is not installed here, so the "
                            "course download cannot pin its version; install the repository's requirements.txt.")
    return sorted({owners[n][0] for n in third_party}, key=_normalise)


def _pins(repo):
    pins = {}
    for line in Path(repo, "requirements.txt").read_text().splitlines():
        match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s#;]+)", line)
        if match:
            pins[_normalise(match.group(1))] = f"{match.group(1)}=={match.group(2)}"
    return pins


def requirements_lines(notebooks, repo=REPO):
    """One pinned requirement per distribution the notebooks need, then the RUNNERS."""
    pins = _pins(repo)
    lines = []
    for name in imported_distributions(notebooks, repo) + list(RUNNERS):
        line = pins.get(_normalise(name)) or f"{name}=={importlib.metadata.version(name)}"
        if line not in lines:
            lines.append(line)
    return lines


def build_wheel(out_dir, repo=REPO):
    """Build the wheel of dlcourse (from a copy of the sources, so the repository stays clean) into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("dlcourse-*.whl"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp, "dlcourse-src")
        shutil.copytree(Path(repo, "dlcourse"), source / "dlcourse",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        shutil.copy(Path(repo, "pyproject.toml"), source)
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                               "--no-index", "--wheel-dir", str(out_dir), str(source)],
                              capture_output=True, text=True)
    wheels = sorted(out_dir.glob("dlcourse-*.whl"))
    if done.returncode or len(wheels) != 1:
        raise DownloadError(f"pip could not build the wheel of dlcourse: {done.stderr.strip()[-500:]}")
    return wheels[0]


def _readme(wheel, first_chapter):
    notebook = f"chapters/{first_chapter}/{first_chapter}.ipynb"
    return f"""# Training Deep Networks: the course download

This folder holds every chapter's notebook (`chapters/<id>/<id>.ipynb`), the course package dlcourse
(`{wheel.name}`) and `requirements.txt`, which pins what the notebooks need.

1. Install, in this folder, with Python 3.10 or newer:

       python -m venv .venv
       .venv/bin/python -m pip install -r requirements.txt

   (on Windows: `.venv\\Scripts\\python -m pip install -r requirements.txt`)

2. Open a chapter in JupyterLab:

       .venv/bin/jupyter lab {notebook}

3. Before you hand in, check all your work (runs the notebook, then every test, and prints a table):

       .venv/bin/python -m dlcourse check {notebook}
"""


def _add(archive, name, data):
    info = zipfile.ZipInfo(f"{FOLDER}/{name}", date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def write_course_download(out_dir, repo=REPO):
    """Write the wheel and ``dlcourse-course.zip`` into ``out_dir``; return the zip's path."""
    out_dir = Path(out_dir)
    chapters = chapter_ids(repo)
    notebooks = [Path(repo, "chapters", chapter, f"{chapter}.ipynb") for chapter in chapters]
    missing = [str(path.relative_to(repo)) for path in notebooks if not path.is_file()]
    if missing:
        raise DownloadError(f"{', '.join(missing)} missing: run `python -m dlcourse release` first.")
    wheel = build_wheel(out_dir, repo)
    requirements = requirements_lines(notebooks, repo) + [f"./{wheel.name}"]
    header = ("# What the course notebooks need, pinned. Install in this folder (the last line is the course\n"
              "# package): python -m pip install -r requirements.txt\n")
    target = out_dir / ZIP_NAME
    with zipfile.ZipFile(target, "w") as archive:
        _add(archive, "README.md", _readme(wheel, chapters[0]))
        _add(archive, "requirements.txt", header + "\n".join(requirements) + "\n")
        _add(archive, wheel.name, wheel.read_bytes())
        for chapter, notebook in zip(chapters, notebooks):
            _add(archive, f"chapters/{chapter}/{chapter}.ipynb", notebook.read_bytes())
    return target
