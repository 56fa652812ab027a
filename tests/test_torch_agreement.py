"""dlcourse agrees with torch autograd in float64.

Error measure: ``dlcourse.gradcheck.relative_error``, the elementwise cs231n measure
max_i |a_i - b_i| / max(|a_i| + |b_i|, 1e-8), must stay below ``TOL`` = 1e-10 (finite-difference
comparisons: 1e-7). The largest value seen is printed by ``test_largest_relative_error``
(run with ``-rP`` to see it).
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlcourse import activations as act
from dlcourse import gradcheck, layers, losses, network
from dlcourse.init import init_mlp

TOL = 1e-10
NUMERICAL_TOL = 1e-7
SEEDS = (0, 1, 2)
SHAPES = ((7,), (3, 4), (2, 3, 5))
# Values where overflow, underflow or a kink would show: the reference must match torch there too.
EXTREMES = np.array([-800.0, -30.0, -1e-3, 0.0, 1e-3, 30.0, 800.0])
LARGEST = {}  # what -> largest relative error seen, for the summary test at the end


def assert_agrees(what, ours, theirs, tol=TOL):
    """relative_error(ours, theirs) < tol, both finite and of the same shape; remember the error."""
    ours = np.asarray(ours, dtype=float)
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    assert np.isfinite(ours).all() and np.isfinite(theirs).all(), f"{what}: not finite"
    error = gradcheck.relative_error(ours, theirs)
    LARGEST[what] = max(LARGEST.get(what, 0.0), error)
    assert error < tol, f"{what}: relative error {error:.3g} >= {tol:g}"


def tensor(array):
    """A float64 leaf tensor that records gradients."""
    return torch.tensor(np.asarray(array, dtype=float), dtype=torch.float64, requires_grad=True)


def autograd(scalar, *inputs):
    """d scalar / d input for every input, as numpy arrays."""
    return [g.numpy() for g in torch.autograd.grad(scalar, inputs)]


def random_inputs(seed, shape, scale=3.0):
    return scale * np.random.default_rng(seed).standard_normal(shape)


INPUTS = [pytest.param(random_inputs(seed, shape), id=f"seed{seed}-{'x'.join(map(str, shape))}")
          for seed, shape in zip(SEEDS, SHAPES)] + [pytest.param(EXTREMES, id="extremes")]

# name -> (h, h', torch h). torch's softplus returns a itself above `threshold` (default 20), which is
# off by exp(-a) (~1e-9 at a = 20); with threshold=50 it computes log1p(exp(a)) like we do.
ACTIVATIONS = {
    "sigmoid": (act.sigmoid, act.sigmoid_derivative, torch.sigmoid),
    "tanh": (act.tanh, act.tanh_derivative, torch.tanh),
    "relu": (act.relu, act.relu_derivative, torch.relu),
    "leaky_relu": (act.leaky_relu, act.leaky_relu_derivative, F.leaky_relu),
    "leaky_relu(0.2)": (lambda a: act.leaky_relu(a, 0.2), lambda a: act.leaky_relu_derivative(a, 0.2),
                        lambda a: F.leaky_relu(a, 0.2)),
    "elu": (act.elu, act.elu_derivative, F.elu),
    "elu(0.5)": (lambda a: act.elu(a, 0.5), lambda a: act.elu_derivative(a, 0.5),
                 lambda a: F.elu(a, 0.5)),
    "softplus": (act.softplus, act.softplus_derivative, lambda a: F.softplus(a, threshold=50.0)),
    "identity": (act.identity, act.identity_derivative, lambda a: a),
}
# The activations the network code looks up by name, with their default parameters.
NAMED = [name for name in ACTIVATIONS if "(" not in name]


def test_every_registered_activation_is_compared():
    assert sorted(NAMED) == sorted(act.ACTIVATIONS)


@pytest.mark.parametrize("a", INPUTS)
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_value_and_derivative(name, a):
    h, derivative, torch_h = ACTIVATIONS[name]
    t = tensor(a)
    value = torch_h(t)
    assert_agrees(name, h(a), value)
    # h is elementwise, so the gradient of sum(h(a)) is h'(a).
    assert_agrees(f"{name}_derivative", derivative(a), autograd(value.sum(), t)[0])


@pytest.mark.parametrize("name", NAMED)
@pytest.mark.parametrize("seed", SEEDS[:2])
def test_activation_forward_backward(name, seed):
    rng = np.random.default_rng(seed)
    a, dz = 3.0 * rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    z, cache = layers.activation_forward(a, name)
    t = tensor(a)
    value = ACTIVATIONS[name][2](t)
    assert_agrees(f"activation_forward[{name}]", z, value)
    assert_agrees(f"activation_backward[{name}]", layers.activation_backward(dz, cache),
                  autograd((value * torch.from_numpy(dz)).sum(), t)[0])


LOGITS = [pytest.param(random_inputs(seed, shape), id=f"seed{seed}-{shape[0]}x{shape[1]}")
          for seed, shape in ((0, (5, 3)), (1, (1, 4)), (2, (8, 10)))]
LOGITS.append(pytest.param(np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0], [0.5, 0.5, 0.5],
                                     [1000.0, 0.0, -1000.0]]), id="logits+-1000"))


@pytest.mark.parametrize("axis", (-1, 0))
@pytest.mark.parametrize("logits", LOGITS)
def test_softmax_and_log_softmax(logits, axis):
    t = torch.from_numpy(logits)
    assert_agrees("softmax", act.softmax(logits, axis=axis), torch.softmax(t, dim=axis))
    assert_agrees("log_softmax", act.log_softmax(logits, axis=axis), torch.log_softmax(t, dim=axis))


def regression_targets(seed, shape):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape), rng.standard_normal(shape)


def classification_targets(seed, shape):
    rng = np.random.default_rng(seed)
    return 3.0 * rng.standard_normal(shape), rng.integers(0, 2, size=shape).astype(float)


def probability_targets(seed, shape):
    logits, target = classification_targets(seed, shape)
    return act.sigmoid(logits), target


def torch_mse(pred, target):
    # dlcourse's mse is 1/(2N) sum_n ||yhat_n - y_n||^2, which is K/2 times torch's MSELoss (a mean over N K
    # elements). We compare with the explicit expression; test_mse_is_k_over_2_times_torch checks the factor.
    return 0.5 * ((pred - target) ** 2).sum() / pred.shape[0]


# loss name -> (ours(prediction, target), torch(prediction tensor, target tensor), make (prediction, target))
LOSSES = {
    "mse_loss": (losses.mse_loss, torch_mse, regression_targets),
    "binary_cross_entropy": (losses.binary_cross_entropy, F.binary_cross_entropy, probability_targets),
    "binary_cross_entropy_with_logits": (losses.binary_cross_entropy_with_logits,
                                         F.binary_cross_entropy_with_logits, classification_targets),
}


@pytest.mark.parametrize("shape", ((6,), (5, 3), (1, 1)), ids=str)
@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_and_gradient(name, seed, shape):
    ours, theirs, make = LOSSES[name]
    pred, target = make(seed, shape)
    loss, grad = ours(pred, target)
    t = tensor(pred)
    torch_loss = theirs(t, torch.from_numpy(target))
    assert_agrees(name, loss, torch_loss)
    assert_agrees(f"{name} gradient", grad, autograd(torch_loss, t)[0])


def test_mse_is_k_over_2_times_torch():
    pred, target = regression_targets(0, (6, 4))
    assert_agrees("mse_loss", losses.mse_loss(pred, target)[0],
                  2.0 * F.mse_loss(torch.from_numpy(pred), torch.from_numpy(target)))


def test_binary_cross_entropy_with_logits_of_size_1000():
    logits, target = np.array([1000.0, -1000.0, 1000.0, -1000.0, 0.0]), np.array([1.0, 1.0, 0.0, 0.0, 1.0])
    loss, grad = losses.binary_cross_entropy_with_logits(logits, target)
    t = tensor(logits)
    torch_loss = F.binary_cross_entropy_with_logits(t, torch.from_numpy(target))
    assert_agrees("binary_cross_entropy_with_logits", loss, torch_loss)
    assert_agrees("binary_cross_entropy_with_logits gradient", grad, autograd(torch_loss, t)[0])


@pytest.mark.parametrize("logits", LOGITS)
def test_softmax_cross_entropy(logits):
    n, k = logits.shape
    # Random labels, and the label each row finds least likely (loss 2000 for a row like [1000, 0, -1000]).
    for labels in (np.random.default_rng(n).integers(0, k, size=n), logits.argmin(axis=1)):
        loss, grad = losses.softmax_cross_entropy(logits, labels)
        t = tensor(logits)
        torch_loss = F.cross_entropy(t, torch.from_numpy(labels))
        assert_agrees("softmax_cross_entropy", loss, torch_loss)
        assert_agrees("softmax_cross_entropy gradient", grad, autograd(torch_loss, t)[0])


@pytest.mark.parametrize("n, d, m", ((4, 3, 2), (1, 5, 1), (7, 2, 6)))
def test_linear_forward_backward(n, d, m):
    rng = np.random.default_rng(n * d * m)
    x, w, b, dout = (rng.standard_normal(shape) for shape in ((n, d), (m, d), (m,), (n, m)))
    out, cache = layers.linear_forward(x, w, b)
    tx, tw, tb = tensor(x), tensor(w), tensor(b)
    torch_out = F.linear(tx, tw, tb)
    assert_agrees("linear_forward", out, torch_out)
    expected = autograd((torch_out * torch.from_numpy(dout)).sum(), tx, tw, tb)
    for what, got, want in zip(("dx", "dw", "db"), layers.linear_backward(dout, cache), expected):
        assert_agrees(f"linear_backward {what}", got, want)


TORCH_MODULES = {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU,
                 "leaky_relu": torch.nn.LeakyReLU, "elu": torch.nn.ELU,
                 "softplus": lambda: torch.nn.Softplus(threshold=50.0), "identity": torch.nn.Identity}
MLP_SIZES = {1: (4, 3), 2: (4, 6, 3), 3: (5, 7, 6, 3), 4: (3, 5, 4, 6, 2)}


def mlp_and_torch_twin(depth, activation, seed):
    """Random params (non-zero biases), inputs and an nn.Sequential with the same parameters."""
    rng = np.random.default_rng(seed)
    sizes = MLP_SIZES[depth]
    params = init_mlp(sizes, rng, scheme="glorot")
    modules = []
    for layer in range(1, depth + 1):
        params[f"b{layer}"] = 0.1 * rng.standard_normal(sizes[layer])
        linear = torch.nn.Linear(sizes[layer - 1], sizes[layer], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(params[f"W{layer}"]))
            linear.bias.copy_(torch.from_numpy(params[f"b{layer}"]))
        modules += [linear] + ([TORCH_MODULES[activation]()] if layer < depth else [])
    model = torch.nn.Sequential(*modules)
    torch_params = {f"{kind}{i // 2 + 1}": p for i, module in enumerate(model) if i % 2 == 0
                    for kind, p in (("W", module.weight), ("b", module.bias))}
    return params, rng.standard_normal((8, sizes[0])), model, torch_params


MLP_CASES = [(depth, activation) for depth in (2, 3) for activation in TORCH_MODULES] + [
    (1, "relu"), (4, "tanh"), (4, "elu")]


@pytest.mark.parametrize("depth, activation", MLP_CASES)
def test_mlp_forward_backward(depth, activation):
    params, x, model, torch_params = mlp_and_torch_twin(depth, activation, seed=depth)
    out, caches = network.mlp_forward(params, x, activation)
    torch_out = model(torch.from_numpy(x))
    assert_agrees("mlp_forward", out, torch_out)
    dout = np.random.default_rng(depth + 100).standard_normal(out.shape)
    grads = network.mlp_backward(dout, caches)
    assert sorted(grads) == sorted(params)
    expected = autograd((torch_out * torch.from_numpy(dout)).sum(), *torch_params.values())
    for key, want in zip(torch_params, expected):
        assert_agrees(f"mlp_backward {key[0]}", grads[key], want)


# loss -> (ours, torch, targets for N examples and K outputs)
MLP_LOSSES = {
    "softmax_cross_entropy": (losses.softmax_cross_entropy, F.cross_entropy,
                              lambda rng, n, k: rng.integers(0, k, size=n)),
    "mse_loss": (losses.mse_loss, torch_mse, lambda rng, n, k: rng.standard_normal((n, k))),
}


@pytest.mark.parametrize("loss_name", list(MLP_LOSSES))
@pytest.mark.parametrize("depth, activation", ((1, "identity"), (2, "sigmoid"), (3, "relu"), (4, "softplus")))
def test_mlp_loss_and_grads(depth, activation, loss_name):
    params, x, model, torch_params = mlp_and_torch_twin(depth, activation, seed=10 + depth)
    ours, theirs, make_targets = MLP_LOSSES[loss_name]
    y = make_targets(np.random.default_rng(depth), len(x), MLP_SIZES[depth][-1])
    loss, grads = network.mlp_loss_and_grads(params, x, y, ours, activation)
    torch_loss = theirs(model(torch.from_numpy(x)), torch.from_numpy(y))
    assert_agrees("mlp_loss_and_grads loss", loss, torch_loss)
    for key, want in zip(torch_params, autograd(torch_loss, *torch_params.values())):
        assert_agrees(f"mlp_loss_and_grads {key[0]}", grads[key], want)


def smooth_function(x):
    """sum(sin(x) x^2) + logsumexp(x), written once for numpy and torch arrays."""
    lib = torch if isinstance(x, torch.Tensor) else np
    return (lib.sin(x) * x ** 2).sum() + lib.log(lib.exp(x).sum())


@pytest.mark.parametrize("x", INPUTS[:3])
def test_numerical_gradient_matches_autograd(x):
    x = x / 3.0
    saved = x.copy()
    t = tensor(x)
    want = autograd(smooth_function(t), t)[0]
    assert_agrees("numerical_gradient (central)", gradcheck.numerical_gradient(smooth_function, x), want,
                  tol=NUMERICAL_TOL)
    assert np.array_equal(x, saved), "numerical_gradient must restore x"
    # Forward differences are only first-order accurate: error O(h).
    forward = gradcheck.numerical_gradient(smooth_function, x, method="forward")
    assert gradcheck.relative_error(forward, want) < 1e-3


@pytest.mark.parametrize("depth, activation", ((2, "tanh"), (3, "sigmoid")))
def test_gradient_check_of_mlp_against_autograd(depth, activation):
    params, x, model, torch_params = mlp_and_torch_twin(depth, activation, seed=depth)
    y = np.random.default_rng(0).integers(0, MLP_SIZES[depth][-1], size=len(x))
    torch_loss = F.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y))
    torch_grads = dict(zip(torch_params, autograd(torch_loss, *torch_params.values())))
    errors = gradcheck.gradient_check(
        lambda: losses.softmax_cross_entropy(network.mlp_forward(params, x, activation)[0], y)[0],
        params, torch_grads)
    LARGEST["gradient_check (numerical)"] = max(LARGEST.get("gradient_check (numerical)", 0.0), *errors.values())
    assert max(errors.values()) < NUMERICAL_TOL, errors


def test_largest_relative_error():
    """Summary: the largest relative error of every comparison above (meaningful after a full run)."""
    if not LARGEST:
        pytest.skip("run the whole file to get the summary")
    exact = {what: err for what, err in LARGEST.items() if "numerical" not in what}
    worst = max(exact, key=exact.get)
    print(f"largest relative error vs torch: {exact[worst]:.3g} ({worst}); "
          f"finite differences: {max(LARGEST.values()):.3g}")
    for what, err in sorted(LARGEST.items(), key=lambda item: -item[1]):
        print(f"  {err:.3g}  {what}")
    assert exact[worst] < TOL
