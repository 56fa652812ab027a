"""Chapter 06_regularisation's references against torch and scikit-learn in float64, and the conventions the
chapter states about them.

- the L2 penalty against torch autograd, and a step with it against torch.optim.SGD with two parameter groups
  (weight decay on the weights only), also with momentum; AdamW's decoupled decay p (1 - lr wd);
- ridge regression against sklearn's Ridge(alpha=N mu), its filter in the Hessian's eigenbasis, its mu -> 0 limit;
- gradient descent from zero against torch.optim.SGD and the filter 1 - (1 - lr lambda)^t;
- soft thresholding against F.softshrink, ISTA against sklearn's Lasso(alpha=nu);
- max-norm against torch.renorm (which divides by norm + 1e-7);
- the expected loss under input noise against Monte Carlo (loss and torch autograd gradients, statistically)
  and its minimiser against sklearn's Ridge(alpha=N sigma^2);
- the early-stopping rule against a second formulation; bootstrap statistics; image shifts against scipy.

Relative errors are at most 1e-10 unless a statistical bound is stated (each fails with probability < 1e-6).
"""
import numpy as np
import pytest
import torch
from scipy import ndimage
from sklearn.linear_model import Lasso, Ridge

from dlcourse import adaptive, augmentation, ensembles, optim, regularisation, sequential, stopping
from dlcourse.gradcheck import numerical_gradient

TOL = 1e-10


def relative(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def network_params(seed, with_batchnorm=True):
    rng = np.random.default_rng(seed)
    layers = ((sequential.linear(5, 4), sequential.batchnorm(4), sequential.activation("relu"), sequential.linear(4, 3))
              if with_batchnorm else (sequential.linear(3, 6), sequential.activation("tanh"), sequential.linear(6, 2)))
    params, _ = sequential.sequential(*layers).init(rng)
    return {key: value + rng.standard_normal(value.shape) for key, value in params.items()}


# ---------------------------------------------------------------- the L2 penalty and weight decay


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("mu", [0.3, 2.0])
def test_l2_penalty_matches_autograd(seed, mu):
    params = network_params(seed)
    tensors = {key: torch.tensor(value, requires_grad=True) for key, value in params.items()}
    penalty = 0.5 * mu * sum((t ** 2).sum() for key, t in tensors.items() if sequential.is_weight(key))
    penalty.backward()
    value, grads = regularisation.l2_penalty(params, mu)
    assert relative(value, penalty.item()) <= TOL
    for key, tensor in tensors.items():
        assert relative(grads[key], tensor.grad.numpy()) <= TOL if sequential.is_weight(key) else \
            np.array_equal(grads[key], np.zeros_like(params[key])) and tensor.grad is None


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_penalty_steps_match_torch_sgd_with_two_groups(momentum):
    """Ten steps with the penalty's gradient added equal torch.optim.SGD(weight_decay=mu) on a group of weights
    and weight_decay=0 on the rest (biases, batch norm's gamma and beta)."""
    rng = np.random.default_rng(4)
    params, lr, mu = network_params(4), 0.1, 0.05
    tensors = {key: torch.tensor(value, requires_grad=True) for key, value in params.items()}
    weights = [t for key, t in tensors.items() if sequential.is_weight(key)]
    others = [t for key, t in tensors.items() if not sequential.is_weight(key)]
    sgd = torch.optim.SGD([{"params": weights, "weight_decay": mu}, {"params": others, "weight_decay": 0.0}],
                          lr=lr, momentum=momentum)
    opt = optim.momentum(lr, beta=momentum) if momentum else optim.sgd(lr)
    states = optim.init_params(opt, params)
    for _ in range(10):
        grads = {key: rng.standard_normal(value.shape) for key, value in params.items()}
        penalty_grads = regularisation.l2_penalty(params, mu)[1]
        params, states = optim.update_params(opt, params, {k: grads[k] + penalty_grads[k] for k in grads}, states)
        for key, tensor in tensors.items():
            tensor.grad = torch.tensor(grads[key])
        sgd.step()
    for key, tensor in tensors.items():
        assert relative(params[key], tensor.detach().numpy()) <= TOL, key


def test_sgd_weight_decay_is_the_decay_step():
    """torch's coupled weight decay in plain SGD: w <- (1 - lr mu) w - lr g, the chapter's corrected formula."""
    w, g, lr, mu = np.array([1.5, -2.0, 0.3]), np.array([0.2, 0.1, -0.4]), 0.1, 0.5
    tensor = torch.tensor(w, requires_grad=True)
    sgd = torch.optim.SGD([tensor], lr=lr, weight_decay=mu)
    tensor.grad = torch.tensor(g)
    sgd.step()
    assert relative(tensor.detach().numpy(), (1 - lr * mu) * w - lr * g) <= TOL


def test_adamw_decays_by_lr_times_weight_decay_then_takes_adams_step():
    rng = np.random.default_rng(5)
    w, lr, wd = rng.standard_normal(6), 0.01, 0.2
    decoupled, plain = torch.tensor(w, requires_grad=True), torch.tensor((1 - lr * wd) * w, requires_grad=True)
    adamw, adam = torch.optim.AdamW([decoupled], lr=lr, weight_decay=wd), torch.optim.Adam([plain], lr=lr)
    assert torch.optim.AdamW([torch.zeros(1)]).defaults["weight_decay"] == 0.01
    assert torch.optim.Adam([torch.zeros(1)]).defaults["weight_decay"] == 0
    g = rng.standard_normal(6)
    decoupled.grad, plain.grad = torch.tensor(g), torch.tensor(g)
    adamw.step()
    adam.step()
    assert relative(decoupled.detach().numpy(), plain.detach().numpy()) <= TOL
    ours, _ = adaptive.adamw_update(w, g, adaptive.adam_init(w), lr=lr, weight_decay=wd)
    assert relative(ours, decoupled.detach().numpy()) <= TOL


# ---------------------------------------------------------------- ridge regression


def ridge_data(seed, n, d):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)) * rng.uniform(0.5, 3.0, size=d) + rng.uniform(2.0, 5.0, size=d)
    return x, x @ rng.standard_normal(d) + 1.5 + 0.3 * rng.standard_normal(n)


