"""What keeps the book's text true to its code: numbers glued into the prose, claims asserted beside them.

Book: "Writing a chapter" (authoring.md), section "Numbers and claims".

- ``glue(name, value)`` hands a number an experiment computed to the Markdown, which shows it with
  ``{glue:text}`name:.2f``` (the hidden output myst-nb's glue writes, made without importing myst-nb, so a
  student's notebook needs no Jupyter Book). A number the prose quotes from an experiment is never typed in.
- ``claim(condition, sentence, detail)`` asserts a qualitative statement the prose makes about an
  experiment ("the loss is sharper after the spike"). It lives in a *claim cell*: a code cell tagged
  ``claim`` in ``solutions/``, placed right after the experiment. Claim cells run under ``make test`` (nbval
  and the notebook tests execute the sources) and are removed from the student notebooks by the release step,
  so neither a reader nor a student reads asserts, and a student's own (correct) implementation can never
  make a claim fail. The instructor edition shows them, folded.
"""
__all__ = ["CLAIM_TAG", "ClaimError", "glue", "claim"]

CLAIM_TAG = "claim"


class ClaimError(AssertionError):
    """A sentence of the book is no longer true of the experiment it describes."""


def glue(name, value):
    """Make ``value`` available to the Markdown as ``{glue:text}`name```; returns ``value``.

    Writes the output ``myst_nb.glue(name, value, display=False)`` writes (a display message whose MIME types
    carry the ``application/papermill.record/`` prefix and whose metadata names it), without importing myst_nb:
    its glue module imports nbformat and jsonschema, whose grammar compilation costs seconds per notebook.
    Outside IPython (a plain script) there is nothing to glue into. A numpy scalar is glued as the Python number it
    holds: numpy 2 writes ``np.float64(0.5)``, which ``{glue:text}`name:.2f``` cannot format.
    """
    try:
        from IPython import get_ipython
        from IPython.core.formatters import format_display_data
        from IPython.display import display
    except ImportError:             # no IPython: nothing to glue into
        return value
    if get_ipython() is None:
        return value
    shown = value.item() if type(value).__module__ == "numpy" and hasattr(value, "item") else value
    bundle, metadata = format_display_data(shown)
    metadata["scrapbook"] = {"name": name, "mime_prefix": _GLUE_PREFIX}
    display({_GLUE_PREFIX + kind: data for kind, data in bundle.items()}, raw=True, metadata=metadata)
    return value


_GLUE_PREFIX = "application/papermill.record/"   # myst_nb.ext.glue.GLUE_PREFIX


def claim(condition, sentence, detail=""):
    """Assert that ``sentence`` (quoted from the text) holds; ``detail`` shows the numbers that decide it."""
    __tracebackhide__ = True
    if not condition:
        raise ClaimError(f"The book says: \"{sentence}\", but the experiment no longer shows it"
                         + (f": {detail}" if detail else ".") + " Change the text or the experiment.")
