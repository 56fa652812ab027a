"""Checks for chapter 06_regularisation, exercises 1 to 4 and 6: the L2 penalty, ridge regression, soft
thresholding and the ISTA step, the max-norm projection, and the expected loss under input noise.

Book: chapter 06_regularisation. Each check compares the student's function with the dlcourse reference on
inputs chosen so that the usual mistakes give different numbers (non-square weights, data far from the
origin, biases that are not zero, entries on both sides of a threshold), and, where one is cheap, with an
independent oracle: scikit-learn's ``Ridge`` and ``Lasso`` in float64, or a numerical gradient. (The references
themselves are tested against torch and scikit-learn in tests/test_regularisation_oracles.py; the checks do not
import torch, which would cost a chapter's notebook a second or two.)
"""
import numpy as np

from .. import regularisation as R
from .. import sequential as S
from ..gradcheck import numerical_gradient
from .core import Checker, describe, unchanged

__all__ = ["check_l2_penalty", "check_ridge_regression", "check_soft_threshold_and_ista_step", "check_max_norm",
           "check_noisy_input_loss"]


# ---------------------------------------------------------------- exercise 1: the L2 penalty


def _params(rng, with_batchnorm):
    """A network's params with random biases (and batch norm's gamma and beta, which are not weights either)."""
    layers = ((S.linear(5, 4), S.batchnorm(4), S.activation("relu"), S.sequential(S.linear(4, 3), S.linear(3, 2)))
              if with_batchnorm else (S.linear(3, 4), S.activation("tanh"), S.linear(4, 2)))
    params, _ = S.sequential(*layers).init(rng)
    return {key: value + rng.standard_normal(value.shape) for key, value in params.items()}


def _l2_variant(params, mu, value_factor=1.0, grad_factor=1.0, *, penalised=S.is_weight, form="square"):
    """The L2 penalty of the keys ``penalised`` selects, in one of the forms the mistakes take."""
    value, grads = 0.0, {}
    for key, w in params.items():
        grads[key] = np.zeros_like(w)
        if penalised(key):
            if form == "norm":
                value += 0.5 * mu * np.linalg.norm(w)
                grads[key] = 0.5 * mu * w / np.linalg.norm(w)
            elif form == "mean":
                value += 0.5 * mu * np.mean(w * w)
                grads[key] = mu * w / w.size
            else:
                value += 0.5 * mu * np.sum(w * w)
                grads[key] = mu * w
    return value * value_factor, {key: grad_factor * g for key, g in grads.items()}


def _l2_mistakes(params, mu):
    return [
        ("the penalty with the biases penalised too (sums over all parameters, as in some lecture notes): "
         "penalise only the weights, is_weight(key)", _l2_variant(params, mu, penalised=lambda key: True)),
        ("the penalty with batch norm's gamma and beta penalised too: only weight matrices are (is_weight(key))",
         _l2_variant(params, mu, penalised=lambda key: not key.endswith(".b"))),
        ("mu ||W||^2 with the gradient 2 mu W (a convention of some notes and courses); this book and torch's "
         "weight_decay use mu/2 ||W||^2, whose gradient is mu W", _l2_variant(params, mu, 2.0, 2.0)),
        ("the value mu ||W||^2 (no 1/2) with the gradient mu W: the value and the gradient use different "
         "conventions", _l2_variant(params, mu, 2.0, 1.0)),
        ("the gradient 2 mu W of mu ||W||^2 with the value mu/2 ||W||^2: the value and the gradient use "
         "different conventions", _l2_variant(params, mu, 1.0, 2.0)),
        ("the norm ||W||_F instead of its square", _l2_variant(params, mu, form="norm")),
        ("the mean of the squared weights instead of their sum", _l2_variant(params, mu, form="mean")),
        ("no penalty at all: no key was recognised as a weight (the weights are '0.W', '2.W', ...: use "
         "is_weight(key))", _l2_variant(params, mu, penalised=lambda key: False)),
    ]


