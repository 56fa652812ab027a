"""Checks for chapter 08_autoencoders_pca: PCA and power iteration (scikit-learn and eigh as oracles), the linear
autoencoder (torch autograd), the components read off its decoder, the denoising loss and the contractive penalty
(torch autograd for the Jacobian and its gradient).
"""
import numpy as np

from .. import autoencoder as ae
from .. import pca as ref
from .core import Checker, describe, unchanged

__all__ = ["check_pca_fit", "check_pca_transform", "check_power_iteration", "check_linear_ae_loss_and_grads",
           "check_decoder_to_pca", "check_denoising", "check_contractive_penalty"]


def _data(rng, n, d):
    """N examples in D dimensions: variances 9 ... 0.05 along random directions, and a mean far from 0."""
    rotation, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return rng.standard_normal((n, d)) * np.sqrt(np.geomspace(9.0, 0.05, d)) @ rotation.T + 3 * rng.standard_normal(d)


# ---------------------------------------------------------------- Exercise 1: pca_fit

def _pca_mistakes(x, k):
    """What the usual mistakes make of the five fields of PCAState."""
    n = len(x)
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    var = s ** 2 / (n - 1)
    right = (mean, ref.sign_rule(vt[:k]), var[:k], s[:k], var.sum())
    values, columns = np.linalg.eigh(np.cov(x, rowvar=False))
    _, s0, vt0 = np.linalg.svd(x, full_matrices=False)
    std = x.std(axis=0, ddof=1)
    _, s_std, vt_std = np.linalg.svd((x - mean) / std, full_matrices=False)
    return [
        ("the components of the data without centring: subtract the mean of every feature first",
         (mean, ref.sign_rule(vt0[:k]), right[2], right[3], right[4])),
        ("the *smallest* components first: numpy's eigh sorts the eigenvalues in ascending order",
         (mean, ref.sign_rule(columns[:, :k].T), values[:k], np.sqrt(np.clip(values[:k], 0, None) * (n - 1)), right[4])),
        ("the rows of eigh's eigenvector matrix: its eigenvectors are the *columns*",
         (mean, ref.sign_rule(columns[::-1][:k]), right[2], right[3], right[4])),
        ("the variances with ddof 0 (dividing by N): scikit-learn divides by N - 1",
         (mean, right[1], right[2] * (n - 1) / n, right[3], right[4] * (n - 1) / n)),
        ("the components without the sign rule: make the largest entry of each component positive",
         (mean, vt[:k], right[2], right[3], right[4])),
        ("the components scaled by the square root of their variance (loadings), not unit vectors",
         (mean, right[1] * np.sqrt(right[2])[:, None], right[2], right[3], right[4])),
        ("the PCA of the standardised data (the correlation matrix): do not divide by the standard deviation",
         (mean, ref.sign_rule(vt_std[:k]), s_std[:k] ** 2 / (n - 1), s_std[:k], float(len(std)))),
    ]


def check_pca_fit(pca_fit, seed=0, cases=((50, 6, 3), (8, 12, 5), (40, 5, 5), (30, 7, 1))):
    """PCAState(mean, components, explained_variance, singular_values, total_variance) against scikit-learn's PCA,
    for (N, D, k) in ``cases`` (N < D included)."""
    __tracebackhide__ = True
    from sklearn.decomposition import PCA
    rng = np.random.default_rng(seed)
    checker = Checker("pca_fit")
    for n, d, k in cases:
        x = _data(rng, n, d)
        saved = x.copy()
        context = f"for N={n}, D={d}, k={k}"
        state = checker.call(pca_fit, x, k)
        unchanged(checker, "x", saved, x)
        checker.require(isinstance(state, ref.PCAState),
                        f"should return a PCAState(mean, components, explained_variance, singular_values, "
                        f"total_variance) {context}, but returned {describe(state)}.")
        sk = PCA(n_components=k, svd_solver="full").fit(x)
        fields = list(zip(("mean", "components", "explained_variance", "singular_values", "total_variance"),
                          state, (sk.mean_, sk.components_, sk.explained_variance_, sk.singular_values_,
                                  sk.explained_variance_.sum() / sk.explained_variance_ratio_.sum())))
        checker.close_all(fields, _pca_mistakes(x, k), context=context)
    checker.done()


