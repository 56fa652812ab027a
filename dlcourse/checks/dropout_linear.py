"""Checks for chapter 07_dropout, exercises 6 and 7: dropout on the inputs of linear regression, its expected
loss in closed form and the weights that minimise it.

Book: chapter 07_dropout, "Dropout as a data-dependent L2 penalty". Two oracles besides the reference: the
expectation over every one of the 2^D masks of an example, enumerated (exact, no sampling), and scikit-learn's
``Ridge`` on rescaled inputs for the minimiser.
"""
import itertools

import numpy as np

from .. import dropout as reference
from .core import Checker, unchanged

__all__ = ["check_expected_dropout_loss", "check_dropout_ridge_solution", "enumerated_dropout_loss",
           "regression_problem"]


def enumerated_dropout_loss(x, y, w, p, inverted=True):
    """(1/2N) sum_n sum_m Pr(m) (y_n - s w^T (m * x_n))^2 over all 2^D masks m: the expectation, without sampling.

    Shapes: x (N, D) with D <= 14, y (N,), w (D,) -> float.
    """
    d = x.shape[1]
    masks = np.array(list(itertools.product((0.0, 1.0), repeat=d)))
    probs = np.prod(np.where(masks == 1.0, 1.0 - p, p), axis=1)
    scale = 1.0 / (1.0 - p) if inverted else 1.0
    predictions = scale * x @ (masks * w).T              # (N, 2^D): example n under mask m
    return float(0.5 * np.mean(((y[:, None] - predictions) ** 2) @ probs))


def regression_problem(rng, n, d):
    """Inputs whose columns have different scales and non-zero means (so X^T X is far from diagonal and its diagonal
    far from constant), targets from a noisy linear model, and a weight vector to evaluate the loss at."""
    scales, offsets = np.geomspace(0.3, 3.0, d), rng.uniform(-1.0, 1.0, d)
    x = scales * rng.standard_normal((n, d)) + offsets
    y = x @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n)
    return x, y, rng.standard_normal(d)


def _loss_mistakes(x, y, w, p, inverted):
    n = len(x)
    c = np.mean(x * x, axis=0)
    keep = 1.0 - p
    mean_prediction = x @ w if inverted else keep * (x @ w)
    variance = p / keep if inverted else p * keep
    fit = 0.5 * np.mean((y - mean_prediction) ** 2)
    penalty = 0.5 * variance * np.sum(c * w * w)
    full = 0.5 * variance * float(w @ (x.T @ x / n) @ w)
    mistakes = [
        (KEEP_DROP_LOSS, reference.expected_dropout_loss(x, y, w, keep, inverted) if p > 0 else np.nan),
        ("the penalty with the full X^T X / N: every input is dropped independently, so the variance of the "
         "prediction is a sum of separate terms, one per input, and only the diagonal (the mean squares of the "
         "inputs) appears", fit + full),
        ("the loss of the average prediction only: the variance of the prediction over the masks adds the penalty",
         fit),
        ("the sum over the examples instead of the mean: the loss is (1/2N) sum_n, and the penalty carries the mean "
         "square of each input", n * fit + n * penalty),
        ("twice the expected loss: the squared loss carries a factor 1/2", 2 * (fit + penalty)),
        ("a penalty with sum_n x_nj^2 instead of the mean square (1/N) sum_n x_nj^2", fit + n * penalty)]
    if inverted:
        mistakes += [
            ("the penalty of vanilla dropout, p (1 - p): with the 1/(1 - p) scaling each kept input is x/(1 - p), so "
             "the variance per input is p/(1 - p) x^2", fit + 0.5 * p * keep * np.sum(c * w * w)),
            ("vanilla dropout's mean prediction (1 - p) X w: inverted dropout's prediction is unbiased, its mean is "
             "X w", 0.5 * np.mean((y - keep * (x @ w)) ** 2) + penalty)]
    else:
        mistakes += [
            ("the expected loss of inverted dropout: with inverted=False the kept inputs are not rescaled, so the "
             "mean prediction is (1 - p) X w", reference.expected_dropout_loss(x, y, w, p, True)),
            ("vanilla dropout's penalty with the inverted mean prediction X w", 0.5 * np.mean((y - x @ w) ** 2)
             + penalty)]
    return mistakes


KEEP_DROP_LOSS = ("the expected loss with keep and drop swapped: an input is kept with probability 1 - p (p is the "
                  "drop probability, torch's convention)")


