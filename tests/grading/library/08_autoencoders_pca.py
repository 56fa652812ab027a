"""Chapter 08_autoencoders_pca: mistakes students make, and correct implementations unlike the instructor's.

Each function is notebook code for one exercise (see dlcourse.grading.library): it may use what the chapter's first
cell imports (np, PCAState, sign_rule, network, losses, activations, ...) and the student's other functions, never
the reference of its own exercise.
"""
import numpy as np  # noqa: F401 (the notebook code below uses what the notebook imports)

from dlcourse import activations, losses, network  # noqa: F401
from dlcourse.grading.library import correct, mistake
from dlcourse.pca import PCAState, sign_rule  # noqa: F401

# ---------------------------------------------------------------------- pca_fit


@mistake("pca_fit", "no centring", "without centring")
def pca_fit(x, k):
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    mean = x.mean(axis=0)
    centred_s = np.linalg.svd(x - mean, compute_uv=False)
    variance = centred_s ** 2 / (len(x) - 1)
    return PCAState(mean, sign_rule(vt[:k]), variance[:k], centred_s[:k], float(variance.sum()))


@mistake("pca_fit", "eigh's ascending order kept", "the *smallest* components first")
def pca_fit(x, k):
    values, vectors = np.linalg.eigh(np.cov(x, rowvar=False))
    return PCAState(x.mean(axis=0), sign_rule(vectors[:, :k].T), values[:k], np.sqrt(np.clip(values[:k], 0, None)
                    * (len(x) - 1)), float(values.sum()))


@mistake("pca_fit", "rows of eigh's output taken as eigenvectors", "the rows of eigh's eigenvector matrix")
def pca_fit(x, k):
    values, vectors = np.linalg.eigh(np.cov(x, rowvar=False))
    values, vectors = values[::-1], vectors[::-1]
    return PCAState(x.mean(axis=0), sign_rule(vectors[:k]), values[:k], np.sqrt(values[:k] * (len(x) - 1)),
                    float(values.sum()))


@mistake("pca_fit", "variances with ddof 0", "ddof 0")
def pca_fit(x, k):
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    variance = s ** 2 / len(x)
    return PCAState(mean, sign_rule(vt[:k]), variance[:k], s[:k], float(variance.sum()))


@mistake("pca_fit", "no sign rule", "without the sign rule")
def pca_fit(x, k):
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    variance = s ** 2 / (len(x) - 1)
    return PCAState(mean, vt[:k], variance[:k], s[:k], float(variance.sum()))


@mistake("pca_fit", "loadings instead of unit components", "loadings")
def pca_fit(x, k):
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    variance = s ** 2 / (len(x) - 1)
    return PCAState(mean, sign_rule(vt[:k]) * np.sqrt(variance[:k])[:, None], variance[:k], s[:k],
                    float(variance.sum()))


@mistake("pca_fit", "standardised data (correlation PCA)", "standardised data")
def pca_fit(x, k):
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd((x - mean) / x.std(axis=0, ddof=1), full_matrices=False)
    variance = s ** 2 / (len(x) - 1)
    return PCAState(mean, sign_rule(vt[:k]), variance[:k], s[:k], float(variance.sum()))


@mistake("pca_fit", "a plain tuple instead of a PCAState", "should return a PCAState")
def pca_fit(x, k):
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    variance = s ** 2 / (len(x) - 1)
    return mean, sign_rule(vt[:k]), variance[:k], s[:k], float(variance.sum())


@correct("pca_fit", "eigh of the covariance, reversed, singular values from the eigenvalues")
def pca_fit(x, k):
    mean = x.mean(axis=0)
    values, vectors = np.linalg.eigh(np.cov(x, rowvar=False))
    order = np.argsort(values)[::-1][:k]
    top = np.clip(values[order], 0, None)
    return PCAState(mean, sign_rule(vectors[:, order].T), top, np.sqrt(top * (len(x) - 1)),
                    float(np.trace(np.cov(x, rowvar=False))))


