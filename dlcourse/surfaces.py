"""Two-dimensional test surfaces for watching optimisers move, and a trajectory runner.

Book: chapter 01_sgd, section "Gradient descent on a quadratic", and chapter 04_optimisers, section
"Optimisers on test surfaces".

A ``Surface`` bundles a function f: R^2 -> R with its gradient and Hessian, its minima and saddle points,
and the window in which to plot it. ``f``, ``grad`` and ``hessian`` take points w of shape (..., 2), so they
evaluate one point (2,) or a whole grid (H, W, 2) at once, and return (...), (..., 2) and (..., 2, 2).
``f`` uses arithmetic only, so it also accepts a torch tensor: the tests check ``grad`` and ``hessian``
against torch autograd, and a chapter can do the same.
"""
from typing import Callable, NamedTuple

import numpy as np

__all__ = [
    "Surface", "ill_conditioned_quadratic", "rosenbrock", "saddle", "several_minima",
    "run_trajectory", "classify_stationary_point", "classify_by_signs",
]


class Surface(NamedTuple):
    """A 2-D test function: f, grad, hessian of w (..., 2), known minima (k, 2) and saddles (j, 2), plot window.

    ``log_levels`` says whether contour levels should be log-spaced (f >= 0 spanning many orders of size).
    """

    name: str
    f: Callable
    grad: Callable
    hessian: Callable
    minima: np.ndarray
    xlim: tuple
    ylim: tuple
    saddles: np.ndarray = np.zeros((0, 2))
    log_levels: bool = False


def _xy(w):
    """The coordinates x = w[..., 0], y = w[..., 1]; arrays (and torch tensors) are used as they are."""
    if not hasattr(w, "shape"):
        w = np.asarray(w, dtype=float)
    return w[..., 0], w[..., 1]


def _matrix(a, b, d):
    """[[a, b], [b, d]] for arrays a, b, d of the same shape -> (..., 2, 2)."""
    a, b, d = np.broadcast_arrays(a, b, d)
    return np.stack([np.stack([a, b], axis=-1), np.stack([b, d], axis=-1)], axis=-2)


def _newton(grad, hessian, starts, steps=50):
    """Refine approximate stationary points with Newton's method: w <- w - H(w)^-1 grad(w)."""
    w = np.array(starts, dtype=float)
    for _ in range(steps):
        w = w - np.linalg.solve(hessian(w), grad(w)[..., None])[..., 0]
    return w


def ill_conditioned_quadratic(kappa=10.0, angle=0.0):
    """f(w) = w^T A w / 2 with A = R diag(1, kappa) R^T, R the rotation by ``angle`` (radians).

    Shapes: w (..., 2) -> f (...), grad (..., 2), hessian (..., 2, 2). Book: 01_sgd, "Condition number".
    The Hessian is A, with eigenvalues 1 and kappa; gradient descent is stable for lr < 2 / kappa and
    converges at rate (kappa - 1) / (kappa + 1) with the best lr, 2 / (1 + kappa). With angle = 0 the
    valley is aligned with the axes, which flatters per-coordinate methods (Adagrad, RMSProp, Adam).
    """
    c, s = np.cos(angle), np.sin(angle)
    rotation = np.array([[c, -s], [s, c]])
    a = rotation @ np.diag([1.0, float(kappa)]) @ rotation.T
    p, q, r = float(a[0, 0]), float(a[0, 1]), float(a[1, 1])  # A = [[p, q], [q, r]]

    def f(w):
        x, y = _xy(w)
        return 0.5 * (p * x ** 2 + 2 * q * x * y + r * y ** 2)

    def grad(w):
        x, y = _xy(w)
        return np.stack([p * x + q * y, q * x + r * y], axis=-1)

    def hessian(w):
        x, _ = _xy(w)
        return _matrix(p, q, r) + np.zeros(np.shape(x) + (2, 2))

    return Surface(f"quadratic (kappa={kappa:g})", f, grad, hessian, np.zeros((1, 2)), (-2.0, 2.0), (-2.0, 2.0))


def rosenbrock(a=1.0, b=100.0):
    """f(x, y) = (a - x)^2 + b (y - x^2)^2   (Rosenbrock 1960), minimum 0 at (a, a^2).

    Shapes: w (..., 2) -> f (...), grad (..., 2), hessian (..., 2, 2). Book: 04_optimisers.
    A curved, flat-bottomed valley: easy to reach, slow to follow.
    """
    def f(w):
        x, y = _xy(w)
        return (a - x) ** 2 + b * (y - x ** 2) ** 2

    def grad(w):
        x, y = _xy(w)
        return np.stack([-2 * (a - x) - 4 * b * x * (y - x ** 2), 2 * b * (y - x ** 2)], axis=-1)

    def hessian(w):
        x, y = _xy(w)
        return _matrix(2 - 4 * b * y + 12 * b * x ** 2, -4 * b * x, 2 * b)

    return Surface("rosenbrock", f, grad, hessian, np.array([[a, a * a]]), (-2.0, 2.0), (-1.0, 3.0),
                   log_levels=True)


