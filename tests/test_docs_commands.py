"""Every command the README and the instructor guide print is one the installed tools accept.

Commands are taken from the fenced `bash` blocks and from inline code that starts with a tool's
name (inline code that is just a tool and a subcommand, e.g. `python -m dlcourse grade`, names a
command, and only the name is checked). Each is checked against the tool's own command list,
without running it: `python -m dlcourse` against its argument parser, other `python` and `pip`
commands against the modules and files they name, `nbgrader` against its subcommands and their
options, `make` against the Makefile's targets, `jupyter` and `jupyterhub` against the installed
executables (and the configuration file a command names). A command of any other tool fails the
test until a check is added here.
"""
import re
import shlex
import sys
from pathlib import Path

import pytest

from course_notebooks import REPO

DOCS = ["README.md", "instructor_guide.md"]
TOOLS = r"(?:\.venv/bin/)?(?:python|pip|nbgrader|make|jupyter|jupyterhub)"
INLINE = re.compile(rf"`({TOOLS}(?: [^`]*)?)`")
SHELL_BUILTINS = {"cd", "source"}
BIN = Path(sys.executable).parent


def commands(text):
    """(line, command) for every command of ``text``: lines of bash blocks, and inline code."""
    found = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.split(r"\s#", line)[0].strip()
            if line:
                found.append(line)
    found += INLINE.findall(re.sub(r"```.*?```", "", text, flags=re.S))
    return [part.strip() for command in found for part in command.split("&&")]


def documented():
    return sorted({(doc, command) for doc in DOCS for command in commands((REPO / doc).read_text())})


def makefile_targets():
    return set(re.findall(r"^([\w-]+):", (REPO / "Makefile").read_text(), re.M))


def check(command):
    """None if the installed tool accepts ``command``, else why not."""
    words = shlex.split(command)
    if words[0].endswith("python") and words[1:3] == ["-m", "dlcourse"]:
        from dlcourse.cli import build_parser
        parser = build_parser()
        names = parser._subparsers._group_actions[0].choices
        if len(words) <= 4 and (len(words) == 3 or words[3] in names):
            return None            # the command line or one of its commands named in the text
        try:
            parser.parse_args(words[3:])
        except SystemExit:
            return "python -m dlcourse does not accept these arguments"
        return None
    tool = words[0].rsplit("/", 1)[-1]
    if tool in SHELL_BUILTINS:
        return None
    if tool == "python":
        if words[1:2] == ["-m"]:
            import importlib.util
            return None if importlib.util.find_spec(words[2]) else f"there is no module {words[2]}"
        return None if len(words) == 1 or (REPO / words[1]).is_file() else f"there is no script {words[1]}"
    if tool == "pip":
        named = [words[i + 1] for i, word in enumerate(words[:-1]) if word in ("-r", "-e")]
        return None if words[1:2] == ["install"] and all((REPO / name).exists() for name in named) \
            else "pip is given something that is not in the repository"
    if tool == "make":
        missing = set(words[1:]) - makefile_targets()
        return f"the Makefile has no target {missing}" if missing else None
    if tool == "nbgrader":
        return _nbgrader(words[1:])
    if tool in ("jupyter", "jupyterhub"):
        executable = BIN / ("-".join([tool, *words[1:2]]) if tool == "jupyter" else tool)
        if not executable.exists():
            return f"{executable.name} is not installed"
        if "-f" in words and not (REPO / words[words.index("-f") + 1]).exists():
            return "its configuration file does not exist"
        return None
    return f"no check for the tool {tool!r}: add one to tests/test_docs_commands.py"


def _nbgrader(args):
    from nbgrader.apps.nbgraderapp import NbGraderApp
    from traitlets.utils.importstring import import_item
    if not args or args[0] not in NbGraderApp.subcommands:
        return f"nbgrader has no subcommand {args[:1]}: it has {', '.join(sorted(NbGraderApp.subcommands))}"
    app = import_item(NbGraderApp.subcommands[args[0]][0])() \
        if isinstance(NbGraderApp.subcommands[args[0]][0], str) else NbGraderApp.subcommands[args[0]][0]()
    try:
        app.parse_command_line(args[1:])
    except (SystemExit, Exception) as error:
        return f"nbgrader {args[0]} rejects {args[1:]}: {error}"
    return None


def test_the_docs_print_commands():
    found = documented()
    assert len(found) >= 15, found
    assert any("dlcourse grade " in command for _, command in found)


@pytest.mark.parametrize("doc, command", documented())
def test_documented_command_is_accepted(doc, command):
    problem = check(command)
    assert problem is None, f"{doc}: `{command}`: {problem}"


@pytest.mark.parametrize("command", ["nbgrader formgrader", "nbgrader autograde --no-such-option",
                                     "python -m dlcourse grade 02_backprop", "python -m dlcourse grade-all",
                                     "make no-such-target", "ls -l"])
def test_the_check_rejects_what_does_not_work(command):
    assert check(command) is not None
