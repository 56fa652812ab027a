"""dlcourse.pca and dlcourse.autoencoder against scikit-learn's PCA, numpy's eigh and torch autograd (float64).

Relative errors (dlcourse.gradcheck.relative_error) below TOL = 1e-10; the largest seen is printed by
test_largest_relative_error (run with -rP).
"""
import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from dlcourse import autoencoder as ae
from dlcourse import pca
from dlcourse.gradcheck import relative_error

TOL = 1e-10
LARGEST = {}


def agrees(what, ours, theirs, tol=TOL):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs, dtype=float)
    ours = np.asarray(ours, dtype=float)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs {theirs.shape}"
    error = relative_error(ours, theirs)
    LARGEST[what] = max(LARGEST.get(what, 0.0), error)
    assert error < tol, f"{what}: relative error {error:.2e}"


def data(seed, n, d, spectrum=None):
    """N examples in D dimensions with well-separated variances along random directions and a non-zero mean."""
    rng = np.random.default_rng(seed)
    spectrum = np.geomspace(9.0, 0.05, d) if spectrum is None else spectrum
    rotation, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return rng.standard_normal((n, d)) * np.sqrt(spectrum) @ rotation.T + rng.standard_normal(d) * 3


@pytest.mark.parametrize("seed, n, d, k", [(0, 50, 6, 3), (1, 8, 12, 5), (2, 200, 4, 4), (3, 30, 7, 1)])
def test_pca_fit_transform_inverse_match_sklearn(seed, n, d, k):
    x = data(seed, n, d)
    state = pca.pca_fit(x, k)
    reference = PCA(n_components=k, svd_solver="full").fit(x)
    agrees("mean", state.mean, reference.mean_)
    agrees("components", state.components, reference.components_)
    agrees("explained variance", state.explained_variance, reference.explained_variance_)
    agrees("singular values", state.singular_values, reference.singular_values_)
    agrees("explained variance ratio", pca.explained_variance_ratio(state), reference.explained_variance_ratio_)
    x_new = data(seed + 100, 9, d)
    for whiten in (False, True):
        reference_w = PCA(n_components=k, svd_solver="full", whiten=whiten).fit(x)
        z = pca.pca_transform(state, x_new, whiten=whiten)
        agrees(f"transform (whiten={whiten})", z, reference_w.transform(x_new))
        agrees(f"inverse transform (whiten={whiten})", pca.pca_inverse_transform(state, z, whiten=whiten),
               reference_w.inverse_transform(reference_w.transform(x_new)))


def test_reconstruction_error_is_the_sum_of_the_discarded_eigenvalues():
    x = data(4, 40, 8)
    eigenvalues = np.sort(np.linalg.eigvalsh(np.cov(x, rowvar=False)))[::-1]
    n = len(x)
    for k in range(1, 8):
        agrees("reconstruction error", pca.reconstruction_error(pca.pca_fit(x, k), x),
               eigenvalues[k:].sum() * (n - 1) / n, tol=1e-9)


def test_sign_rule_is_sklearns():
    rows = np.array([[0.1, -0.9, 0.2], [0.5, 0.4, -0.3]])
    assert np.array_equal(pca.sign_rule(rows), [[-0.1, 0.9, -0.2], [0.5, 0.4, -0.3]])


def test_pca_fit_refuses_an_impossible_k():
    with pytest.raises(ValueError, match="between 1 and min"):
        pca.pca_fit(np.ones((5, 3)), 4)


@pytest.mark.parametrize("seed, d, k", [(0, 6, 3), (1, 10, 10), (2, 3, 1)])
def test_power_iteration_finds_the_top_eigenpairs(seed, d, k):
    c = np.cov(data(seed, 60, d), rowvar=False)
    values, vectors = pca.power_iteration(c, k, n_iter=3000, rng=np.random.default_rng(seed))
    reference_values, reference_vectors = np.linalg.eigh(c)
    order = np.argsort(reference_values)[::-1][:k]
    agrees("power iteration eigenvalues", values, reference_values[order], tol=1e-9)
    agrees("power iteration eigenvectors", vectors, pca.sign_rule(reference_vectors[:, order].T), tol=1e-7)


@pytest.mark.parametrize("mu", [0.0, 0.05])
def test_linear_autoencoder_gradients_match_autograd(mu):
    rng = np.random.default_rng(5)
    x, w_enc, w_dec = data(5, 20, 6), rng.standard_normal((3, 6)), rng.standard_normal((6, 3))
    loss, grads = ae.linear_ae_loss_and_grads(w_enc, w_dec, x, mu)
    te, td, tx = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (w_enc, w_dec, x))
    torch_loss = (0.5 * ((tx @ te.T @ td.T - tx) ** 2).sum() / len(x)
                  + 0.5 * mu * ((te ** 2).sum() + (td ** 2).sum()))
    torch_loss.backward()
    agrees("linear AE loss", loss, torch_loss)
    agrees("linear AE dJ/dW_enc", grads["w_enc"], te.grad)
    agrees("linear AE dJ/dW_dec", grads["w_dec"], td.grad)


