"""The text says only what its code shows, and points only at chapters that exist.

- Every decimal number, number in scientific notation or percentage in a chapter's Markdown is either glued
  from the code (``{glue:text}`name```) or listed among the chapter's *constants of the text* (notebook
  metadata ``dlcourse.constants``: a formula's coefficient, a default such as Adam's 0.999, a setting the
  text chooses). Integers are not checked (layer sizes, counts, seeds). The rule and the way to declare a
  constant are in authoring.md, "Numbers and claims".
- Every glued name the Markdown shows is glued by a code cell that the book executes (not a claim cell).
- A reference to another chapter ("chapter 03", "03_initialisation") names a chapter of the book; one
  that is not written yet is "a later chapter".
"""
import re

import pytest

from course_notebooks import CHAPTERS, REPO, read, source_path
from dlcourse.release import is_claim_cell

GLUE_ROLE = re.compile(r"\{glue(?::\w*)?\}`([^`:]+)(?::[^`]*)?`")
CODE_SPAN = re.compile(r"`[^`\n]*`")
LINK_TARGET = re.compile(r"\]\([^)]*\)|<https?://[^>]*>|https?://\S+")
# 0.32, 1.5e-3, 3e-5, 63.2 %, 20% (a version number such as 0.9.6 is not a number of the text)
NUMBER = re.compile(r"(?<![\w.\\])(\d+(?:\.\d+)?\s?\\?%|\d+\.\d+(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+)(?![\w]|\.\d)")
GLUE_CALL = re.compile(r"\bglue\(\s*[\"']([^\"']+)[\"']")
CHAPTER_REF = re.compile(r"\b[Cc]hapters?\s+(0[1-9])\b|\b(0[1-9])_[a-z][a-z_]*[a-z]\b")


def markdown_cells(chapter):
    return [cell.source for cell in read(source_path(chapter)).cells if cell.cell_type == "markdown"]


def numbers_in(text):
    text = LINK_TARGET.sub("", CODE_SPAN.sub("", GLUE_ROLE.sub("", text)))
    return [number.replace("\\%", "%").replace(" ", "") for number in NUMBER.findall(text)]


def constants(chapter):
    return [str(value) for value in read(source_path(chapter)).metadata.get("dlcourse", {}).get("constants", [])]


def test_the_number_rule_finds_what_it_should():
    text = ("the loss fell to 0.32 after {glue:text}`steps` steps, about 63.2 % of them, with $\\eta = 1e-3$; "
            "`lr=0.5` is code, nbgrader 0.9.6 is a version, {glue:text}`ratio:.2f` is glued, 20% is a share")
    assert numbers_in(text) == ["0.32", "63.2%", "1e-3", "20%"]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_number_of_the_text_is_glued_or_a_constant(chapter):
    allowed = set(constants(chapter))
    typed = sorted({number for text in markdown_cells(chapter) for number in numbers_in(text)} - allowed)
    assert not typed, (f"{chapter}: the Markdown types the numbers {typed}. Glue a number an experiment computes "
                       "(dlcourse.book.glue in the code, {glue:text}`name` in the text), or, if it is a constant of "
                       "the text (a coefficient, a default, a chosen setting), list it in the notebook metadata "
                       "dlcourse.constants (authoring.md, 'Numbers and claims').")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_declared_constants_are_used(chapter):
    used = {number for text in markdown_cells(chapter) for number in numbers_in(text)}
    stale = sorted(set(constants(chapter)) - used)
    assert not stale, f"{chapter}: dlcourse.constants lists {stale}, which the text no longer uses"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_glued_name_is_glued_where_the_book_runs_it(chapter):
    cells = read(source_path(chapter)).cells
    shown = {name for cell in cells if cell.cell_type == "markdown" for name in GLUE_ROLE.findall(cell.source)}
    glued = {name for cell in cells if cell.cell_type == "code" and not is_claim_cell(cell)
             for name in GLUE_CALL.findall(cell.source)}
    claim_only = {name for cell in cells if is_claim_cell(cell) for name in GLUE_CALL.findall(cell.source)}
    assert not shown - glued, (f"{chapter}: the text shows {sorted(shown - glued)}, which no executed code cell "
                               "glues" + (" (claim cells are not in the book)" if shown & claim_only else ""))


def pages():
    """(name, text) of every Markdown page and every chapter's Markdown."""
    found = [(path.name, path.read_text()) for path in sorted(REPO.glob("*.md")) if path.name != "README.md"]
    found.append(("README.md", (REPO / "README.md").read_text()))
    return found + [(chapter, "\n".join(markdown_cells(chapter))) for chapter in CHAPTERS]


@pytest.mark.parametrize("name, text", pages(), ids=[name for name, _ in pages()])
def test_references_point_at_chapters_of_the_book(name, text):
    toc = (REPO / "_toc.yml").read_text()
    numbers = {chapter[:2] for chapter in CHAPTERS if f"chapters/{chapter}/{chapter}" in toc}
    missing = sorted({number or prefix for number, prefix in CHAPTER_REF.findall(text)} - numbers)
    assert not missing, (f"{name} refers to chapter(s) {missing}, which the book does not have yet; "
                         "say 'a later chapter' until it exists")


def test_the_bibliography_parses_and_has_each_key_once():
    """references.bib is read by pybtex as sphinxcontrib-bibtex reads it: a missing brace or a key given twice
    (two chapters adding the same work) would stop the book build."""
    import re as regex

    from pybtex.database import parse_string
    text = (REPO / "references.bib").read_text()
    keys = regex.findall(r"^@\w+\{([^,\s]+),", text, regex.M)
    assert len(keys) == len(set(keys)), f"keys given twice: {sorted({k for k in keys if keys.count(k) > 1})}"
    entries = parse_string(text, "bibtex").entries
    assert sorted(entries) == sorted(keys)
    for key, entry in entries.items():
        assert "title" in entry.fields and "year" in entry.fields, f"{key} lacks a title or a year"


def test_the_sample_message_in_how_to_use_is_what_the_check_prints():
    """how_to_use.md quotes a failing test's message (db averaged instead of summed); it is the real one."""
    import numpy as np

    from dlcourse.checks import check_linear_backward

    quoted = re.search(r'\*"(linear_backward: .*?)"\*', (REPO / "how_to_use.md").read_text(), re.S)
    assert quoted, "how_to_use.md quotes a sample message of check_linear_backward"

    def db_averaged(dout, cache):
        x, w = cache
        return dout @ w, dout.T @ x, np.mean(dout, axis=0)

    with pytest.raises(AssertionError) as failure:
        check_linear_backward(db_averaged)
    assert " ".join(quoted.group(1).split()) == " ".join(str(failure.value).split())
