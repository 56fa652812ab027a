"""dlcourse.init and dlcourse.signal against torch.nn.init, nn.Linear and autograd, in float64.

Book: chapter 03_initialisation. Deterministic quantities (gains, fans, scales, orthogonal matrices, layer
statistics, LSUV's rescaled layers) agree with torch to <= 1e-10 relative error: torch's random initialisers are
compared draw for draw, by giving torch's generator the same seed twice (once for torch's initialiser, once for
a plain normal_ or uniform_ draw with our scale). Random draws of dlcourse are tested statistically, with bounds
that a correct implementation violates with probability below 1e-6 (each bound says why).
"""
import math

import numpy as np
import pytest

from dlcourse import activations, init, signal
from dlcourse.network import mlp_forward

torch = pytest.importorskip("torch")
nn = torch.nn

WORST = {"relative error": 0.0}     # the largest relative error of any agreement test, printed at the end


def relative_error(ours, theirs):
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    error = float(np.max(np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-300), initial=0.0))
    WORST["relative error"] = max(WORST["relative error"], error)
    return error


def generator(seed):
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------- gains and fans

GAIN_CASES = [("linear", None), ("conv2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None),
              ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 0.0), ("leaky_relu", 0),
              ("leaky_relu", 3), ("leaky_relu", -0.5), ("leaky_relu", math.sqrt(5)), ("selu", None)]


@pytest.mark.parametrize("name, param", GAIN_CASES)
def test_calculate_gain_equals_torch(name, param):
    assert relative_error(init.calculate_gain(name, param), nn.init.calculate_gain(name, param)) <= 1e-15


@pytest.mark.parametrize("name, param", [("softmax", None), ("ReLU", None), ("leaky_relu", "0.1"), ("leaky_relu", True)])
def test_calculate_gain_refuses_what_torch_refuses(name, param):
    with pytest.raises(ValueError):
        nn.init.calculate_gain(name, param)
    with pytest.raises(ValueError):
        init.calculate_gain(name, param)


@pytest.mark.parametrize("shape", [(3, 5), (7, 2), (4, 6, 3), (8, 3, 5, 5), (2, 4, 3, 2, 2)])
def test_fans_equal_torch(shape):
    assert init.fans(shape) == nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def test_fans_of_a_vector_raise_like_torch():
    with pytest.raises(ValueError):
        nn.init._calculate_fan_in_and_fan_out(torch.empty(5))
    with pytest.raises(ValueError, match="at least 2 entries"):
        init.fans((5,))


# ---------------------------------------------------------------- the scale of every torch.nn.init scheme

