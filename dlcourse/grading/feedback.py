"""Feedback for students: which tests failed and why, never the source of the hidden tests.

Book: "Instructor guide", section "Grading a class with nbgrader".

``nbgrader generate_feedback`` renders the autograded notebook, in which nbgrader has restored the
hidden tests: by default the feedback shows their source. :class:`HideHiddenTests` (added to the
feedback preprocessors) removes every hidden-test region from the cells, replaces the
traceback of a failed test by its last line (the check's message, which says what is wrong), and
redacts any hidden test line that got into an output anyway (a notebook can print ``In[...]``). It
also drops the grader's own report cell, and sanitises the student's HTML (markdown cells, HTML
outputs) with nbconvert's ``SanitizeHTML``, so that no script from a notebook runs in a feedback page.
:func:`leaked_lines` checks a rendered page independently.
"""
import html
import re

from nbconvert.preprocessors.sanitize import SanitizeHTML
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor

from ..conventions import HIDDEN_TESTS, is_test_cell
from .execute import METADATA_KEY

__all__ = ["HideHiddenTests", "hidden_lines", "leaked_lines", "REPORT_TAG", "REDACTED"]

REPORT_TAG = "dlcourse-grading-report"
REDACTED = "[hidden test]"
BEGIN, END = HIDDEN_TESTS.words()          # nbgrader finds these words anywhere in a line
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def hidden_lines(cells):
    """The stripped lines inside hidden test regions of ``cells`` (long enough to be recognisable)."""
    lines, inside = set(), False
    for cell in cells:
        for line in cell.get("source", "").splitlines():
            if BEGIN in line:
                inside = True
            elif END in line:
                inside = False
            elif inside and len(line.strip()) >= 8:
                lines.add(line.strip())
    return sorted(lines, key=len, reverse=True)


def _redact(text, lines):
    for line in lines:
        if line in text:
            text = text.replace(line, REDACTED)
    return text


class HideHiddenTests(NbGraderPreprocessor):
    """Remove hidden tests (source, tracebacks, echoes in outputs) and the grader's report cell."""

    def preprocess(self, nb, resources):
        self._hidden = hidden_lines(nb.cells)
        self._clear = ClearHiddenTests(enforce_metadata=False)
        self._sanitize = SanitizeHTML()
        nb.cells = [cell for cell in nb.cells if REPORT_TAG not in cell.metadata.get("tags", [])]
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        self._clear._remove_hidden_test_region(cell)
        cell.metadata.pop(METADATA_KEY, None)
        test_cell = is_test_cell(cell)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                message = _ANSI.sub("", f"{output.get('ename', 'Error')}: {output.get('evalue', '')}")
                if test_cell:
                    output["traceback"] = [message]
                output["evalue"] = _redact(str(output.get("evalue", "")), self._hidden)
                output["traceback"] = [_redact(str(line), self._hidden) for line in output.get("traceback", [])]
            elif output.get("output_type") == "stream":
                output["text"] = _redact(output.get("text", ""), self._hidden)
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/") and isinstance(value, str):
                    output["data"][mime] = _redact(value, self._hidden)
        self._sanitize.preprocess_cell(cell, resources, index)
        return cell, resources


def _page_text(page):
    """The visible text of an HTML page: tags removed, entities decoded, whitespace collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    return re.sub(r"\s+", " ", text)


def leaked_lines(page, lines):
    """The hidden test lines that appear in the HTML ``page`` (whitespace and markup ignored)."""
    text = _page_text(page)
    compact = text.replace(" ", "")
    return [line for line in lines if re.sub(r"\s+", " ", line) in text or re.sub(r"\s+", "", line) in compact]
