"""nbgrader's executor, made safe for hostile notebooks: time limits, dead kernels, huge outputs.

Book: "Instructor guide", section "Grading a class with nbgrader".

:class:`SafeExecute` replaces nbgrader's ``Execute`` preprocessor in ``nbgrader autograde``:

- the kernel runs in the sandbox (:class:`~dlcourse.grading.sandbox.SandboxKernelManager`);
- each cell has a time limit (``timeout``) and the whole notebook one more (``notebook_timeout``);
  a cell over its limit is interrupted, and a kernel that ignores the interrupt is killed;
- when the kernel dies (``os._exit``, a segfault, a resource limit), the cell gets an error saying
  why and every later code cell gets a "not run" error. nbgrader would otherwise abort the whole
  notebook, and a test cell without output would score full marks;
- each cell keeps at most ``max_stream_chars`` of every output stream (plus the last
  ``tail_chars``) and ``max_rich_outputs`` figures or results, so a notebook printing gigabytes
  cannot exhaust the grader's memory;
- the lines the checks print on success (``name: N checks passed``) are recorded in the cell's
  metadata as they arrive, whatever is truncated or cleared later; the scoring rule
  (:mod:`dlcourse.grading.scoring`) reads them from there.
"""
import os
import signal
import uuid
from collections import defaultdict
from time import monotonic

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Unicode

from ..conventions import PASSED_LINE
from .sandbox import SandboxKernelManager, describe_exit
from .settings import trait

__all__ = ["SafeExecute", "METADATA_KEY", "not_run_output", "error_output"]

METADATA_KEY = "dlcourse_grading"


def error_output(ename, evalue):
    """An nbformat error output; nbgrader scores a test cell with one as 0."""
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def not_run_output(reason):
    return error_output("CellNotRun", f"This cell was not run: {reason}.")


