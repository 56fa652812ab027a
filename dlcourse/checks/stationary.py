"""Check for chapter 01_sgd: classifying a stationary point from its Hessian."""
import numpy as np

from .. import surfaces
from .core import Checker, unchanged

__all__ = ["check_classify_stationary_point"]

_DEFAULT_TOL = 1e-8  # the default tol of classify_stationary_point (the reference's and the exercise's)


def _eigenvalues(hessian):
    return np.linalg.eigvalsh(hessian)


def _determinant_only(hessian, tol):
    det = np.linalg.det(hessian)
    return "minimum" if det > tol else ("saddle" if det < -tol else "degenerate")


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


def _no_degenerate(hessian, tol):
    ev = _eigenvalues(hessian)
    if (ev > tol).any() and (ev < -tol).any():
        return "saddle"
    return "minimum" if (ev >= -tol).all() else "maximum"


_HESSIAN_MISTAKES = [
    ("what the determinant alone says: det > 0 for a minimum and for a maximum alike (the product of the "
     "eigenvalues hides their signs); look at the sign of every eigenvalue", _determinant_only),
    ("the answer with minimum and maximum swapped: all eigenvalues positive means the function curves upwards "
     "in every direction, a minimum", _swapped),
    ("the answer when the degenerate case is ignored: an eigenvalue within tol of 0 means second-order "
     "information cannot decide, so the answer is 'degenerate'", _no_degenerate),
    ("the answer from comparing the eigenvalues with 0 instead of with tol (round-off then decides)",
     lambda hessian, tol: surfaces.classify_by_signs(_eigenvalues(hessian) > 0, _eigenvalues(hessian) < 0)),
    ("the answer from the signs of the diagonal entries: the off-diagonal entries matter, use the eigenvalues",
     lambda hessian, tol: surfaces.classify_by_signs(np.diag(hessian) > tol, np.diag(hessian) < -tol)),
    ("the two-dimensional test (det H < 0 a saddle, otherwise the sign of the trace), which holds only for 2x2 "
     "Hessians: in any dimension, look at the sign of every eigenvalue", _determinant_and_trace),
    ("the answer with tol ignored (a fixed threshold of 1e-8): compare the eigenvalues with the tol you are given",
     lambda hessian, tol: surfaces.classify_stationary_point(hessian, _DEFAULT_TOL)),
    ("the answer that looks for a zero eigenvalue before the saddle: one eigenvalue > tol and one < -tol make a "
     "saddle, even when another one is 0", _zero_before_saddle),
]


def _rotated(rng, eigenvalues):
    """Q diag(eigenvalues) Q^T with a random orthogonal Q: a symmetric matrix with these eigenvalues."""
    q, _ = np.linalg.qr(rng.standard_normal((len(eigenvalues), len(eigenvalues))))
    hessian = q @ np.diag(eigenvalues) @ q.T
    return (hessian + hessian.T) / 2


def check_classify_stationary_point(classify_stationary_point, seed=0, n_random=6):
    """Minima, maxima, saddles and degenerate points from Hessians of size 1 to 4, diagonal and rotated, with the
    default tol and with a large one."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    # (hessian, tol): tol None calls the student's function without it, so the default is used.
    cases = [(hessian, None) for hessian in (
        np.array([[2.0]]), np.array([[-3.0]]), np.array([[0.0]]),
        np.diag([1.0, 3.0]), np.diag([-1.0, -2.0]), np.diag([1.0, -1.0]),
        np.array([[1.0, 2.0], [2.0, 1.0]]), np.array([[-1.0, 2.0], [2.0, -1.0]]),
        np.array([[2.0, 1.0], [1.0, 2.0]]), np.diag([2.0, 0.0]), np.diag([0.0, -1.0]),
        np.diag([1.0, 1e-12]), np.diag([-1.0, -2.0, 3.0]), np.diag([2.0, 0.0, -1.0]))]
    cases += [(np.diag([1.0, 0.3]), 0.5), (np.diag([-1.0, 0.3]), 0.5), (np.diag([-1.0, 0.3]), 0.1)]
    for _ in range(n_random):
        dim = int(rng.integers(2, 5))
        signs = rng.choice([-1.0, 1.0, 0.0], size=dim, p=[0.45, 0.45, 0.1])
        cases.append((_rotated(rng, signs * rng.uniform(0.5, 3.0, size=dim)), None))
    checker = Checker("classify_stationary_point")
    answers = []
    for hessian, tol in cases:
        saved = hessian.copy()
        args = (hessian,) if tol is None else (hessian, tol)
        answers.append(checker.call(classify_stationary_point, *args))
        unchanged(checker, "hessian", saved, hessian)
    for (hessian, tol), got in zip(cases, answers):
        tol_used = _DEFAULT_TOL if tol is None else tol
        want = surfaces.classify_stationary_point(hessian, tol_used)
        checker.require(isinstance(got, str) and got in ("minimum", "maximum", "saddle", "degenerate"),
                        f"should return one of the strings 'minimum', 'maximum', 'saddle', 'degenerate', but "
                        f"returned {got!r}.")
        if got != want:
            eigenvalues = ", ".join(f"{v:.3g}" for v in _eigenvalues(hessian))
            message = (f"for a {len(hessian)}x{len(hessian)} Hessian with eigenvalues {eigenvalues} "
                       f"(tol={tol_used:g}) the answer is {want!r}, but you returned {got!r}.")
            consistent = [description for description, mistake in _HESSIAN_MISTAKES
                          if all(mistake(h, _DEFAULT_TOL if t is None else t) == a
                                 for (h, t), a in zip(cases, answers))]
            single = [description for description, mistake in _HESSIAN_MISTAKES if mistake(hessian, tol_used) == got]
            if consistent or single:
                message += f" Your answer equals {(consistent or single)[0]}."
            checker.fail(message)
        checker.ok()
    checker.done()