@correct("pca_fit", "the sign rule written out")
def pca_fit(x, k):
    xc = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(xc, full_matrices=False)
    components = vt[:k].copy()
    for row in components:
        if row[np.argmax(np.abs(row))] < 0:
            row *= -1
    return PCAState(x.mean(axis=0), components, s[:k] ** 2 / (len(x) - 1), s[:k],
                    float(np.sum(xc ** 2) / (len(x) - 1)))


# ---------------------------------------------------------------------- pca_transform


@mistake("pca_transform", "the training mean not subtracted", "without subtracting the training mean")
def pca_transform(state, x, whiten=False):
    z = x @ state.components.T
    return z / np.sqrt(state.explained_variance) if whiten else z


@mistake("pca_transform", "new data centred with their own mean", "centred with its own mean")
def pca_transform(state, x, whiten=False):
    z = (x - x.mean(axis=0)) @ state.components.T
    return z / np.sqrt(state.explained_variance) if whiten else z


@mistake("pca_transform", "whitening by the variance", "divided by the variance")
def pca_transform(state, x, whiten=False):
    z = (x - state.mean) @ state.components.T
    return z / state.explained_variance if whiten else z


@mistake("pca_transform", "whiten ignored", "not divided by sqrt(lambda)")
def pca_transform(state, x, whiten=False):
    return (x - state.mean) @ state.components.T


@mistake("pca_transform", "components not transposed", "raised ValueError")
def pca_transform(state, x, whiten=False):
    z = (x - state.mean) @ state.components
    return z / np.sqrt(state.explained_variance) if whiten else z


@mistake("pca_transform", "subtracts the mean in place", "changed its input x")
def pca_transform(state, x, whiten=False):
    x -= state.mean
    z = x @ state.components.T
    return z / np.sqrt(state.explained_variance) if whiten else z


@correct("pca_transform", "einsum and a scale of ones")
def pca_transform(state, x, whiten=False):
    scale = np.sqrt(state.explained_variance) if whiten else np.ones(len(state.components))
    return np.einsum("nd,kd->nk", x - state.mean, state.components) / scale


@correct("pca_transform", "a loop over the components")
def pca_transform(state, x, whiten=False):
    z = np.zeros((len(x), len(state.components)))
    for i, u in enumerate(state.components):
        z[:, i] = (x - state.mean) @ u
        if whiten:
            z[:, i] /= np.sqrt(state.explained_variance[i])
    return z


# ---------------------------------------------------------------------- pca_inverse_transform


@mistake("pca_inverse_transform", "the mean not added back", "without adding the mean back")
def pca_inverse_transform(state, z, whiten=False):
    if whiten:
        z = z * np.sqrt(state.explained_variance)
    return z @ state.components


@mistake("pca_inverse_transform", "whiten ignored", "not multiplied back")
def pca_inverse_transform(state, z, whiten=False):
    return state.mean + z @ state.components


@mistake("pca_inverse_transform", "divides by sqrt(lambda) again", "is wrong")
def pca_inverse_transform(state, z, whiten=False):
    if whiten:
        z = z / np.sqrt(state.explained_variance)
    return state.mean + z @ state.components


@mistake("pca_inverse_transform", "multiplies by the variance", "is wrong")
def pca_inverse_transform(state, z, whiten=False):
    if whiten:
        z = z * state.explained_variance
    return state.mean + z @ state.components


@mistake("pca_inverse_transform", "components transposed", "raised ValueError")
def pca_inverse_transform(state, z, whiten=False):
    if whiten:
        z = z * np.sqrt(state.explained_variance)
    return state.mean + z @ state.components.T


@mistake("pca_inverse_transform", "rescales z in place", "changed its input")
def pca_inverse_transform(state, z, whiten=False):
    if whiten:
        z *= np.sqrt(state.explained_variance)
    return state.mean + z @ state.components


@correct("pca_inverse_transform", "a sum of components")
def pca_inverse_transform(state, z, whiten=False):
    x_hat = np.tile(state.mean, (len(z), 1))
    for i, u in enumerate(state.components):
        coefficient = z[:, i] * (np.sqrt(state.explained_variance[i]) if whiten else 1.0)
        x_hat = x_hat + np.outer(coefficient, u)
    return x_hat