# ---------------------------------------------------------------- Exercise 2: transform and inverse

def check_pca_transform(pca_transform, pca_inverse_transform, seed=0, cases=((40, 6, 3), (25, 4, 4), (12, 9, 1))):
    """z = (x - m) U_k^T (whitened: / sqrt(lambda)) and back, on new data, against scikit-learn."""
    __tracebackhide__ = True
    from sklearn.decomposition import PCA
    rng = np.random.default_rng(seed)
    forward, backward = Checker("pca_transform"), Checker("pca_inverse_transform")
    for n, d, k in cases:
        x, x_new = _data(rng, n, d), _data(rng, 7, d)
        state = ref.pca_fit(x, k)
        for whiten in (False, True):
            sk = PCA(n_components=k, svd_solver="full", whiten=whiten).fit(x)
            context = f"for N={n}, D={d}, k={k}, whiten={whiten}"
            saved = x_new.copy()
            z = forward.call(pca_transform, state, x_new, whiten=whiten)
            unchanged(forward, "x", saved, x_new)
            want = sk.transform(x_new)
            centred = x_new - state.mean
            scale = np.sqrt(state.explained_variance) if whiten else np.ones(k)
            forward.close("z", z, want, [
                ("x U_k^T without subtracting the training mean first", x_new @ state.components.T / scale),
                ("the new data centred with its own mean: subtract the *training* mean m, kept in the state",
                 (x_new - x_new.mean(axis=0)) @ state.components.T / scale),
                ("the coordinates divided by the variance: whitening divides by its square root, sqrt(lambda)",
                 centred @ state.components.T / state.explained_variance),
                ("the coordinates not divided by sqrt(lambda): whiten=True asks for it",
                 centred @ state.components.T)], context=context)
            saved_z = want.copy()
            x_hat = backward.call(pca_inverse_transform, state, want, whiten=whiten)
            unchanged(backward, "z", saved_z, want)
            backward.close("x_hat", x_hat, sk.inverse_transform(want), [
                ("z U_k without adding the mean back", want * scale @ state.components),
                ("z U_k with z not multiplied back by sqrt(lambda): whiten=True asks for it",
                 state.mean + want @ state.components)], context=context)
    forward.done()
    backward.done()


# ---------------------------------------------------------------- Exercise 3: power iteration