def test_the_linear_autoencoder_sees_the_data_only_through_the_covariance():
    """covariance_rows(x): D rows R with R^T R / D = X_c^T X_c / N, on which the loss and its gradients are those of
    the centred data (so train_linear_ae may train on R), and train_linear_ae reproduces the notebook's loop."""
    x = data(8, 50, 5)
    centred = x - x.mean(axis=0)
    rows = ae.covariance_rows(x)
    agrees("R^T R / D", rows.T @ rows / 5, centred.T @ centred / 50, tol=1e-12)
    rng = np.random.default_rng(9)
    w_enc, w_dec = rng.standard_normal((3, 5)), rng.standard_normal((5, 3))
    on_rows, on_data = (ae.linear_ae_loss_and_grads(w_enc, w_dec, z, 0.1) for z in (rows, centred))
    agrees("the loss on R", on_rows[0], on_data[0], tol=1e-12)
    for key in ("w_enc", "w_dec"):
        agrees(f"the gradient {key} on R", on_rows[1][key], on_data[1][key], tol=1e-12)
    w_enc, w_dec = ae.train_linear_ae(x, 3, 0.05, 200, np.random.default_rng(1))
    start = np.random.default_rng(1)
    te = torch.tensor(0.1 * start.standard_normal((3, 5)), requires_grad=True)
    td = torch.tensor(0.1 * start.standard_normal((5, 3)), requires_grad=True)
    tx = torch.tensor(centred)
    adam = torch.optim.Adam([te, td], lr=0.01)
    for _ in range(200):
        adam.zero_grad()
        loss = 0.5 * ((tx @ te.T @ td.T - tx) ** 2).sum() / len(x) + 0.025 * ((te ** 2).sum() + (td ** 2).sum())
        loss.backward()
        adam.step()
    agrees("train_linear_ae's encoder against torch.optim.Adam on the data", w_enc, te)
    agrees("train_linear_ae's decoder against torch.optim.Adam on the data", w_dec, td)


def test_the_regularised_optimum_holds_the_principal_components():
    """At W_dec = U_k diag(sqrt(1 - mu/lambda_i)) O^T, W_enc = W_dec^T the gradient vanishes, and decoder_to_pca
    returns scikit-learn's components and the eigenvalues of C = X^T X / N (Kunin et al. 2019)."""
    x = data(6, 80, 7)
    x = x - x.mean(axis=0)
    c = x.T @ x / len(x)
    eigenvalues, eigenvectors = np.linalg.eigh(c)
    k, mu = 3, 0.05
    top = np.argsort(eigenvalues)[::-1][:k]
    rotation, _ = np.linalg.qr(np.random.default_rng(7).standard_normal((k, k)))
    w_dec = eigenvectors[:, top] * np.sqrt(1 - mu / eigenvalues[top]) @ rotation.T
    _, grads = ae.linear_ae_loss_and_grads(w_dec.T, w_dec, x, mu)
    assert max(np.abs(g).max() for g in grads.values()) < 1e-12
    components, values = ae.decoder_to_pca(w_dec, mu)
    agrees("components from the decoder", components, PCA(n_components=k, svd_solver="full").fit(x).components_)
    agrees("eigenvalues from the decoder", values, eigenvalues[top])


def test_masking_noise_zeroes_a_fraction_level_and_gaussian_noise_has_std_level():
    """Bounds of 6 standard deviations: a correct corruption fails them with probability < 1e-8."""
    x = np.ones((400, 500))
    masked = ae.corrupt(x, "mask", 0.3, np.random.default_rng(8))
    assert set(np.unique(masked)) == {0.0, 1.0}
    assert abs((masked == 0).mean() - 0.3) < 6 * np.sqrt(0.3 * 0.7 / x.size)
    noisy = ae.corrupt(x, "gaussian", 0.5, np.random.default_rng(9))
    assert abs((noisy - x).mean()) < 6 * 0.5 / np.sqrt(x.size)
    assert abs((noisy - x).std() - 0.5) < 6 * 0.5 / np.sqrt(2 * x.size)
    again = ae.corrupt(x, "mask", 0.3, np.random.default_rng(8))
    assert np.array_equal(masked, again)
    with pytest.raises(ValueError, match="'mask' or 'gaussian'"):
        ae.corrupt(x, "salt", 0.1, np.random.default_rng(0))


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_denoising_loss_and_gradients_match_autograd(activation):
    rng = np.random.default_rng(10)
    x = rng.random((12, 5))
    x_tilde = ae.corrupt(x, "mask", 0.25, rng)
    params = {"W1": rng.standard_normal((4, 5)), "b1": rng.standard_normal(4),
              "W2": rng.standard_normal((5, 4)), "b2": rng.standard_normal(5)}
    loss, grads = ae.dae_loss_and_grads(params, x, x_tilde, activation)
    t = {key: torch.tensor(value, requires_grad=True) for key, value in params.items()}
    h = getattr(torch, activation)(torch.tensor(x_tilde) @ t["W1"].T + t["b1"])
    torch_loss = 0.5 * ((h @ t["W2"].T + t["b2"] - torch.tensor(x)) ** 2).sum(dim=1).mean()
    torch_loss.backward()
    agrees("DAE loss", loss, torch_loss)
    for key in params:
        agrees(f"DAE d{key}", grads[key], t[key].grad)