@correct("pca_inverse_transform", "diag of the scales")
def pca_inverse_transform(state, z, whiten=False):
    scale = np.diag(np.sqrt(state.explained_variance) if whiten else np.ones(len(state.components)))
    return z @ scale @ state.components + state.mean


# ---------------------------------------------------------------------- power_iteration


@mistake("power_iteration", "no deflation", "the top eigenpair k times")
def power_iteration(c, k, n_iter, rng):
    values, vectors = [], []
    for _ in range(k):
        v = rng.standard_normal(c.shape[0])
        v /= np.linalg.norm(v)
        for _ in range(n_iter):
            v = c @ v
            v /= np.linalg.norm(v)
        values.append(float(v @ c @ v))
        vectors.append(v)
    return np.array(values), sign_rule(np.array(vectors))


@mistake("power_iteration", "deflation without lambda", "deflation by c - v v^T")
def power_iteration(c, k, n_iter, rng):
    c = c.copy()
    values, vectors = [], []
    for _ in range(k):
        v = rng.standard_normal(c.shape[0])
        v /= np.linalg.norm(v)
        for _ in range(n_iter):
            v = c @ v
            v /= np.linalg.norm(v)
        values.append(float(v @ c @ v))
        vectors.append(v)
        c = c - np.outer(v, v)
    return np.array(values), sign_rule(np.array(vectors))


@mistake("power_iteration", "deflates c in place", "changed its input c")
def power_iteration(c, k, n_iter, rng):
    values, vectors = [], []
    for _ in range(k):
        v = rng.standard_normal(c.shape[0])
        v /= np.linalg.norm(v)
        for _ in range(n_iter):
            v = c @ v
            v /= np.linalg.norm(v)
        values.append(float(v @ c @ v))
        vectors.append(v)
        c -= values[-1] * np.outer(v, v)
    return np.array(values), sign_rule(np.array(vectors))


@mistake("power_iteration", "numpy's global random state", "the generator rng was not used")
def power_iteration(c, k, n_iter, rng):
    c = c.copy()
    values, vectors = [], []
    for _ in range(k):
        v = np.random.standard_normal(c.shape[0])
        v /= np.linalg.norm(v)
        for _ in range(n_iter):
            v = c @ v
            v /= np.linalg.norm(v)
        values.append(float(v @ c @ v))
        vectors.append(v)
        c = c - values[-1] * np.outer(v, v)
    return np.array(values), sign_rule(np.array(vectors))


@mistake("power_iteration", "eigenvectors as columns", "It looks transposed")
def power_iteration(c, k, n_iter, rng):
    c = c.copy()
    values, vectors = [], []
    for _ in range(k):
        v = rng.standard_normal(c.shape[0])
        v /= np.linalg.norm(v)
        for _ in range(n_iter):
            v = c @ v
            v /= np.linalg.norm(v)
        values.append(float(v @ c @ v))
        vectors.append(v)
        c = c - values[-1] * np.outer(v, v)
    return np.array(values), sign_rule(np.array(vectors)).T


@mistake("power_iteration", "no sign rule", "the array of eigenvectors is wrong")
def power_iteration(c, k, n_iter, rng):
    c = c.copy()
    values, vectors = [], []
    for _ in range(k):
        v = -np.abs(rng.standard_normal(c.shape[0]))
        v /= np.linalg.norm(v)
        for _ in range(n_iter):
            v = c @ v
            v /= np.linalg.norm(v)
        values.append(float(v @ c @ v))
        vectors.append(v if v[np.argmax(np.abs(v))] < 0 else -v)
        c = c - values[-1] * np.outer(v, v)
    return np.array(values), np.array(vectors)


@mistake("power_iteration", "returns a list of pairs", "should return a tuple (eigenvalues, eigenvectors)")
def power_iteration(c, k, n_iter, rng):
    c = c.copy()
    pairs = []
    for _ in range(k):
        v = rng.standard_normal(c.shape[0])
        v /= np.linalg.norm(v)
        for _ in range(n_iter):
            v = c @ v
            v /= np.linalg.norm(v)
        pairs.append((float(v @ c @ v), v))
        c = c - pairs[-1][0] * np.outer(v, v)
    return pairs


