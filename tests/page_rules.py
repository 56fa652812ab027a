"""What the browser tests measure on a page of the built book, and the rules every chapter page must keep.

Used by ``test_browser.py`` (every chapter page of the book) and ``test_book_mechanisms.py`` (a small test
book whose page breaks some rules on purpose). ``measure(browser, url, html_root, page)`` opens the page at
a 1366 px window and at a 390 px phone viewport and returns a :class:`Measurement`; each ``*_problems``
function returns the sentences that say what breaks a rule (empty when the page keeps it).

The rules (authoring.md, "Figures and code that readers see"; issue 13):

- visible code (code cells not folded by ``hide-input``, and code blocks in the text) is at most
  ``MAX_CODE_SHARE`` of the article's height, and no visible code block is longer than ``MAX_CODE_LINES``;
- nothing is cut at the right edge of the text column: printed output wraps, code fits or scrolls inside
  its own box, and wide maths and tables scroll inside theirs;
- every figure's smallest text, as recorded by ``plotting.book_style()`` in the PNG (tEXt chunk
  ``dlcourse-min-font-px``) and scaled by the image's rendered / natural width, is at least ``MIN_TEXT_PX``;
- at a 390 px viewport the page is no wider than the screen;
- the console shows no error (``KNOWN_CONSOLE_ERRORS`` lists the ones that cannot be removed, with why).
- the page renders: HTTP 200, no failed request, maths typeset without TeX errors, every image loaded;
- code folded with ``hide-input`` is folded (one toggle per such cell), and a click on a figure opens its image.
"""
import dataclasses
import struct
from pathlib import Path
from urllib.parse import unquote, urlparse

__all__ = ["DESKTOP", "PHONE", "MAX_CODE_SHARE", "MAX_CODE_LINES", "MIN_TEXT_PX", "FONT_CHUNK",
           "KNOWN_CONSOLE_ERRORS", "Measurement", "png_text", "known", "load_images", "measure", "code_share_problems",
           "code_height_problems", "cut_problems", "figure_problems", "phone_problems", "console_problems",
           "open_page", "page_problems", "rendering_problems", "folding_problems"]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
MAX_CODE_SHARE = 0.15
MAX_CODE_LINES = 25
MIN_TEXT_PX = 9.0
FONT_CHUNK = "dlcourse-min-font-px"
# Console errors that cannot be removed, each with the reason (any other error fails). None today:
# _ext/clean_console.py removes the duplicated sphinx-thebe script and the theme's "invalid theme mode".
KNOWN_CONSOLE_ERRORS = ()

# inside a closed <details> is folded: recent Chromium lays out a closed details' content (with
# content-visibility: hidden), so its height alone does not tell
_FOLDED_JS = "const folded = el => { const d = el.closest('details'); return d !== null && !d.open; };"

_MEASURE_JS = """() => {
  const article = document.querySelector('article.bd-article') || document.querySelector('main');
  const box = article.getBoundingClientRect();
  """ + _FOLDED_JS + """
  const blocks = [];
  // code a reader sees: cell inputs, and code blocks in the text (outputs are not code)
  for (const el of article.querySelectorAll('div.cell_input, div[class*="highlight-"]')) {
    if (el.closest('div.cell_output') || (el.parentElement && el.parentElement.closest('div.cell_input'))) continue;
    const r = el.getBoundingClientRect();
    if (folded(el) || r.height === 0) continue;
    const pre = el.querySelector('pre');
    const text = pre ? pre.innerText.replace(/\\n+$/, '') : '';
    blocks.push({height: r.height, lines: text ? text.split('\\n').length : 0, first: text.split('\\n')[0].slice(0, 60)});
  }
  const cut = [];
  for (const pre of article.querySelectorAll('div.cell_input pre, div.cell_output pre, div[class*="highlight-"] pre')) {
    if (folded(pre)) continue;
    const r = pre.getBoundingClientRect();
    if (r.width === 0) continue;
    const overflow = getComputedStyle(pre).overflowX;
    const wide = pre.scrollWidth > pre.clientWidth + 1;
    // code may scroll inside its box; printed output wraps, so no line of it hides behind a scroll bar
    const output = pre.closest('div.cell_output') !== null;
    const hidden = wide && (output || !(overflow === 'auto' || overflow === 'scroll'));
    if (hidden || r.right > box.right + 1) cut.push(pre.innerText.split('\\n')[0].slice(0, 60));
  }
  // anything else sticking out of the text column (wide maths, a table, a long word) is cut unless it scrolls
  const inScroller = el => {
    for (let p = el.parentElement; p && p !== article; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll') return true;
    }
    return false;
  };
  for (const el of article.querySelectorAll('p, li, div.math, mjx-container[display="true"], table, h1, h2, h3, h4')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || inScroller(el) || folded(el)) continue;
    const scrolls = ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
    if (r.right > box.right + 1 || (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1 && !scrolls))
      cut.push(`<${el.tagName.toLowerCase()}> ${(el.innerText || '').replace(/\\s+/g, ' ').slice(0, 50)}`);
  }
  const figures = [...article.querySelectorAll('div.cell_output img')].map(img => ({
    src: img.getAttribute('src'), rendered: img.getBoundingClientRect().width, natural: img.naturalWidth}));
  return {article: box.height, blocks, cut, figures};
}"""

