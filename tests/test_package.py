"""The package's structure: its modules import each other without a cycle, pyproject.toml declares every
distribution it imports, and the notebook conventions live in one module that the rest uses."""
import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

import dlcourse
from course_notebooks import REPO

PACKAGE = Path(dlcourse.__file__).parent


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules():
    """{module name: parsed source} for every module of dlcourse."""
    return {_module_name(path): ast.parse(path.read_text(), str(path)) for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(name, tree, known):
    """The modules of ``known`` that module ``name`` imports, anywhere in its body (functions included)."""
    package = name if (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists() else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from package import module` imports the module; `from module import name` the module
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        found |= {target for target in targets if target in known}
    # a module's own packages are initialised before it runs: importing them cannot start a cycle
    return {target for target in found if not name.startswith(target + ".") and target != name}


def import_cycles(modules):
    """Every cycle of the import graph, each as a list of module names (Tarjan's strongly connected parts)."""
    graph = {name: _imports(name, tree, modules) for name, tree in modules.items()}
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_the_cycle_detector_finds_a_lazy_import_cycle():
    modules = {"dlcourse.grading.a": ast.parse("from .b import x"),
               "dlcourse.grading.b": ast.parse("def f():\n    from . import a\n"),
               "dlcourse.grading.c": ast.parse("import dlcourse.grading.a")}
    assert import_cycles(modules) == [["dlcourse.grading.a", "dlcourse.grading.b"]]


def test_dlcourse_has_no_import_cycle():
    modules = _modules()
    assert "dlcourse.grading.course" in modules and "dlcourse.conventions" in modules
    assert import_cycles(modules) == [], "import cycles (lazy imports included)"


CONVENTION_TEXTS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "checks passed",
                    "raises-exception", "remove-output", "YOUR ANSWER HERE")


def _docstrings(tree):
    return {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body
            and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}


def test_the_notebook_conventions_live_in_one_module():
    """Only dlcourse.conventions spells out a marker, the success line or a release tag (in code, not in
    docs), and nothing imports dlcourse.release for a convention."""
    for name, tree in _modules().items():
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] == "release":
                imported = {alias.name for alias in node.names}
                assert imported <= {"REPO", "chapter_ids", "chapters_in"}, f"{name} imports {imported} from dlcourse.release"
            if name != "dlcourse.conventions" and isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and id(node) not in docstrings:
                spelled = [text for text in CONVENTION_TEXTS if text in node.value]
                assert not spelled, f"{name} spells out {spelled} (line {node.lineno}): use dlcourse.conventions"


def test_the_success_line_round_trips():
    from dlcourse.checks.core import Checker
    from dlcourse.conventions import PASSED_LINE, passed_line

    assert PASSED_LINE.match(passed_line("linear_backward", 21)).groups() == ("linear_backward", "21")
    checker = Checker("mlp_backward")
    checker.ok()
    checker.ok()
    from contextlib import redirect_stdout
    from io import StringIO
    with redirect_stdout(StringIO()) as out:
        checker.done()
    assert out.getvalue() == passed_line("mlp_backward", 2) + "\n"


def _optional_imports(tree):
    """Imports inside ``try: ... except ImportError``: dlcourse works without them (e.g. myst_nb, for the book)."""
    guarded = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(isinstance(h.type, ast.Name) and h.type.id in ("ImportError",
                                                                                            "ModuleNotFoundError")
                                             for h in node.handlers):
            guarded |= {id(inner) for statement in node.body for inner in ast.walk(statement)}
    return guarded


def _third_party_imports():
    names = set()
    for tree in _modules().values():
        optional = _optional_imports(tree)
        for node in ast.walk(tree):
            if id(node) in optional:
                continue
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module.split(".")[0])
    return {name for name in names if name not in sys.stdlib_module_names and name != "dlcourse"}


def _normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return {_normalise(Requirement(line).name): Requirement(line) for line in project["dependencies"]}


def test_pyproject_declares_what_dlcourse_imports():
    distributions = importlib.metadata.packages_distributions()
    imported = {}
    for module in _third_party_imports():
        assert module in distributions, f"dlcourse imports {module}, which no installed distribution provides"
        imported[module] = {_normalise(d) for d in distributions[module]}
    declared = set(_declared())
    missing = {module: dists for module, dists in imported.items() if not dists & declared}
    assert not missing, f"imported by dlcourse but not in pyproject's dependencies: {missing}"
    unused = declared - set().union(*imported.values())
    assert not unused, f"declared in pyproject but never imported by dlcourse: {unused}"


def test_pyproject_agrees_with_the_pins_of_requirements():
    pins = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            requirement = Requirement(line)
            pins[_normalise(requirement.name)] = next(iter(requirement.specifier)).version
    for name, requirement in _declared().items():
        assert name in pins, f"{name} is a dependency of dlcourse but requirements.txt does not pin it"
        assert requirement.specifier.contains(pins[name]), f"{requirement} disagrees with {name}=={pins[name]}"
    assert str(_declared()["torch"].specifier) == "==2.13.0"
