"""Figures of the book: a style that stays legible at the book's width, contour plots with trajectories, curves.

Book: every chapter calls ``book_style()`` in its first cell; chapters 01_sgd and 04_optimisers use the
contour and curve helpers. The helpers draw on a matplotlib Axes (a new figure when ``ax`` is None) and
return it; they never call ``plt.show()``, so they work headless (Agg backend, the book build, nbgrader)
and in Jupyter, where the figure is shown at the end of the cell.

**Legible figures.** The book's text column is about 730 px wide at a 1366 px window, and a figure wider
than that is scaled down, its text with it. A figure's text is rendered at pt * C / (72 W) px for a figure
W inches wide shown in a column of C px (or pt * dpi / 72 px when it fits). ``book_style`` sets 10 pt as
the smallest text; keep figures at most ``MAX_WIDTH`` = 10 inches wide (two rows of panels rather than
one row of five). Under IPython it also records each figure's smallest text in the PNG (a tEXt chunk
``dlcourse-min-font-px``), which the browser test reads to check every figure of the book.
"""
import base64
import io
import struct
import zlib

import numpy as np

__all__ = ["MAX_WIDTH", "MIN_FONT_PT", "book_style", "smallest_text_px", "contour_levels",
           "plot_contour_trajectories", "plot_curves", "whose"]

MAX_WIDTH = 10.0   # inches: 10 pt text then renders at >= 10 px in the book's ~730 px column
MIN_FONT_PT = 10.0
_STYLE = {"figure.dpi": 100, "savefig.dpi": 100, "font.size": MIN_FONT_PT, "axes.titlesize": 11,
          "axes.labelsize": MIN_FONT_PT, "xtick.labelsize": MIN_FONT_PT, "ytick.labelsize": MIN_FONT_PT,
          "legend.fontsize": MIN_FONT_PT, "legend.title_fontsize": MIN_FONT_PT, "figure.titlesize": 12,
          "xtick.minor.visible": False, "ytick.minor.visible": False}


def smallest_text_px(fig):
    """The height in pixels of the smallest visible text of ``fig`` at its dpi (call it after the figure is drawn)."""
    from matplotlib.text import Text
    sizes = [text.get_fontsize() for text in fig.findobj(Text) if text.get_visible() and text.get_text().strip()]
    return min(sizes, default=MIN_FONT_PT) * fig.dpi / 72.0


def _with_text_chunk(png, key, value):
    """``png`` with a tEXt chunk ``key: value`` inserted before its end (the PNG format's own metadata)."""
    data = key.encode("latin-1") + b"\0" + value.encode("latin-1")
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data))
    end = png.rindex(b"IEND") - 4
    return png[:end] + chunk + png[end:]


def _png(fig):
    """The PNG of ``fig`` as IPython shows it (tight bounding box), with its smallest text recorded.

    One savefig draws the figure (the tick labels it shows are only known then); the text sizes are read
    afterwards and written into the PNG's own metadata, so the figure is not drawn once more for them.
    """
    if not fig.axes and not fig.texts:
        return None
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", facecolor="white")
    png = _with_text_chunk(buffer.getvalue(), "dlcourse-min-font-px", f"{smallest_text_px(fig):.2f}")
    return base64.b64encode(png).decode("ascii")


def book_style():
    """Use the book's figure style; under IPython, show figures as PNGs that record their smallest text."""
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure
    matplotlib.rcParams.update(_STYLE)
    try:
        shell = get_ipython()  # noqa: F821 (defined inside IPython only)
    except NameError:
        return
    plt.close(plt.figure())   # the first figure loads IPython's inline backend, which installs its own formatter
    shell.display_formatter.formatters["image/png"].for_type(Figure, _png)


def _axes(ax, figsize):
    if ax is None:
        import matplotlib.pyplot as plt
        _, ax = plt.subplots(figsize=figsize)
    return ax


def contour_levels(values, n=30, log=False):
    """n levels spanning min(values)..max(values): linear, or min + geomspace(range 1e-5, range) when ``log``.

    Shapes: values any shape -> (n,). Log spacing shows both the floor of a valley and its steep walls.
    """
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    if not log or high <= low:
        return np.linspace(low, high, n)
    return low + np.geomspace(1e-5 * (high - low), high - low, n)


def plot_contour_trajectories(surface, trajectories, ax=None, levels=30, resolution=200, figsize=(5.5, 4.5)):
    """Contours of surface.f over (surface.xlim, surface.ylim), one line per trajectory, minima as stars.

    Shapes: trajectories is a dict label -> (T, 2) array (e.g. from ``surfaces.run_trajectory``; NaN rows,
    left by a diverging run, are skipped) -> the Axes. Levels are log-spaced when surface.log_levels
    (Rosenbrock, Himmelblau). A circle marks each start, a cross each saddle, a star each minimum.
    """
    ax = _axes(ax, figsize)
    x = np.linspace(*surface.xlim, resolution)
    y = np.linspace(*surface.ylim, resolution)
    grid_x, grid_y = np.meshgrid(x, y)
    values = surface.f(np.stack([grid_x, grid_y], axis=-1))
    ax.contour(grid_x, grid_y, values, levels=contour_levels(values, levels, surface.log_levels),
               cmap="viridis", linewidths=0.6)
    for label, path in trajectories.items():
        path = np.asarray(path, dtype=float)
        line, = ax.plot(path[:, 0], path[:, 1], "-", marker=".", markersize=3, linewidth=1.2, label=label)
        ax.plot(path[0, 0], path[0, 1], "o", color=line.get_color(), markersize=6)
    ax.plot(surface.minima[:, 0], surface.minima[:, 1], "k*", markersize=12, linestyle="none")
    if len(surface.saddles):
        ax.plot(surface.saddles[:, 0], surface.saddles[:, 1], "kx", markersize=8, linestyle="none")
    ax.set_xlim(surface.xlim)
    ax.set_ylim(surface.ylim)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.set_title(surface.name)
    if trajectories:
        ax.legend()
    return ax


def plot_curves(curves, ax=None, xlabel="epoch", ylabel="loss", logy=False, x=None, title=None,
                figsize=(5.5, 3.5)):
    """One line per curve: values[i] against x[i] (x defaults to 0, 1, 2, ...).

    Shapes: curves is a dict label -> sequence of numbers (e.g. history["train_loss"] from
    ``training.train``); x, if given, is one sequence as long as the longest curve -> the Axes.
    ``logy=True`` uses a logarithmic y axis (losses that fall over orders of magnitude).
    """
    ax = _axes(ax, figsize)
    for label, values in curves.items():
        values = np.asarray(values, dtype=float)
        xs = np.arange(len(values)) if x is None else np.asarray(x)[:len(values)]
        ax.plot(xs, values, label=label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if curves:
        ax.legend()
    return ax


def whose(used, yours):
    """"your f" if an experiment runs the student's function ``yours``, else "dlcourse's f": for titles and legends.

    Shapes: two functions -> str. ``used`` is what ``fallback.yours_if_passing(yours, ...)`` returned, so a
    figure says whose code drew it (in the book, where exercises are stubs, the reference's).
    """
    name = getattr(yours, "__name__", "function")
    return f"your {name}" if used is yours else f"dlcourse's {name}"
