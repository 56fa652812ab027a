"""A static scan of the code a student wrote, for the instructor: what looks like gaming the tests.

Book: "Instructor guide", section "Grading a class with nbgrader" (threat model).

Runs in the grader (outside the student's kernel, so it cannot be tampered with) on every code cell
that differs from the student version of the chapter. It never changes a score; each finding is a
flag in the CSV and the report, for a human to look at:

- ``reference``: uses a ``dlcourse`` function that has an exercise's name (``layers.linear_backward``,
  ``from dlcourse.network import mlp_backward``, ``getattr(..., "mlp_backward")``);
- ``patching``: assigns to an attribute of a module (``np.allclose = ...``, ``checks.Checker.close = ...``),
  calls ``setattr``/``delattr`` on one, touches ``sys.modules``, ``builtins``/``__builtins__``, or
  defines a name of a check function (``def check_linear_backward``);
- ``ipython``: uses ``get_ipython()`` (custom exception handlers, input transformers, events);
- ``process``: ``os._exit``, ``sys.exit``, ``exit()``, ``os.kill``, ``signal``, ``ctypes``;
- ``dynamic``: ``exec``, ``eval``, ``compile``, ``__import__``, ``importlib``, frame or code introspection.
"""
import ast

__all__ = ["scan", "Finding", "as_python"]

_MODULE_ROOTS = {"np", "numpy", "dlcourse", "checks", "builtins", "__builtins__", "sys", "torch", "math",
                 "warnings", "IPython", "activations", "layers", "losses", "network", "gradcheck", "core",
                 "optim", "schedules", "adaptive", "init", "datasets", "fallback", "testing", "linalg"}
_PROCESS = {("os", "_exit"), ("sys", "exit"), ("os", "kill"), ("os", "killpg"), ("os", "abort")}
_DYNAMIC_CALLS = {"exec", "eval", "compile", "__import__"}
_DYNAMIC_ATTRS = {"_getframe", "f_globals", "f_locals", "f_back", "__code__", "__globals__", "__closure__",
                  "__builtins__", "__dict__"}


class Finding(tuple):
    """(kind, detail) -- e.g. ('reference', 'layers.linear_backward')."""

    def __new__(cls, kind, detail):
        return super().__new__(cls, (kind, detail))

    def __str__(self):
        return f"{self[0]}: {self[1]}"


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


class _Scanner(ast.NodeVisitor):
    def __init__(self, exercises, check_names, modules):
        self.exercises, self.check_names, self.modules = exercises, check_names, modules
        self.findings = set()

    def add(self, kind, detail):
        self.findings.add(Finding(kind, detail[:80]))

    def visit_ImportFrom(self, node):
        module = node.module or ""
        if module.split(".")[0] == "dlcourse":
            for alias in node.names:
                if alias.name in self.exercises:
                    self.add("reference", f"from {module} import {alias.name}")
        if module.split(".")[0] in ("importlib", "ctypes", "signal", "inspect", "gc"):
            self.add("dynamic" if module != "ctypes" and module != "signal" else "process", f"from {module} import")
        for alias in node.names:
            self.modules.add(alias.asname or alias.name)
        self.generic_visit(node)

    def visit_Import(self, node):
        for alias in node.names:
            top = alias.name.split(".")[0]
            self.modules.add(alias.asname or top)
            if top in ("importlib", "inspect", "gc"):
                self.add("dynamic", f"import {alias.name}")
            if top in ("ctypes", "signal", "faulthandler"):
                self.add("process", f"import {alias.name}")

    def visit_Attribute(self, node):
        if node.attr in self.exercises and _root(node) is not None:
            self.add("reference", _dotted(node) or node.attr)
        if node.attr in _DYNAMIC_ATTRS:
            self.add("dynamic", f".{node.attr}")
        if (_root(node), node.attr) in _PROCESS:
            self.add("process", f"{_root(node)}.{node.attr}")
        if _root(node) == "sys" and node.attr == "modules":
            self.add("patching", "sys.modules")
        self.generic_visit(node)

    def _target(self, target):
        if isinstance(target, ast.Attribute) and _root(target) in (_MODULE_ROOTS | self.modules):
            self.add("patching", f"assigns {_dotted(target)}")
        if isinstance(target, ast.Subscript) and (_dotted(target.value) in ("sys.modules", "builtins.__dict__")
                                                  or _root(target) == "__builtins__"):
            self.add("patching", f"assigns {_dotted(target.value)}[...]")
        if isinstance(target, ast.Name) and target.id in self.check_names:
            self.add("patching", f"redefines {target.id}")
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._target(element)

    def _visit_targets(self, node):
        for target in getattr(node, "targets", None) or [node.target]:
            self._target(target)
        self.generic_visit(node)

    visit_Assign = visit_AugAssign = visit_Delete = _visit_targets

    def visit_FunctionDef(self, node):
        if node.name in self.check_names:
            self.add("patching", f"redefines {node.name}")
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name in ("setattr", "delattr") and node.args and _root(node.args[0]) in (_MODULE_ROOTS | self.modules):
            self.add("patching", f"{name}({_dotted(node.args[0]) or _root(node.args[0])}, ...)")
        if name == "getattr" and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) \
                and node.args[1].value in self.exercises:
            self.add("reference", f"getattr(..., {node.args[1].value!r})")
        if name in _DYNAMIC_CALLS:
            self.add("dynamic", f"{name}()")
        if name in ("exit", "quit"):
            self.add("process", f"{name}()")
        if name == "get_ipython":
            self.add("ipython", "get_ipython()")
        self.generic_visit(node)


def as_python(source):
    """Cell source with each IPython line (magic, !shell) turned into ``pass  # <line>``, for ``ast``."""
    return "\n".join(line[:len(line) - len(line.lstrip())] + "pass  # " + line.lstrip()
                     if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def scan(sources, exercises, check_names=()):
    """Findings in the code cells ``sources`` (IPython magics and shell lines are skipped)."""
    exercises, check_names, modules = set(exercises), set(check_names), set()
    findings = set()
    for source in sources:
        try:
            tree = ast.parse(as_python(source))
        except SyntaxError:
            continue
        scanner = _Scanner(exercises, check_names, modules)
        scanner.visit(tree)
        findings |= scanner.findings
    return sorted(findings)