_WIDE_JS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('article *')) {
    const r = el.getBoundingClientRect();
    const spills = el.clientWidth > 0 && getComputedStyle(el).overflowX === 'visible';   // its text may stick out
    const right = spills ? Math.max(r.right, r.left + el.scrollWidth) : r.right;
    if (right > width + 1 && r.width > 0) {
      let inside = false;   // an element inside a box that scrolls does not widen the page
      for (let p = el.parentElement; p && p.tagName !== 'ARTICLE'; p = p.parentElement) {
        const o = getComputedStyle(p).overflowX;
        if (o === 'auto' || o === 'scroll' || o === 'hidden') { inside = true; break; }
      }
      if (!inside) wide.push(el);
    }
  }
  const innermost = wide.filter(el => !wide.some(other => other !== el && el.contains(other)));
  return {scrollWidth: document.documentElement.scrollWidth, wide: innermost.slice(0, 5).map(el =>
    `<${el.tagName.toLowerCase()} class="${el.className}"> ${(el.innerText || '').replace(/\\s+/g, ' ').slice(0, 50)}`)};
}"""


@dataclasses.dataclass
class Measurement:
    page: str
    article_height: float
    code_blocks: list        # {"height", "lines", "first"} per visible code block
    cut_blocks: list         # the start of each block cut at the right edge
    figures: list            # {"src", "rendered", "natural", "font_px"} per figure (font_px None: no chunk)
    phone_width: int
    phone_wide: list         # elements that stick out at the phone's width
    console_errors: list
    rendering: list = dataclasses.field(default_factory=list)   # HTTP errors, failed requests, maths, images
    folding: dict = dataclasses.field(default_factory=dict)     # hide-input cells: shown, folded, toggles; links

    @property
    def code_share(self):
        return sum(b["height"] for b in self.code_blocks) / self.article_height if self.article_height else 0.0

    @property
    def tallest_code(self):
        return max((b["lines"] for b in self.code_blocks), default=0)

    @property
    def smallest_text_px(self):
        sizes = [f["font_px"] * f["rendered"] / f["natural"] for f in self.figures if f["font_px"] and f["natural"]]
        return min(sizes, default=None)

    def summary(self):
        smallest = self.smallest_text_px
        scales = [f["rendered"] / f["natural"] for f in self.figures if f["natural"]]
        return {"code share %": round(100 * self.code_share, 1), "tallest code lines": self.tallest_code,
                "smallest figure text px": None if smallest is None else round(smallest, 1),
                "figures": len(self.figures),
                "figures without font chunk": sum(f["font_px"] is None for f in self.figures),
                "smallest figure scale": round(min(scales), 2) if scales else None,
                "page width at 390 px": self.phone_width,
                "cut blocks": len(self.cut_blocks), "console errors": len(self.console_errors)}


def png_text(path, key=FONT_CHUNK):
    """The value of a PNG's tEXt chunk ``key`` as a float, or None (no such chunk, or not a PNG)."""
    data = Path(path).read_bytes()
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    position = 8
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        if kind == b"tEXt":
            name, _, value = data[position + 8:position + 8 + length].partition(b"\0")
            if name.decode("latin-1") == key:
                return float(value)
        if kind == b"IEND":
            break
        position += 12 + length
    return None


def known(message):
    return any(text in message for text in KNOWN_CONSOLE_ERRORS)


def open_page(browser, url, viewport, errors=None, failures=None):
    """Open ``url``, wait for MathJax and every image; JavaScript and console errors go to ``errors``, HTTP
    errors and failed requests to ``failures`` (when given)."""
    page = browser.new_page(viewport=viewport)
    if errors is not None:
        page.on("pageerror", lambda error: known(str(error)) or errors.append(f"JavaScript error: {error}"))
        page.on("console", lambda msg: msg.type == "error" and not known(msg.text)
                and errors.append(f"console: {msg.text}"))
    if failures is not None:
        page.on("response", lambda response: response.status >= 400
                and failures.append(f"HTTP {response.status}: {response.url}"))
        page.on("requestfailed", lambda request: failures.append(f"request failed: {request.url}"))
    response = page.goto(url, wait_until="load")
    if failures is not None and response.status != 200:
        failures.append(f"HTTP {response.status}: {url}")
    if page.evaluate("!!(window.MathJax && MathJax.startup && MathJax.startup.promise)"):
        page.evaluate("MathJax.startup.promise")
    load_images(page)
    return page


def page_problems(page, math):
    """What an opened page shows wrong: maths not typeset or with a TeX error (when ``math``), images not loaded."""
    problems = []
    if math:
        if page.locator("mjx-container").count() == 0:
            problems.append("no maths typeset by MathJax")
        if page.locator("mjx-merror").count():
            problems.append("MathJax reports a TeX error")
    widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => [i.getAttribute('src'), i.naturalWidth])")
    broken = [src for src, width in widths if not width]
    if broken:
        problems.append(f"images not loaded: {broken}")
    return problems


