"""The book's mechanisms on a small book of our own, with this repository's _ext/, _static/ and _config.yml.

Its one chapter page holds what the real chapters must hold and what they must not, so that every mechanism
and every rule of the browser test is seen to work (and to fail where it must) whatever the real chapters
look like today:

- _ext/task_frames.py frames an exercise from its heading through its test cell and a written question
  through its answer, leaves the text after them outside, and replaces "YOUR ANSWER HERE" with a note;
- _ext/course_download.py writes the course download, links it under the chapter's title and from a page
  that uses the role, and a JupyterHub URL gives a working launch button (nbgitpuller), or, without a
  repository URL, a build error in one sentence;
- page_rules.py flags a visible code block over 25 lines, a figure without its font chunk, a figure whose
  text is too small and a line that cannot wrap, and nothing else: long output lines wrap, wide maths and
  tables scroll, long inline code wraps on a phone, folded code stays folded, figures open at full size,
  the console is clean.
"""
import dataclasses
import functools
import html as html_text
import http.server
import os
import re
import shutil
import subprocess
import threading
from urllib.parse import parse_qs, urlparse

import nbformat
import pytest

import page_rules
from course_notebooks import REPO
from dlcourse.editions import model_answer

HUB = "https://hub.example.edu"
REPOSITORY = "https://github.com/example-course/dl-course"
PAGE = "chapters/99_demo/99_demo"
NB = {"grade": True, "solution": False, "grade_id": "test_double", "locked": True, "points": 2,
      "schema_version": 3, "task": False}

PLOT = "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=({width}, 3))\nax.plot([1, 2, 3])\n" \
       "ax.set_title('Figure {n}: a line')\nax.set_xlabel('x')\nax.set_ylabel('y')\n"
LONG_CODE = "\n".join(f"value_{i} = {i}" for i in range(30))
NO_CHUNK = ("import io\nfrom IPython.display import Image, display\nfig, ax = plt.subplots(figsize=(5, 3))\n"
            "ax.plot([3, 1, 2])\nbuffer = io.BytesIO()\nfig.savefig(buffer, format='png')\nplt.close(fig)\n"
            "display(Image(data=buffer.getvalue()))")


def chapter_notebook():
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    wide_maths = " + ".join(f"a_{{{i}}} b_{{{i}}}" for i in range(60))
    cells = [
        md("# A demo chapter\n\nA long inline name: `activations.get_activation(name).derivative_of_something`."),
        code("from dlcourse import plotting\nplotting.book_style()"),
        md("## Tasks\n\n### Exercise 1: the double (2 points)\n\nWrite `double(x)`, which returns $2x$."),
        code("def double(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
             metadata={"nbgrader": {**NB, "grade": False, "solution": True, "grade_id": "double"}}),
        code("assert double(2) == 4", metadata={"nbgrader": NB, "tags": ["raises-exception", "remove-output"]}),
        md("Text after the test, outside the frame."),
        code("# folded\n" + PLOT.format(width=6, n=1) + "\n" * 25 + "print('x' * 400)", metadata={"tags": ["hide-input"]}),
        code(PLOT.format(width=20, n=2)),                       # too wide: its text is scaled below 9 px
        code(NO_CHUNK),                                         # shown without book_style's formatter
        code(LONG_CODE),                                        # 30 visible lines
        md("### Question 1: why double? (2 points)\n\nSay why.", metadata={"nbgrader": {
            "grade": False, "solution": False, "grade_id": "question_why", "locked": True}}),
        md("YOUR ANSWER HERE", metadata={"nbgrader": {
            "grade": True, "solution": True, "grade_id": "written_why", "locked": False, "points": 2}}),
        md(f"Text after the question.\n\n$$\n{wide_maths}\n$$\n\n| a | b |\n|---|---|\n| {'x' * 200} | y |"),
        md("### Question 2: why not triple? (1 point)\n\nSay why not."),     # as the instructor edition shows it
        md(model_answer("Because two is enough.\n\nA second paragraph of the answer.")),
        md("Text after the model answer."),
        md('<p style="white-space: nowrap">A deliberately unwrappable line: ' + "word " * 80 + "</p>"),
    ]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def write_book(root, hub=HUB, repository=REPOSITORY):
    for folder in ("_ext", "_static"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "references.bib", root)
    config = (REPO / "_config.yml").read_text()
    config = re.sub(r'jupyterhub_url: ""', f'jupyterhub_url: "{hub}"', config)
    config = re.sub(r'(repository:\n  url: )""', rf'\1"{repository}"', config)
    (root / "_config.yml").write_text(config)
    (root / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: how_to_use\n"
                                   f"  - file: {PAGE}\n")
    (root / "intro.md").write_text("# A small book\n\nGet {course-download}`the course download`.\n")
    (root / "how_to_use.md").write_text("# How to use this book\n\nInstall it.\n")
    (root / PAGE).parent.mkdir(parents=True)
    nbformat.write(chapter_notebook(), root / f"{PAGE}.ipynb")
    return root