@pytest.mark.parametrize("n, d, mu", [(20, 3, 0.1), (8, 12, 0.5), (50, 6, 1e-3), (30, 1, 2.0), (4, 9, 3.0)])
def test_ridge_regression_matches_sklearn_with_alpha_n_mu(n, d, mu):
    x, y = ridge_data(n + d, n, d)
    w, b = regularisation.ridge_regression(x, y, mu)
    model = Ridge(alpha=n * mu).fit(x, y)
    assert relative(w, model.coef_) <= TOL and relative(b, model.intercept_) <= TOL


def test_ridge_keeps_lambda_over_lambda_plus_mu_of_each_eigencomponent():
    x, y = ridge_data(1, 40, 5)
    xc, yc = x - x.mean(axis=0), y - y.mean()
    hessian = xc.T @ xc / 40
    eigvals, q = np.linalg.eigh(hessian)
    w_star = np.linalg.solve(hessian, xc.T @ yc / 40)
    w_mu = regularisation.ridge_regression(x, y, 0.7)[0]
    assert relative(q.T @ w_mu, regularisation.ridge_filter(eigvals, 0.7) * (q.T @ w_star)) <= TOL


def test_ridge_tends_to_the_minimum_norm_least_squares_solution():
    x, y = ridge_data(2, 6, 10)          # D > N: least squares has many solutions
    xc, yc = x - x.mean(axis=0), y - y.mean()
    gaps = [relative(regularisation.ridge_regression(x, y, mu)[0], np.linalg.pinv(xc) @ yc) for mu in (1e-5, 1e-8)]
    assert gaps[1] < 1e-5 and gaps[0] > 100 * gaps[1]      # the gap shrinks in proportion to mu


# ---------------------------------------------------------------- gradient descent from zero (early stopping)


def test_gd_least_squares_matches_torch_sgd_and_the_filter():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((30, 4)) * np.array([2.0, 1.0, 0.5, 0.2]), rng.standard_normal(30)
    lr, steps = 0.1, 50
    path = regularisation.gd_least_squares(x, y, lr, steps)
    w = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    sgd = torch.optim.SGD([w], lr=lr)
    xt, yt = torch.tensor(x), torch.tensor(y)
    for t in range(1, steps + 1):
        sgd.zero_grad()
        (0.5 * ((xt @ w - yt) ** 2).mean()).backward()
        sgd.step()
        assert relative(path[t], w.detach().numpy()) <= TOL
    eigvals, q = np.linalg.eigh(x.T @ x / 30)
    w_star = np.linalg.solve(x.T @ x, x.T @ y)
    for t in (1, 7, steps):
        assert relative(q.T @ path[t], regularisation.gd_filter(eigvals, lr, t) * (q.T @ w_star)) <= 1e-9


# ---------------------------------------------------------------- L1: soft thresholding and ISTA