@correct("power_iteration", "the eigenvalue as ||c v|| of the converged vector")
def power_iteration(c, k, n_iter, rng):
    c = np.array(c, dtype=float)
    values, vectors = np.zeros(k), np.zeros((k, c.shape[0]))
    for i in range(k):
        v = rng.standard_normal(c.shape[0])
        for _ in range(n_iter):
            v = c @ v / np.linalg.norm(c @ v)
        values[i] = np.linalg.norm(c @ v)
        vectors[i] = v
        c = c - values[i] * np.outer(v, v)
    return values, sign_rule(vectors)


@correct("power_iteration", "orthogonal (subspace) iteration with QR")
def power_iteration(c, k, n_iter, rng):
    q, _ = np.linalg.qr(rng.standard_normal((c.shape[0], k)))
    for _ in range(n_iter):
        q, _ = np.linalg.qr(c @ q)
    values = np.einsum("dk,de,ek->k", q, c, q)
    order = np.argsort(values)[::-1]
    return values[order], sign_rule(q[:, order].T)


# ---------------------------------------------------------------------- linear_ae_loss_and_grads


@mistake("linear_ae_loss_and_grads", "sum over the examples", "divide by N")
def linear_ae_loss_and_grads(w_enc, w_dec, x, mu=0.0):
    code = x @ w_enc.T
    residual = code @ w_dec.T - x
    loss = 0.5 * np.sum(residual ** 2) + 0.5 * mu * (np.sum(w_enc ** 2) + np.sum(w_dec ** 2))
    return float(loss), {"w_enc": w_dec.T @ residual.T @ x + mu * w_enc, "w_dec": residual.T @ code + mu * w_dec}


@mistake("linear_ae_loss_and_grads", "the squared error without its 1/2", "the squared error without its 1/2")
def linear_ae_loss_and_grads(w_enc, w_dec, x, mu=0.0):
    n = len(x)
    code = x @ w_enc.T
    residual = code @ w_dec.T - x
    loss = np.sum(residual ** 2) / n + mu / 2 * (np.sum(w_enc ** 2) + np.sum(w_dec ** 2))
    return float(loss), {"w_enc": 2 / n * w_dec.T @ residual.T @ x + mu * w_enc,
                         "w_dec": 2 / n * residual.T @ code + mu * w_dec}


@mistake("linear_ae_loss_and_grads", "the factor 2 of the squares kept in the gradients",
         "the 1/2 in front of the squared error cancels it")
def linear_ae_loss_and_grads(w_enc, w_dec, x, mu=0.0):
    n = len(x)
    code = x @ w_enc.T
    residual = code @ w_dec.T - x
    loss = 0.5 * np.sum(residual ** 2) / n + 0.5 * mu * (np.sum(w_enc ** 2) + np.sum(w_dec ** 2))
    return float(loss), {"w_enc": 2 / n * w_dec.T @ residual.T @ x + mu * w_enc,
                         "w_dec": 2 / n * residual.T @ code + mu * w_dec}


@mistake("linear_ae_loss_and_grads", "the penalty without its 1/2", "the penalty without its 1/2")
def linear_ae_loss_and_grads(w_enc, w_dec, x, mu=0.0):
    n = len(x)
    code = x @ w_enc.T
    residual = code @ w_dec.T - x
    loss = 0.5 * np.sum(residual ** 2) / n + mu * (np.sum(w_enc ** 2) + np.sum(w_dec ** 2))
    return float(loss), {"w_enc": w_dec.T @ residual.T @ x / n + 2 * mu * w_enc,
                         "w_dec": residual.T @ code / n + 2 * mu * w_dec}


@mistake("linear_ae_loss_and_grads", "penalty gradient 2 mu W", "the 1/2 in front of the penalty cancels the 2")
def linear_ae_loss_and_grads(w_enc, w_dec, x, mu=0.0):
    n = len(x)
    code = x @ w_enc.T
    residual = code @ w_dec.T - x
    loss = 0.5 * np.sum(residual ** 2) / n + 0.5 * mu * (np.sum(w_enc ** 2) + np.sum(w_dec ** 2))
    return float(loss), {"w_enc": w_dec.T @ residual.T @ x / n + 2 * mu * w_enc,
                         "w_dec": residual.T @ code / n + 2 * mu * w_dec}


