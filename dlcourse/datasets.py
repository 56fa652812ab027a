"""Small data sets that need no download: generated with numpy, or shipped with scikit-learn.

Book: used by every chapter; introduced in the introduction.
Every generator takes an explicit ``np.random.Generator``.
"""
from typing import NamedTuple

import numpy as np

__all__ = ["Dataset", "Split", "make_regression_1d", "make_regression_2d", "make_spirals",
           "make_moons", "load_digits", "train_val_test_split", "with_random_labels"]


class Dataset(NamedTuple):
    """Inputs x (N, D) and targets y: (N, K) floats for regression, (N,) integers for classification."""

    x: np.ndarray
    y: np.ndarray


class Split(NamedTuple):
    """A train / validation / test split of one Dataset."""

    train: Dataset
    val: Dataset
    test: Dataset


def make_regression_1d(n, rng, noise=0.1):
    """y = sin(2 pi x) + noise, x ~ U(0, 1).

    Shapes: -> x (n, 1), y (n, 1).
    """
    x = rng.uniform(0.0, 1.0, size=(n, 1))
    return Dataset(x, np.sin(2 * np.pi * x) + noise * rng.standard_normal((n, 1)))


def make_regression_2d(n, rng, noise=0.1):
    """y = sin(x1) cos(x2) + noise, x ~ U(-3, 3)^2.

    Shapes: -> x (n, 2), y (n, 1).
    """
    x = rng.uniform(-3.0, 3.0, size=(n, 2))
    y = np.sin(x[:, :1]) * np.cos(x[:, 1:])
    return Dataset(x, y + noise * rng.standard_normal((n, 1)))


def make_spirals(n_per_class, rng, n_classes=3, noise=0.2):
    """``n_classes`` interleaved spiral arms in the plane (cs231n's toy data).

    Shapes: -> x (n_per_class * n_classes, 2), y (n_per_class * n_classes,) integers.
    """
    radius = np.tile(np.linspace(0.05, 1.0, n_per_class), n_classes)
    labels = np.repeat(np.arange(n_classes), n_per_class)
    angle = (labels * 2 * np.pi / n_classes + radius * 4.0
             + noise * rng.standard_normal(n_per_class * n_classes))
    x = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    return Dataset(x, labels)


def make_moons(n, rng, noise=0.1):
    """Two interleaving half circles (as scikit-learn's make_moons).

    Shapes: -> x (n, 2), y (n,) integers in {0, 1}.
    """
    labels = np.arange(n) % 2
    t = rng.uniform(0.0, np.pi, size=n)
    x = np.where(labels[:, None] == 0,
                 np.stack([np.cos(t), np.sin(t)], axis=1),
                 np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1))
    return Dataset(x + noise * rng.standard_normal((n, 2)), labels)


def load_digits():
    """The 8x8 handwritten digits shipped with scikit-learn, pixels scaled to [0, 1].

    Shapes: -> x (1797, 64), y (1797,) integers 0-9.

    Read from scikit-learn's file as ``sklearn.datasets.load_digits`` reads it, without importing scikit-learn
    (a second of every notebook that uses the digits; tests/test_properties.py checks that the arrays are the
    same with the pinned scikit-learn).
    """
    import importlib.util
    from pathlib import Path

    path = Path(importlib.util.find_spec("sklearn").origin).parent / "datasets" / "data" / "digits.csv.gz"
    table = np.loadtxt(path, delimiter=",")    # 64 pixels (0 to 16), then the label
    return Dataset(table[:, :-1] / 16.0, table[:, -1].astype(np.int64))


def train_val_test_split(data, rng, fractions=(0.6, 0.2, 0.2)):
    """Shuffle once with ``rng``, then cut into train / validation / test by ``fractions``.

    Shapes: Dataset with N rows -> Split of three Datasets whose sizes add up to N.
    """
    if len(fractions) != 3 or not np.isclose(sum(fractions), 1.0) or min(fractions) < 0:
        raise ValueError("fractions must be three non-negative numbers that add up to 1")
    n = len(data.x)
    order = rng.permutation(n)
    n_train, n_val = int(round(fractions[0] * n)), int(round(fractions[1] * n))
    parts = np.split(order, [n_train, n_train + n_val])
    return Split(*(Dataset(data.x[idx], data.y[idx]) for idx in parts))


def with_random_labels(y, fraction, rng, n_classes=10):
    """A copy of the labels y in which each label, with probability ``fraction``, is replaced by a uniformly random
    class (which may be the same one): badly annotated data. Book: chapter 06_regularisation.

    Shapes: y (N,) integers -> (N,) integers; y is not modified.
    """
    y = np.array(y)
    replaced = rng.random(len(y)) < fraction
    y[replaced] = rng.integers(0, n_classes, replaced.sum())
    return y
