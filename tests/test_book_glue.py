"""dlcourse.book.glue writes exactly what myst-nb's glue writes (without importing myst_nb, which takes seconds),
glues numpy scalars as the Python numbers that myst-nb's {glue:text} formats, and does nothing outside IPython."""
import numpy as np
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from dlcourse import book


@pytest.fixture
def shell():
    yield InteractiveShell.instance()
    InteractiveShell.clear_instance()


def outputs(glue, name, value):
    with capture_output() as captured:
        glue(name, value)
    return [(output.data, output.metadata) for output in captured.outputs]


@pytest.mark.parametrize("value", [0.125, 470, "text"])
def test_the_output_is_myst_nbs(shell, value):
    from myst_nb import glue as myst_glue
    ours = outputs(book.glue, "name", value)
    theirs = outputs(lambda name, value: myst_glue(name, value, display=False), "name", value)
    assert ours == theirs and ours[0][1]["scrapbook"] == {"name": "name", "mime_prefix": book.GLUE_PREFIX}


def test_numpy_scalars_are_glued_as_python_numbers_that_myst_nb_can_format(shell):
    from myst_nb.core.variables import format_plain_text
    [(data, _)] = outputs(book.glue, "ratio", np.float64(0.125))
    text = data[book.GLUE_PREFIX + "text/plain"]
    assert text == "0.125" and format_plain_text(text, ".2f") == "0.12"
    [(data, _)] = outputs(book.glue, "epoch", np.int64(470))
    assert format_plain_text(data[book.GLUE_PREFIX + "text/plain"], "d") == "470"


def test_outside_ipython_glue_shows_nothing_and_returns_none(capsys):
    InteractiveShell.clear_instance()
    value = np.float64(2.5)
    assert book.glue("x", value) is None
    assert capsys.readouterr() == ("", "")
