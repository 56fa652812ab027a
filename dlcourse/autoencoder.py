"""Autoencoders: the linear autoencoder and PCA, denoising, and the sparse and contractive penalties.

Book: chapter 08_autoencoders_pca. Data are rows, x (N, D); the code has k (or M) units; weights use torch's
(out, in) layout: the encoder W_enc (k, D), the decoder W_dec (D, k).

- The linear autoencoder x_hat = W_dec W_enc x with the loss J = (1/2N) ||X W_enc^T W_dec^T - X||_F^2
  + (mu/2) (||W_enc||_F^2 + ||W_dec||_F^2): the book's squared loss 1/2 ||x_hat_n - x_n||^2 averaged over the
  examples, and the L2 penalty whose gradient is torch's weight_decay=mu. Without the penalty every minimum
  projects onto the principal subspace, but its columns are not the principal components (Baldi & Hornik
  1989); with mu > 0 the left singular vectors of the decoder are the components and each eigenvalue of
  C = X^T X / N is mu / (1 - s_i^2) for the decoder's singular values s_i (Kunin et al. 2019), provided
  mu < lambda_k. ``train_linear_ae`` trains one with Adam.
- A denoising autoencoder is trained to reconstruct the clean x from a corrupted copy x_tilde (Vincent et al.
  2008): here an MLP [D, M, D] (``dlcourse.network``) with the loss mean_n 1/2 ||x_hat_n - x_n||^2.
- The sparse autoencoder's penalty omega sum_j KL(tau || tau_hat_j), tau_hat_j = mean_n z_nj for the code z (the
  UFLDL form, Ng 2011), and the contractive penalty mean_n ||dz/dx||_F^2 of a sigmoid encoder z = sigma(W x + b),
  which is mean_n sum_j (z_nj (1 - z_nj))^2 ||w_j||^2 (Rifai et al. 2011). ``penalised_ae_loss_and_grads`` adds
  either to the reconstruction loss of an MLP [D, M, D] with that sigmoid code.
"""
import numpy as np

from .activations import sigmoid
from .adaptive import adam
from .losses import mse_loss
from .network import mlp_backward, mlp_forward, mlp_loss_and_grads
from .optim import init_params, update_params

__all__ = ["linear_ae_loss_and_grads", "covariance_rows", "train_linear_ae", "decoder_to_pca", "corrupt",
           "dae_loss_and_grads", "sparsity_penalty", "contractive_penalty", "penalised_ae_loss_and_grads"]


def linear_ae_loss_and_grads(w_enc, w_dec, x, mu=0.0):
    """J = (1/2N) ||X W_enc^T W_dec^T - X||_F^2 + (mu/2) (||W_enc||_F^2 + ||W_dec||_F^2) and its gradients.

    Shapes: w_enc (k, D), w_dec (D, k), x (N, D) -> (loss, {"w_enc": (k, D), "w_dec": (D, k)}).
    With R = X W_enc^T W_dec^T - X and the code Z = X W_enc^T: dJ/dW_dec = (1/N) R^T Z + mu W_dec,
    dJ/dW_enc = (1/N) W_dec^T R^T X + mu W_enc.
    """
    n = x.shape[0]
    code = x @ w_enc.T
    residual = code @ w_dec.T - x
    loss = 0.5 * np.sum(residual ** 2) / n + 0.5 * mu * (np.sum(w_enc ** 2) + np.sum(w_dec ** 2))
    grads = {"w_enc": w_dec.T @ residual.T @ x / n + mu * w_enc,
             "w_dec": residual.T @ code / n + mu * w_dec}
    return float(loss), grads


