"""The feedback page a student receives: one self-contained HTML file that reads well offline.

Book: "Instructor guide", section "Returning feedback".

nbgrader renders feedback with its ``feedback`` template, which loads MathJax 2 from a CDN, shows the
book's MyST markup (``{cite}`key```) as it is, and lets long messages and figures run past the
content box. The page travels alone (uploaded to a learning platform, or copied through nbgrader's
exchange, which copies the HTML file only), so everything it needs must be inside it:

- :class:`MystToText` turns the book's MyST roles and directives into what a reader sees: a
  citation becomes "[Rumelhart et al., 1986]" as in the book (from ``references.bib``), with the
  cited works listed at the end; other roles keep their text;
- :class:`FeedbackExporter` (nbgrader's exporter for feedback) removes the CDN MathJax and inlines
  MathJax 3 from the ``django-static-mathjax`` wheel (the book's copy; SVG output, so no font files
  are fetched), and adds styles that wrap long lines and keep figures and tables inside the page.
"""
import html
import re
from functools import lru_cache
from pathlib import Path

import nbformat
from nbconvert.exporters import HTMLExporter
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from ..release import REPO

__all__ = ["FeedbackExporter", "MystToText", "myst_to_text", "cite", "load_bibliography", "offline_page",
           "MATHJAX_FILE"]

MATHJAX_FILE = "tex-svg-full.js"       # every TeX extension built in: nothing is loaded on demand
_ROLE = re.compile(r"\{(?P<role>[\w:-]+)\}`(?P<content>[^`]*)`")
_DIRECTIVE = re.compile(r"^(?P<fence>```+|:::+)\{(?P<name>[\w:-]+)\}(?P<argument>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$",
                        re.S | re.M)
