"""dlcourse.dropout against torch (and scikit-learn) in float64.

- The mask: statistically against ``F.dropout`` (fixed seeds; bounds a correct mask misses with probability
  below 1e-8).
- The arithmetic, with the mask separated from it: given the mask torch drew (read off its output), our forward
  pass reproduces ``F.dropout`` and ``nn.Dropout`` and our backward pass torch's autograd, for p = 0 and p = 1
  too; evaluation mode is the identity in both.
- Prediction: Monte-Carlo averaging against a torch network fed the same (replayed) masks; weight scaling
  against the expectation over every mask, enumerated in torch, and the geometric mean for a softmax layer.
- Linear regression: the closed-form expected loss against the enumeration of every mask in torch and against
  a Monte-Carlo average; its minimiser against scikit-learn's Ridge and torch's autograd (zero gradient).
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlcourse import activations
from dlcourse import dropout as dr
from dlcourse import sequential as sq
from dlcourse.checks.dropout_linear import regression_problem
from dlcourse.gradcheck import relative_error

TOL = 1e-10
SIGMAS = 6.0  # a binomial proportion strays 6 standard deviations from its mean with probability < 2e-9


def close(ours, theirs, what, tol=TOL):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert np.shape(ours) == theirs.shape, f"{what}: shape {np.shape(ours)} vs {theirs.shape}"
    error = relative_error(np.asarray(ours, dtype=float), theirs.astype(float))
    assert error <= tol, f"{what}: relative error {error:.2e}"


def torch_dropout(x, p, seed, module=False):
    """(input tensor, F.dropout or nn.Dropout output, the mask torch drew); x has no zeros."""
    torch.manual_seed(seed)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = torch.nn.Dropout(p).train()(xt) if module else F.dropout(xt, p, training=True)
    return xt, out, (out != 0).detach().numpy()


# ---------------------------------------------------------------- the mask


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_mask_keeps_the_fraction_torch_keeps(p):
    ours = dr.dropout_mask((500, 400), p, np.random.default_rng(1))
    torch.manual_seed(1)
    theirs = F.dropout(torch.ones(500, 400, dtype=torch.float64), p)
    n = ours.size
    assert ours.dtype == bool and ours.shape == (500, 400)
    assert abs(ours.mean() - (1 - p)) < SIGMAS * np.sqrt(p * (1 - p) / n)
    kept = theirs[theirs != 0].numpy()
    assert abs(kept.size / n - (1 - p)) < SIGMAS * np.sqrt(p * (1 - p) / n)
    assert np.allclose(kept, 1 / (1 - p), rtol=1e-15, atol=0)      # torch's survivors are scaled by 1/(1 - p)
    assert abs(ours.mean() - kept.size / n) < SIGMAS * np.sqrt(2 * p * (1 - p) / n)


def test_mask_edge_cases_and_reproducibility():
    assert dr.dropout_mask((3, 4), 0.0, np.random.default_rng(0)).all()
    assert not dr.dropout_mask((3, 4), 1.0, np.random.default_rng(0)).any()
    assert (F.dropout(torch.ones(3, 4), 1.0) == 0).all() and (F.dropout(torch.ones(3, 4), 0.0) == 1).all()
    a, b = (dr.dropout_mask((20, 30), 0.5, np.random.default_rng(7)) for _ in range(2))
    assert np.array_equal(a, b)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        dr.dropout_mask((2,), 1.5, np.random.default_rng(0))


def test_all_masks_enumerates_every_mask_with_its_probability():
    masks, probs = dr.all_masks(4, 0.3)
    assert masks.shape == (16, 4) and masks.dtype == bool
    assert len({tuple(m) for m in masks}) == 16
    assert abs(probs.sum() - 1) < 1e-15
    assert np.allclose(probs, 0.7 ** masks.sum(axis=1) * 0.3 ** (4 - masks.sum(axis=1)), rtol=1e-15)
    with pytest.raises(ValueError, match="n_units"):
        dr.all_masks(21, 0.5)


# ---------------------------------------------------------------- forward and backward, given torch's mask


@pytest.mark.parametrize("module", [False, True])
@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("shape", [(50, 40), (6, 5, 7)])
def test_forward_and_backward_agree_with_torch_given_its_mask(p, shape, module):
    x = 3.0 * np.random.default_rng(2).standard_normal(shape) + 1.0
    x[np.abs(x) < 1e-6] = 1.0
    xt, expected, mask = torch_dropout(x, p, seed=3, module=module)
    out, cache = dr.dropout_forward(x, mask, p)
    close(out, expected, f"output p={p}")
    dout = np.random.default_rng(4).standard_normal(shape)
    expected.backward(torch.from_numpy(dout))
    close(dr.dropout_backward(dout, cache), xt.grad, f"gradient p={p}")
    if p == 1.0:
        assert not out.any() and np.isfinite(out).all()


@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_evaluation_is_the_identity_like_torch(p):
    x = np.random.default_rng(5).standard_normal((4, 6))
    xt = torch.tensor(x, requires_grad=True)
    module = torch.nn.Dropout(p).eval()
    expected = module(xt)
    assert torch.equal(expected, F.dropout(xt, p, training=False))
    out, cache = dr.dropout_forward(x, None, p, train=False)
    assert out is x
    close(out, expected, "eval output")
    dout = np.random.default_rng(6).standard_normal((4, 6))
    expected.backward(torch.from_numpy(dout))
    close(dr.dropout_backward(dout, cache), xt.grad, "eval gradient")


def test_vanilla_dropout_layer_keeps_the_survivors_unscaled():
    """sq.dropout(p, inverted=False): x * mask in training, its gradient dout * mask; the mask replayed from rng."""
    x = np.random.default_rng(7).standard_normal((5, 8))
    layer = sq.dropout(0.4, inverted=False)
    out, cache, _ = layer.forward({}, {}, x, train=True, rng=np.random.default_rng(8))
    mask = dr.dropout_mask(x.shape, 0.4, np.random.default_rng(8))
    xt = torch.tensor(x, requires_grad=True)
    expected = xt * torch.from_numpy(mask)
    close(out, expected, "vanilla output", tol=0.0)
    dout = np.random.default_rng(9).standard_normal(x.shape)
    expected.backward(torch.from_numpy(dout))
    close(layer.backward(dout, cache)[0], xt.grad, "vanilla gradient", tol=0.0)
    assert layer.forward({}, {}, x, train=False)[0] is x


def test_dropout_layer_runs_the_functions_it_is_given():
    calls = []

    def mask_fn(shape, p, rng):
        calls.append("mask")
        return dr.dropout_mask(shape, p, rng)

    def forward_fn(x, mask, p, train):
        calls.append("forward")
        return dr.dropout_forward(x, mask, p, train)

    def backward_fn(dout, cache):
        calls.append("backward")
        return dr.dropout_backward(dout, cache)

    layer = sq.dropout(0.5, mask=mask_fn, forward=forward_fn, backward=backward_fn)
    out, cache, _ = layer.forward({}, {}, np.ones((2, 3)), train=True, rng=np.random.default_rng(0))
    layer.backward(np.ones((2, 3)), cache)
    assert calls == ["mask", "forward", "backward"]


# ---------------------------------------------------------------- prediction


def torch_twin(params):
    layers = {"1": torch.nn.Linear(5, 7), "4": torch.nn.Linear(7, 3)}
    with torch.no_grad():
        for prefix, layer in layers.items():
            layer.double()
            layer.weight.copy_(torch.from_numpy(params[f"{prefix}.W"]))
            layer.bias.copy_(torch.from_numpy(params[f"{prefix}.b"]))
    return layers


def test_mc_dropout_predict_matches_torch_fed_the_same_masks():
    """The masks our network draws from rng are replayed from a generator with the same seed and applied in
    torch; the averaged softmax probabilities agree."""
    net = sq.sequential(sq.dropout(0.2), sq.linear(5, 7), sq.activation("relu"), sq.dropout(0.5), sq.linear(7, 3))
    rng = np.random.default_rng(10)
    params, state = net.init(rng)
    params = {key: value + 0.1 * rng.standard_normal(value.shape) for key, value in params.items()}
    x = rng.standard_normal((6, 5))
    ours = dr.mc_dropout_predict(net, params, state, x, np.random.default_rng(11), 25)
    replay, layers, xt, total = np.random.default_rng(11), torch_twin(params), torch.from_numpy(x), 0
    for _ in range(25):
        m0 = torch.from_numpy(dr.dropout_mask((6, 5), 0.2, replay))
        h = torch.relu(layers["1"](xt * m0 / 0.8))
        m1 = torch.from_numpy(dr.dropout_mask((6, 7), 0.5, replay))
        total = total + torch.softmax(layers["4"](h * m1 / 0.5), dim=1)
    close(ours, total / 25, "MC prediction")
    model = torch.nn.Sequential(torch.nn.Dropout(0.2), layers["1"], torch.nn.ReLU(), torch.nn.Dropout(0.5),
                                layers["4"]).eval()
    close(activations.softmax(sq.predict(net, params, state, x), axis=1),
          torch.softmax(model(xt), dim=1), "evaluation mode")
    with pytest.raises(ValueError, match="n_samples"):
        dr.mc_dropout_predict(net, params, state, x, np.random.default_rng(0), 0)


def test_weight_scaling_is_the_expectation_for_a_linear_network():
    """For a vanilla-dropout network without nonlinearity, the weight-scaled network's output equals the output
    averaged over every mask (enumerated in torch)."""
    rng = np.random.default_rng(12)
    net = sq.sequential(sq.dropout(0.3, inverted=False), sq.linear(4, 3), sq.dropout(0.6, inverted=False),
                        sq.linear(3, 2))
    params, state = net.init(rng)
    params = {key: value + 0.2 * rng.standard_normal(value.shape) for key, value in params.items()}
    x = rng.standard_normal(4)
    masks0, probs0 = dr.all_masks(4, 0.3)
    masks1, probs1 = dr.all_masks(3, 0.6)
    w1, b1, w2, b2 = (torch.from_numpy(params[key]) for key in ("1.W", "1.b", "3.W", "3.b"))
    xt, expected = torch.from_numpy(x), 0
    for m0, q0 in zip(masks0, probs0):
        hidden = (xt * torch.from_numpy(m0)) @ w1.T + b1
        for m1, q1 in zip(masks1, probs1):
            expected = expected + q0 * q1 * ((hidden * torch.from_numpy(m1)) @ w2.T + b2)
    scaled = dr.weight_scaling(params, {"1": 0.3, "3": 0.6})
    close(sq.predict(net, scaled, state, x[None])[0], expected, "weight-scaled output")
    assert all(scaled[key] is params[key] for key in ("1.b", "3.b"))
    with pytest.raises(KeyError, match="'7'"):
        dr.weight_scaling(params, {"7": 0.5})


def test_weight_scaling_is_the_geometric_mean_of_a_softmax_layer():
    rng = np.random.default_rng(13)
    w, b, x = (torch.from_numpy(rng.standard_normal(shape)) for shape in ((4, 9), (4,), (9,)))
    p = 0.35
    masks, probs = dr.all_masks(9, p)
    log_probs = torch.log_softmax((torch.from_numpy(masks.astype(float)) * x) @ w.T + b, dim=1)
    geometric = torch.softmax(torch.from_numpy(probs) @ log_probs, dim=0)
    params = dr.weight_scaling({"0.W": w.numpy(), "0.b": b.numpy()}, {"0": p})
    close(activations.softmax(params["0.W"] @ x.numpy() + params["0.b"]), geometric, "geometric mean")


# ---------------------------------------------------------------- linear regression


def torch_enumerated_loss(x, y, w, p, inverted):
    """E over every mask of (1/2N) sum_n (y_n - s w^T (m_n * x_n))^2, computed in torch (w may require grad)."""
    masks, probs = dr.all_masks(x.shape[1], p)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    scale = 1 / (1 - p) if inverted else 1.0
    predictions = scale * xt @ (torch.from_numpy(masks.astype(float)) * w).T
    return 0.5 * (((yt[:, None] - predictions) ** 2) @ torch.from_numpy(probs)).mean()


@pytest.mark.parametrize("inverted", [True, False])
@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.8])
def test_expected_dropout_loss_is_the_average_over_every_mask(p, inverted):
    x, y, w = regression_problem(np.random.default_rng(14), 20, 6)
    close(dr.expected_dropout_loss(x, y, w, p, inverted),
          torch_enumerated_loss(x, y, torch.from_numpy(w), p, inverted), f"expected loss p={p}")


@pytest.mark.parametrize("inverted", [True, False])
def test_expected_dropout_loss_agrees_with_monte_carlo(inverted):
    """200,000 sampled masks: the sample mean lies within 6 standard errors of the closed form."""
    x, y, w = regression_problem(np.random.default_rng(15), 30, 4)
    p, rng, scale = 0.4, np.random.default_rng(16), (1 / 0.6 if inverted else 1.0)
    losses = np.concatenate([0.5 * np.mean((y - scale * (rng.random((10000,) + x.shape) >= p) * x @ w) ** 2, axis=1)
                             for _ in range(20)])
    standard_error = losses.std() / np.sqrt(losses.size)
    assert abs(losses.mean() - dr.expected_dropout_loss(x, y, w, p, inverted)) < SIGMAS * standard_error
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        dr.expected_dropout_loss(x, y, w, 1.0)


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9])
def test_ridge_solution_is_sklearn_ridge_on_rescaled_inputs(p):
    from sklearn.linear_model import Ridge
    x, y, _ = regression_problem(np.random.default_rng(17), 40, 5)
    norms = np.sqrt(np.sum(x * x, axis=0))
    ridge = Ridge(alpha=p / (1 - p), fit_intercept=False, solver="cholesky").fit(x / norms, y).coef_ / norms
    close(dr.dropout_ridge_solution(x, y, p), ridge, f"inverted p={p}")
    close(dr.dropout_ridge_solution(x, y, p, inverted=False), ridge / (1 - p), f"vanilla p={p}")


def test_ridge_solution_is_weight_decay_for_standardised_inputs():
    """With mean squares 1 the penalty is (mu/2)||w||^2, mu = p/(1 - p): sklearn's Ridge(alpha = N mu) on x."""
    from sklearn.linear_model import Ridge
    x, y, _ = regression_problem(np.random.default_rng(18), 50, 4)
    x = x / np.sqrt(np.mean(x * x, axis=0))
    ridge = Ridge(alpha=50 * 0.3 / 0.7, fit_intercept=False, solver="cholesky").fit(x, y).coef_
    close(dr.dropout_ridge_solution(x, y, 0.3), ridge, "standardised inputs")


@pytest.mark.parametrize("inverted", [True, False])
@pytest.mark.parametrize("p", [0.2, 0.7])
def test_ridge_solution_zeroes_torchs_gradient_of_the_expected_loss(p, inverted):
    x, y, _ = regression_problem(np.random.default_rng(19), 25, 5)
    w = torch.tensor(dr.dropout_ridge_solution(x, y, p, inverted), requires_grad=True)
    torch_enumerated_loss(x, y, w, p, inverted).backward()
    start = torch.zeros(5, dtype=torch.float64, requires_grad=True)
    torch_enumerated_loss(x, y, start, p, inverted).backward()
    assert w.grad.abs().max() < TOL * start.grad.abs().max()
