"""``python -m dlcourse check <notebook>``: run a student's chapter notebook, then check all of its work.

Book: "How to use this book", section "Check all your work".
The notebook is executed as Run All would execute it, in its own folder and with this Python (the one that
has dlcourse), going on past a failing cell; then, in the same kernel, every visible test runs again quietly
(:mod:`dlcourse.checks.summary`) and one table is printed: exercise, points, "passed" or what is wrong, with
the full messages (nbgrader's ``validate`` cuts them short), the written questions still unanswered, and the
cells outside the tests that stopped with an error. The notebook file is not changed.

Exit status: 0 when every test passes and every question is answered, 1 when something is left to do,
2 when the input is not a chapter notebook or the notebook could not be run (one sentence says why).
"""
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["CELL_TIMEOUT", "check_notebook", "input_problem", "this_python_kernel_manager"]

CELL_TIMEOUT = 300     # s per cell: a chapter runs in about 20 s; a stuck loop is interrupted, the rest goes on
EXAMPLE = "chapters/02_backprop/02_backprop.ipynb"
_MARK = "dlcourse-check"


def input_problem(path):
    """One sentence saying why ``path`` is not a chapter notebook, or None when it is one."""
    import nbformat

    from .conventions import is_test_cell
    if not path.exists():
        return f"{path} does not exist; give the path of a chapter notebook, e.g. {EXAMPLE}."
    if path.is_dir():
        return f"{path} is a folder; give the path of the chapter notebook in it, e.g. {EXAMPLE}."
    if path.suffix != ".ipynb":
        return f"{path} is not a notebook (a .ipynb file); give the path of a chapter notebook, e.g. {EXAMPLE}."
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as error:       # any reason the file is not a notebook: say which, in one line
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:120]
        return f"{path} cannot be read as a Jupyter notebook ({reason}); open it in JupyterLab and save it again."
    if not any(is_test_cell(cell) for cell in notebook.cells):
        return (f"{path} is not a chapter notebook of this course: it has no test cells (the locked cells after "
                "each exercise that call a check_ function).")
    return None


def this_python_kernel_manager():
    from jupyter_client.manager import AsyncKernelManager

    class ThisPythonKernelManager(AsyncKernelManager):
        """A kernel that runs this Python, the one with dlcourse, whatever kernels Jupyter knows about."""

        def format_kernel_cmd(self, extra_arguments=None):
            return [sys.executable, "-m", "ipykernel_launcher", "-f", self.connection_file]
    return ThisPythonKernelManager


def _check_cell(path):
    import nbformat
    code = ("from IPython.display import display as _dlcourse_display\n"
            "from dlcourse.checks.summary import format_report as _dlcourse_format, run_checks as _dlcourse_run\n"
            f"_dlcourse_report = _dlcourse_run({str(path)!r}, globals())\n"
            "print(_dlcourse_format(_dlcourse_report, full=True))\n"
            "_dlcourse_display({'application/json': _dlcourse_report.as_dict()}, raw=True)\n")
    return nbformat.v4.new_code_cell(code, metadata={_MARK: True})


def _stopped_cells(notebook):
    """"cell 12: ValueError: ..." for each cell outside the test cells that ended with an error."""
    from .conventions import is_test_cell
    stopped = []
    for index, cell in enumerate(notebook.cells, 1):
        if cell.cell_type != "code" or is_test_cell(cell) or cell.metadata.get(_MARK):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                first = (output.get("evalue") or "").splitlines()[:1]
                stopped.append(f"cell {index}: {output.get('ename')}: {first[0] if first else ''}".rstrip(": "))
    return stopped


def _report_of(cell):
    text, data = [], None
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            text.append(output.get("text", ""))
        elif output.get("output_type") == "display_data" and "application/json" in output.get("data", {}):
            data = output["data"]["application/json"]
        elif output.get("output_type") == "error":
            text.append(f"{output.get('ename')}: {output.get('evalue')}\n")
    return "".join(text).rstrip("\n"), data


def check_notebook(path, timeout=CELL_TIMEOUT):
    """Run the notebook at ``path`` and print its check table; return the exit status (0, 1 or 2)."""
    path = Path(path)
    problem = input_problem(path)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(_check_cell(path.resolve()))
    client = NotebookClient(notebook, timeout=timeout, interrupt_on_timeout=True, allow_errors=True,
                            kernel_name="python3", kernel_manager_class=this_python_kernel_manager(),
                            resources={"metadata": {"path": str(path.resolve().parent)}})
    print(f"running {path} ...", flush=True)
    start = time.perf_counter()
    try:
        client.execute(stderr=subprocess.DEVNULL)     # the kernel's own log lines are not the student's business
    except DeadKernelError:
        print(f"error: the notebook's kernel died while running {path} (out of memory, or code that ended the "
              "Python process); run it in JupyterLab to see which cell.", file=sys.stderr)
        return 2
    except Exception as error:      # the kernel could not start, or nbclient gave up: one sentence, no traceback
        first = (str(error).strip().splitlines() or [""])[0][:200]
        print(f"error: {path} could not be run ({type(error).__name__}: {first}).", file=sys.stderr)
        return 2
    table, data = _report_of(notebook.cells[-1])
    print(f"ran {len(notebook.cells) - 1} cells in {time.perf_counter() - start:.1f} s\n")
    print(table)
    stopped = _stopped_cells(notebook)
    if stopped:
        print("\ncells outside the tests that stopped with an error:\n  " + "\n  ".join(stopped))
    if data is None:
        print(f"error: the checks could not run after {path} (see above).", file=sys.stderr)
        return 2
    return 0 if not (data["failed"] or data["unanswered"] or stopped) else 1