@pytest.mark.parametrize("threshold", [0.0, 0.3, 1.0, 2.5])
def test_soft_threshold_is_softshrink(threshold):
    w = np.concatenate([np.random.default_rng(0).standard_normal(50) * 2, [-threshold, threshold, 0.0]])
    want = torch.nn.functional.softshrink(torch.tensor(w), threshold).numpy()
    assert np.array_equal(regularisation.soft_threshold(w, threshold), want)


@pytest.mark.parametrize("nu", [0.05, 0.2, 0.6])
def test_ista_converges_to_sklearn_lasso_with_alpha_nu(nu):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 6))
    y = x @ np.array([2.0, -1.5, 0.0, 0.0, 0.7, 0.0]) + 0.3 * rng.standard_normal(40)
    lr = 1.0 / np.linalg.eigvalsh(x.T @ x / 40).max()
    w = np.zeros(6)
    for _ in range(2000):
        w = regularisation.ista_step(w, x.T @ (x @ w - y) / 40, lr, nu)
    lasso = Lasso(alpha=nu, fit_intercept=False, tol=1e-15, max_iter=1000000).fit(x, y)
    assert relative(w, lasso.coef_) <= TOL
    assert np.array_equal(w == 0.0, lasso.coef_ == 0.0) and np.any(w == 0.0)


def test_subgradient_steps_do_not_give_exact_zeros():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 6))
    y = x @ np.array([2.0, -1.5, 0.0, 0.0, 0.7, 0.0])
    w = np.zeros(6)
    for _ in range(500):
        w = regularisation.l1_subgradient_step(w, x.T @ (x @ w - y) / 40, 0.1, 0.3)
    assert not np.any(w == 0.0)


# ---------------------------------------------------------------- max-norm


@pytest.mark.parametrize("r", [0.5, 1.0, 3.0])
def test_max_norm_is_renorm_without_its_1e7(r):
    rng = np.random.default_rng(2)
    w = rng.standard_normal((7, 4)) * rng.uniform(0.05, 2.0, size=(7, 1))
    w[3] = 0.0
    ours = regularisation.max_norm(w, r)
    renormed = torch.renorm(torch.tensor(w), 2, 0, r).numpy()
    norms = np.linalg.norm(w, axis=1, keepdims=True)
    outside = (norms > r)[:, 0]
    assert np.array_equal(ours[~outside], w[~outside]) and np.array_equal(renormed[~outside], w[~outside])
    assert relative(ours[outside], renormed[outside] * (norms[outside] + 1e-7) / norms[outside]) <= TOL
    assert np.allclose(np.linalg.norm(ours[outside], axis=1), r, rtol=1e-14)


# ---------------------------------------------------------------- noise on the inputs


def noisy_problem(seed, n=7, d=3, k=2):
    rng = np.random.default_rng(seed)
    return (2 * rng.standard_normal((n, d)) + 1, rng.standard_normal((n, k)), rng.standard_normal((k, d)),
            rng.standard_normal(k))


def test_noisy_input_loss_gradients_match_a_numerical_gradient():
    x, y, w, b = noisy_problem(0)
    loss, dw, db = regularisation.noisy_input_loss(x, y, w, b, 0.8)
    assert relative(dw, numerical_gradient(lambda v: regularisation.noisy_input_loss(x, y, v, b, 0.8)[0], w.copy()))\
        <= 1e-8
    assert relative(db, numerical_gradient(lambda v: regularisation.noisy_input_loss(x, y, w, v, 0.8)[0], b.copy()))\
        <= 1e-8


def test_noisy_input_loss_is_the_monte_carlo_expectation():
    """The mean over 20000 noise draws of the loss and of torch's autograd gradients: each entry within 6 standard
    errors of the closed form (Gaussian tails, with 20000 draws: P < 2e-9 per entry, about 1e-7 for all)."""
    x, y, w, b = noisy_problem(1)
    sigma, draws = 0.6, 20000
    rng = np.random.default_rng(2)
    noisy = torch.tensor(x + sigma * rng.standard_normal((draws,) + x.shape))

    def loss_at(w_, b_, x_):
        return 0.5 * ((x_ @ w_.T + b_ - torch.tensor(y)) ** 2).sum() / len(x)

    wt, bt = torch.tensor(w), torch.tensor(b)
    per_draw = torch.func.vmap(loss_at, in_dims=(None, None, 0))(wt, bt, noisy)
    grad_w, grad_b = torch.func.vmap(torch.func.grad(loss_at, argnums=(0, 1)), in_dims=(None, None, 0))(wt, bt, noisy)
    loss, dw, db = regularisation.noisy_input_loss(x, y, w, b, sigma)
    for closed, samples in ((loss, per_draw.numpy()), (dw, grad_w.numpy()), (db, grad_b.numpy())):
        mean, error = samples.mean(axis=0), samples.std(axis=0) / np.sqrt(draws)
        assert np.all(np.abs(mean - closed) <= 6 * error + 1e-12), (mean, closed, error)


