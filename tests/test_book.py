"""The built book (`make book`, run by `make test` first): every page there, no solutions, no tracebacks."""
import re

import pytest

from course_notebooks import CHAPTERS, REPO, read, region_lines, source_path

HTML = REPO / "_build" / "html"
PAGES = ["intro", "how_to_use", "notation", "instructor_guide", "bibliography"] + [
    f"chapters/{chapter}/{chapter}" for chapter in CHAPTERS]


@pytest.fixture(scope="module")
def html():
    if not (HTML / "index.html").exists():
        pytest.fail("_build/html is missing: run `make book` (make test does it first)")
    return {page: (HTML / f"{page}.html").read_text() for page in PAGES}


def test_every_page_is_built(html):
    for page, text in html.items():
        assert "<h1" in text, f"{page}.html has no title"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_shows_code_figures_and_no_tracebacks(html, chapter):
    text = html[f"chapters/{chapter}/{chapter}"]
    assert "Traceback" not in text and "NotImplementedError:" not in text
    assert len(re.findall(r"<img [^>]*src=\"[^\"]+\.png\"", text)) >= 4
    assert "checks passed" not in text or "Note: your" in text  # student version: tests are stubs


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_solution_in_the_book(html, chapter):
    text = html[f"chapters/{chapter}/{chapter}"]
    for cell in read(source_path(chapter)).cells:
        for line in region_lines(cell, "solution"):
            escaped = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            assert line not in text and escaped not in text, f"solution line in the book: {line}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_can_be_downloaded(html, chapter):
    assert f"{chapter}.ipynb" in html[f"chapters/{chapter}/{chapter}"]
    assert (HTML / "_sources" / "chapters" / chapter / f"{chapter}.ipynb").exists()


def bib_titles():
    entries = re.findall(r"@\w+\{([^,]+),(.*?)\n\}", (REPO / "references.bib").read_text(), re.S)
    return {key: re.search(r"title\s*=\s*\{(.*)\},", body).group(1) for key, body in entries}


def test_bibliography_lists_the_cited_papers(html):
    cited = set()
    for chapter in CHAPTERS:
        for cell in read(source_path(chapter)).cells:
            cited |= {key.strip() for group in re.findall(r"\{cite[a-z:]*\}`([^`]+)`", cell.source)
                      for key in group.split(",")}
    assert cited, "chapters cite their sources"
    titles = bib_titles()
    for key in cited:
        assert key in titles, f"{key} is cited but not in references.bib"
        first_words = " ".join(re.sub(r"[{}]", "", titles[key]).split()[:3])
        assert first_words.lower() in html["bibliography"].lower(), f"{key} ({first_words}...) is not in the bibliography"
