"""What keeps the book's text true to its code: numbers glued into the prose, claims asserted beside them.

Book: "Writing a chapter" (authoring.md), section "Numbers and claims".

- ``glue(name, value)`` hands a number an experiment computed to the Markdown, which shows it with
  ``{glue:text}`name:.2f``` (myst-nb's glue format, written with IPython alone; in a notebook the value is
  stored in an output JupyterLab does not show). A number the prose quotes from an experiment is never typed in.
- ``claim(condition, sentence, detail)`` asserts a qualitative statement the prose makes about an
  experiment ("the loss is sharper after the spike"). It lives in a *claim cell*: a code cell tagged
  ``claim`` in ``solutions/``, placed right after the experiment. Claim cells run under ``make test`` (nbval
  and the notebook tests execute the sources) and are removed from the student notebooks by the release step,
  so neither a reader nor a student reads asserts, and a student's own (correct) implementation can never
  make a claim fail. The instructor edition shows them, folded.
"""
import numpy as np

from .conventions import CLAIM_TAG

__all__ = ["CLAIM_TAG", "ClaimError", "glue", "claim"]

GLUE_PREFIX = "application/papermill.record/"    # myst-nb's mime prefix for glued values (myst_nb.ext.glue)


class ClaimError(AssertionError):
    """A sentence of the book is no longer true of the experiment it describes."""


def glue(name, value):
    """Make ``value`` available to the Markdown as ``{glue:text}`name```; returns None.

    The same output as myst-nb's ``glue(name, value, display=False)`` (a display_data output whose mime types
    carry myst-nb's prefix and whose metadata names it), written here with IPython alone: importing myst_nb
    pulls in nbformat and jsonschema, which take seconds to import, in every chapter. A numpy scalar is glued
    as the Python number it holds, so that a format such as ``:.2f`` applies to it. Outside IPython (a script,
    a test) it does nothing. It returns None, so a cell that ends with a glue shows no stray number under its
    figure: assign the value first (``ratio = ...``, then ``glue("ratio", ratio)``) to use it further.
    """
    try:
        from IPython import get_ipython
        from IPython.core.formatters import format_display_data
        from IPython.display import display
    except ImportError:             # nothing to glue into
        return None
    if get_ipython() is None:
        return None
    shown = value.item() if isinstance(value, np.generic) else value
    bundle, metadata = format_display_data(shown)
    metadata["scrapbook"] = {"name": name, "mime_prefix": GLUE_PREFIX}
    display({GLUE_PREFIX + mime: data for mime, data in bundle.items()}, raw=True, metadata=metadata)
    return None


def claim(condition, sentence, detail=""):
    """Assert that ``sentence`` (quoted from the text) holds; ``detail`` shows the numbers that decide it."""
    __tracebackhide__ = True
    if not condition:
        raise ClaimError(f"The book says: \"{sentence}\", but the experiment no longer shows it"
                         + (f": {detail}" if detail else ".") + " Change the text or the experiment.")