def check_expected_dropout_loss(expected_dropout_loss, seed=0, shapes=((12, 4), (30, 6)), ps=(0.2, 0.6)):
    """Exercise 6: E over the masks of (1/2N) sum_n (y_n - s w^T (m_n * x_n))^2, inverted (s = 1/(1 - p)) and vanilla
    (s = 1), against the reference and the enumeration of every mask."""
    __tracebackhide__ = True
    checker = Checker("expected_dropout_loss")
    rng = np.random.default_rng(seed)
    for n, d in shapes:
        x, y, w = regression_problem(rng, n, d)
        saved = (x.copy(), y.copy(), w.copy())
        for p in tuple(ps) + (0.0,):
            for inverted in (True, False):
                context = f"for x of shape {(n, d)}, p={p}, inverted={inverted}"
                args = (x, y, w, p) if inverted and p == ps[0] else (x, y, w, p, inverted)
                got = checker.call(expected_dropout_loss, *args)
                for what, before, after in zip(("x", "y", "w"), saved, (x, y, w)):
                    unchanged(checker, what, before, after)
                mistakes = [(description, value) for description, value in _loss_mistakes(x, y, w, p, inverted)
                            if np.isfinite(value)]
                checker.close("the expected loss", got, reference.expected_dropout_loss(x, y, w, p, inverted),
                              mistakes, context=context, rtol=1e-8, atol=1e-9)
                if d <= 10:
                    checker.close("the expected loss", got, enumerated_dropout_loss(x, y, w, p, inverted),
                                  rtol=1e-8, atol=1e-9, context=context + ", compared with the average over all "
                                  f"2^{d} masks of each example")
    checker.done()


def _ridge_mistakes(x, y, p, inverted):
    gram, n = x.T @ x, len(x)
    diagonal = np.diag(np.diag(gram))
    keep = 1.0 - p
    factor = 1.0 if inverted else 1.0 / keep
    solve = lambda matrix: factor * np.linalg.solve(matrix, x.T @ y)  # noqa: E731
    mistakes = [
        ("the minimiser with keep and drop swapped: the penalty factor of inverted dropout is p/(1 - p), with p the "
         "drop probability", solve(gram + (keep / p) * diagonal) if p > 0 else None),
        ("the minimiser of a penalty with the full X^T X (the least-squares solution shrunk by 1 + p/(1 - p)): only "
         "the diagonal of X^T X enters the penalty", solve((1 + p / keep) * gram)),
        ("plain ridge regression with strength p/(1 - p): dropout weights the penalty on w_j by the mean square of "
         "input j, diag(X^T X), not by 1", solve(gram + (p / keep) * np.eye(len(gram)))),
        ("(X^T X / N + p/(1 - p) diag(X^T X)) w = X^T y / N: the 1/N of the loss divides the penalty's diag(X^T X) "
         "too; both terms of the normal equations carry the same 1/N",
         factor * np.linalg.solve(gram / n + (p / keep) * diagonal, x.T @ y / n)),
        ("the least-squares solution without the dropout penalty", solve(gram)),
        ("the penalty factor of vanilla dropout, p (1 - p), in the normal equations",
         solve(gram + p * keep * diagonal))]
    if not inverted:
        mistakes.append(("the test-time weights (1 - p) w, which equal the inverted-dropout solution; with "
                         "inverted=False return the minimiser of vanilla dropout's training loss, larger by 1/(1 - p)",
                         np.linalg.solve(gram + (p / keep) * diagonal, x.T @ y)))
    return [(description, value) for description, value in mistakes if value is not None]


def _sklearn_ridge(x, y, p, inverted):
    """Ridge(alpha = p/(1 - p)) on the inputs divided by sqrt(sum_n x_nj^2), mapped back: scikit-learn's solver."""
    from sklearn.linear_model import Ridge
    scale = np.sqrt(np.sum(x * x, axis=0))
    model = Ridge(alpha=p / (1.0 - p), fit_intercept=False, solver="cholesky").fit(x / scale, y)
    return model.coef_ / scale / (1.0 if inverted else 1.0 - p)


def check_dropout_ridge_solution(dropout_ridge_solution, seed=0, shapes=((12, 4), (40, 7)), ps=(0.2, 0.6)):
    """Exercise 7: the minimiser of the expected dropout loss, against the reference and scikit-learn's Ridge."""
    __tracebackhide__ = True
    checker = Checker("dropout_ridge_solution")
    rng = np.random.default_rng(seed)
    for n, d in shapes:
        x, y, _ = regression_problem(rng, n, d)
        saved = (x.copy(), y.copy())
        for p in tuple(ps) + (0.0,):
            for inverted in (True, False):
                context = f"for x of shape {(n, d)}, p={p}, inverted={inverted}"
                args = (x, y, p) if inverted and p == ps[0] else (x, y, p, inverted)
                got = checker.call(dropout_ridge_solution, *args)
                for what, before, after in zip(("x", "y"), saved, (x, y)):
                    unchanged(checker, what, before, after)
                want = reference.dropout_ridge_solution(x, y, p, inverted)
                checker.close("w", got, want, _ridge_mistakes(x, y, p, inverted), context=context)
                checker.close("w", got, _sklearn_ridge(x, y, p, inverted), context=context + ", compared with "
                              "sklearn.linear_model.Ridge(alpha=p/(1-p)) on the inputs divided by sqrt(sum_n x_nj^2)")
    checker.done()