def check_l2_penalty(l2_penalty, seed=0, mus=(0.1, 3, 0.0)):
    """value mu/2 sum ||W||_F^2 over the weights and grads for every key, on an MLP and on a network with batch
    norm and a nested block, for every mu in ``mus``."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("l2_penalty")
    for with_batchnorm in (False, True):
        params = _params(rng, with_batchnorm)
        for mu in mus:
            context = f"for mu={mu} and params with keys {list(params)}"
            saved = {key: value.copy() for key, value in params.items()}
            value, grads = checker.unpack(checker.call(l2_penalty, params, mu), ("value", "grads"), context)
            for key in params:
                unchanged(checker, f"params[{key!r}]", saved[key], params[key])
            checker.require(isinstance(grads, dict), f"grads should be a dict like params, but it is "
                                                     f"{describe(grads)} {context}.")
            missing, extra = sorted(set(params) - set(grads)), sorted(set(grads) - set(params))
            checker.require(not missing and not extra,
                            f"grads should have exactly the keys of params {context}, but "
                            + (f"{missing} are missing: give every parameter a gradient (zeros where there is no "
                               "penalty), so that grads can be added to the loss's gradients key by key."
                               if missing else f"it also has {extra}."))
            want_value, want_grads = R.l2_penalty(params, mu)
            fields = [("the value", value, want_value)] + [(f"grads[{key!r}]", grads[key], want_grads[key])
                                                           for key in params]
            mistakes = [(what, [wrong[0]] + [wrong[1][key] for key in params])
                        for what, wrong in _l2_mistakes(params, mu)]
            checker.close_all(fields, mistakes, context=context)
    checker.done()


# ---------------------------------------------------------------- exercise 2: ridge regression


def _ridge_solve(x, y, mu, n_factor=1.0, penalty=1.0, centre_x=True, centre_y=True, penalise_bias=False):
    """Ridge regression in one of the forms the mistakes take: -> (w, b)."""
    n, d = x.shape
    if penalise_bias:
        xa = np.hstack([x, np.ones((n, 1))])
        wa = np.linalg.solve(xa.T @ xa / n + mu * np.eye(d + 1), xa.T @ y / n)
        return wa[:d], wa[d]
    x_mean = x.mean(axis=0) if centre_x else np.zeros(d)
    y_mean = y.mean() if centre_y else 0.0
    xc, yc = x - x_mean, y - y_mean
    if penalty == 0.0:
        w = np.linalg.lstsq(xc, yc, rcond=None)[0]
    else:
        w = np.linalg.solve(xc.T @ xc / n_factor + penalty * mu * np.eye(d), xc.T @ yc / n_factor)
    return w, y_mean - x_mean @ w


def _ridge_mistakes(x, y, mu):
    n = len(x)
    return [
        ("the solution of (X^T X + mu I) w = X^T y without the 1/N, the sum loss of sklearn's Ridge(alpha=mu); "
         "with the averaged loss of this book, sklearn's alpha is N mu", _ridge_solve(x, y, mu, n_factor=1.0)),
        ("the bias penalised too (a column of ones in X): only w is penalised, so centre the data instead",
         _ridge_solve(x, y, mu, n, penalise_bias=True)),
        ("no bias (b = 0, data not centred)", _ridge_solve(x, y, mu, n, centre_x=False, centre_y=False)),
        ("y centred but not x: centre both, then b = mean(y) - mean(x) w", _ridge_solve(x, y, mu, n, centre_x=False)),
        ("(X^T X / N + 2 mu I) w = X^T y / N: the gradient of mu ||w||^2, not of mu/2 ||w||^2",
         _ridge_solve(x, y, mu, n, penalty=2.0)),
        ("(X^T X / N + mu/2 I) w = X^T y / N: the gradient of mu/2 ||w||^2 is mu w",
         _ridge_solve(x, y, mu, n, penalty=0.5)),
        ("(X^T X / N + N mu I) w = X^T y / N: sklearn's alpha = N mu put into the averaged equations",
         _ridge_solve(x, y, mu, n, penalty=float(n))),
        ("the least-squares solution without the penalty", _ridge_solve(x, y, mu, n, penalty=0.0)),
    ]


def _ridge_data(rng, n, d):
    """Inputs far from the origin with columns of different scales, and a target with an offset."""
    x = rng.standard_normal((n, d)) * rng.uniform(0.5, 3.0, size=d) + rng.uniform(2.0, 5.0, size=d)
    return x, x @ rng.standard_normal(d) + 1.5 + 0.3 * rng.standard_normal(n)


def check_ridge_regression(ridge_regression, seed=0, cases=((20, 3, 0.1), (8, 12, 0.5), (30, 1, 2))):
    """(w, b) against the reference and scikit-learn's Ridge(alpha=N mu), for (N, D, mu) in ``cases`` (D > N
    included)."""
    __tracebackhide__ = True
    from sklearn.linear_model import Ridge
    rng = np.random.default_rng(seed)
    checker = Checker("ridge_regression")
    for n, d, mu in cases:
        x, y = _ridge_data(rng, n, d)
        context = f"for N={n}, D={d}, mu={mu}"
        saved = (x.copy(), y.copy())
        w, b = checker.unpack(checker.call(ridge_regression, x, y, mu), ("w", "b"), context)
        unchanged(checker, "x", saved[0], x)
        unchanged(checker, "y", saved[1], y)
        want_w, want_b = R.ridge_regression(x, y, mu)
        # The tolerance follows the size of the data: w and b are solutions of a linear system built from them.
        scale = {"scale": max(np.abs(want_w).max(), abs(want_b), 1.0)}
        checker.close_all([("w", w, want_w), ("b", b, want_b)], _ridge_mistakes(x, y, mu), context=context, **scale)
        sklearn = Ridge(alpha=n * mu).fit(x, y)
        checker.close_all([("w compared with sklearn's Ridge(alpha=N mu).coef_", w, sklearn.coef_),
                           ("b compared with sklearn's Ridge(alpha=N mu).intercept_", b, sklearn.intercept_)],
                          context=context, rtol=1e-5, atol=1e-6, **scale)
    checker.done()


# ---------------------------------------------------------------- exercise 3: soft thresholding and ISTA


def _soft(v, t):
    return np.sign(v) * np.maximum(np.abs(v) - t, 0.0)


def _soft_threshold_mistakes(w, t):
    return [
        ("max(w - threshold, 0): the negative entries are lost; shrink |w| by threshold and keep the sign", np.maximum(w - t, 0.0)),
        ("hard thresholding w [|w| > threshold]: the entries above the threshold must shrink by threshold too",
         w * (np.abs(w) > t)),
        ("w - threshold sign(w) without max(., 0): entries smaller than threshold cross zero instead of stopping at 0",
         w - t * np.sign(w)),
        ("max(|w| - threshold, 0): the sign of w is lost", np.maximum(np.abs(w) - t, 0.0)),
        ("clip(w, -threshold, threshold), which is w - soft(w): the part the operator removes", np.clip(w, -t, t)),
        ("w - threshold for every entry with |w| > threshold: the negative entries move away from zero (add threshold to them)",
         np.where(np.abs(w) > t, w - t, 0.0)),
    ]


def _ista_mistakes(w, dw, lr, nu):
    v = w - lr * dw
    return [
        ("a subgradient step w - lr (dw + nu sign(w)): it almost never lands on 0; take the gradient step, then "
         "the proximal step soft_{lr nu}", w - lr * (dw + nu * np.sign(w))),
        ("the threshold nu instead of lr nu", _soft(v, nu)),
        ("the threshold lr nu / 2, the minimiser of (u - w)^2 + lr nu |w| at u = w - lr dw; the proximal step "
         "minimises 1/2 (u - w)^2 + lr nu |w|, whose threshold is lr nu", _soft(v, lr * nu / 2)),
        ("the threshold 2 lr nu", _soft(v, 2 * lr * nu)),
        ("the proximal step before the gradient step: soft(w) - lr dw", _soft(w, lr * nu) - lr * dw),
        ("the plain gradient step w - lr dw, without the L1 penalty", v),
        ("a step up the gradient, soft(w + lr dw)", _soft(w + lr * dw, lr * nu)),
        ("hard thresholding of w - lr dw: the surviving entries must shrink by lr nu too",
         v * (np.abs(v) > lr * nu)),
    ]


def _lasso_problem(rng, n=40, d=6):
    x = rng.standard_normal((n, d))
    w_true = np.array([2.0, -1.5, 0.0, 0.0, 0.7, 0.0])[:d]
    return x, x @ w_true + 0.3 * rng.standard_normal(n)


def _check_ista_against_lasso(checker, ista_step, rng, nu=0.2, steps=300):
    """ISTA with the student's step on J = 1/(2N) ||X w - y||^2 converges to sklearn's Lasso(alpha=nu)."""
    __tracebackhide__ = True
    from sklearn.linear_model import Lasso
    x, y = _lasso_problem(rng)
    n = len(x)
    lr = 1.0 / np.linalg.eigvalsh(x.T @ x / n).max()
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        w = checker.call(ista_step, w, x.T @ (x @ w - y) / n, lr, nu)
        if not isinstance(w, np.ndarray) or w.shape != (x.shape[1],):
            checker.fail(f"returned {describe(w)} during an ISTA run; it should return an array shaped like w.")
    lasso = Lasso(alpha=nu, fit_intercept=False, tol=1e-14, max_iter=100000).fit(x, y)
    checker.close(f"w after {steps} ISTA steps with your ista_step, compared with sklearn's "
                  f"Lasso(alpha={nu}, fit_intercept=False).coef_", w, lasso.coef_, rtol=1e-6, atol=1e-8,
                  context="(sklearn minimises 1/(2N) ||y - X w||^2 + alpha ||w||_1, so alpha = nu)")
    checker.require(np.array_equal(w == 0.0, lasso.coef_ == 0.0),
                    "after the ISTA run the coefficients that the Lasso sets to zero should be exactly 0.0.")


def check_soft_threshold_and_ista_step(soft_threshold, ista_step, seed=0, shapes=((7,), (3, 4))):
    """soft_threshold and ista_step against the reference, and an ISTA run with the student's ista_step that must
    reach scikit-learn's Lasso solution."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("soft_threshold")
    inputs = [2.0 * rng.standard_normal(shape) for shape in shapes]
    inputs.append(np.array([-2.0, -0.5, -0.3, 0.0, 0.3, 0.5, 2.0]))
    for w in inputs:
        for t in (0.5, 1, 0.0):
            context = f"for w of shape {w.shape} and threshold {t}"
            saved = w.copy()
            got = checker.call(soft_threshold, w, t)
            unchanged(checker, "w", saved, w)
            checker.close("soft_threshold(w, threshold)", got, R.soft_threshold(w, t), _soft_threshold_mistakes(w, t),
                          context=context)
    checker.done()

    checker = Checker("ista_step")
    for shape in shapes:
        for lr, nu in ((0.4, 0.8), (0.1, 3), (1, 0.25)):
            w, dw = rng.standard_normal(shape), rng.standard_normal(shape)
            context = f"for w of shape {shape}, lr={lr}, nu={nu}"
            saved = (w.copy(), dw.copy())
            got = checker.call(ista_step, w, dw, lr, nu)
            unchanged(checker, "w", saved[0], w)
            unchanged(checker, "dw", saved[1], dw)
            checker.close("the new w", got, R.ista_step(w, dw, lr, nu), _ista_mistakes(w, dw, lr, nu),
                          context=context)
    _check_ista_against_lasso(checker, ista_step, rng)
    checker.done()