def saddle():
    """f(x, y) = x^2 / 2 + y^4 / 4 - y^2 / 2: a saddle at (0, 0) between minima at (0, +1) and (0, -1).

    Shapes: w (..., 2) -> f (...), grad (..., 2), hessian (..., 2, 2). Book: 04_optimisers, "Saddle points".
    The Hessian at the origin is diag(1, -1). Gradient descent started on the line y = 0 converges to the
    saddle; started a little off it, it leaves the saddle only slowly (the unstable direction grows like
    (1 + lr)^t) and reaches a minimum, f = -1/4. Bounded below, unlike x^2 - y^2.
    """
    def f(w):
        x, y = _xy(w)
        return x ** 2 / 2 + y ** 4 / 4 - y ** 2 / 2

    def grad(w):
        x, y = _xy(w)
        return np.stack([x, y ** 3 - y], axis=-1)

    def hessian(w):
        x, y = _xy(w)
        return _matrix(np.ones_like(x), np.zeros_like(x), 3 * y ** 2 - 1)

    return Surface("saddle", f, grad, hessian, np.array([[0.0, 1.0], [0.0, -1.0]]), (-2.0, 2.0), (-2.0, 2.0),
                   saddles=np.zeros((1, 2)))


# Approximate stationary points of Himmelblau's function (refined by Newton's method below).
_HIMMELBLAU_MINIMA = [[3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848126]]
_HIMMELBLAU_SADDLES = [[0.086678, 2.884255], [-3.073026, -0.081353], [3.385154, 0.073852], [-0.127961, -1.953715]]


def several_minima(tilt=0.0):
    """f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2 + tilt x   (Himmelblau 1972, plus an optional tilt).

    Shapes: w (..., 2) -> f (...), grad (..., 2), hessian (..., 2, 2). Book: 04_optimisers, "Local minima".
    Four minima (all with f = 0 when tilt = 0), four saddles and one maximum near (-0.27, -0.92); which
    minimum an optimiser reaches depends on where it starts and how it moves. A small tilt (|tilt| <= 5)
    makes the minima on the side x < 0 (tilt > 0) deeper than the others. ``minima`` and ``saddles`` are
    exact to machine precision (Newton's method).
    """
    def f(w):
        x, y = _xy(w)
        return (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2 + tilt * x

    def grad(w):
        x, y = _xy(w)
        u, v = x ** 2 + y - 11, x + y ** 2 - 7
        return np.stack([4 * x * u + 2 * v + tilt, 2 * u + 4 * y * v], axis=-1)

    def hessian(w):
        x, y = _xy(w)
        return _matrix(12 * x ** 2 + 4 * y - 42, 4 * x + 4 * y, 4 * x + 12 * y ** 2 - 26)

    minima, saddles = (_newton(grad, hessian, points) for points in (_HIMMELBLAU_MINIMA, _HIMMELBLAU_SADDLES))
    return Surface("himmelblau" if tilt == 0 else f"himmelblau (tilt={tilt:g})", f, grad, hessian,
                   minima, (-5.0, 5.0), (-5.0, 5.0), saddles=saddles, log_levels=tilt == 0)


def run_trajectory(opt, surface, w0, steps, schedule=None):
    """w_0 = w0,  w_{t+1} = opt.update(w_t, surface.grad(w_t), state_t) for t = 0..steps-1.

    Shapes: w0 (2,) -> (steps + 1, 2), row t is w_t. ``opt`` is an ``optim.Optimizer`` (``sgd(0.1)``,
    ``adaptive.adam(0.05)``, ...); with a ``schedule`` the step t uses lr = schedule(t). When an optimiser
    diverges (a non-finite iterate), the rows from there on are NaN, and nothing is printed or warned.
    """
    path = np.full((steps + 1, 2), np.nan)
    w = np.asarray(w0, dtype=float).copy()
    state = opt.init(w)
    path[0] = w
    with np.errstate(all="ignore"):
        for t in range(steps):
            overrides = {} if schedule is None else {"lr": schedule(t)}
            w, state = opt.update(w, surface.grad(w), state, **overrides)
            if not np.all(np.isfinite(w)):
                break
            path[t + 1] = w
    return path


def classify_stationary_point(hessian, tol=1e-8):
    """The kind of stationary point from the eigenvalues lambda_i of the (symmetric) Hessian there:
    all > tol: "minimum"; all < -tol: "maximum"; some > tol and some < -tol: "saddle"; else "degenerate".

    Shapes: hessian (n, n) -> str. "degenerate" means some |lambda_i| <= tol and the others share a sign:
    second-order information cannot decide (e.g. x^4 at 0 is a minimum, x^3 is not).
    """
    eigenvalues = np.linalg.eigvalsh(np.asarray(hessian, dtype=float))
    return classify_by_signs(eigenvalues > tol, eigenvalues < -tol)


def classify_by_signs(positive, negative):
    """"saddle" if some eigenvalue is positive and some negative, "minimum" if all are positive,
    "maximum" if all are negative, else "degenerate".

    Shapes: positive, negative boolean (n,) masks of the eigenvalues -> str.
    """
    if positive.any() and negative.any():
        return "saddle"
    if positive.all():
        return "minimum"
    if negative.all():
        return "maximum"
    return "degenerate"
