"""Autoencoders: the linear autoencoder and PCA, denoising, and the sparse and contractive penalties.

Book: chapter 08_autoencoders_pca. Data are rows, x (N, D); the code has k (or M) units; weights use torch's
(out, in) layout: the encoder W_enc (k, D), the decoder W_dec (D, k).

- The linear autoencoder x_hat = W_dec W_enc x with the loss (1/N) ||X - X W_enc^T W_dec^T||_F^2
  + lam (||W_enc||_F^2 + ||W_dec||_F^2). Without the penalty every minimum projects onto the principal
  subspace, but its columns are not the principal components (Baldi & Hornik 1989); with lam > 0 the left
  singular vectors of the decoder are the components and each eigenvalue of C = X^T X / N is
  lam / (1 - s_i^2) for the decoder's singular values s_i (Kunin et al. 2019), provided lam < lambda_k.
- A denoising autoencoder is trained to reconstruct the clean x from a corrupted copy x_tilde (Vincent et al.
  2008): here an MLP [D, M, D] (``dlcourse.network``) with the loss mean_n 1/2 ||x_hat_n - x_n||^2.
- The sparse autoencoder's penalty beta sum_j KL(rho || rho_hat_j), rho_hat_j = mean_n h_nj (the UFLDL form),
  and the contractive penalty mean_n ||dh/dx||_F^2 of a sigmoid encoder h = sigma(W x + b), which is
  mean_n sum_j (h_nj (1 - h_nj))^2 ||w_j||^2 (Rifai et al. 2011).
"""
import numpy as np

from .activations import sigmoid
from .losses import mse_loss
from .network import mlp_loss_and_grads

__all__ = ["linear_ae_loss_and_grads", "decoder_to_pca", "corrupt", "dae_loss_and_grads", "sparsity_penalty",
           "contractive_penalty"]


def linear_ae_loss_and_grads(w_enc, w_dec, x, lam=0.0):
    """L = (1/N) ||X - X W_enc^T W_dec^T||_F^2 + lam (||W_enc||^2 + ||W_dec||^2) and its gradients.

    Shapes: w_enc (k, D), w_dec (D, k), x (N, D) -> (loss, {"w_enc": (k, D), "w_dec": (D, k)}).
    With R = X W_enc^T W_dec^T - X: dL/dW_dec = (2/N) R^T (X W_enc^T) + 2 lam W_dec,
    dL/dW_enc = (2/N) W_dec^T R^T X + 2 lam W_enc.
    """
    n = x.shape[0]
    code = x @ w_enc.T
    residual = code @ w_dec.T - x
    loss = np.sum(residual ** 2) / n + lam * (np.sum(w_enc ** 2) + np.sum(w_dec ** 2))
    grads = {"w_enc": 2.0 / n * w_dec.T @ residual.T @ x + 2.0 * lam * w_enc,
             "w_dec": 2.0 / n * residual.T @ code + 2.0 * lam * w_dec}
    return float(loss), grads


def decoder_to_pca(w_dec, lam):
    """The principal components and eigenvalues read off an L2-regularised linear autoencoder's decoder:
    W_dec = U S V^T, components = the columns of U (as rows, by decreasing s), eigenvalues lam / (1 - s^2).

    Shapes: w_dec (D, k), lam > 0 -> components (k, D) with scikit-learn's sign rule, eigenvalues (k,).
    The eigenvalues are those of C = X^T X / N for the loss of ``linear_ae_loss_and_grads`` (data centred).
    """
    from .pca import sign_rule
    u, s, _ = np.linalg.svd(np.asarray(w_dec, dtype=float), full_matrices=False)
    return sign_rule(u.T), lam / (1.0 - s ** 2)


def corrupt(x, kind, level, rng):
    """x_tilde: masking noise (each entry set to 0 with probability ``level``, the others unchanged) or Gaussian
    noise (x + level * standard normal).

    Shapes: x (any) -> x_tilde (same shape); ``kind`` is "mask" or "gaussian"; rng a np.random.Generator.
    """
    x = np.asarray(x, dtype=float)
    if kind == "mask":
        return np.where(rng.random(x.shape) < level, 0.0, x)
    if kind == "gaussian":
        return x + level * rng.standard_normal(x.shape)
    raise ValueError(f"kind must be 'mask' or 'gaussian', got {kind!r}.")


def dae_loss_and_grads(params, x, x_tilde, activation="sigmoid"):
    """J = mean_n 1/2 ||x_hat(x_tilde_n) - x_n||^2: reconstruct the *clean* x from the corrupted x_tilde.

    Shapes: params {"W1": (M, D), "b1": (M,), "W2": (D, M), "b2": (D,)}, x and x_tilde (N, D)
    -> (loss, grads like params).
    """
    return mlp_loss_and_grads(params, x_tilde, x, mse_loss, activation)


def sparsity_penalty(h, rho, beta):
    """beta sum_j KL(rho || rho_hat_j) with rho_hat_j = mean_n h_nj, and its gradient with respect to h.

    Shapes: h (N, M) activations in (0, 1), 0 < rho < 1 -> (value, dh (N, M)),
    dh_nj = beta / N (-rho / rho_hat_j + (1 - rho) / (1 - rho_hat_j)).
    """
    n = h.shape[0]
    rho_hat = h.mean(axis=0)
    value = beta * np.sum(rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))
    dh = np.broadcast_to(beta / n * (-rho / rho_hat + (1 - rho) / (1 - rho_hat)), h.shape).copy()
    return float(value), dh


def contractive_penalty(x, w, b):
    """mean_n ||dh/dx_n||_F^2 = mean_n sum_j (h_nj (1 - h_nj))^2 ||w_j||^2 for h = sigma(x W^T + b), and its
    gradients with respect to W and b.

    Shapes: x (N, D), w (M, D), b (M,) -> (value, dw (M, D), db (M,)).
    """
    n = x.shape[0]
    h = sigmoid(x @ w.T + b)
    g = h * (1 - h)                       # dh/da, per unit and example
    row_norms = np.sum(w ** 2, axis=1)    # ||w_j||^2
    value = np.sum(g ** 2 * row_norms) / n
    # d(g^2)/da = 2 g dg/da with dg/da = g (1 - 2h)
    da = 2.0 * g * g * (1 - 2 * h) * row_norms / n
    dw = da.T @ x + 2.0 * w * np.sum(g ** 2, axis=0)[:, None] / n
    return float(value), dw, da.sum(axis=0)
