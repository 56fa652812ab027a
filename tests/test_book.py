"""The built book (`make book`, run by `make test` first): every page there, no solutions, no tracebacks;
tasks framed, no answer placeholder, the course download built and linked from every chapter page."""
import re
import zipfile
from html import unescape

import pytest
import yaml

from course_notebooks import CHAPTERS, REPO, read, region_lines, source_path, student_path

HTML = REPO / "_build" / "html"
DOWNLOAD = HTML / "downloads" / "dlcourse-course.zip"


def toc_pages(toc=REPO / "_toc.yml"):
    """Every page of the table of contents, in reading order (the root first)."""
    data = yaml.safe_load(toc.read_text())
    pages = [data["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections")) or walk(entry.get("chapters")) or walk(entry.get("parts"))
    walk(data.get("parts")) or walk(data.get("chapters")) or walk(data.get("sections"))
    return pages


PAGES = toc_pages()
CHAPTER_PAGES = [page for page in PAGES if page.startswith("chapters/")]


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
    assert not re.search(r"\w+: \d+ checks? passed", text), "student version: the exercises are stubs"


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
    words_of_page = " ".join(re.findall(r"\w+", unescape(re.sub(r"<[^>]+>", " ", html["bibliography"])))).lower()
    for key in cited:
        assert key in titles, f"{key} is cited but not in references.bib"
        first_words = " ".join(re.findall(r"\w+", titles[key])[:3]).lower()   # words only: "--" is rendered as a dash
        assert first_words in words_of_page, f"{key} ({first_words}...) is not in the bibliography"


def test_every_chapter_is_a_chapter_page_of_the_book():
    assert CHAPTER_PAGES == [f"chapters/{chapter}/{chapter}" for chapter in CHAPTERS], \
        "every chapter of solutions/ is in _toc.yml, in order, and nothing else is under chapters/"


def task_headings(chapter, kind):
    return [line for cell in read(student_path(chapter)).cells if cell.cell_type == "markdown"
            for line in cell.source.splitlines() if re.match(rf"^#+\s*{kind}\s+\d+\b.*\(\s*[\d.]+\s+points?\s*\)\s*$", line)]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_task_is_framed_through_its_test_or_answer(html, chapter):
    """_ext/task_frames.py: one frame per "### Exercise" / "### Question" heading; an exercise's frame ends
    with its test cell, a question's with the note that replaces "YOUR ANSWER HERE"."""
    text = html[f"chapters/{chapter}/{chapter}"]
    for kind in ("exercise", "question"):
        assert len(re.findall(rf'class="dlcourse-task dlcourse-{kind}"', text)) == \
            len(task_headings(chapter, kind.title())), f"every {kind} heading is framed"
    for body in re.findall(r'<section class="dlcourse-task dlcourse-exercise".*?<div class="dlcourse-task-body '
                           r'docutils container">(.*?)</section>', text, re.S):
        assert "tag_raises-exception" in body, "an exercise's frame holds its test cell"


@pytest.mark.parametrize("page", CHAPTER_PAGES)
def test_readers_never_see_the_answer_placeholder(html, page):
    assert "YOUR ANSWER HERE" not in html[page]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_written_answers_show_the_note(html, chapter):
    answers = [cell for cell in read(student_path(chapter)).cells
               if cell.cell_type == "markdown" and cell.get("metadata", {}).get("nbgrader", {}).get("solution")]
    assert html[f"chapters/{chapter}/{chapter}"].count('class="dlcourse-answer-note"') == len(answers)


def test_course_download_holds_the_notebooks_the_wheel_and_the_pins():
    assert DOWNLOAD.is_file(), "make book writes _build/html/downloads/dlcourse-course.zip"
    names = zipfile.ZipFile(DOWNLOAD).namelist()
    for chapter in CHAPTERS:
        assert f"dlcourse-course/chapters/{chapter}/{chapter}.ipynb" in names
    assert any(re.fullmatch(r"dlcourse-course/dlcourse-[\d.]+-py3-none-any\.whl", name) for name in names)
    assert {"dlcourse-course/requirements.txt", "dlcourse-course/README.md"} <= set(names)


@pytest.mark.parametrize("page", CHAPTER_PAGES + ["intro", "how_to_use"])
def test_pages_link_the_course_download(html, page):
    links = re.findall(r'<a class="dlcourse-download-link reference external" href="([^"]+)"', html[page])
    assert links, f"{page} links the course download"
    for link in links:
        assert (HTML / page).parent.joinpath(link).resolve() == DOWNLOAD.resolve()


def test_no_launch_button_without_a_hub(html):
    """launch_buttons.jupyterhub_url is empty in _config.yml: no JupyterHub button, so none is broken."""
    assert "jupyterhub_url: \"\"" in (REPO / "_config.yml").read_text()
    for page, text in html.items():
        assert "git-pull?" not in text and "Launch on JupyterHub" not in text, page
