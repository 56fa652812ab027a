"""Check for chapter 01_sgd: classifying a stationary point from its Hessian."""
import numpy as np

from .. import surfaces
from .core import Checker, unchanged

__all__ = ["check_classify_stationary_point"]

_DEFAULT_TOL = 1e-8  # the default tol of classify_stationary_point (the reference's and the exercise's)


def _eigenvalues(hessian):
    return np.linalg.eigvalsh(hessian)


def _determinant_only(hessian, tol, zero=None):
    """The sign of the determinant alone, compared with tol (or with ``zero``, e.g. 0, when given)."""
    det, bound = np.linalg.det(hessian), tol if zero is None else zero
    return "minimum" if det > bound else ("saddle" if det < -bound else "degenerate")


def _determinant_and_trace(hessian, tol):
    det = np.linalg.det(hessian)
    if abs(det) <= tol:
        return "degenerate"
    if det < 0:
        return "saddle"
    return "minimum" if np.trace(hessian) > 0 else "maximum"


def _zero_before_saddle(hessian, tol):
    ev = _eigenvalues(hessian)
    if (ev > tol).all():
        return "minimum"
    if (ev < -tol).all():
        return "maximum"
    return "degenerate" if (np.abs(ev) <= tol).any() else "saddle"


def _swapped(hessian, tol):
    answer = surfaces.classify_stationary_point(hessian, tol)
    return {"minimum": "maximum", "maximum": "minimum"}.get(answer, answer)


def _no_degenerate(hessian, tol, zero=None):
    """A saddle, else a minimum when no eigenvalue is below -tol (or below ``zero``, e.g. 0), else a maximum."""
    ev = _eigenvalues(hessian)
    if (ev > tol).any() and (ev < -tol).any():
        return "saddle"
    return "minimum" if (ev >= (-tol if zero is None else zero)).all() else "maximum"


_DETERMINANT = ("the determinant alone: det > 0 for a minimum and for a maximum alike (the product of the eigenvalues "
                "hides their signs); look at the sign of every eigenvalue")
_NO_DEGENERATE = ("a test where the degenerate case is ignored: an eigenvalue within tol of 0 means second-order "
                  "information cannot decide, so the answer is 'degenerate'")
# (description, answers of the mistake): a description may come with several ways of coding the same mistake
_HESSIAN_MISTAKES = [
    (_DETERMINANT, _determinant_only),
    (_DETERMINANT, lambda hessian, tol: _determinant_only(hessian, tol, zero=0.0)),
    ("minimum and maximum swapped: all eigenvalues positive means the function curves upwards in every direction, "
     "a minimum", _swapped),
    (_NO_DEGENERATE, _no_degenerate),
    (_NO_DEGENERATE, lambda hessian, tol: _no_degenerate(hessian, tol, zero=0.0)),
    ("comparing the eigenvalues with 0 instead of with tol (round-off then decides)",
     lambda hessian, tol: surfaces.classify_by_signs(_eigenvalues(hessian) > 0, _eigenvalues(hessian) < 0)),
    ("the signs of the diagonal entries: the off-diagonal entries matter, use the eigenvalues",
     lambda hessian, tol: surfaces.classify_by_signs(np.diag(hessian) > tol, np.diag(hessian) < -tol)),
    ("the two-dimensional test (det H < 0 a saddle, otherwise the sign of the trace), which holds only for 2x2 "
     "Hessians: in any dimension, look at the sign of every eigenvalue", _determinant_and_trace),
    ("a fixed threshold of 1e-8 with tol ignored: compare the eigenvalues with the tol you are given",
     lambda hessian, tol: surfaces.classify_stationary_point(hessian, _DEFAULT_TOL)),
    ("the comparisons >= tol and <= -tol: an eigenvalue equal to tol is within the tolerance of 0, not beyond it",
     lambda hessian, tol: surfaces.classify_by_signs(_eigenvalues(hessian) >= tol, _eigenvalues(hessian) <= -tol)),
    ("a test that looks for a zero eigenvalue before the saddle: one eigenvalue > tol and one < -tol make a "
     "saddle, even when another one is 0", _zero_before_saddle),
]


