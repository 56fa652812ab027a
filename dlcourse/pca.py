"""Principal component analysis, with scikit-learn's conventions, and power iteration with deflation.

Book: chapter 08_autoencoders_pca, sections "PCA: the directions of largest variance" and "PCA by power
iteration".

Data are rows: x has shape (N, D). PCA centres the data with the training mean m and finds the
eigenvectors u_1, ..., u_k of the covariance C = (X - m)^T (X - m) / (N - 1) with the largest eigenvalues
lambda_1 >= ... >= lambda_k. Like ``sklearn.decomposition.PCA``:

- ``components`` holds the u_i as *rows*, shape (k, D) (numpy's ``eigh`` returns eigenvectors as columns,
  in *ascending* order of eigenvalue);
- ``explained_variance`` uses the unbiased covariance (ddof = 1, dividing by N - 1);
- the sign of each component is fixed so that its entry of largest magnitude is positive (an eigenvector
  is defined only up to sign; scikit-learn 1.9 applies ``svd_flip(..., u_based_decision=False)``).

The mean squared reconstruction error on the training data, mean_n ||x_n - x_hat_n||^2, equals the sum of
the discarded eigenvalues times (N - 1)/N.
"""
from typing import NamedTuple

import numpy as np

__all__ = ["PCAState", "sign_rule", "pca_fit", "pca_transform", "pca_inverse_transform", "reconstruction_error",
           "explained_variance_ratio", "power_iteration"]


class PCAState(NamedTuple):
    """A fitted PCA: mean (D,), components (k, D) as rows, explained_variance (k,), singular_values (k,)."""

    mean: np.ndarray
    components: np.ndarray
    explained_variance: np.ndarray
    singular_values: np.ndarray
    total_variance: float


def sign_rule(components):
    """Each row multiplied by +-1 so that its entry of largest magnitude is positive (scikit-learn's rule).

    Shapes: (k, D) -> (k, D).
    """
    components = np.asarray(components, dtype=float)
    largest = components[np.arange(len(components)), np.abs(components).argmax(axis=1)]
    return components * np.where(largest < 0, -1.0, 1.0)[:, None]


def pca_fit(x, k):
    """u_1..u_k: the top-k eigenvectors of the covariance of x (centred, ddof 1), as rows, by the SVD of X - m.

    Shapes: x (N, D), 1 <= k <= min(N, D) -> PCAState(mean (D,), components (k, D), explained_variance (k,),
    singular_values (k,), total_variance).
    """
    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    if not 1 <= k <= min(x.shape):
        raise ValueError(f"k must lie between 1 and min(N, D) = {min(x.shape)}, got {k}.")
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    variance = s ** 2 / (n - 1)
    return PCAState(mean, sign_rule(vt[:k]), variance[:k], s[:k], float(variance.sum()))


def pca_transform(state, x, whiten=False):
    """z = (x - mean) U_k^T, the coordinates along the components (divided by sqrt(lambda_i) when ``whiten``).

    Shapes: x (N, D) -> z (N, k).
    """
    z = (np.asarray(x, dtype=float) - state.mean) @ state.components.T
    return z / np.sqrt(state.explained_variance) if whiten else z


def pca_inverse_transform(state, z, whiten=False):
    """x_hat = mean + z U_k (z multiplied back by sqrt(lambda_i) first when ``whiten``).

    Shapes: z (N, k) -> x_hat (N, D).
    """
    z = np.asarray(z, dtype=float)
    if whiten:
        z = z * np.sqrt(state.explained_variance)
    return state.mean + z @ state.components


def reconstruction_error(state, x):
    """mean_n ||x_n - x_hat_n||^2 with x_hat the projection onto the principal subspace (through m).

    Shapes: x (N, D) -> a number.
    """
    x = np.asarray(x, dtype=float)
    residual = x - pca_inverse_transform(state, pca_transform(state, x))
    return float(np.mean(np.sum(residual ** 2, axis=1)))


def explained_variance_ratio(state):
    """lambda_i / sum of all eigenvalues: the share of the total variance along each component.

    Shapes: -> (k,).
    """
    return state.explained_variance / state.total_variance


def power_iteration(c, k, n_iter, rng):
    """The top-k eigenpairs of a symmetric positive semi-definite c: v <- c v / ||c v|| repeated, the eigenvalue as
    the Rayleigh quotient v^T c v, then deflation c <- c - lambda v v^T before the next one.

    Shapes: c (D, D), k <= D, rng a np.random.Generator -> eigenvalues (k,) descending, eigenvectors (k, D) as
    rows with scikit-learn's sign rule.
    """
    c = np.array(c, dtype=float)
    values, vectors = [], []
    for _ in range(k):
        v = rng.standard_normal(c.shape[0])
        v /= np.linalg.norm(v)
        for _ in range(n_iter):
            w = c @ v
            norm = np.linalg.norm(w)
            if norm == 0.0:          # c has no variance left in any direction v can reach
                break
            v = w / norm
        value = float(v @ c @ v)
        values.append(value)
        vectors.append(v)
        c = c - value * np.outer(v, v)
    return np.array(values), sign_rule(np.array(vectors))