# ---------------------------------------------------------------- exercise 4: max-norm


def _max_norm_mistakes(w, r):
    rows = np.linalg.norm(w, axis=1, keepdims=True)
    columns = np.linalg.norm(w, axis=0, keepdims=True)
    with np.errstate(all="ignore"):
        return [
            ("the whole matrix projected onto ||W||_F <= r: the constraint is on each unit's incoming weights, "
             "the rows of W", w * min(1.0, r / np.linalg.norm(w))),
            ("each column projected: in the (out, in) layout a unit's incoming weights are a row",
             w * np.minimum(1.0, r / columns)),
            ("every row rescaled to norm r, also those inside the ball: scale by min(1, r / ||w_j||)",
             np.where(rows > 0, w * r / rows, w)),
            ("max(1, r / ||w_j||): rows inside the ball scaled up to r, rows outside left as they are",
             np.where(rows > 0, w * np.maximum(1.0, r / rows), w)),
            ("each entry clipped to [-r, r]: the constraint is on the norm of each row", np.clip(w, -r, r)),
            ("rows divided by their squared norm", np.where(rows > 0, w * np.minimum(1.0, r / rows ** 2), w)),
            ("the L1 norm of each row instead of its Euclidean norm",
             np.where(rows > 0, w * np.minimum(1.0, r / np.abs(w).sum(axis=1, keepdims=True)), w)),
        ]


