"""The references of chapter 01_sgd against torch autograd in float64: the logistic-regression loss (one
parameter vector and a whole trajectory at once), its gradient and Hessian, and the sharpness (the largest
Hessian eigenvalue found by power iteration with finite-difference Hessian-vector products).

Error measure: max |ours - torch| / max |torch| (``relative``), below 1e-10 where the arithmetic is exact;
the sharpness uses central differences, whose error is O(h^2) with h = 1e-4, and is held to 1e-6.
"""
import numpy as np
import pytest
import torch

from dlcourse import logistic, losses, network, training
from dlcourse.init import init_mlp

TOL = 1e-10


def relative(ours, theirs):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs, dtype=float)
    return float(np.max(np.abs(np.asarray(ours, dtype=float) - theirs)) / np.max(np.abs(theirs)))


def torch_logistic_loss(theta, x, y):
    """J(w, b) with theta = (w, b): torch's binary cross-entropy on the scores, mean reduction."""
    return torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(x) @ theta[:-1] + theta[-1],
                                                                torch.tensor(y, dtype=torch.float64))


@pytest.mark.parametrize("seed", range(3))
def test_logistic_loss_gradient_and_hessian_match_torch(seed):
    rng = np.random.default_rng(seed)
    x, y = 3 * rng.standard_normal((15, 4)), rng.integers(0, 2, 15)
    w, b = rng.standard_normal(4), float(rng.standard_normal())
    theta = torch.tensor(np.append(w, b), dtype=torch.float64, requires_grad=True)
    loss = torch_logistic_loss(theta, x, y)
    loss.backward()
    hessian = torch.autograd.functional.hessian(lambda t: torch_logistic_loss(t, x, y), theta.detach())
    dw, db = logistic.logistic_regression_gradient(w, b, x, y)
    assert relative(logistic.logistic_regression_loss(w, b, x, y), loss.item()) < TOL
    assert relative(np.append(dw, db), theta.grad) < TOL
    assert relative(logistic.logistic_regression_hessian(w, b, x), hessian) < TOL


def test_the_losses_of_a_whole_trajectory_match_torch_row_by_row():
    """logistic_regression_losses(ws, bs, x, y)[t] = J(ws[t], bs[t]), also for scores of size 1000."""
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((20, 3)), rng.integers(0, 2, 20).astype(float)
    ws, bs = rng.standard_normal((6, 3)), rng.standard_normal(6)
    ws[-1] *= 400.0
    ours = logistic.logistic_regression_losses(ws, bs, x, y)
    theirs = [torch_logistic_loss(torch.tensor(np.append(w, b)), x, y).item() for w, b in zip(ws, bs)]
    assert ours.shape == (6,) and relative(ours, theirs) < TOL
    assert ours[-1] > 100 and np.isfinite(ours).all()


def test_the_losses_of_integer_labels_and_a_list_of_biases():
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((9, 2)), rng.integers(0, 2, 9)
    ws, bs = rng.standard_normal((3, 2)), list(rng.standard_normal(3))
    want = [logistic.logistic_regression_loss(w, b, x, y) for w, b in zip(ws, bs)]
    assert relative(logistic.logistic_regression_losses(ws, bs, x, y), want) < TOL


def quadratic_loss_and_grads(matrix):
    """J(theta) = theta^T A theta / 2 over a dict {"theta": (P,)}: its gradient is linear, so central differences
    of it are exact up to rounding."""
    def loss_and_grads(params):
        theta = params["theta"]
        return 0.5 * theta @ matrix @ theta, {"theta": matrix @ theta}
    return loss_and_grads


def test_sharpness_of_a_quadratic_is_its_largest_eigenvalue():
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    matrix = q @ np.diag([4.0, 1.0, 0.5, -0.3, 0.1]) @ q.T
    estimate, v = training.sharpness(quadratic_loss_and_grads(matrix), {"theta": rng.standard_normal(5)}, (),
                                     rng=np.random.default_rng(1), iterations=80)
    assert abs(estimate - 4.0) < 1e-10
    assert abs(np.linalg.norm(v["theta"]) - 1) < 1e-12 and abs(abs(v["theta"] @ q[:, 0]) - 1) < 1e-8


def test_sharpness_of_a_network_matches_torch_hessian_and_a_warm_start_needs_few_iterations():
    rng = np.random.default_rng(2)
    params = init_mlp([2, 5, 2], rng, scheme="glorot")
    x, y = rng.standard_normal((12, 2)), rng.integers(0, 2, 12)

    def loss_and_grads(p, x, y):
        return network.mlp_loss_and_grads(p, x, y, losses.softmax_cross_entropy, "tanh")

    keys = list(params)
    sizes = [params[k].size for k in keys]

    def torch_loss(flat):
        pieces = dict(zip(keys, torch.split(flat, sizes)))
        hidden = torch.tanh(torch.tensor(x) @ pieces["W1"].reshape(5, 2).T + pieces["b1"])
        logits = hidden @ pieces["W2"].reshape(2, 5).T + pieces["b2"]
        return torch.nn.functional.cross_entropy(logits, torch.tensor(y))

    flat = torch.tensor(np.concatenate([params[k].ravel() for k in keys]))
    eigenvalues = np.linalg.eigvalsh(torch.autograd.functional.hessian(torch_loss, flat).numpy())
    largest = eigenvalues[np.argmax(np.abs(eigenvalues))]
    estimate, v = training.sharpness(loss_and_grads, params, (x, y), rng=np.random.default_rng(0), iterations=300)
    assert abs(estimate - largest) < 1e-6 * abs(largest)
    nearby = {k: value + 1e-3 * rng.standard_normal(value.shape) for k, value in params.items()}
    warm, _ = training.sharpness(loss_and_grads, nearby, (x, y), v=v, iterations=5)
    assert abs(warm - estimate) < 1e-2 * abs(estimate)


def test_sharpness_needs_a_start_or_a_generator_and_leaves_its_inputs():
    params = {"theta": np.array([1.0, 2.0])}
    with pytest.raises(ValueError, match="np.random.Generator"):
        training.sharpness(quadratic_loss_and_grads(np.eye(2)), params, ())
    start = {"theta": np.array([1.0, 1.0])}
    training.sharpness(quadratic_loss_and_grads(np.diag([2.0, 1.0])), params, (), v=start, iterations=3)
    assert np.array_equal(params["theta"], [1.0, 2.0]) and np.array_equal(start["theta"], [1.0, 1.0])