class SafeExecute(Execute):
    """nbgrader's ``Execute`` with the limits and failure handling described in the module docstring."""

    timeout = trait("cell_timeout")
    notebook_timeout = trait("notebook_timeout")
    max_stream_chars = trait("max_stream_chars")
    tail_chars = trait("tail_chars")
    max_rich_outputs = trait("max_rich_outputs")
    max_rich_chars = trait("max_rich_chars")
    interrupt_grace = trait("interrupt_grace")
    run_kernel = Bool(True, help="False: run nothing, every code cell gets a 'not run' error").tag(config=True)
    not_run_reason = Unicode("the submission could not be run", help="the reason given when run_kernel=False"
                             ).tag(config=True)

    def __init__(self, **kw):
        kw.setdefault("kernel_manager_class", SandboxKernelManager)
        super().__init__(**kw)
        self.skip_cells_with_tag = f"never-skip-{uuid.uuid4().hex}"   # a student's tag must not skip a test
        self.iopub_timeout = self.interrupt_grace
        self.shutdown_kernel = "immediate"        # nothing in the kernel needs a graceful end

    # ------------------------------------------------------------------ the notebook
    def preprocess(self, nb, resources=None, km=None):
        """Run ``nb``; its grading metadata (set by the grader, not the student) may give the chapter's
        exercises (for the tripwire) and a reason not to run it at all."""
        state = nb.metadata.setdefault(METADATA_KEY, {})
        self._exercises = list(state.get("exercises", []))
        self._deadline = monotonic() + self.notebook_timeout
        self._stopped = None
        self._events = []
        if not self.run_kernel or state.get("not_run"):
            self._stopped = state.get("not_run") or self.not_run_reason
            for cell in nb.cells:
                self.preprocess_cell(cell, resources, 0)
            state["events"] = []
            return nb, resources
        try:
            nb, resources = super().preprocess(nb, resources, km)
        except Exception as error:   # the kernel did not start, or the executor failed between cells
            reason = f"the notebook could not be run ({type(error).__name__}: {error})"
            self._events.append(f"grader error: {reason}")
            self._stopped = self._stopped or reason
            for cell in nb.cells:
                if cell.cell_type == "code" and METADATA_KEY not in cell.metadata:
                    self._mark_not_run(cell, reason)
        nb.metadata[METADATA_KEY]["events"] = self._events
        return nb, resources

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if isinstance(km, SandboxKernelManager):
            km.exercises = sorted(set(km.exercises) | set(self._exercises))
        return km

    def _get_timeout(self, cell):
        remaining = int(self._deadline - monotonic())
        return max(1, min(self.timeout or remaining, remaining))

    # ------------------------------------------------------------------ one cell
    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        label = cell.metadata.get("nbgrader", {}).get("grade_id") or f"#{index}"
        if self._stopped is None and monotonic() >= self._deadline:
            self._stop(f"the notebook ran longer than its limit of {self.notebook_timeout} s")
        if self._stopped is not None:
            self._mark_not_run(cell, self._stopped)
            return cell, resources
        self._start_cell()
        self._label = label
        started = monotonic()
        status = "ok"
        try:
            cell = self.execute_cell(cell, index, store_history=True)
        except DeadKernelError:
            limits = self.km.limits() if isinstance(self.km, SandboxKernelManager) else None
            reason = describe_exit(self._kernel_returncode(), limits)
            cell.outputs.append(error_output("KernelDied", f"The kernel stopped while running this cell: {reason}. "
                                                           "The cells below were not run."))
            status = "kernel died"
            self._stopped = f"the kernel stopped in an earlier cell ({reason})"
            self._events.append(f"the kernel died in cell {label}: {reason}")
        except CellTimeoutError:
            self._kill_kernel()
            limit = self._get_timeout(cell)
            cell.outputs.append(error_output(
                "CellTimeoutError", f"This cell ran longer than its time limit and did not stop when interrupted, "
                                    f"so the kernel was stopped (limit {limit} s). The cells below were not run."))
            status = "timeout, kernel killed"
            self._stopped = "an earlier cell ran past its time limit and the kernel was stopped"
            self._events.append(f"cell {label} timed out and ignored the interrupt: kernel stopped")
        else:
            if any(o.get("output_type") == "error" and o.get("ename") == "CellTimeoutError" for o in cell.outputs):
                status = "timeout, interrupted"
                self._events.append(f"cell {label} timed out and was interrupted")
        self._finish_cell(cell, status, monotonic() - started)
        return cell, self.resources

    def _stop(self, reason):
        self._stopped = reason
        self._events.append(f"stopped: {reason}")
        self._kill_kernel()

    def _mark_not_run(self, cell, reason):
        cell.outputs = [not_run_output(reason)]
        cell.execution_count = None
        cell.metadata[METADATA_KEY] = {"status": "not run", "passed": [], "omitted_chars": 0}

    def _kernel_process(self):
        provisioner = getattr(self.km, "provisioner", None)
        return getattr(provisioner, "process", None)

    def _kernel_returncode(self):
        process = self._kernel_process()
        return process.poll() if process is not None else None

    def _kill_kernel(self):
        process = self._kernel_process()
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except OSError:
                process.kill()
            process.wait()

    # ------------------------------------------------------------------ outputs
    def _start_cell(self):
        self._kept = defaultdict(int)
        self._omitted = defaultdict(int)
        self._tail = defaultdict(str)
        self._partial = defaultdict(str)
        self._passed = []
        self._rich = [0, 0]          # outputs kept, characters kept
        self._rich_omitted = 0

    def _record_passed(self, name, text):
        if name != "stdout":
            return
        lines = (self._partial[name] + text).split("\n")
        self._partial[name] = lines.pop()[-1000:]
        self._passed.extend(line.strip() for line in lines if PASSED_LINE.match(line.strip()))

    def output(self, outs, msg, display_id, cell_index):
        msg_type, content = msg["msg_type"], msg["content"]
        if msg_type == "stream":
            name, text = content.get("name", "stdout"), content.get("text", "")
            self._record_passed(name, text)
            room = self.max_stream_chars - self._kept[name]
            if len(text) > room:
                self._tail[name] = (self._tail[name] + text[max(room, 0):])[-self.tail_chars:]
                self._omitted[name] += len(text) - max(room, 0)
                if room <= 0:
                    return None
                content["text"] = text[:room]
            self._kept[name] += len(content["text"])
        elif msg_type in ("display_data", "execute_result", "update_display_data"):
            size = sum(len(str(value)) for value in content.get("data", {}).values())
            if self._rich[0] >= self.max_rich_outputs or self._rich[1] + size > self.max_rich_chars:
                self._rich_omitted += 1
                return None
            self._rich[0] += 1
            self._rich[1] += size
        elif msg_type == "error":
            content["evalue"] = str(content.get("evalue", ""))[:5000]
            content["traceback"] = [str(line)[:5000] for line in content.get("traceback", [])[:200]]
        return super().output(outs, msg, display_id, cell_index)

    def _finish_cell(self, cell, status, seconds):
        if self._partial["stdout"] and PASSED_LINE.match(self._partial["stdout"].strip()):
            self._passed.append(self._partial["stdout"].strip())
        omitted = sum(self._omitted.values())
        for name in sorted(self._omitted):
            cell.outputs.append(NotebookNode(output_type="stream", name=name, text=(
                f"\n[... {self._omitted[name]} characters of output omitted by the grader; the end was:]\n"
                + self._tail[name])))
        if self._rich_omitted:
            cell.outputs.append(NotebookNode(output_type="stream", name="stdout", text=(
                f"\n[... {self._rich_omitted} figures or results omitted by the grader]\n")))
        if omitted or self._rich_omitted:
            self._events.append(f"output of cell {self._label} truncated ({omitted} characters, "
                                f"{self._rich_omitted} figures omitted)")
        cell.metadata[METADATA_KEY] = {"status": status, "passed": self._passed, "omitted_chars": omitted,
                                       "seconds": round(seconds, 3)}
