"""Serve MathJax from the built book instead of a CDN, so the book renders maths offline.

MathJax 3 comes from the ``django-static-mathjax`` wheel (pinned in requirements.txt; it has no
dependencies). Only the files the ``tex-mml-chtml`` combined component loads are copied.
"""
import shutil
from pathlib import Path

PARTS = ["tex-mml-chtml.js", "input/tex", "output/chtml", "ui", "a11y"]


def _copy_mathjax(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    import mathjax

    source = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    target = Path(app.outdir) / "_static" / "mathjax"
    for part in PARTS:
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part, dirs_exist_ok=True)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / part, target / part)


def setup(app):
    app.config.mathjax_path = "mathjax/tex-mml-chtml.js"
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