@mistake("linear_ae_loss_and_grads", "residual x - x_hat without flipping the sign", "sign flipped")
def linear_ae_loss_and_grads(w_enc, w_dec, x, mu=0.0):
    n = len(x)
    code = x @ w_enc.T
    residual = x - code @ w_dec.T
    loss = 0.5 * np.sum(residual ** 2) / n + 0.5 * mu * (np.sum(w_enc ** 2) + np.sum(w_dec ** 2))
    return float(loss), {"w_enc": w_dec.T @ residual.T @ x / n - mu * w_enc,
                         "w_dec": residual.T @ code / n - mu * w_dec}


@mistake("linear_ae_loss_and_grads", "the penalty left out", "the penalty left out")
def linear_ae_loss_and_grads(w_enc, w_dec, x, mu=0.0):
    n = len(x)
    code = x @ w_enc.T
    residual = code @ w_dec.T - x
    return float(0.5 * np.sum(residual ** 2) / n), {"w_enc": w_dec.T @ residual.T @ x / n,
                                                    "w_dec": residual.T @ code / n}


@mistake("linear_ae_loss_and_grads", "encoder gradient without W_dec^T", "raised ValueError")
def linear_ae_loss_and_grads(w_enc, w_dec, x, mu=0.0):
    n = len(x)
    code = x @ w_enc.T
    residual = code @ w_dec.T - x
    loss = 0.5 * np.sum(residual ** 2) / n + 0.5 * mu * (np.sum(w_enc ** 2) + np.sum(w_dec ** 2))
    return float(loss), {"w_enc": residual.T @ x / n + mu * w_enc, "w_dec": residual.T @ code / n + mu * w_dec}


@mistake("linear_ae_loss_and_grads", "dW_dec transposed", "It looks transposed")
def linear_ae_loss_and_grads(w_enc, w_dec, x, mu=0.0):
    n = len(x)
    code = x @ w_enc.T
    residual = code @ w_dec.T - x
    loss = 0.5 * np.sum(residual ** 2) / n + 0.5 * mu * (np.sum(w_enc ** 2) + np.sum(w_dec ** 2))
    return float(loss), {"w_enc": w_dec.T @ residual.T @ x / n + mu * w_enc,
                         "w_dec": (residual.T @ code / n + mu * w_dec).T}


@correct("linear_ae_loss_and_grads", "the covariance form")
def linear_ae_loss_and_grads(w_enc, w_dec, x, mu=0.0):
    c = x.T @ x / len(x)
    e = w_dec @ w_enc - np.eye(x.shape[1])
    loss = 0.5 * np.trace(e @ c @ e.T) + 0.5 * mu * (np.sum(w_enc ** 2) + np.sum(w_dec ** 2))
    return float(loss), {"w_enc": w_dec.T @ e @ c + mu * w_enc, "w_dec": e @ c @ w_enc.T + mu * w_dec}


@correct("linear_ae_loss_and_grads", "two linear layers backwards, one example at a time")
def linear_ae_loss_and_grads(w_enc, w_dec, x, mu=0.0):
    n = len(x)
    loss, g_enc, g_dec = 0.0, np.zeros(w_enc.shape), np.zeros(w_dec.shape)
    for row in x:
        z = w_enc @ row
        r = w_dec @ z - row
        loss += 0.5 * r @ r / n
        g_dec += np.outer(r, z) / n
        g_enc += np.outer(w_dec.T @ r, row) / n
    loss += mu / 2 * (np.sum(w_enc ** 2) + np.sum(w_dec ** 2))
    return loss, {"w_enc": g_enc + mu * w_enc, "w_dec": g_dec + mu * w_dec}


# ---------------------------------------------------------------------- decoder_to_pca