def check_power_iteration(power_iteration, seed=0, cases=((6, 3), (4, 4), (9, 1))):
    """The top-k eigenpairs of covariance matrices, against numpy's eigh, with the rng used and c left alone."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("power_iteration")
    for d, k in cases:
        c = np.cov(_data(rng, 80, d), rowvar=False)
        saved = c.copy()
        context = f"for a {d} x {d} covariance and k={k}"
        generator = np.random.default_rng(seed + d)
        before = repr(generator.bit_generator.state)
        result = checker.call(power_iteration, c, k, 2000, generator)
        unchanged(checker, "c", saved, c, advice="deflate a copy of c, not c itself.")
        values, vectors = checker.unpack(result, ("eigenvalues", "eigenvectors"), context)
        checker.require(repr(generator.bit_generator.state) != before,
                        f"the generator rng was not used {context}: draw the start vector with rng (e.g. "
                        "rng.standard_normal(D)), not with np.random, which makes runs irreproducible.")
        true_values, true_vectors = np.linalg.eigh(c)
        order = np.argsort(true_values)[::-1]
        want = (true_values[order][:k], ref.sign_rule(true_vectors[:, order][:, :k].T))
        checker.close_all([("the array of eigenvalues", values, want[0]),
                           ("the array of eigenvectors", vectors, want[1])], [
            ("the top eigenpair k times: deflate, c <- c - lambda v v^T, before looking for the next",
             _power(c, k, deflate=None)),
            ("the eigenvalues in ascending order: return the largest first",
             (true_values[:k], ref.sign_rule(true_vectors[:, :k].T))),
            ("deflation by c - v v^T: the found direction keeps eigenvalue lambda - 1, not 0; subtract lambda v v^T",
             _power(c, k, deflate="unit"))], rtol=1e-6, atol=1e-7, context=context)
    checker.done()


def _power(c, k, deflate):
    """What power iteration returns with a mistaken deflation: none at all, or c - v v^T (its result does not depend
    on the start vector once it has converged)."""
    c = np.array(c, dtype=float)
    values, vectors = [], []
    for _ in range(k):
        v = np.linalg.eigh(c)[1][:, -1]
        v = v / np.linalg.norm(v)
        values.append(float(v @ c @ v))
        vectors.append(v)
        if deflate == "unit":
            c = c - np.outer(v, v)
    return np.array(values), ref.sign_rule(np.array(vectors))


# ---------------------------------------------------------------- Exercise 4: the linear autoencoder

def _torch_linear_ae(w_enc, w_dec, x, mu):
    import torch
    te, td = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (w_enc, w_dec))
    tx = torch.tensor(x, dtype=torch.float64)
    loss = 0.5 * ((tx @ te.T @ td.T - tx) ** 2).sum() / len(x) + 0.5 * mu * ((te ** 2).sum() + (td ** 2).sum())
    loss.backward()
    return loss.item(), te.grad.numpy(), td.grad.numpy()


def check_linear_ae_loss_and_grads(linear_ae_loss_and_grads, seed=0, cases=((20, 6, 3, 0.0), (9, 4, 4, 0.1),
                                                                            (30, 5, 1, 0.03))):
    """J = (1/2N) ||X W_enc^T W_dec^T - X||_F^2 + (mu/2) (||W_enc||^2 + ||W_dec||^2) and its gradients, against
    torch autograd, for (N, D, k, mu) in ``cases``."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("linear_ae_loss_and_grads")
    for n, d, k, mu in cases:
        x, w_enc, w_dec = rng.standard_normal((n, d)), rng.standard_normal((k, d)), rng.standard_normal((d, k))
        saved = (x.copy(), w_enc.copy(), w_dec.copy())
        context = f"for N={n}, D={d}, k={k}, mu={mu}"
        result = checker.call(linear_ae_loss_and_grads, w_enc, w_dec, x, mu)
        for what, before, after in zip(("x", "w_enc", "w_dec"), saved, (x, w_enc, w_dec)):
            unchanged(checker, what, before, after)
        loss, grads = checker.unpack(result, ("loss", "grads"), context)
        checker.require(isinstance(grads, dict) and set(grads) == {"w_enc", "w_dec"},
                        f"grads should be a dict with the keys 'w_enc' and 'w_dec' {context}, got {describe(grads)}"
                        + (f" with keys {sorted(grads)}" if isinstance(grads, dict) else "") + ".")
        want_loss, want_enc, want_dec = _torch_linear_ae(w_enc, w_dec, x, mu)
        code, residual = x @ w_enc.T, x @ w_enc.T @ w_dec.T - x
        fit_enc, fit_dec = w_dec.T @ residual.T @ x / n, residual.T @ code / n      # the data term's gradients
        data_loss = 0.5 * np.sum(residual ** 2) / n
        penalty = 0.5 * mu * (np.sum(w_enc ** 2) + np.sum(w_dec ** 2))
        checker.close_all([("the loss", loss, want_loss), ("grads['w_enc']", grads["w_enc"], want_enc),
                           ("grads['w_dec']", grads["w_dec"], want_dec)], [
            ("the sum over the examples where the loss is their mean: divide by N",
             (n * data_loss + penalty, n * fit_enc + mu * w_enc, n * fit_dec + mu * w_dec)),
            ("the squared error without its 1/2 (the loss is the mean of 1/2 ||x_hat_n - x_n||^2)",
             (2 * data_loss + penalty, 2 * fit_enc + mu * w_enc, 2 * fit_dec + mu * w_dec)),
            ("the gradients of the squares with a factor 2: the 1/2 in front of the squared error cancels it",
             (want_loss, 2 * fit_enc + mu * w_enc, 2 * fit_dec + mu * w_dec)),
            ("the penalty without its 1/2: it is (mu/2) (||W_enc||^2 + ||W_dec||^2), with the gradient mu W",
             (data_loss + 2 * penalty, fit_enc + 2 * mu * w_enc, fit_dec + 2 * mu * w_dec)),
            ("the penalty's gradient 2 mu W: the 1/2 in front of the penalty cancels the 2 (d/dW of (mu/2) ||W||^2 "
             "is mu W)", (want_loss, fit_enc + 2 * mu * w_enc, fit_dec + 2 * mu * w_dec)),
            ("the gradients with their sign flipped", (want_loss, -want_enc, -want_dec)),
            ("the penalty left out", (data_loss, fit_enc, fit_dec))], context=context)
    checker.done()


