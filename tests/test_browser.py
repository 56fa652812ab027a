"""Open every page of the built book in headless Chromium, served on 127.0.0.1.

Every page: HTTP 200, maths typeset by MathJax without TeX errors, every image loaded, no failed requests
(the book must work offline: MathJax is served from the book) and a clean console (page_rules.py lists the
errors that cannot be removed, with the reason; today none).

Every chapter page (read from _toc.yml, so every chapter present and future), one test per rule so that a
failure names the rule and the page (page_rules.py measures; authoring.md states the rules): visible code at
most 15% of the page, no visible code block over 25 lines, nothing cut at the right edge, every figure's
text at least 9 px at a 1366 px window, no page wider than a 390 px phone, folded code really folded, and a
click on a figure opens it at full size. ``test_measurements`` prints each chapter page's numbers. A chapter page
is opened twice in all (``page_rules.measure``: once at each viewport), and its rendering is one of its rules.
"""
import functools
import http.server
import json
import threading

import pytest

import page_rules
from test_book import CHAPTER_PAGES, HTML, PAGES

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MATH_PAGES = {"notation"}   # and every chapter page (page_rules.measure)


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").exists():
        pytest.fail("_build/html is missing: run `make book` (make test does it first)")
    handler = functools.partial(QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.mark.parametrize("page_name", [page for page in PAGES if page not in CHAPTER_PAGES])
def test_page_renders(server, browser, page_name):
    """The pages that are not chapters (a chapter page's rendering is one of its rules, measured once below)."""
    errors, failures = [], []
    page = page_rules.open_page(browser, f"{server}/{page_name}.html", page_rules.DESKTOP, errors, failures)
    problems = errors + failures + page_rules.page_problems(page, math=page_name in MATH_PAGES)
    page.close()
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def measured(server, browser):
    """page -> page_rules.Measurement, each chapter page measured once for all the rules."""
    cache = {}

    def get(page_name):
        if page_name not in cache:
            cache[page_name] = page_rules.measure(browser, server, HTML, page_name)
        return cache[page_name]
    return get


RULES = {"renders": page_rules.rendering_problems, "console": page_rules.console_problems,
         "code_share": page_rules.code_share_problems, "code_height": page_rules.code_height_problems,
         "nothing_cut": page_rules.cut_problems, "figure_text": page_rules.figure_problems,
         "phone_width": page_rules.phone_problems, "folded_code_and_figure_links": page_rules.folding_problems}


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("page_name", CHAPTER_PAGES)
def test_chapter_page_keeps_the_rule(measured, page_name, rule):
    problems = RULES[rule](measured(page_name))
    assert not problems, "\n".join(problems)


def test_measurements(measured, capsys):
    """Not a rule: prints code share, tallest code block, smallest figure text and phone width per chapter page."""
    with capsys.disabled():
        for page_name in CHAPTER_PAGES:
            print(f"\n{page_name}: {json.dumps(measured(page_name).summary())}")
