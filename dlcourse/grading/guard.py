"""Inside the grading kernel: notice when a notebook tampers with what the test cells rely on.

Book: "Instructor guide", section "Grading a class with nbgrader" (threat model).

``install`` runs in the kernel process before any student code (``dlcourse.grading.kernel``):

- it snapshots the attributes of ``builtins``, ``numpy`` (and ``numpy.testing``, ``numpy.linalg``)
  and every ``dlcourse`` module, and the code objects of every ``dlcourse`` function and method;
- it wraps each ``dlcourse`` reference function that has an exercise's name (a *tripwire*): when a
  student's function, while a check is calling it, calls the reference implementation of the very
  exercise being checked, the call raises :class:`GradingIntegrityError`; a student function calling
  another exercise's reference is recorded for the instructor.

Every autograded test cell of the grading edition starts with a hidden call of :func:`verify`,
which raises :class:`GradingIntegrityError` (the test then scores 0) when a snapshotted attribute was
replaced, a check function was redefined, IPython's cell machinery was hooked, or ``sys.stdout`` was
swapped. The last cell of a graded notebook calls :func:`report`, which prints one line with what
was recorded; the grader reads it from the executed notebook.

All of this runs in the student's process, so a student who knows this module can undo it. It stops
the easy ways to fool the tests; the grader's own checks outside the kernel (the static scan and
the rule that a test scores only when its checks printed that they passed) back it up.
"""
import builtins
import functools
import json
import sys
import types

__all__ = ["GradingIntegrityError", "install", "install_shell", "verify", "report", "REPORT_PREFIX"]

REPORT_PREFIX = "dlcourse grading report: "
# builtins that IPython and ipykernel themselves swap while they run a cell
_VOLATILE_BUILTINS = {"exit", "quit", "get_ipython", "display", "help", "copyright", "credits", "license", "input",
                      "raw_input"}


class GradingIntegrityError(Exception):
    """The notebook changed something the tests rely on, so this test cannot be graded fairly."""


class _State:
    def __init__(self):
        self.attributes = {}     # (module name, attribute) -> object
        self.code = {}           # qualified function name -> (function, __code__, __defaults__, __kwdefaults__)
        self.shell = None
        self.shell_state = None
        self.stdout = None
        self.checking = []       # names of the student functions a check is calling right now
        self.reference_calls = {}    # (exercise under check, reference) -> "raised" | "recorded"
        self.tampering = []


_STATE = None


def _is_student_code(filename):
    """Code typed in a notebook cell (ipykernel names cell files /tmp/ipykernel_<pid>/<hash>.py) or exec'd."""
    return "ipykernel_" in filename or filename.startswith("<")


def _dlcourse_modules():
    return sorted((name, module) for name, module in list(sys.modules.items())
                  if isinstance(module, types.ModuleType) and (name == "dlcourse" or name.startswith("dlcourse."))
                  and not name.startswith("dlcourse.grading"))


def _tripwire(function, exercise, qualified):
    @functools.wraps(function)
    def reference(*args, **kwargs):
        if _STATE.checking:
            checking = _STATE.checking[-1]
            if exercise == checking:
                _STATE.reference_calls[(checking, qualified)] = "raised"
                raise GradingIntegrityError(
                    f"{checking} calls {qualified}, the reference implementation of the function you are "
                    f"asked to write. Write {checking} yourself.")
            if _is_student_code(sys._getframe(1).f_code.co_filename):
                _STATE.reference_calls.setdefault((checking, qualified), "recorded")
        return function(*args, **kwargs)
    reference.__dlcourse_tripwire__ = True
    return reference


def _install_tripwires(exercises):
    """Replace every binding of a reference function named like an exercise by its tripwire."""
    wrappers = {}
    for name, module in _dlcourse_modules():
        for attribute, value in list(vars(module).items()):
            if (isinstance(value, types.FunctionType) and value.__name__ in exercises
                    and (value.__module__ or "").startswith("dlcourse")):
                key = id(value)
                if key not in wrappers:
                    wrappers[key] = _tripwire(value, value.__name__, f"{value.__module__}.{value.__name__}")
                setattr(module, attribute, wrappers[key])


def _track_checker():
    """Make ``Checker.call`` announce which student function a check is calling."""
    from dlcourse.checks.core import Checker
    original = Checker.call

    @functools.wraps(original)
    def call(self, fn, *args, **kwargs):
        __tracebackhide__ = True
        _STATE.checking.append(self.name)
        try:
            return original(self, fn, *args, **kwargs)
        finally:
            _STATE.checking.pop()
    Checker.call = call