# ---------------------------------------------------------------- Exercise 5: the components from the decoder

def _regularised_optimum(rng, d, k, mu):
    """A centred data set, its C = X^T X / N, and the decoder of a regularised linear autoencoder at its optimum,
    W_dec = U_k diag(sqrt(1 - mu / lambda_i)) O^T with a random orthogonal O."""
    x = _data(rng, 60, d)
    x = x - x.mean(axis=0)
    values, vectors = np.linalg.eigh(x.T @ x / len(x))
    top = np.argsort(values)[::-1][:k]
    rotation, _ = np.linalg.qr(rng.standard_normal((k, k)))
    return x, values[top], vectors[:, top], vectors[:, top] * np.sqrt(1 - mu / values[top]) @ rotation.T


def check_decoder_to_pca(decoder_to_pca, seed=0, cases=((6, 3, 0.05), (5, 5, 0.01), (8, 1, 0.2))):
    """Components and eigenvalues from the decoder of a regularised linear autoencoder at its optimum, against
    scikit-learn's PCA of the same data, for (D, k, mu) in ``cases``."""
    __tracebackhide__ = True
    from sklearn.decomposition import PCA
    rng = np.random.default_rng(seed)
    checker = Checker("decoder_to_pca")
    for d, k, mu in cases:
        x, eigenvalues, _, w_dec = _regularised_optimum(rng, d, k, mu)
        saved = w_dec.copy()
        context = f"for a decoder of shape {w_dec.shape} and mu={mu}"
        result = checker.call(decoder_to_pca, w_dec, mu)
        unchanged(checker, "w_dec", saved, w_dec)
        components, values = checker.unpack(result, ("components", "eigenvalues"), context)
        want = (PCA(n_components=k, svd_solver="full").fit(x).components_, eigenvalues)
        u, s, vt = np.linalg.svd(w_dec, full_matrices=False)
        checker.close_all([("the array of components", components, want[0]),
                           ("the array of eigenvalues", values, want[1])], [
            ("the right singular vectors (the code's side): the components are the *left* singular vectors, U",
             (ref.sign_rule(vt), want[1])),
            ("the left singular vectors without the sign rule", (u.T, want[1])),
            ("mu / s^2 for the eigenvalues: they are mu / (1 - s^2)", (want[0], mu / s ** 2)),
            ("s^2 for the eigenvalues: they are mu / (1 - s^2)", (want[0], s ** 2)),
            ("the components and eigenvalues in ascending order: the largest singular value comes first",
             (want[0][::-1], want[1][::-1]))], context=context)
    checker.done()


# ---------------------------------------------------------------- Exercise 6: corruption and the denoising loss