_OPTION = re.compile(r"^:[\w-]+:.*$\n?", re.M)
_CDN_SCRIPT = re.compile(r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>", re.I)
_MATHJAX2_CONFIG = re.compile(r"<script type=\"text/x-mathjax-config\">.*?</script>", re.S | re.I)

MATHJAX_CONFIG = """window.MathJax = {
  tex: {inlineMath: [["$", "$"], ["\\\\(", "\\\\)"]], displayMath: [["$$", "$$"], ["\\\\[", "\\\\]"]],
        processEscapes: true, processEnvironments: true},
  svg: {fontCache: "global"}
};"""

STYLE = """
/* dlcourse: long messages wrap, figures and tables stay inside the page, maths scrolls if it must */
div.output_area pre, div.output_subarea pre, div.output_text pre, div.input_area pre, div.highlight pre,
.rendered_html pre, div.output_stderr pre {
  white-space: pre-wrap; overflow-wrap: anywhere; word-break: break-word;
}
div.output_subarea, div.text_cell_render, div.inner_cell, div.input_area { min-width: 0; max-width: 100%; }
img, svg:not(mjx-container svg), .rendered_html img, div.output_png img { max-width: 100%; height: auto; }
.rendered_html table { border-collapse: collapse; margin: 0.6em 0; display: block; overflow-x: auto; }
.rendered_html th, .rendered_html td { border: 1px solid #bbb; padding: 0.25em 0.6em; }
mjx-container[display="true"] { display: block; overflow-x: auto; overflow-y: hidden; max-width: 100%; }
div.prompt { min-width: 0; }
@media (max-width: 700px) { div.prompt { display: none; } div.container { padding: 0 4px; } }
"""


# ---------------------------------------------------------------------- citations and other MyST markup
@lru_cache(maxsize=None)
def load_bibliography(path):
    """{key: (short author text, year, full reference)} from a BibTeX file (empty if it is missing)."""
    if not Path(path).exists():
        return {}
    from pybtex.database import parse_file
    entries = {}
    for key, entry in parse_file(path).entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []   # a book may have editors only
        last = [_plain(" ".join(person.last_names)) for person in people]
        organisation = _plain(entry.fields.get("organization") or entry.fields.get("institution") or "")
        names = ("" if not last else last[0] if len(last) == 1 else " and ".join(last) if len(last) == 2
                 else f"{last[0]} et al.") or organisation
        year = entry.fields.get("year", "n.d.")
        authors = ", ".join(_plain(str(person)) for person in people) or organisation or key
        venue = entry.fields.get("journal") or entry.fields.get("booktitle") or entry.fields.get("publisher") or ""
        full = f"{authors} ({year}). {_plain(entry.fields.get('title', key))}." + (f" {_plain(venue)}." if venue else "")
        entries[key] = (names or key, year, full)
    return entries


def _plain(text):
    return re.sub(r"[{}]", "", text).replace("--", "–").replace("\\&", "&")


def cite(role, keys, bibliography):
    """The text of a citation role, e.g. ``cite:p`` of ``rumelhart1986learning`` -> "[Rumelhart et al., 1986]"."""
    found = [bibliography.get(key.strip(), (key.strip(), "", "")) for key in keys.split(",") if key.strip()]
    if role in ("cite:t", "cite:ts", "cite:author"):
        return "; ".join(f"{names} [{year}]" if year else names for names, year, _ in found)
    if role == "cite:year":
        return "; ".join(year for _, year, _ in found)
    return "[" + "; ".join(f"{names}, {year}" if year else names for names, year, _ in found) + "]"


def _role_text(match, bibliography, cited):
    role, content = match["role"], match["content"]
    if role.startswith("cite"):
        cited.extend(key.strip() for key in content.split(",") if key.strip())
        return cite(role, content, bibliography)
    if role == "math":
        return f"${content}$"
    labelled = re.match(r"^(?P<text>.*?)\s*<[^>]*>$", content, re.S)      # {ref}`text <label>`
    return labelled["text"] if labelled and labelled["text"] else content


def _directive_text(match):
    name, argument, body = match["name"], match["argument"].strip(), _OPTION.sub("", match["body"]).strip()
    if name == "math":
        return f"$$\n{body}\n$$"
    title = argument or name.replace("-", " ").capitalize()
    return f"> **{title}**\n>\n" + "\n".join(f"> {line}" for line in body.splitlines())


def myst_to_text(source, bibliography, cited):
    """Markdown ``source`` with MyST roles and directives replaced by what a reader of the book sees;
    the keys of the works it cites are appended to ``cited``."""
    source = _DIRECTIVE.sub(_directive_text, source)
    return _ROLE.sub(lambda match: _role_text(match, bibliography, cited), source)


class MystToText(NbGraderPreprocessor):
    """Render the book's MyST markup in Markdown cells as text; list the cited works at the end."""

    bibliography = Unicode(str(REPO / "references.bib"), help="the BibTeX file of the citations").tag(config=True)

    def preprocess(self, nb, resources):
        bibliography, cited = load_bibliography(self.bibliography), []
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = myst_to_text(cell.source, bibliography, cited)
        known = [key for key in dict.fromkeys(cited) if key in bibliography]
        if known:
            items = "\n".join(f"- {html.escape(bibliography[key][2])}" for key in sorted(
                known, key=lambda k: bibliography[k][2]))
            nb.cells.append(nbformat.v4.new_markdown_cell(f"## References\n\n{items}"))
        return nb, resources


# ---------------------------------------------------------------------- the page
@lru_cache(maxsize=1)
def _mathjax_source():
    import mathjax
    text = (Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / MATHJAX_FILE).read_text()
    return text.replace("</script", "<\\/script")


def offline_page(page):
    """``page`` without scripts from the network, with MathJax 3 inlined and the wrapping styles."""
    page = _MATHJAX2_CONFIG.sub("", _CDN_SCRIPT.sub("", page))
    head = (f"<style type=\"text/css\">{STYLE}</style>\n<script>{MATHJAX_CONFIG}</script>\n"
            f"<script id=\"MathJax-script\">{_mathjax_source()}</script>\n")
    return page.replace("</head>", head + "</head>", 1)


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback page (its ``feedback`` template), made self-contained by :func:`offline_page`."""

    def from_notebook_node(self, nb, resources=None, **kw):
        output, resources = super().from_notebook_node(nb, resources, **kw)
        return offline_page(output), resources