def install(exercises=()):
    """Snapshot what the tests rely on and install the tripwires; call before any student code runs."""
    global _STATE
    import numpy
    import numpy.linalg
    import numpy.testing

    import dlcourse  # noqa: F401 (imports every reference module and the checks)
    _STATE = _State()
    _track_checker()
    _install_tripwires(set(exercises))
    modules = [("builtins", builtins), ("numpy", numpy), ("numpy.testing", numpy.testing),
               ("numpy.linalg", numpy.linalg)] + _dlcourse_modules()
    for name, module in modules:
        for attribute, value in vars(module).items():
            if attribute.startswith("_") or (module is builtins and attribute in _VOLATILE_BUILTINS):
                continue
            _STATE.attributes[(name, attribute)] = value
            if isinstance(value, type) and value.__module__.startswith("dlcourse"):
                for member, function in vars(value).items():      # methods, e.g. Checker.close
                    _STATE.attributes[(f"{value.__module__}.{value.__qualname__}", member)] = function
                    _snapshot_code(f"{value.__module__}.{value.__qualname__}.{member}", function)
            _snapshot_code(f"{getattr(value, '__module__', name)}.{getattr(value, '__qualname__', attribute)}",
                           value)


def _snapshot_code(name, function):
    if isinstance(function, types.FunctionType):
        _STATE.code[name] = (function, function.__code__, function.__defaults__, function.__kwdefaults__)


def _shell_state(shell):
    return {
        "custom_exceptions": tuple(shell.custom_exceptions),
        "ast_transformers": list(shell.ast_transformers),
        "input_transformers_post": list(shell.input_transformers_post),
        "cleanup_transforms": list(shell.input_transformer_manager.cleanup_transforms),
        "line_transforms": list(shell.input_transformer_manager.line_transforms),
        "token_transformers": list(shell.input_transformer_manager.token_transformers),
        "overridden": sorted(name for name in vars(shell) if callable(getattr(type(shell), name, None))),
    }


def install_shell(shell):
    """Snapshot IPython's cell machinery and ``sys.stdout`` once the kernel is initialised."""
    if _STATE is None:
        return
    _STATE.shell = shell
    _STATE.shell_state = _shell_state(shell)
    _STATE.stdout = sys.stdout


def _owner(name):
    """The object a snapshot key (module name, possibly followed by class names) refers to now."""
    module_name, _, rest = name.partition(".")
    while module_name not in sys.modules and rest:
        head, _, rest = rest.partition(".")
        module_name = f"{module_name}.{head}"
    owner = sys.modules.get(module_name)
    for part in filter(None, rest.split(".")):
        owner = getattr(owner, part, None)
    return owner


def _problems(namespace=None, names=()):
    """Descriptions of everything that differs from the snapshot."""
    problems = []
    for (owner_name, attribute), value in _STATE.attributes.items():
        owner = _owner(owner_name)
        current = vars(owner).get(attribute) if isinstance(owner, type) else getattr(owner, attribute, None)
        if owner is not None and current is not value:
            problems.append(f"{owner_name}.{attribute} was replaced")
    for name, (function, code, defaults, kwdefaults) in _STATE.code.items():
        if (function.__code__, function.__defaults__, function.__kwdefaults__) != (code, defaults, kwdefaults):
            problems.append(f"the code of {name} was modified")
    if namespace is not None:
        import dlcourse.checks
        for name in names:       # a name that is not defined at all fails the test by itself (NameError)
            if name in namespace and namespace[name] is not getattr(dlcourse.checks, name, None):
                problems.append(f"{name} was redefined in the notebook")
    if _STATE.shell is not None:
        now = _shell_state(_STATE.shell)
        for key, before in _STATE.shell_state.items():
            if now[key] != before:
                problems.append(f"IPython's {key.replace('_', ' ')} were changed")
        if sys.stdout is not _STATE.stdout:
            problems.append("sys.stdout was replaced")
    return sorted(set(problems))


def verify(namespace=None, names=()):
    """Raise :class:`GradingIntegrityError` if the notebook tampered with what the tests rely on.

    ``namespace``: the test cell's globals; ``names``: the check functions the cell calls.
    """
    __tracebackhide__ = True
    if _STATE is None:
        return
    problems = _problems(namespace, names)
    if problems:
        _STATE.tampering.extend(p for p in problems if p not in _STATE.tampering)
        raise GradingIntegrityError(
            "This test was not run, because code in this notebook changed what the tests rely on: "
            + "; ".join(problems[:5]) + ". Remove that code, restart the kernel and run all cells.")


def report():
    """Print one line with the tripwire records and the tampering found (read by the grader)."""
    if _STATE is None:
        print(REPORT_PREFIX + json.dumps({"installed": False}))
        return
    problems = _problems()
    _STATE.tampering.extend(p for p in problems if p not in _STATE.tampering)
    calls = [{"exercise": exercise, "reference": reference, "action": action}
             for (exercise, reference), action in sorted(_STATE.reference_calls.items())]
    line = REPORT_PREFIX + json.dumps({"installed": True, "reference_calls": calls,
                                       "tampering": sorted(_STATE.tampering)}, sort_keys=True)
    print(line, file=_STATE.stdout or sys.__stdout__, flush=True)