def build(root):
    return subprocess.run([str(REPO / ".venv" / "bin" / "jupyter-book"), "build", str(root), "--all",
                           "--builder", "html", "-W", "-n", "--keep-going"], capture_output=True, text=True,
                          env={**os.environ, "DLCOURSE_BOOK": "1"})


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    root = write_book(tmp_path_factory.mktemp("small_book"))
    result = build(root)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root / "_build" / "html"


@pytest.fixture(scope="module")
def html(book):
    return (book / f"{PAGE}.html").read_text()


def section(html, kind, number=0):
    found = re.findall(rf'<section class="dlcourse-task dlcourse-{kind}" id="[^"]+">(.*?)</section>', html, re.S)
    assert len(found) > number, f"the {kind} is framed"
    return found[number]


def test_an_exercise_is_framed_from_its_heading_through_its_test_cell(html):
    exercise = section(html, "exercise")
    heading, body, after = re.match(r'\s*<h3>(.*?)</h3>\s*<div class="dlcourse-task-body docutils container">'
                                    r'(.*)</div>\s*(<p>Text after the test.*)', exercise, re.S).groups()
    assert heading.startswith("Exercise 1: the double (2 points)")
    assert "Write <code" in body and "double" in body and "tag_raises-exception" in body
    test_cell = body[body.index("tag_raises-exception"):]
    assert not re.search(r'class="cell[ "]', test_cell) and "<p>" not in test_cell, "the frame ends with the test cell"
    assert "Text after the test" not in body and "Text after the test" in after


def test_a_question_is_framed_through_its_answer_and_the_placeholder_is_a_note(html):
    question = section(html, "question")
    body = re.search(r'<div class="dlcourse-task-body docutils container">(.*?)</div>', question, re.S).group(1)
    assert "Say why." in body
    assert body.rstrip().endswith('your instructor grades it.</em></p>')
    assert "Text after the question" not in body and "Text after the question" in question
    assert "YOUR ANSWER HERE" not in html


def test_a_question_of_the_instructor_edition_is_framed_through_its_model_answer(html):
    question = section(html, "question", 1)
    body, after = re.match(r'\s*<h3>.*?</h3>\s*<div class="dlcourse-task-body docutils container">(.*)</div>\s*'
                           r'(<p>Text after the model answer.*)', question, re.S).groups()
    assert "Say why not." in body and "Model answer." in body and "A second paragraph" in body
    assert "Text after the model answer" not in body


def test_the_chapter_links_the_download_and_the_hub_launches_it(book, html):
    assert (book / "downloads" / "dlcourse-course.zip").is_file()
    banner = re.search(r'<div class="dlcourse-banner docutils container">(.*?)</div>', html, re.S).group(1)
    assert 'href="../../downloads/dlcourse-course.zip"' in banner and 'href="../../how_to_use.html"' in banner
    assert "JupyterHub" in banner
    assert 'href="downloads/dlcourse-course.zip"' in (book / "intro.html").read_text()
    launch = re.search(rf'href="({re.escape(HUB)}/hub/user-redirect/git-pull\?[^"]+)"', html).group(1)
    query = parse_qs(urlparse(html_text.unescape(launch)).query)
    assert query["repo"] == [REPOSITORY] and query["urlpath"] == [f"lab/tree/dl-course/{PAGE}.ipynb"]


