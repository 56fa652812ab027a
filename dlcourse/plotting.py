"""Figures for the optimisation chapters: contour plots with optimiser trajectories, and training curves.

Book: chapters 01_sgd and 04_optimisers. The helpers draw on a matplotlib Axes (a new figure when
``ax`` is None) and return it; they never call ``plt.show()``, so they work headless (Agg backend, the
book build, nbgrader) and in Jupyter, where the figure is shown at the end of the cell.
"""
import numpy as np

__all__ = ["contour_levels", "plot_contour_trajectories", "plot_curves"]


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
        ax.legend(fontsize="small")
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
        ax.legend(fontsize="small")
    return ax