def covariance_rows(x):
    """D rows R = sqrt(D) C^(1/2), C = X_c^T X_c / N, that stand in for the N centred rows X_c of x.

    Shapes: x (N, D) -> R (D, D), symmetric, with R^T R / D = C. The linear autoencoder's loss and gradients
    depend on the data only through C (J = 1/2 tr((P - I) C (P - I)^T) + penalty, P = W_dec W_enc), so they are
    the same on R as on X_c, and training on R costs D rows per step instead of N.
    """
    x = np.asarray(x, dtype=float)
    centred = x - x.mean(axis=0)
    values, vectors = np.linalg.eigh(centred.T @ centred / len(x))
    return np.sqrt(x.shape[1]) * (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def train_linear_ae(x, k, mu, steps, rng, lr=0.01, loss_and_grads=linear_ae_loss_and_grads):
    """A linear autoencoder with k code units trained on the centred x: ``steps`` full-batch Adam steps on J.

    Shapes: x (N, D), rng a np.random.Generator (the initial weights, 0.1 times standard normal)
    -> (w_enc (k, D), w_dec (D, k)). ``loss_and_grads`` has the signature of ``linear_ae_loss_and_grads`` (the
    book passes the student's); it is called on ``covariance_rows(x)``, which gives the same loss and gradients
    as the centred x.
    """
    rows = covariance_rows(x)
    d = rows.shape[1]
    params = {"w_enc": 0.1 * rng.standard_normal((k, d)), "w_dec": 0.1 * rng.standard_normal((d, k))}
    opt = adam(lr=lr)
    state = init_params(opt, params)
    for _ in range(steps):
        _, grads = loss_and_grads(params["w_enc"], params["w_dec"], rows, mu)
        params, state = update_params(opt, params, grads, state)
    return params["w_enc"], params["w_dec"]


def decoder_to_pca(w_dec, mu):
    """The principal components and eigenvalues read off an L2-regularised linear autoencoder's decoder:
    W_dec = U S V^T, components = the columns of U (as rows, by decreasing s), eigenvalues mu / (1 - s^2).

    Shapes: w_dec (D, k), mu > 0 -> components (k, D) with scikit-learn's sign rule, eigenvalues (k,).
    The eigenvalues are those of C = X^T X / N for the loss of ``linear_ae_loss_and_grads`` (data centred).
    """
    from .pca import sign_rule
    u, s, _ = np.linalg.svd(np.asarray(w_dec, dtype=float), full_matrices=False)
    return sign_rule(u.T), mu / (1.0 - s ** 2)


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


def sparsity_penalty(z, target, weight):
    """omega sum_j KL(tau || tau_hat_j) with tau_hat_j = mean_n z_nj (tau = ``target``, omega = ``weight``), and its
    gradient with respect to z.

    Shapes: z (N, M) activations in (0, 1), 0 < target < 1 -> (value, dz (N, M)),
    dz_nj = omega / N (-tau / tau_hat_j + (1 - tau) / (1 - tau_hat_j)).
    """
    n = z.shape[0]
    tau, tau_hat = target, z.mean(axis=0)
    value = weight * np.sum(tau * np.log(tau / tau_hat) + (1 - tau) * np.log((1 - tau) / (1 - tau_hat)))
    dz = np.broadcast_to(weight / n * (-tau / tau_hat + (1 - tau) / (1 - tau_hat)), z.shape).copy()
    return float(value), dz


def contractive_penalty(x, w, b):
    """mean_n ||dz/dx_n||_F^2 = mean_n sum_j (z_nj (1 - z_nj))^2 ||w_j||^2 for z = sigma(x W^T + b), and its
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


def penalised_ae_loss_and_grads(params, x, penalty=None, weight=0.0, target=0.05, contractive=contractive_penalty):
    """J = mean_n 1/2 ||x_hat_n - x_n||^2 + weight * Omega for the autoencoder [D, M, D] with the sigmoid code
    z = sigma(W1 x + b1) and a linear decoder, and its gradients.

    Shapes: params {"W1": (M, D), "b1": (M,), "W2": (D, M), "b2": (D,)}, x (N, D) -> (loss, grads like params).
    ``penalty``: None (no penalty), "sparse" (Omega = sum_j KL(target || tau_hat_j), ``sparsity_penalty``) or
    "contractive" (Omega = mean_n ||dz/dx_n||_F^2, computed by ``contractive``, a function like
    ``contractive_penalty``: the book passes the student's). Both penalties reach only W1 and b1.
    """
    out, caches = mlp_forward(params, x, "sigmoid")
    loss, dout = mse_loss(out, x)
    grads = mlp_backward(dout, caches)
    if penalty is None:
        return loss, grads
    if penalty == "sparse":
        code = sigmoid(caches[0].activation.a)
        value, dcode = sparsity_penalty(code, target, weight)
        da = dcode * code * (1 - code)                 # back through the sigmoid to the pre-activation
        dw, db = da.T @ x, da.sum(axis=0)
    elif penalty == "contractive":
        value, dw, db = (weight * part for part in contractive(x, params["W1"], params["b1"]))
    else:
        raise ValueError(f"penalty must be None, 'sparse' or 'contractive', got {penalty!r}.")
    return loss + value, {**grads, "W1": grads["W1"] + dw, "b1": grads["b1"] + db}