@pytest.mark.parametrize("sigma", [0.2, 1.0])
def test_input_noise_minimiser_is_ridge_with_alpha_n_sigma_squared(sigma):
    x, y = ridge_data(3, 25, 4)
    model = Ridge(alpha=25 * sigma ** 2).fit(x, y)
    _, dw, db = regularisation.noisy_input_loss(x, y[:, None], model.coef_[None, :], np.array([model.intercept_]),
                                                sigma)
    assert np.max(np.abs(dw)) <= 1e-10 * np.abs(x).max() ** 2 and abs(db[0]) <= 1e-10 * np.abs(y).max()
    w, b = regularisation.ridge_regression(x, y, sigma ** 2)
    assert relative(w, model.coef_) <= TOL and relative(b, model.intercept_) <= TOL


# ---------------------------------------------------------------- early stopping, bootstrap, augmentation


def stopping_by_windows(losses, patience, min_delta):
    """The rule written differently: the improving epochs first, then the first gap of `patience` after one."""
    best, improving = np.inf, []
    for epoch, loss in enumerate(losses):
        if loss < best - min_delta:
            best = loss
            improving.append(epoch)
        elif epoch - improving[-1] == patience:
            return improving[-1], epoch
    return improving[-1], len(losses) - 1


@pytest.mark.parametrize("seed", range(40))
def test_early_stopping_agrees_with_a_second_formulation(seed):
    rng = np.random.default_rng(seed)
    losses = list(np.cumsum(rng.standard_normal(int(rng.integers(2, 60))) * 0.1) + 5.0)
    if seed % 4 == 0:
        losses[int(rng.integers(1, len(losses)))] = float("nan")
    patience, min_delta = int(rng.integers(1, 6)), float(rng.choice([0.0, 0.05]))
    assert stopping.early_stopping(losses, patience, min_delta) == stopping_by_windows(losses, patience, min_delta)


def test_bootstrap_distinct_fraction_matches_its_expectation():
    """2000 samples of n = 50: the mean distinct fraction within 0.05 of 1 - (1 - 1/n)^n (Hoeffding: P <= 2e-4...
    far smaller in fact; the fractions have standard deviation about 0.05, so 0.01 is over 8 standard errors)."""
    fractions = ensembles.distinct_fraction(ensembles.bootstrap_indices(50, 2000, np.random.default_rng(0)), 50)
    assert abs(fractions.mean() - (1 - (1 - 1 / 50) ** 50)) < 0.01
    assert abs(1 - (1 - 1 / 10 ** 6) ** 10 ** 6 - (1 - np.exp(-1))) < 1e-6


def test_ensemble_averages_and_votes():
    probs = np.array([[[0.6, 0.4], [0.2, 0.8]], [[0.45, 0.55], [0.3, 0.7]], [[0.45, 0.55], [0.9, 0.1]]])
    assert np.allclose(ensembles.average_probabilities(probs), [[0.5, 0.5], [1.4 / 3, 1.6 / 3]])
    assert ensembles.majority_vote(probs).tolist() == [1, 1]


@pytest.mark.parametrize("dy, dx", [(0, 1), (0, -1), (1, 0), (-1, 0), (2, -3), (0, 0)])
def test_shift_images_is_scipy_shift_with_zero_fill(dy, dx):
    x = np.random.default_rng(0).random((3, 64))
    want = np.stack([ndimage.shift(image.reshape(8, 8), (dy, dx), order=0, mode="constant", cval=0.0).ravel()
                     for image in x])
    assert np.array_equal(augmentation.shift_images(x, dy, dx), want)


def test_shift_in_turn_shifts_each_image_once_the_ways_in_turn():
    x = np.random.default_rng(1).random((9, 64))
    shifts = [(0, 1), (0, -1), (1, 0), (-1, 0)]
    want = np.stack([ndimage.shift(image.reshape(8, 8), shifts[n % 4], order=0, mode="constant", cval=0.0).ravel()
                     for n, image in enumerate(x)])
    assert np.array_equal(augmentation.shift_in_turn(x), want)