@mistake("decoder_to_pca", "right singular vectors", "the right singular vectors")
def decoder_to_pca(w_dec, mu):
    _, s, vt = np.linalg.svd(w_dec, full_matrices=False)
    return sign_rule(vt), mu / (1 - s ** 2)


@mistake("decoder_to_pca", "no sign rule", "without the sign rule")
def decoder_to_pca(w_dec, mu):
    u, s, _ = np.linalg.svd(w_dec, full_matrices=False)
    return u.T, mu / (1 - s ** 2)


@mistake("decoder_to_pca", "eigenvalues mu / s^2", "mu / s^2")
def decoder_to_pca(w_dec, mu):
    u, s, _ = np.linalg.svd(w_dec, full_matrices=False)
    return sign_rule(u.T), mu / s ** 2


@mistake("decoder_to_pca", "eigenvalues s^2", "s^2 for the eigenvalues")
def decoder_to_pca(w_dec, mu):
    u, s, _ = np.linalg.svd(w_dec, full_matrices=False)
    return sign_rule(u.T), s ** 2


@mistake("decoder_to_pca", "ascending order", "in ascending order")
def decoder_to_pca(w_dec, mu):
    u, s, _ = np.linalg.svd(w_dec, full_matrices=False)
    return sign_rule(u.T)[::-1], (mu / (1 - s ** 2))[::-1]


@mistake("decoder_to_pca", "the columns of the decoder, normalised", "the array of components is wrong")
def decoder_to_pca(w_dec, mu):
    columns = w_dec / np.linalg.norm(w_dec, axis=0)
    s = np.linalg.norm(w_dec, axis=0)
    order = np.argsort(s)[::-1]
    return sign_rule(columns[:, order].T), mu / (1 - s[order] ** 2)


@correct("decoder_to_pca", "eigh of W_dec W_dec^T")
def decoder_to_pca(w_dec, mu):
    values, vectors = np.linalg.eigh(w_dec @ w_dec.T)
    order = np.argsort(values)[::-1][:w_dec.shape[1]]
    return sign_rule(vectors[:, order].T), mu / (1 - values[order])


@correct("decoder_to_pca", "the SVD with a loop for the signs")
def decoder_to_pca(w_dec, mu):
    u, s, _ = np.linalg.svd(w_dec)
    components = u[:, :w_dec.shape[1]].T.copy()
    for row in components:
        row *= np.sign(row[np.argmax(np.abs(row))])
    return components, np.array([mu / (1 - value ** 2) for value in s])


# ---------------------------------------------------------------------- corrupt


@mistake("corrupt", "level taken as the fraction kept", "level is the fraction to *zero*")
def corrupt(x, kind, level, rng):
    if kind == "mask":
        return np.where(rng.random(x.shape) < 1 - level, 0.0, x)
    return x + level * rng.standard_normal(x.shape)


@mistake("corrupt", "kept entries rescaled like inverted dropout", "divided by 1 - level")
def corrupt(x, kind, level, rng):
    if kind == "mask":
        return np.where(rng.random(x.shape) < level, 0.0, x / (1 - level))
    return x + level * rng.standard_normal(x.shape)


@mistake("corrupt", "noise with variance level", "not the variance")
def corrupt(x, kind, level, rng):
    if kind == "mask":
        return np.where(rng.random(x.shape) < level, 0.0, x)
    return x + level ** 2 * rng.standard_normal(x.shape)


@mistake("corrupt", "numpy's global random state", "not np.random")
def corrupt(x, kind, level, rng):
    if kind == "mask":
        return np.where(np.random.random(x.shape) < level, 0.0, x)
    return x + level * np.random.standard_normal(x.shape)


@mistake("corrupt", "one fixed mask, a new generator with seed 0 each call", "needs a fresh corruption each time")
def corrupt(x, kind, level, rng):
    fixed = np.random.default_rng(0)
    if kind == "mask":
        return np.where(fixed.random(x.shape) < level, 0.0, x)
    return x + level * fixed.standard_normal(x.shape)


@mistake("corrupt", "zeroes the entries of x in place", "changed its input x")
def corrupt(x, kind, level, rng):
    if kind == "mask":
        x[rng.random(x.shape) < level] = 0.0
        return x
    return x + level * rng.standard_normal(x.shape)


