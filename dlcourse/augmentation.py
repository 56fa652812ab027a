"""Data augmentation for small images: shifted copies of every training image, labels kept.

Book: chapter 06_regularisation, section "Data augmentation".
A transformation that leaves the label unchanged (a shift by a pixel, a small rotation) creates new
training examples for free and teaches the model to be invariant to it.
"""
import numpy as np

__all__ = ["shift_images", "augment_with_shifts", "shift_in_turn"]


def shift_images(x, dy, dx, side=8):
    """Each flattened side x side image moved by (dy, dx) pixels (down, right), the vacated pixels set to 0.

    Shapes: x (N, side * side) -> (N, side * side); shifts of 0 return a copy.
    """
    images = np.asarray(x, dtype=float).reshape(-1, side, side)
    out = np.zeros_like(images)
    rows_to, rows_from = slice(max(dy, 0), side + min(dy, 0)), slice(max(-dy, 0), side + min(-dy, 0))
    cols_to, cols_from = slice(max(dx, 0), side + min(dx, 0)), slice(max(-dx, 0), side + min(-dx, 0))
    out[:, rows_to, cols_to] = images[:, rows_from, cols_from]
    return out.reshape(len(images), side * side)


def augment_with_shifts(x, y, shifts=((0, 1), (0, -1), (1, 0), (-1, 0)), side=8):
    """The images and, after them, one shifted copy of every image per (dy, dx) in ``shifts``.

    Shapes: x (N, side * side), y (N,) -> x (N (1 + len(shifts)), side * side), y (N (1 + len(shifts)),).
    """
    xs = [np.asarray(x, dtype=float)] + [shift_images(x, dy, dx, side) for dy, dx in shifts]
    return np.concatenate(xs), np.tile(np.asarray(y), len(xs))


def shift_in_turn(x, shifts=((0, 1), (0, -1), (1, 0), (-1, 0)), side=8):
    """Image n moved by shifts[n % len(shifts)]: every image shifted once, the shifts taken in turn.

    Shapes: x (N, side * side) -> (N, side * side).
    """
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    for index, (dy, dx) in enumerate(shifts):
        out[index::len(shifts)] = shift_images(x[index::len(shifts)], dy, dx, side)
    return out