def test_sparsity_penalty_matches_autograd():
    rng = np.random.default_rng(11)
    h = rng.uniform(0.02, 0.98, size=(16, 6))
    value, dh = ae.sparsity_penalty(h, 0.05, 3.0)
    th = torch.tensor(h, requires_grad=True)
    rho_hat = th.mean(dim=0)
    torch_value = 3.0 * (0.05 * torch.log(0.05 / rho_hat) + 0.95 * torch.log(0.95 / (1 - rho_hat))).sum()
    torch_value.backward()
    agrees("sparsity penalty", value, torch_value)
    agrees("sparsity penalty dh", dh, th.grad)


def test_contractive_penalty_is_the_jacobians_norm_and_its_gradients_match_autograd():
    rng = np.random.default_rng(12)
    x, w, b = rng.standard_normal((9, 5)), rng.standard_normal((4, 5)), rng.standard_normal(4)
    value, dw, db = ae.contractive_penalty(x, w, b)
    tw, tb = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)

    def encoder(row):
        return torch.sigmoid(tw @ row + tb)
    jacobians = torch.func.vmap(torch.func.jacrev(encoder))(torch.tensor(x))
    torch_value = (jacobians ** 2).sum(dim=(1, 2)).mean()
    torch_value.backward()
    agrees("contractive penalty (explicit Jacobian)", value, torch_value)
    agrees("contractive penalty dW", dw, tw.grad)
    agrees("contractive penalty db", db, tb.grad)


@pytest.mark.parametrize("penalty, weight", [(None, 0.0), ("sparse", 0.7), ("contractive", 0.3)])
def test_the_penalised_autoencoder_loss_and_gradients_match_autograd(penalty, weight):
    rng = np.random.default_rng(13)
    x = rng.random((10, 6))
    params = {"W1": rng.standard_normal((4, 6)), "b1": rng.standard_normal(4),
              "W2": rng.standard_normal((6, 4)), "b2": rng.standard_normal(6)}
    loss, grads = ae.penalised_ae_loss_and_grads(params, x, penalty, weight, target=0.1)
    t = {key: torch.tensor(value, requires_grad=True) for key, value in params.items()}
    tx = torch.tensor(x)
    code = torch.sigmoid(tx @ t["W1"].T + t["b1"])
    torch_loss = 0.5 * ((code @ t["W2"].T + t["b2"] - tx) ** 2).sum(dim=1).mean()
    if penalty == "sparse":
        tau_hat = code.mean(dim=0)
        torch_loss = torch_loss + weight * (0.1 * torch.log(0.1 / tau_hat) + 0.9 * torch.log(0.9 / (1 - tau_hat))).sum()
    elif penalty == "contractive":
        jacobians = torch.func.vmap(torch.func.jacrev(lambda row: torch.sigmoid(t["W1"] @ row + t["b1"])))(tx)
        torch_loss = torch_loss + weight * (jacobians ** 2).sum(dim=(1, 2)).mean()
    torch_loss.backward()
    agrees(f"penalised autoencoder loss ({penalty})", loss, torch_loss)
    for key in params:
        agrees(f"penalised autoencoder d{key} ({penalty})", grads[key], t[key].grad)
    with pytest.raises(ValueError, match="None, 'sparse' or 'contractive'"):
        ae.penalised_ae_loss_and_grads(params, x, "l1", 1.0)


def test_largest_relative_error():
    worst = max(LARGEST.items(), key=lambda item: item[1]) if LARGEST else ("nothing", 0.0)
    print(f"largest relative error: {worst[1]:.2e} ({worst[0]}) over {len(LARGEST)} quantities")
    assert worst[1] < TOL