_FOLDING_JS = """() => {
  """ + _FOLDED_JS + """
  const shown = [...document.querySelectorAll('div.cell.tag_hide-input div.cell_input')].filter(e =>
    !folded(e) && e.getBoundingClientRect().height > 0).length;
  return {shown, folded: document.querySelectorAll('div.cell.tag_hide-input').length,
          toggles: document.querySelectorAll('div.cell.tag_hide-input details > summary').length,
          links: [...document.querySelectorAll('div.cell_output img')].map(i => [i.getAttribute('src'),
                  i.closest('a') && i.closest('a').getAttribute('href')])};
}"""


def load_images(page):
    """Scroll every image of the page into view (lazy images load then) and wait until all have loaded."""
    page.evaluate("() => { for (const img of document.images) img.scrollIntoView(); window.scrollTo(0, 0); }")
    page.wait_for_load_state("networkidle")
    page.wait_for_function("[...document.images].every(img => img.complete)", timeout=20000)


def measure(browser, base_url, html_root, page_name):
    """Open ``page_name`` (e.g. "chapters/02_backprop/02_backprop") at both viewports and measure it: the page is
    opened once per viewport, and everything the rules need is read from those two openings."""
    url = f"{base_url}/{page_name}.html"
    errors, failures = [], []
    desktop = open_page(browser, url, DESKTOP, errors, failures)
    data = desktop.evaluate(_MEASURE_JS)
    rendering = failures + page_problems(desktop, math=True)
    folding = desktop.evaluate(_FOLDING_JS)
    desktop.close()
    for figure in data["figures"]:
        path = Path(html_root, Path(page_name).parent, unquote(urlparse(figure["src"]).path))
        figure["font_px"] = png_text(path) if path.is_file() else None
    phone = open_page(browser, url, PHONE)
    wide = phone.evaluate(_WIDE_JS)
    phone.close()
    return Measurement(page_name, data["article"], data["blocks"], data["cut"], data["figures"],
                       wide["scrollWidth"], wide["wide"], errors, rendering, folding)


def code_share_problems(m):
    if m.code_share <= MAX_CODE_SHARE:
        return []
    return [f"{m.page}: visible code is {100 * m.code_share:.1f}% of the page's height (at most "
            f"{100 * MAX_CODE_SHARE:.0f}%): tag cells that only draw or format `hide-input`, move long plotting "
            "code into dlcourse helpers (authoring.md)"]


def code_height_problems(m):
    return [f"{m.page}: a visible code block has {b['lines']} lines (at most {MAX_CODE_LINES}), starting "
            f"{b['first']!r}: split it, fold it with `hide-input` or move it into dlcourse"
            for b in m.code_blocks if b["lines"] > MAX_CODE_LINES]


def cut_problems(m):
    return [f"{m.page}: cut at the right edge (wrap it or let it scroll inside its box): {first!r}"
            for first in m.cut_blocks]


def figure_problems(m):
    problems = []
    for f in m.figures:
        if not f["natural"]:
            problems.append(f"{m.page}: figure {f['src']} did not load")
        elif f["font_px"] is None:
            problems.append(f"{m.page}: figure {f['src']} does not record its smallest text ({FONT_CHUNK}): "
                            "call plotting.book_style() in the chapter's import cell")
        elif f["font_px"] * f["rendered"] / f["natural"] < MIN_TEXT_PX:
            problems.append(f"{m.page}: figure {f['src']} shows its smallest text at "
                            f"{f['font_px'] * f['rendered'] / f['natural']:.1f} px (at least {MIN_TEXT_PX:g} px "
                            f"at a {DESKTOP['width']} px window; drawn at {f['natural']} px, shown at "
                            f"{f['rendered']:.0f} px): make the figure narrower (at most 10 inches) or use "
                            "two rows of panels")
    return problems


def phone_problems(m):
    if m.phone_width <= PHONE["width"]:
        return []
    return [f"{m.page}: at a {PHONE['width']} px screen the page is {m.phone_width} px wide; sticking out: "
            + "; ".join(m.phone_wide)]


def console_problems(m):
    return [f"{m.page}: {error}" for error in m.console_errors]


def rendering_problems(m):
    return [f"{m.page}: {problem}" for problem in m.rendering]


def folding_problems(m):
    f, problems = m.folding, []
    if f["shown"]:
        problems.append(f"{m.page}: {f['shown']} cells tagged hide-input show their code before the reader opens "
                        "the toggle")
    if f["toggles"] != f["folded"]:
        problems.append(f"{m.page}: {f['folded']} cells tagged hide-input but {f['toggles']} toggles")
    if not f["links"] or not all(src == href for src, href in f["links"]):
        problems.append(f"{m.page}: a click on a figure does not open its image: "
                        f"{[src for src, href in f['links'] if src != href] or 'no figure'}")
    return problems