def _max_norm_input(rng, shape, r):
    """Rows with norms 0.3 r, 0.9 r, exactly r, 1.5 r, 4 r, ... and one all-zero row."""
    w = rng.standard_normal(shape)
    factors = np.resize([0.3, 1.5, 0.9, 4.0, 1.0, 2.5], shape[0])
    w = w / np.linalg.norm(w, axis=1, keepdims=True) * (r * factors)[:, None]
    w[-1] = 0.0
    return w


def check_max_norm(max_norm, seed=0, cases=(((5, 3), 1.5), ((3, 7), 2), ((6, 6), 0.5))):
    """Each row projected onto the ball of radius r, against the reference, for (shape, r) in ``cases``: rows
    inside, on and outside the ball, and an all-zero row (the reference equals torch.renorm(w, 2, 0, r) up to
    torch's 1e-7 added to the norm)."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("max_norm")
    for shape, r in cases:
        w = _max_norm_input(rng, shape, r)
        context = f"for w of shape {shape} and r={r}"
        saved = w.copy()
        got = checker.call(max_norm, w, r)
        unchanged(checker, "w", saved, w)
        checker.conforms("the projected w", got, w, context=context)
        checker.require(np.all(np.isfinite(got[-1])),
                        f"the last row of w is all zeros and became {got[-1]} {context}: its norm is 0, so r / 0 "
                        "is not a number; leave rows with norm at most r (all-zero rows included) unchanged.")
        checker.close("the projected w", got, R.max_norm(w, r), _max_norm_mistakes(w, r), context=context)
    checker.done()


# ---------------------------------------------------------------- exercise 6: the expected loss under input noise


def _noisy_variant(x, y, w, b, sigma, factor=1.0, power=2, bias=False, targets=False, grad_penalty=True,
                   average=True):
    """The expected loss and its gradients in one of the forms the mistakes take: -> (loss, dw, db)."""
    n, k = y.shape
    residual = x @ w.T + b - y
    divide = n if average else 1
    strength = factor * sigma ** power
    loss = 0.5 * np.sum(residual ** 2) / divide
    dw, db = residual.T @ x / divide, residual.sum(axis=0) / divide
    if targets:
        return loss + 0.5 * k * sigma ** 2, dw, db
    loss += 0.5 * strength * (np.sum(w ** 2) + (np.sum(b ** 2) if bias else 0.0))
    dw = dw + (strength * w if grad_penalty else 0.0)
    return loss, dw, db + (strength * b if bias else 0.0)


def _noisy_mistakes(x, y, w, b, sigma):
    n, d = x.shape
    return [
        ("sigma/2 ||W||^2: the variance of the noise, sigma^2, belongs there", _noisy_variant(x, y, w, b, sigma, power=1)),
        ("sigma^2 ||W||^2 without the 1/2 of the squared loss", _noisy_variant(x, y, w, b, sigma, factor=2.0)),
        ("the bias penalised too: the noise enters through the inputs, which b does not multiply",
         _noisy_variant(x, y, w, b, sigma, bias=True)),
        ("N sigma^2/2 ||W||^2: the noise term summed over the examples, but J averages over them",
         _noisy_variant(x, y, w, b, sigma, factor=float(n))),
        ("D sigma^2/2 ||W||^2: E[||W xi||^2] = sigma^2 ||W||_F^2 already counts every input",
         _noisy_variant(x, y, w, b, sigma, factor=float(d))),
        ("the noise on the targets instead of the inputs: a constant K sigma^2/2, no penalty on W",
         _noisy_variant(x, y, w, b, sigma, targets=True)),
        ("the loss without noise, J(W, b)", _noisy_variant(x, y, w, b, sigma, factor=0.0)),
        ("dw without the gradient sigma^2 W of the noise term", _noisy_variant(x, y, w, b, sigma, grad_penalty=False)),
        ("the sum over the examples instead of the average", _noisy_variant(x, y, w, b, sigma, average=False)),
    ]


def check_noisy_input_loss(noisy_input_loss, seed=0, cases=((6, 4, 3, 0.7), (5, 2, 1, 2), (9, 1, 2, 0.0))):
    """(loss, dw, db) of E over xi ~ N(0, sigma^2 I) of J(W, b) at inputs x + xi, against the reference, and dw, db
    against a numerical gradient of the returned loss, for (N, D, K, sigma) in ``cases``."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("noisy_input_loss")
    for n, d, k, sigma in cases:
        x, y = 2.0 * rng.standard_normal((n, d)) + 1.0, rng.standard_normal((n, k))
        w, b = rng.standard_normal((k, d)), rng.standard_normal(k)
        context = f"for N={n}, D={d}, K={k}, sigma={sigma}"
        saved = [a.copy() for a in (x, y, w, b)]
        loss, dw, db = checker.unpack(checker.call(noisy_input_loss, x, y, w, b, sigma), ("loss", "dw", "db"), context)
        for what, before, after in zip("xywb", saved, (x, y, w, b)):
            unchanged(checker, what, before, after)
        want = R.noisy_input_loss(x, y, w, b, sigma)
        checker.close_all([("the loss", loss, want[0]), ("dw", dw, want[1]), ("db", db, want[2])],
                          _noisy_mistakes(x, y, w, b, sigma), context=context)
        loss_of_w = lambda w_: checker.call(noisy_input_loss, x, y, w_, b, sigma)[0]  # noqa: E731
        loss_of_b = lambda b_: checker.call(noisy_input_loss, x, y, w, b_, sigma)[0]  # noqa: E731
        checker.close("dw compared with a numerical gradient of your loss", dw, numerical_gradient(loss_of_w, w.copy()),
                      rtol=1e-5, atol=1e-6, context=context)
        checker.close("db compared with a numerical gradient of your loss", db, numerical_gradient(loss_of_b, b.copy()),
                      rtol=1e-5, atol=1e-6, context=context)
    checker.done()