def check_denoising(corrupt, dae_loss_and_grads, seed=0):
    """corrupt: masking noise zeroes a fraction ``level`` and leaves the rest, Gaussian noise has std ``level``,
    both from rng (bounds a correct function fails with probability < 1e-8); dae_loss_and_grads reconstructs the
    clean x from x_tilde (against the reference and torch autograd)."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    noise = Checker("corrupt")
    x = rng.uniform(0.5, 1.5, size=(300, 200))
    saved = x.copy()
    for level in (0.25, 0.6):
        generator = np.random.default_rng(seed + 1)
        masked = noise.call(corrupt, x, "mask", level, generator)
        unchanged(noise, "x", saved, x)
        noise.conforms("the masked x", masked, x, context=f"for level={level}")
        kept = masked != 0
        zeroed = 1 - kept.mean()
        bound = 6 * np.sqrt(level * (1 - level) / x.size)
        if abs(zeroed - (1 - level)) < bound:
            noise.fail(f"masking noise with level={level} zeroed {zeroed:.3f} of the entries: level is the fraction "
                       "to *zero*, not the fraction to keep.")
        noise.require(abs(zeroed - level) < bound, f"masking noise with level={level} zeroed {zeroed:.3f} of the "
                                                   f"entries; a fraction {level} was expected.")
        if np.allclose(masked[kept], x[kept] / (1 - level)):
            noise.fail(f"the kept entries were divided by 1 - level={1 - level}: a denoising autoencoder's masking "
                       "noise (Vincent et al. 2008) leaves them unchanged; that rescaling is inverted dropout's.")
        noise.require(np.array_equal(masked[kept], x[kept]), "the entries that masking noise keeps must stay as they "
                                                             "were.")
        again = noise.call(corrupt, x, "mask", level, np.random.default_rng(seed + 1))
        noise.require(np.array_equal(again, masked), "two generators with the same seed gave different masks: draw "
                                                     "the mask from rng alone (rng.random(x.shape)), not np.random.")
        other = noise.call(corrupt, x, "mask", level, generator)
        noise.require(not np.array_equal(other, masked), "a second call with the same rng gave the same mask: a "
                                                         "denoising autoencoder needs a fresh corruption each time.")
    for level in (0.1, 0.5):
        noisy = noise.call(corrupt, x, "gaussian", level, np.random.default_rng(seed + 2))
        noise.conforms("the noisy x", noisy, x, context=f"for level={level}")
        spread = float((noisy - x).std())
        if abs(spread - level ** 2) < 6 * level ** 2 / np.sqrt(2 * x.size) and abs(level - level ** 2) > 0.05:
            noise.fail(f"Gaussian noise with level={level} has standard deviation {spread:.4f} = level^2: level is the "
                       "standard deviation, not the variance.")
        noise.require(abs(spread - level) < 6 * level / np.sqrt(2 * x.size) and abs((noisy - x).mean()) < 6 * level
                      / np.sqrt(x.size), f"Gaussian noise with level={level} has standard deviation {spread:.4f} and "
                                         f"mean {(noisy - x).mean():.4f}; expected {level} and 0.")
    noise.done()

    loss_check = Checker("dae_loss_and_grads")
    for n, d, m, activation in ((12, 5, 4, "sigmoid"), (7, 3, 6, "tanh"), (1, 4, 2, "sigmoid")):
        x_clean = rng.random((n, d))
        x_tilde = ae.corrupt(x_clean, "mask", 0.3, rng)
        params = {"W1": rng.standard_normal((m, d)), "b1": rng.standard_normal(m),
                  "W2": rng.standard_normal((d, m)), "b2": rng.standard_normal(d)}
        context = f"for N={n}, D={d}, M={m}, {activation}"
        result = loss_check.call(dae_loss_and_grads, params, x_clean, x_tilde, activation)
        loss, grads = loss_check.unpack(result, ("loss", "grads"), context)
        loss_check.require(isinstance(grads, dict) and set(grads) == set(params),
                           f"grads should be a dict with the keys {sorted(params)} {context}, got {describe(grads)}.")
        keys = sorted(params)
        want = ae.dae_loss_and_grads(params, x_clean, x_tilde, activation)
        swapped = ae.dae_loss_and_grads(params, x_tilde, x_tilde, activation)
        clean_in = ae.dae_loss_and_grads(params, x_clean, x_clean, activation)
        loss_check.close_all([("the loss", loss, want[0])] + [(f"grads[{k!r}]", grads[k], want[1][k]) for k in keys], [
            ("the loss of reconstructing the *corrupted* x_tilde: the target is the clean x",
             [swapped[0]] + [swapped[1][k] for k in keys]),
            ("the loss of the clean x fed to the network: the input is the corrupted x_tilde",
             [clean_in[0]] + [clean_in[1][k] for k in keys])], context=context)
        _torch_dae_agrees(loss_check, params, x_clean, x_tilde, activation, loss, grads, context)
    loss_check.done()


def _torch_dae_agrees(checker, params, x, x_tilde, activation, loss, grads, context):
    __tracebackhide__ = True
    import torch
    t = {key: torch.tensor(value, requires_grad=True) for key, value in params.items()}
    h = getattr(torch, activation)(torch.tensor(x_tilde) @ t["W1"].T + t["b1"])
    torch_loss = 0.5 * ((h @ t["W2"].T + t["b2"] - torch.tensor(x)) ** 2).sum(dim=1).mean()
    torch_loss.backward()
    checker.close("the loss compared with torch autograd", loss, torch_loss.item(), context=context)
    for key in sorted(params):
        checker.close(f"grads[{key!r}] compared with torch autograd", grads[key], t[key].grad.numpy(), context=context)


# ---------------------------------------------------------------- Exercise 7: the contractive penalty

def _torch_contractive(x, w, b):
    """The penalty from the encoder's Jacobians as autograd computes them (with their graph, so that the penalty
    can be differentiated again), and its gradients. torch.autograd.functional.jacobian rather than torch.func:
    the same numbers, without the second that torch.func's first call costs in every notebook run."""
    import torch
    tw, tb = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    encoder = lambda row: torch.sigmoid(tw @ row + tb)
    jacobians = [torch.autograd.functional.jacobian(encoder, row, create_graph=True) for row in torch.tensor(x)]
    value = sum((jacobian ** 2).sum() for jacobian in jacobians) / len(jacobians)
    value.backward()
    return value.item(), tw.grad.numpy(), tb.grad.numpy()


