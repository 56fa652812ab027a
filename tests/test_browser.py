"""Open every page of the built book in headless Chromium, served on 127.0.0.1.

Asserts: HTTP 200, maths typeset by MathJax without TeX errors, every image loaded, no JavaScript
errors and no failed requests (the book must work offline: MathJax is served from the book).
Known theme errors to ignore are listed in KNOWN_CONSOLE_ERRORS with the reason.
"""
import functools
import http.server
import threading

import pytest

from test_book import HTML, PAGES

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Errors that the theme itself logs, documented here so that any other error fails the test:
KNOWN_CONSOLE_ERRORS = (
    # sphinx-thebe (pulled in by jupyter-book 1.0.4 even with live code off) writes its inline
    # `const THEBE_JS_URL = ...` script twice into every page; the second copy throws.
    "Identifier 'THEBE_JS_URL' has already been declared",
    # pydata-sphinx-theme logs this on a first visit, before a light/dark mode is stored.
    "Got invalid theme mode",
)
MATH_PAGES = {"notation"} | {page for page in PAGES if page.startswith("chapters/")}


def known(message):
    return any(text in message for text in KNOWN_CONSOLE_ERRORS)


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
    page.on("pageerror", lambda error: known(str(error)) or problems.append(f"JavaScript error: {error}"))
    page.on("console", lambda msg: msg.type == "error" and not known(msg.text)
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
    images = page.locator("img")
    for index in range(images.count()):
        images.nth(index).scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => [i.getAttribute('src'), i.naturalWidth])")
    broken = [src for src, width in widths if not width]
    assert not broken, f"images not loaded: {broken}"
    assert not problems, "\n".join(problems)
    page.close()
