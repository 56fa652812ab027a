"""Open every page of the built book in headless Chromium, served on 127.0.0.1.

Every page: HTTP 200, maths typeset by MathJax without TeX errors, every image loaded, no failed requests
(the book must work offline: MathJax is served from the book) and a clean console (page_rules.py lists the
errors that cannot be removed, with the reason; today none).

Every chapter page (read from _toc.yml, so every chapter present and future), one test per rule so that a
failure names the rule and the page (page_rules.py measures; authoring.md states the rules): visible code at
most 15% of the page, no visible code block over 25 lines, nothing cut at the right edge, every figure's
text at least 9 px at a 1366 px window, no page wider than a 390 px phone, folded code really folded, and a
click on a figure opens it at full size. ``test_measurements`` prints each chapter page's numbers.
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
MATH_PAGES = {"notation"} | set(CHAPTER_PAGES)


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


@pytest.mark.parametrize("page_name", PAGES)
def test_page_renders(server, browser, page_name):
    page = browser.new_page()
    problems = []
    page.on("pageerror", lambda error: page_rules.known(str(error)) or problems.append(f"JavaScript error: {error}"))
    page.on("console", lambda msg: msg.type == "error" and not page_rules.known(msg.text)
            and problems.append(f"console: {msg.text}"))
    page.on("response", lambda response: response.status >= 400
            and problems.append(f"HTTP {response.status}: {response.url}"))
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
    response = page.goto(f"{server}/{page_name}.html", wait_until="load")
    assert response.status == 200
    if page_name in MATH_PAGES:
        page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20000)
        page.evaluate("MathJax.startup.promise")
        assert page.locator("mjx-container").count() > 0, "no maths typeset by MathJax"
        assert page.locator("mjx-merror").count() == 0, "MathJax reports a TeX error"
    page_rules.load_images(page)
    widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => [i.getAttribute('src'), i.naturalWidth])")
    broken = [src for src, width in widths if not width]
    assert not broken, f"images not loaded: {broken}"
    assert not problems, "\n".join(problems)
    page.close()


@pytest.fixture(scope="module")
def measured(server, browser):
    """page -> page_rules.Measurement, each chapter page measured once for all the rules."""
    cache = {}

    def get(page_name):
        if page_name not in cache:
            cache[page_name] = page_rules.measure(browser, server, HTML, page_name)
        return cache[page_name]
    return get


RULES = {"code_share": page_rules.code_share_problems, "code_height": page_rules.code_height_problems,
         "nothing_cut": page_rules.cut_problems, "figure_text": page_rules.figure_problems,
         "phone_width": page_rules.phone_problems, "console": page_rules.console_problems}


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("page_name", CHAPTER_PAGES)
def test_chapter_page_keeps_the_rule(measured, page_name, rule):
    problems = RULES[rule](measured(page_name))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page_name", CHAPTER_PAGES)
def test_folded_code_is_folded_and_figures_open_at_full_size(server, browser, page_name):
    page = browser.new_page(viewport=page_rules.DESKTOP)
    page.goto(f"{server}/{page_name}.html", wait_until="networkidle")
    shown = page.eval_on_selector_all(
        "div.cell.tag_hide-input div.cell_input",
        # inside a closed <details> is folded: recent Chromium lays out a closed details' content (with
        # content-visibility: hidden), so its height alone does not tell (page_rules.py folds the same way)
        "els => els.filter(e => { const d = e.closest('details'); return !(d && !d.open) "
        "&& e.getBoundingClientRect().height > 0; }).length")
    assert shown == 0, "cells tagged hide-input show their code before the reader opens the toggle"
    toggles = page.locator("div.cell.tag_hide-input details > summary")
    assert toggles.count() == page.locator("div.cell.tag_hide-input").count()
    links = page.eval_on_selector_all("div.cell_output img", "imgs => imgs.map(i => [i.getAttribute('src'), "
                                      "i.closest('a') && i.closest('a').getAttribute('href')])")
    assert links and all(src == href for src, href in links), "a click on a figure opens its image"
    page.close()


def test_measurements(measured, capsys):
    """Not a rule: prints code share, tallest code block, smallest figure text and phone width per chapter page."""
    with capsys.disabled():
        for page_name in CHAPTER_PAGES:
            print(f"\n{page_name}: {json.dumps(measured(page_name).summary())}")
