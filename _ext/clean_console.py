"""Keep the browser console of every page clean: no script twice, a valid light/dark mode from the start.

- sphinx-thebe and sphinx-togglebutton, as Jupyter Book 1.0.4 loads them, register their inline
  configuration scripts twice; the second ``const THEBE_JS_URL = ...`` throws "Identifier 'THEBE_JS_URL'
  has already been declared" on every page. Each page's scripts (and style sheets) are deduplicated here,
  first occurrence kept.
- pydata-sphinx-theme logs "Got invalid theme mode" on a first visit because Jupyter Book leaves the
  template variable ``default_mode`` empty; "auto" (follow the reader's system setting) is what the theme falls back to anyway.

``tests/test_browser.py`` fails on any console error.
"""

__all__ = ["setup"]


def _unique(assets):
    seen, kept = set(), []
    for asset in assets:
        # an inline script is registered with filename None by one extension and "" by another
        key = (str(getattr(asset, "filename", asset) or ""), tuple(sorted(getattr(asset, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            kept.append(asset)
    return kept


def _dedupe_assets(app, pagename, templatename, context, doctree):
    for name in ("script_files", "css_files"):
        if name in context:
            context[name] = _unique(context[name])


def _default_mode(app, config):
    if not config.html_context.get("default_mode"):     # a variable of the theme's page template
        config.html_context["default_mode"] = "auto"


def setup(app):
    app.connect("config-inited", _default_mode)
    app.connect("html-page-context", _dedupe_assets, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
