"""What keeps the book's text true to its code: numbers glued into the prose, claims asserted beside them.

Book: "Writing a chapter" (authoring.md), section "Numbers and claims".

- ``glue(name, value)`` hands a number an experiment computed to the Markdown, which shows it with
  ``{glue:text}`name:.2f``` (myst-nb's glue; outside Jupyter Book it does nothing, so a student's notebook
  runs without myst-nb). A number the prose quotes from an experiment is never typed in.
- ``claim(condition, sentence, detail)`` asserts a qualitative statement the prose makes about an
  experiment ("the loss is sharper after the spike"). It lives in a *claim cell*: a code cell tagged
  ``claim`` in ``solutions/``, placed right after the experiment. Claim cells run under ``make test`` (nbval
  and the notebook tests execute the sources) and are removed from the student notebooks by the release step,
  so neither a reader nor a student reads asserts, and a student's own (correct) implementation can never
  make a claim fail. The instructor edition shows them, folded.
"""
from .conventions import CLAIM_TAG

__all__ = ["CLAIM_TAG", "ClaimError", "glue", "claim"]


class ClaimError(AssertionError):
    """A sentence of the book is no longer true of the experiment it describes."""


def glue(name, value):
    """Make ``value`` available to the Markdown as ``{glue:text}`name```; returns ``value``."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:             # a student's environment without Jupyter Book: nothing to glue into
        return value
    myst_glue(name, value, display=False)
    return value


def claim(condition, sentence, detail=""):
    """Assert that ``sentence`` (quoted from the text) holds; ``detail`` shows the numbers that decide it."""
    __tracebackhide__ = True
    if not condition:
        raise ClaimError(f"The book says: \"{sentence}\", but the experiment no longer shows it"
                         + (f": {detail}" if detail else ".") + " Change the text or the experiment.")