@correct("corrupt", "a boolean mask multiplied in")
def corrupt(x, kind, level, rng):
    if kind == "mask":
        return x * (rng.random(x.shape) >= level)
    noise = rng.normal(0.0, level, size=x.shape)
    return x + noise


@correct("corrupt", "a copy edited in place")
def corrupt(x, kind, level, rng):
    out = np.array(x, dtype=float)
    if kind == "mask":
        out[rng.random(out.shape) < level] = 0.0
    else:
        out += level * rng.standard_normal(out.shape)
    return out


# ---------------------------------------------------------------------- dae_loss_and_grads


@mistake("dae_loss_and_grads", "reconstructs the corrupted input", "the target is the clean x")
def dae_loss_and_grads(params, x, x_tilde, activation="sigmoid"):
    out, caches = network.mlp_forward(params, x_tilde, activation)
    loss, dout = losses.mse_loss(out, x_tilde)
    return loss, network.mlp_backward(dout, caches)


@mistake("dae_loss_and_grads", "feeds the clean input", "the input is the corrupted x_tilde")
def dae_loss_and_grads(params, x, x_tilde, activation="sigmoid"):
    out, caches = network.mlp_forward(params, x, activation)
    loss, dout = losses.mse_loss(out, x)
    return loss, network.mlp_backward(dout, caches)


@mistake("dae_loss_and_grads", "the activation ignored (always sigmoid)", "is wrong")
def dae_loss_and_grads(params, x, x_tilde, activation="sigmoid"):
    out, caches = network.mlp_forward(params, x_tilde, "sigmoid")
    loss, dout = losses.mse_loss(out, x)
    return loss, network.mlp_backward(dout, caches)


@mistake("dae_loss_and_grads", "sum over the batch", "is wrong")
def dae_loss_and_grads(params, x, x_tilde, activation="sigmoid"):
    out, caches = network.mlp_forward(params, x_tilde, activation)
    loss, dout = losses.mse_loss(out, x)
    return loss * len(x), network.mlp_backward(dout * len(x), caches)


@mistake("dae_loss_and_grads", "gradient sign flipped", "is wrong")
def dae_loss_and_grads(params, x, x_tilde, activation="sigmoid"):
    out, caches = network.mlp_forward(params, x_tilde, activation)
    loss, dout = losses.mse_loss(out, x)
    return loss, network.mlp_backward(-dout, caches)


@mistake("dae_loss_and_grads", "returns the gradients only", "should return a tuple (loss, grads)")
def dae_loss_and_grads(params, x, x_tilde, activation="sigmoid"):
    out, caches = network.mlp_forward(params, x_tilde, activation)
    return network.mlp_backward(losses.mse_loss(out, x)[1], caches)


@correct("dae_loss_and_grads", "written out by hand")
def dae_loss_and_grads(params, x, x_tilde, activation="sigmoid"):
    h = activations.get_activation(activation)
    a = x_tilde @ params["W1"].T + params["b1"]
    z = h.function(a)
    out = z @ params["W2"].T + params["b2"]
    n = len(x)
    diff = out - x
    loss = 0.5 * np.sum(diff ** 2) / n
    dout = diff / n
    da = (dout @ params["W2"]) * h.derivative(a)
    return loss, {"W1": da.T @ x_tilde, "b1": da.sum(axis=0), "W2": dout.T @ z, "b2": dout.sum(axis=0)}


@correct("dae_loss_and_grads", "mlp_loss_and_grads")
def dae_loss_and_grads(params, x, x_tilde, activation="sigmoid"):
    return network.mlp_loss_and_grads(params, x_tilde, x, losses.mse_loss, activation)


# ---------------------------------------------------------------------- contractive_penalty


@mistake("contractive_penalty", "z treated as a constant in the gradient", "the code z treated as a constant")
def contractive_penalty(x, w, b):
    z = activations.sigmoid(x @ w.T + b)
    slope2 = (z * (1 - z)) ** 2
    value = np.sum(slope2 * np.sum(w ** 2, axis=1)) / len(x)
    return float(value), 2 * w * slope2.sum(axis=0)[:, None] / len(x), np.zeros(len(b))