def test_a_hub_without_a_repository_stops_the_build_with_one_sentence(tmp_path):
    result = build(write_book(tmp_path, repository=""))
    assert result.returncode != 0
    assert "launch_buttons.jupyterhub_url is set but repository.url is not" in result.stdout + result.stderr


@pytest.fixture(scope="module")
def measurement(book):
    playwright = pytest.importorskip("playwright.sync_api")
    handler = functools.partial(Quiet, directory=str(book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"],
                                    headless=True)
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        measured = page_rules.measure(browser, url, book, PAGE)
        browser.close()
    httpd.shutdown()
    return measured


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_the_rules_flag_exactly_what_breaks_them(measurement):
    measured = measurement
    tall = page_rules.code_height_problems(measured)
    assert len(tall) == 1 and "30 lines" in tall[0] and "value_0" in tall[0], tall
    figures = page_rules.figure_problems(measured)
    assert len(figures) == 2, figures
    assert any("does not record its smallest text" in problem for problem in figures)
    assert any("shows its smallest text at" in problem for problem in figures)
    assert len(measured.figures) == 3 and measured.smallest_text_px < page_rules.MIN_TEXT_PX
    # the 400-character output line wraps, the wide maths and table scroll: only the unwrappable line is cut,
    # and only it makes the page wider than a phone (the long inline code wraps)
    cut = page_rules.cut_problems(measured)
    assert len(cut) == 1 and "A deliberately unwrappable line" in cut[0], cut
    phone = page_rules.phone_problems(measured)
    assert len(phone) == 1 and "A deliberately unwrappable" in phone[0] and "get_activation" not in phone[0], phone
    assert page_rules.console_problems(measured) == [] and page_rules.rendering_problems(measured) == []
    links = measured.folding["links"]
    assert len(links) == 3 and all(src == href for src, href in links), "a click on every figure opens it at full size"
    assert page_rules.folding_problems(measured) == []
    # the same page with a folded cell shown, a toggle missing and a figure without its link breaks that rule thrice
    broken = dataclasses.replace(measured, folding={**measured.folding, "shown": 1, "toggles": measured.folding["folded"] - 1,
                                                    "links": links[:2] + [[links[2][0], None]]})
    problems = page_rules.folding_problems(broken)
    assert len(problems) == 3 and "show their code" in problems[0] and "toggles" in problems[1], problems


def test_folded_code_is_not_counted(measurement):
    measured = measurement
    assert all(block["first"] != "# folded" for block in measured.code_blocks), "the hide-input cell is folded"
    assert measured.folding["folded"] == measured.folding["toggles"] >= 1 and measured.folding["shown"] == 0
    assert measured.tallest_code == 30


def task_frames():
    import importlib.util
    spec = importlib.util.spec_from_file_location("task_frames", REPO / "_ext" / "task_frames.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_task_without_its_test_cell_is_a_warning_and_stays_unframed(caplog):
    """-W (make book) turns the warning into a failed build; the section is left as it was."""
    from docutils import nodes
    frames = task_frames()
    cell = nodes.container(nb_element="cell_code", cell_metadata={"nbgrader": {"grade": False, "solution": True}})
    section = nodes.section("", nodes.title("", "Exercise 3: no test (2 points)"), nodes.paragraph("", "Do it."), cell)
    with caplog.at_level("WARNING"):
        frames._frame(section, "exercise")
    assert "'Exercise 3: no test (2 points)' has no test cell before the next heading" in caplog.text
    assert [type(child) for child in section.children] == [nodes.title, nodes.paragraph, nodes.container]
    assert "dlcourse-task" not in section["classes"]
    assert frames.TASK_HEADING.match("Question 12: the cost of a step (1.5 points)")
    assert not frames.TASK_HEADING.match("Exercises and questions")