def _rotated(rng, eigenvalues):
    """Q diag(eigenvalues) Q^T with a random orthogonal Q: a symmetric matrix with these eigenvalues."""
    q, _ = np.linalg.qr(rng.standard_normal((len(eigenvalues), len(eigenvalues))))
    hessian = q @ np.diag(eigenvalues) @ q.T
    return (hessian + hessian.T) / 2


_ANSWERS = ("minimum", "maximum", "saddle", "degenerate")


def _cases(rng, n_random):
    """(hessian, tol) pairs; tol None calls the student's function without it, so its default is used."""
    cases = [(hessian, None) for hessian in (
        np.array([[2.0]]), np.array([[-3.0]]), np.array([[0.0]]),
        np.diag([1.0, 3.0]), np.diag([-1.0, -2.0]), np.diag([1.0, -1.0]),
        np.array([[1.0, 2.0], [2.0, 1.0]]), np.array([[-1.0, 2.0], [2.0, -1.0]]),
        np.array([[2.0, 1.0], [1.0, 2.0]]), np.diag([2.0, 0.0]), np.diag([0.0, -1.0]),
        np.diag([1.0, 1e-12]), np.diag([1.0, 1e-7]), np.diag([-1.0, -2.0, 3.0]), np.diag([2.0, 0.0, -1.0]),
        np.array([[2, 1], [1, 2]]), np.diag([3, 0]))]
    # tol given, positionally and by keyword; eigenvalues exactly at +-tol are not beyond it
    cases += [(np.diag([1.0, 0.3]), 0.5), (np.diag([-1.0, 0.3]), 0.5), (np.diag([-1.0, 0.3]), 0.1),
              (np.diag([0.5, 2.0]), 0.5), (np.diag([-0.5, -2.0]), 0.5), (np.diag([2.0, -0.25]), 0.25)]
    for _ in range(n_random):
        dim = int(rng.integers(2, 5))
        signs = rng.choice([-1.0, 1.0, 0.0], size=dim, p=[0.45, 0.45, 0.1])
        cases.append((_rotated(rng, signs * rng.uniform(0.5, 3.0, size=dim)), None))
    return cases


def _call(checker, classify_stationary_point, hessian, tol, index):
    """The student's answer, with tol left out (None), passed positionally or by keyword (alternately)."""
    __tracebackhide__ = True
    if tol is None:
        return checker.call(classify_stationary_point, hessian)
    if index % 2:
        return checker.call(classify_stationary_point, hessian, tol=tol)
    return checker.call(classify_stationary_point, hessian, tol)


def check_classify_stationary_point(classify_stationary_point, seed=0, n_random=6):
    """Minima, maxima, saddles and degenerate points from Hessians of size 1 to 4, diagonal and rotated, float and
    integer, with the default tol and with a given one (eigenvalues inside, beyond and exactly at tol).

    A wrong answer names a known mistake only when that mistake gives every answer of the check."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    cases = _cases(rng, n_random)
    checker = Checker("classify_stationary_point")
    answers = []
    for index, (hessian, tol) in enumerate(cases):
        saved = hessian.copy()
        answers.append(_call(checker, classify_stationary_point, hessian, tol, index))
        unchanged(checker, "hessian", saved, hessian)
    for (hessian, tol), got in zip(cases, answers):
        tol_used = _DEFAULT_TOL if tol is None else tol
        want = surfaces.classify_stationary_point(hessian, tol_used)
        checker.require(isinstance(got, str) and got in _ANSWERS,
                        f"should return one of the strings 'minimum', 'maximum', 'saddle', 'degenerate', but "
                        f"returned {got!r}.")
        if got != want:
            eigenvalues = ", ".join(f"{v:.3g}" for v in _eigenvalues(hessian))
            kind = "integer " if hessian.dtype.kind in "iu" else ""
            message = (f"for a {len(hessian)}x{len(hessian)} {kind}Hessian with eigenvalues {eigenvalues} "
                       f"(tol={tol_used:g}{', the default' if tol is None else ''}) the answer is {want!r}, but "
                       f"you returned {got!r}.")
            named = [description for description, mistake in _HESSIAN_MISTAKES
                     if all(mistake(h, _DEFAULT_TOL if t is None else t) == a for (h, t), a in zip(cases, answers))]
            if named:
                message += f" Your answers are those of {named[0]}."
            checker.fail(message)
        checker.ok()
    checker.done()