@mistake("contractive_penalty", "slope not squared", "not squared")
def contractive_penalty(x, w, b):
    n = len(x)
    z = activations.sigmoid(x @ w.T + b)
    slope = z * (1 - z)
    rows = np.sum(w ** 2, axis=1)
    da = slope * (1 - 2 * z) * rows / n
    return float(np.sum(slope * rows) / n), da.T @ x + 2 * w * slope.sum(axis=0)[:, None] / n, da.sum(axis=0)


@mistake("contractive_penalty", "the sum over the examples", "divide by N")
def contractive_penalty(x, w, b):
    z = activations.sigmoid(x @ w.T + b)
    slope = z * (1 - z)
    rows = np.sum(w ** 2, axis=1)
    da = 2 * slope ** 2 * (1 - 2 * z) * rows
    return float(np.sum(slope ** 2 * rows)), da.T @ x + 2 * w * np.sum(slope ** 2, axis=0)[:, None], da.sum(axis=0)


@mistake("contractive_penalty", "column norms of W", "is wrong")
def contractive_penalty(x, w, b):
    n = len(x)
    z = activations.sigmoid(x @ w.T + b)
    slope = z * (1 - z)
    norms = np.sum(w ** 2)
    da = 2 * slope ** 2 * (1 - 2 * z) * norms / n
    return float(np.sum(slope ** 2) * norms / n), da.T @ x + 2 * w * np.sum(slope ** 2) / n, da.sum(axis=0)


@mistake("contractive_penalty", "tanh's derivative for the sigmoid", "is wrong")
def contractive_penalty(x, w, b):
    n = len(x)
    z = activations.sigmoid(x @ w.T + b)
    slope = 1 - z ** 2
    rows = np.sum(w ** 2, axis=1)
    da = 2 * slope * (-2 * z) * z * (1 - z) * rows / n
    return float(np.sum(slope ** 2 * rows) / n), da.T @ x + 2 * w * np.sum(slope ** 2, axis=0)[:, None] / n, \
        da.sum(axis=0)


@mistake("contractive_penalty", "the slope's derivative as z(1 - z)", "is wrong")
def contractive_penalty(x, w, b):
    n = len(x)
    z = activations.sigmoid(x @ w.T + b)
    slope = z * (1 - z)
    rows = np.sum(w ** 2, axis=1)
    da = 2 * slope * slope * rows / n
    return float(np.sum(slope ** 2 * rows) / n), da.T @ x + 2 * w * np.sum(slope ** 2, axis=0)[:, None] / n, \
        da.sum(axis=0)


@correct("contractive_penalty", "the Jacobians built explicitly")
def contractive_penalty(x, w, b):
    n = len(x)
    z = activations.sigmoid(x @ w.T + b)
    jacobians = (z * (1 - z))[:, :, None] * w[None]                 # (N, M, D)
    value = np.sum(jacobians ** 2) / n
    dslope = z * (1 - z) * (1 - 2 * z)                               # d(z (1 - z))/da
    # d value / d jacobian = 2 J / n; J_nmd = slope_nm w_md
    dj = 2 * jacobians / n
    dw = np.einsum("nmd,nm->md", dj, z * (1 - z)) + np.einsum("nmd,md,nm,nk->mk", dj, w, dslope, x)
    db = np.einsum("nmd,md,nm->m", dj, w, dslope)
    return float(value), dw, db


@correct("contractive_penalty", "float32")
def contractive_penalty(x, w, b):
    x, w, b = (np.asarray(v, dtype=np.float32) for v in (x, w, b))
    n = len(x)
    z = 1 / (1 + np.exp(-(x @ w.T + b)))
    slope = z * (1 - z)
    rows = np.sum(w ** 2, axis=1)
    da = 2 * slope ** 2 * (1 - 2 * z) * rows / n
    return float(np.sum(slope ** 2 * rows) / n), da.T @ x + 2 * w * np.sum(slope ** 2, axis=0)[:, None] / n, \
        da.sum(axis=0)