def check_contractive_penalty(contractive_penalty, seed=0, cases=((9, 5, 4), (1, 3, 6), (16, 2, 2))):
    """mean_n ||dz/dx_n||_F^2 of the code z = sigma(x W^T + b) and its gradients, against the Jacobians and
    gradients of torch autograd, for (N, D, M) in ``cases``."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("contractive_penalty")
    for n, d, m in cases:
        x, w, b = rng.standard_normal((n, d)), rng.standard_normal((m, d)), rng.standard_normal(m)
        saved = (x.copy(), w.copy(), b.copy())
        context = f"for N={n}, D={d}, M={m}"
        result = checker.call(contractive_penalty, x, w, b)
        for what, before, after in zip(("x", "w", "b"), saved, (x, w, b)):
            unchanged(checker, what, before, after)
        value, dw, db = checker.unpack(result, ("value", "dw", "db"), context)
        want = _torch_contractive(x, w, b)
        h = 1 / (1 + np.exp(-(x @ w.T + b)))
        g = h * (1 - h)
        rows = np.sum(w ** 2, axis=1)
        unsquared = g * (1 - 2 * h) * rows / n            # the mistake's gradient with respect to the pre-activation
        checker.close_all([("the penalty", value, want[0]), ("dw", dw, want[1]), ("db", db, want[2])], [
            ("the gradient with the code z treated as a constant: z = sigma(x W^T + b) depends on W and b too",
             (want[0], 2 * w * np.sum(g ** 2, axis=0)[:, None] / n, np.zeros(m))),
            ("z (1 - z) not squared: the Jacobian's entries are z_nj (1 - z_nj) w_jk, and the penalty squares them",
             (np.sum(g * rows) / n, unsquared.T @ x + 2 * w * np.sum(g, axis=0)[:, None] / n, unsquared.sum(axis=0))),
            ("the sum over the examples where the penalty is their mean: divide by N",
             (want[0] * n, want[1] * n, want[2] * n))], context=context)
    checker.done()