SHAPES = [(30, 50), (50, 30), (16, 8, 3, 3)]
TORCH_SCHEMES = [  # (torch initialiser with its keyword arguments, our init_scale keyword arguments)
    (("xavier_normal_", {}), {"mode": "fan_avg"}),
    (("xavier_normal_", {"gain": 5 / 3}), {"mode": "fan_avg", "gain": 5 / 3}),
    (("xavier_uniform_", {}), {"mode": "fan_avg", "distribution": "uniform"}),
    (("xavier_uniform_", {"gain": math.sqrt(2)}), {"mode": "fan_avg", "gain": math.sqrt(2), "distribution": "uniform"}),
    (("kaiming_normal_", {}), {"gain": math.sqrt(2)}),   # torch's default: leaky_relu with a = 0, i.e. relu
    (("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}), {"gain": math.sqrt(2), "mode": "fan_out"}),
    (("kaiming_normal_", {"nonlinearity": "linear"}), {}),                                       # LeCun
    (("kaiming_normal_", {"nonlinearity": "tanh"}), {"gain": 5 / 3}),
    (("kaiming_uniform_", {}), {"gain": math.sqrt(2), "distribution": "uniform"}),
    (("kaiming_uniform_", {"a": math.sqrt(5)}), {"gain": math.sqrt(1 / 3), "distribution": "uniform"}),  # nn.Linear
    (("kaiming_uniform_", {"a": 0.2, "mode": "fan_out"}),
     {"gain": math.sqrt(2 / 1.04), "mode": "fan_out", "distribution": "uniform"}),
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("torch_scheme, ours", TORCH_SCHEMES, ids=[f"{t[0]}{t[1]}" for t, _ in TORCH_SCHEMES])
def test_init_scale_reproduces_torch_draw_for_draw(shape, torch_scheme, ours):
    """torch's initialiser and a plain draw with our scale, from generators in the same state, are equal."""
    name, kwargs = torch_scheme
    theirs = torch.empty(shape, dtype=torch.float64)
    getattr(nn.init, name)(theirs, generator=generator(7), **kwargs)
    scale = init.init_scale(shape, **ours)
    plain = torch.empty(shape, dtype=torch.float64)
    if ours.get("distribution", "normal") == "normal":
        plain.normal_(0.0, scale, generator=generator(7))
    else:
        plain.uniform_(-scale, scale, generator=generator(7))
    assert relative_error(plain.numpy(), theirs.numpy()) <= 1e-10


@pytest.mark.parametrize("d_in, d_out", [(10, 3), (64, 64), (3, 200)])
def test_linear_default_scale_is_nn_linear(d_in, d_out):
    """nn.Linear's weights and biases, drawn again with our bound 1/sqrt(fan_in) from the same seed."""
    torch.manual_seed(3)
    layer = nn.Linear(d_in, d_out, dtype=torch.float64)
    bound = init.init_scale((d_out, d_in), gain=init.calculate_gain("leaky_relu", math.sqrt(5)),
                            distribution="uniform")
    assert relative_error(bound, 1 / math.sqrt(d_in)) <= 1e-15
    torch.manual_seed(3)
    weight = torch.empty(d_out, d_in, dtype=torch.float64).uniform_(-bound, bound)
    bias = torch.empty(d_out, dtype=torch.float64).uniform_(-1 / math.sqrt(d_in), 1 / math.sqrt(d_in))
    assert relative_error(weight.numpy(), layer.weight.detach().numpy()) <= 1e-10
    assert relative_error(bias.numpy(), layer.bias.detach().numpy()) <= 1e-10


class _Fixed:
    """A stand-in for np.random.Generator whose standard_normal returns a given matrix (torch's draw)."""

    def __init__(self, matrix):
        self.matrix = matrix

    def standard_normal(self, shape):
        assert tuple(shape) == self.matrix.shape
        return self.matrix.copy()


@pytest.mark.parametrize("shape, gain", [((20, 20), 1.0), ((8, 30), 2.0), ((30, 8), 0.5), ((6, 4, 3, 3), 1.0)])
def test_orthogonal_equals_torch_on_the_same_draw(shape, gain):
    rows = shape[0]
    cols = math.prod(shape[1:])
    theirs = torch.empty(shape, dtype=torch.float64)
    nn.init.orthogonal_(theirs, gain=gain, generator=generator(11))
    draw = torch.empty((rows, cols), dtype=torch.float64).normal_(0, 1, generator=generator(11)).numpy()
    ours = init.orthogonal(shape, _Fixed(draw), gain)
    assert relative_error(ours, theirs.numpy()) <= 1e-10
    flat = ours.reshape(rows, cols)
    gram = flat @ flat.T if rows <= cols else flat.T @ flat
    assert np.allclose(gram, gain ** 2 * np.eye(min(rows, cols)), atol=1e-12)


# ---------------------------------------------------------------- random draws, statistically

SAMPLER_CASES = [((400, 500), {}), ((500, 400), {"mode": "fan_out", "distribution": "uniform", "gain": math.sqrt(2)}),
                 ((64, 32, 3, 3), {"mode": "fan_avg", "gain": 5 / 3}), ((300, 700), {"mode": "fan_avg",
                                                                                     "distribution": "uniform"})]


@pytest.mark.parametrize("shape, kwargs", SAMPLER_CASES)
def test_variance_scaling_and_torch_draw_the_same_distribution(shape, kwargs):
    """Our draw and torch's have the variance gain^2 / fan, the same kurtosis and (uniform) the same support.

    n >= 1.8e5 entries: the second moment's relative standard deviation is at most sqrt(2 / n) < 0.0034, so a
    bound of 7 of them is violated with probability < 3e-12; the kurtosis of n normal draws has standard deviation
    sqrt(24 / n) < 0.012, and the bound 0.15 is more than 12 of them.
    """
    ours = init.variance_scaling(shape, np.random.default_rng(12), **kwargs)
    distribution = kwargs.get("distribution", "normal")
    theirs = torch.empty(shape, dtype=torch.float64)
    if distribution == "normal":
        nn.init.normal_(theirs, 0.0, init.init_scale(shape, **kwargs), generator=generator(12))
    std = init.init_scale(shape, **{**kwargs, "distribution": "normal"})
    fan_in, fan_out = init.fans(shape)
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[kwargs.get("mode", "fan_in")]
    assert abs(std ** 2 - kwargs.get("gain", 1.0) ** 2 / fan) <= 1e-15 * std ** 2
    n = ours.size
    assert ours.shape == shape and ours.dtype == np.float64
    assert abs(np.mean(ours ** 2) / std ** 2 - 1) <= 7 * math.sqrt(2 / n)
    assert abs(np.mean(ours)) <= 7 * std / math.sqrt(n)
    kurtosis = np.mean(ours ** 4) / np.mean(ours ** 2) ** 2
    assert abs(kurtosis - (3.0 if distribution == "normal" else 1.8)) <= 0.15
    if distribution == "normal":
        torch_draw = theirs.numpy()
        assert abs(np.mean(torch_draw ** 2) / std ** 2 - 1) <= 7 * math.sqrt(2 / n)
    else:
        bound = math.sqrt(3) * std
        assert np.abs(ours).max() <= bound and np.abs(ours).max() >= bound * (1 - 30 / n)   # P < e^-30


def test_linear_default_draws_like_nn_linear():
    """Var[w] fan_in = 1/3 and |w|, |b| <= 1/sqrt(fan_in) for ours and for nn.Linear (bounds as above)."""
    d_in, d_out = 300, 700
    w, b = init.linear_default(d_in, d_out, np.random.default_rng(13))
    torch.manual_seed(13)
    layer = nn.Linear(d_in, d_out, dtype=torch.float64)
    n = w.size
    for weight, bias in ((w, b), (layer.weight.detach().numpy(), layer.bias.detach().numpy())):
        assert abs(np.mean(weight ** 2) * d_in * 3 - 1) <= 7 * math.sqrt(0.8 / n)   # kurtosis 1.8: rel. sd sqrt(0.8/n)
        assert np.abs(weight).max() <= 1 / math.sqrt(d_in) and np.abs(bias).max() <= 1 / math.sqrt(d_in)
    assert w.shape == (d_out, d_in) and b.shape == (d_out,)


def test_same_generator_state_same_weights():
    a = init.variance_scaling((20, 30), np.random.default_rng(1), distribution="uniform")
    b = init.variance_scaling((20, 30), np.random.default_rng(1), distribution="uniform")
    c = init.variance_scaling((20, 30), np.random.default_rng(2), distribution="uniform")
    assert np.array_equal(a, b) and not np.array_equal(a, c)


# ---------------------------------------------------------------- the statistics of a network, with torch hooks

def torch_mlp(params, activation):
    """nn.Sequential(Linear, h, ..., Linear) holding ``params`` (float64)."""
    modules = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "identity": nn.Identity}
    depth = sum(1 for key in params if key.startswith("W"))
    layers = []
    for l in range(1, depth + 1):
        w = params[f"W{l}"]
        linear = nn.Linear(w.shape[1], w.shape[0], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w))
            linear.bias.copy_(torch.from_numpy(params[f"b{l}"]))
        layers.append(linear)
        if l < depth:
            layers.append(modules[activation]())
    return nn.Sequential(*layers)


def torch_statistics(params, x, dout, activation):
    """Population stds of every Linear output and of its gradient, from forward hooks and retain_grad."""
    net = torch_mlp(params, activation)
    outputs = []

    def keep(module, inputs, output):
        output.retain_grad()
        outputs.append(output)
    for module in net:
        if isinstance(module, nn.Linear):
            module.register_forward_hook(keep)
    out = net(torch.from_numpy(x))
    out.backward(torch.from_numpy(dout))
    return (np.array([o.detach().std(correction=0).item() for o in outputs]),
            np.array([o.grad.std(correction=0).item() for o in outputs]))


@pytest.mark.parametrize("sizes, activation, n", [((5, 7, 6, 3), "tanh", 4), ((3, 6, 4, 5, 2), "relu", 9),
                                                  ((4, 8, 2), "sigmoid", 6), ((6, 5, 5, 3), "identity", 3)])
def test_signal_statistics_equal_torch_hooks(sizes, activation, n):
    rng = np.random.default_rng(14)
    params = init.init_mlp(sizes, rng, scheme="glorot")
    params = {key: value + (0.3 * rng.standard_normal(value.shape) if key.startswith("b") else 0)
              for key, value in params.items()}
    x, dout = 2 * rng.standard_normal((n, sizes[0])) + 1, rng.standard_normal((n, sizes[-1])) / n
    ours = signal.signal_statistics(params, x, dout, activation)
    theirs = torch_statistics(params, x, dout, activation)
    assert relative_error(ours[0], theirs[0]) <= 1e-10
    assert relative_error(ours[1], theirs[1]) <= 1e-10


@pytest.mark.parametrize("sizes, activation, n, tol, max_iter", [((10, 20, 15, 5), "relu", 30, 0.01, 10),
                                                                 ((6, 12, 12, 4), "tanh", 25, 0.001, 20),
                                                                 ((8, 10, 3), "sigmoid", 40, 0.05, 10)])
def test_lsuv_gives_unit_variance_in_torch(sizes, activation, n, tol, max_iter):
    """The returned weights, loaded into torch, give every Linear output variance 1 within tol on the batch;
    weights are positive multiples of the given ones, biases and inputs unchanged."""
    rng = np.random.default_rng(15)
    params = init.init_mlp(sizes, rng, scheme=lambda shape, r: 0.7 * r.standard_normal(shape))
    params = {key: (0.5 * rng.standard_normal(v.shape) if key.startswith("b") else v) for key, v in params.items()}
    x = rng.standard_normal((n, sizes[0])) + 0.5
    before = {key: value.copy() for key, value in params.items()}
    ours = init.lsuv_init(params, x, activation, tol=tol, max_iter=max_iter)
    assert all(np.array_equal(before[key], params[key]) for key in params)
    net = torch_mlp(ours, activation)
    h = torch.from_numpy(x)
    for module in net:
        h = module(h)
        if isinstance(module, nn.Linear):
            assert abs(h.detach().var(correction=0).item() - 1) < tol
    for key in params:
        if key.startswith("b"):
            assert np.array_equal(ours[key], params[key])
        else:
            ratio = ours[key] / params[key]
            assert ratio.min() > 0 and relative_error(ratio, np.full_like(ratio, ratio.mean())) <= 1e-10


# ---------------------------------------------------------------- the variance recursion

def test_gaussian_expectation_matches_scipy_quad():
    quad = pytest.importorskip("scipy.integrate").quad
    for q in (1e-6, 0.01, 0.5, 1.0, 7.0, 60.0, 900.0):
        for f in (lambda a: np.tanh(a) ** 2, lambda a: (1 - np.tanh(a) ** 2) ** 2, lambda a: activations.sigmoid(a) ** 2):
            root = math.sqrt(q)
            want = quad(lambda a: float(f(np.array(a))) * math.exp(-a * a / (2 * q)) / math.sqrt(2 * math.pi * q),
                        -14 * root, 14 * root, points=[0.0], limit=400, epsabs=0, epsrel=1e-13)[0]
            assert relative_error(signal.gaussian_expectation(f, q), want) <= 1e-10, (q, want)


def test_second_moments_closed_forms():
    for q in (0.3, 2.0):
        assert signal.second_moments("identity", q) == (q, 1.0)
        assert signal.second_moments("relu", q) == (q / 2, 0.5)
        assert abs(signal.gaussian_expectation(lambda a: np.maximum(a, 0) ** 2, q) - q / 2) < 1e-3 * q


def test_predicted_variances_match_a_wide_torch_network():
    """Width 2000, 500 inputs: the measured variances of a tanh and a ReLU network are within 5% of the
    prediction (finite width and batch change them by about 1%)."""
    torch.manual_seed(16)
    for activation, gain, module in (("tanh", 1.0, nn.Tanh), ("relu", math.sqrt(2), nn.ReLU)):
        sizes = [2000] * 5
        x = torch.randn(500, 2000, dtype=torch.float64)
        predicted, _ = signal.predicted_variances(sizes, [gain ** 2 / 2000] * 4, activation)
        h, measured = x, []
        for l in range(4):
            w = torch.randn(2000, 2000, dtype=torch.float64) * gain / math.sqrt(2000)
            a = h @ w.T
            measured.append(a.var(correction=0).item())
            h = module()(a)
        assert np.all(np.abs(np.array(measured) / predicted - 1) < 0.05), (measured, predicted)


def test_report_worst_relative_error():
    """Run last: the largest relative error of the agreement tests above (printed with -s)."""
    print(f"\nworst relative error against torch: {WORST['relative error']:.2e}")
    assert WORST["relative error"] <= 1e-10
