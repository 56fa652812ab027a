"""The layer protocol (dlcourse.sequential) against torch.nn in float64.

A network built with the protocol gives the same outputs, gradients and, over several training steps
followed by evaluation, the same running statistics as the equivalent ``torch.nn.Sequential``; batch norm
and dropout agree with ``BatchNorm1d`` and ``F.dropout``; the stateless case equals ``network.mlp_forward``.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlcourse import dropout as dr
from dlcourse import losses, network, normalization, optim
from dlcourse import sequential as sq
from dlcourse.gradcheck import relative_error

TOL = 1e-10


def close(ours, theirs, what, tol=TOL):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert np.shape(ours) == theirs.shape, f"{what}: shape {np.shape(ours)} vs torch {theirs.shape}"
    error = relative_error(np.asarray(ours, dtype=float), theirs.astype(float))
    assert error < tol, f"{what}: relative error {error:.2e}"


def torch_twin(params, sizes, activation, bn_momentum=0.1):
    """nn.Sequential(Linear, BatchNorm1d, act, Linear, act, Linear) with our parameters copied in."""
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}[activation]
    d, m1, m2, k = sizes
    model = torch.nn.Sequential(torch.nn.Linear(d, m1), torch.nn.BatchNorm1d(m1, momentum=bn_momentum), act(),
                                torch.nn.Linear(m1, m2), act(), torch.nn.Linear(m2, k)).double()
    names = {"0.W": "0.weight", "0.b": "0.bias", "1.gamma": "1.weight", "1.beta": "1.bias",
             "3.W": "3.weight", "3.b": "3.bias", "5.W": "5.weight", "5.b": "5.bias"}
    with torch.no_grad():
        for ours, theirs in names.items():
            model.get_parameter(theirs).copy_(torch.from_numpy(params[ours]))
    return model, names


def our_net(sizes, activation, bn_momentum=0.1):
    d, m1, m2, k = sizes
    return sq.sequential(sq.linear(d, m1), sq.batchnorm(m1, momentum=bn_momentum), sq.activation(activation),
                         sq.linear(m1, m2), sq.activation(activation), sq.linear(m2, k))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("bn_momentum", [0.1, 0.3, None])
def test_training_then_eval_matches_torch_sequential(activation, bn_momentum):
    """Outputs, every gradient, SGD steps and the running statistics after 5 steps; then eval outputs."""
    rng = np.random.default_rng(0)
    sizes = (5, 8, 6, 3)
    net = our_net(sizes, activation, bn_momentum)
    params, state = net.init(rng)
    params = {key: value + (0.1 * rng.standard_normal(value.shape) if key.endswith(("b", "beta", "gamma")) else 0)
              for key, value in params.items()}
    model, names = torch_twin(params, sizes, activation, bn_momentum)
    opt = optim.sgd(lr=0.1)
    opt_state = optim.init_params(opt, params)
    torch_opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(5):
        x = 2.0 * rng.standard_normal((7 + step, sizes[0])) + 1.0
        y = rng.integers(0, sizes[-1], size=len(x))
        loss, grads, state = sq.loss_and_grads(net, params, state, x, y, losses.softmax_cross_entropy)
        model.train()
        torch_opt.zero_grad()
        torch_loss = F.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y))
        torch_loss.backward()
        close(loss, torch_loss, f"loss at step {step}")
        for ours, theirs in names.items():
            if ours == "0.b":   # the bias before batch norm cancels out: both gradients are round-off around 0
                assert np.abs(grads[ours]).max() < 1e-14 and model.get_parameter(theirs).grad.abs().max() < 1e-14
                continue
            close(grads[ours], model.get_parameter(theirs).grad, f"grad {ours} at step {step}")
        close(state["1.running_mean"], model[1].running_mean, f"running_mean after step {step}")
        close(state["1.running_var"], model[1].running_var, f"running_var after step {step}")
        assert int(state["1.num_batches_tracked"]) == int(model[1].num_batches_tracked)
        params, opt_state = optim.update_params(opt, params, grads, opt_state)
        torch_opt.step()
    for ours, theirs in names.items():
        close(params[ours], model.get_parameter(theirs), f"{ours} after 5 steps", tol=1e-12 if ours != "0.b" else 1)
    assert np.abs(params["0.b"] - model[0].bias.detach().numpy()).max() < 1e-14
    model.eval()
    x_test = rng.standard_normal((4, sizes[0]))
    out, cache, after = net.forward(params, state, x_test, train=False)
    expected = model(torch.from_numpy(x_test))
    close(out, expected, "eval output")
    assert all(np.array_equal(after[key], state[key]) for key in state), "evaluation must not change the state"
    dout = rng.standard_normal(out.shape)
    _, grads = net.backward(dout, cache)
    model.zero_grad()
    expected.backward(torch.from_numpy(dout))
    for ours, theirs in names.items():
        close(grads[ours], model.get_parameter(theirs).grad, f"eval-mode grad {ours}")


def test_forward_returns_new_state_and_leaves_inputs_alone():
    rng = np.random.default_rng(1)
    net = our_net((4, 6, 5, 2), "relu")
    params, state = net.init(rng)
    saved_params = {k: v.copy() for k, v in params.items()}
    saved_state = {k: np.copy(v) for k, v in state.items()}
    x = rng.standard_normal((9, 4))
    saved_x = x.copy()
    _, _, new_state = net.forward(params, state, x, train=True)
    for key in params:
        assert np.array_equal(params[key], saved_params[key])
    for key in state:
        assert np.array_equal(state[key], saved_state[key]), f"state {key} was modified in place"
    assert np.array_equal(x, saved_x)
    assert not np.array_equal(new_state["1.running_mean"], state["1.running_mean"])


def test_the_stateless_case_is_network_mlp():
    """mlp(sizes) computes what network.mlp_forward / mlp_backward compute, key "2l.W" <-> "W(l+1)"."""
    rng = np.random.default_rng(2)
    sizes = [4, 7, 5, 3]
    net = sq.mlp(sizes, "tanh")
    params, state = net.init(rng)
    assert state == {}
    legacy = {f"{kind}{index // 2 + 1}": value for key, value in params.items()
              for index, kind in [(int(key.split(".")[0]), key.split(".")[1])]}
    x = rng.standard_normal((6, 4))
    out, cache, _ = net.forward(params, state, x, train=True)
    want, legacy_caches = network.mlp_forward(legacy, x, "tanh")
    assert np.array_equal(out, want)
    dout = rng.standard_normal(out.shape)
    dx, grads = net.backward(dout, cache)
    legacy_grads = network.mlp_backward(dout, legacy_caches)
    for key, value in grads.items():
        index, kind = key.split(".")
        assert np.array_equal(value, legacy_grads[f"{kind}{int(index) // 2 + 1}"]), key


def test_nested_sequential_prefixes_keys_like_torch():
    rng = np.random.default_rng(3)
    block = sq.sequential(sq.linear(3, 4), sq.activation("relu"))
    net = sq.sequential(block, sq.linear(4, 2))
    params, _ = net.init(rng)
    assert sorted(params) == ["0.0.W", "0.0.b", "1.W", "1.b"]
    assert [key for key in params if sq.is_weight(key)] == ["0.0.W", "1.W"]
    x = rng.standard_normal((5, 3))
    out, cache, _ = net.forward(params, {}, x)
    _, grads = net.backward(np.ones_like(out), cache)
    assert sorted(grads) == sorted(params)


@pytest.mark.parametrize("n, d", [(3, 3), (16, 5), (64, 1)])
def test_batchnorm_functions_match_torch(n, d):
    rng = np.random.default_rng(n)
    x = 3.0 * rng.standard_normal((n, d)) - 2.0
    gamma, beta = 1 + 0.3 * rng.standard_normal(d), 0.5 * rng.standard_normal(d)
    bn = torch.nn.BatchNorm1d(d).double()
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(gamma))
        bn.bias.copy_(torch.from_numpy(beta))
    _, _, state = normalization.batchnorm_init(d)
    for train in (True, True, False):
        bn.train(train)
        xt = torch.from_numpy(x).requires_grad_()
        expected = bn(xt)
        out, cache, state = normalization.batchnorm_forward(x, gamma, beta, state, train)
        close(out, expected, f"batchnorm output, train={train}")
        dout = rng.standard_normal((n, d))
        bn.zero_grad()
        expected.backward(torch.from_numpy(dout))
        dx, dgamma, dbeta = normalization.batchnorm_backward(dout, cache)
        close(dx, xt.grad, f"dx, train={train}")
        close(dgamma, bn.weight.grad, f"dgamma, train={train}")
        close(dbeta, bn.bias.grad, f"dbeta, train={train}")
        close(state.running_mean, bn.running_mean, "running_mean")
        close(state.running_var, bn.running_var, "running_var")


def test_batchnorm_refuses_one_example_in_training_like_torch():
    gamma, beta, state = normalization.batchnorm_init(3)
    with pytest.raises(ValueError, match="more than one example"):
        normalization.batchnorm_forward(np.ones((1, 3)), gamma, beta, state, train=True)
    with pytest.raises(ValueError, match="more than 1 value"):
        torch.nn.BatchNorm1d(3).double()(torch.ones(1, 3, dtype=torch.float64))
    out, _, _ = normalization.batchnorm_forward(np.ones((1, 3)), gamma, beta, state, train=False)
    assert out.shape == (1, 3)


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9, 1.0])
def test_dropout_agrees_with_torch_given_torchs_mask(p):
    """Where F.dropout kept an entry ours keeps it, with the same scale; the gradients agree exactly."""
    torch.manual_seed(0)
    x = torch.randn(50, 40, dtype=torch.float64, requires_grad=True)
    expected = F.dropout(x, p=p, training=True)
    mask = (expected != 0).numpy() if p < 1 else np.zeros((50, 40), dtype=bool)
    out, cache = dr.dropout_forward(x.detach().numpy(), mask, p)
    close(out, expected, f"dropout output p={p}", tol=1e-15)
    dout = torch.randn(50, 40, dtype=torch.float64)
    expected.backward(dout)
    close(dr.dropout_backward(dout.numpy(), cache), x.grad, f"dropout grad p={p}", tol=1e-15)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_mask_keeps_each_entry_with_probability_one_minus_p(p):
    """The kept fraction of 200,000 draws lies within 6 standard deviations (a correct mask fails w.p. < 1e-8)."""
    mask = dr.dropout_mask((400, 500), p, np.random.default_rng(4))
    n = mask.size
    assert mask.dtype == bool
    assert abs(mask.mean() - (1 - p)) < 6 * np.sqrt(p * (1 - p) / n)


def test_dropout_layer_modes_and_rng():
    layer = sq.dropout(0.5)
    x = np.ones((3, 4))
    out, cache, _ = layer.forward({}, {}, x, train=False)
    assert out is x and np.array_equal(layer.backward(np.ones((3, 4)), cache)[0], np.ones((3, 4)))
    with pytest.raises(ValueError, match="pass rng="):
        layer.forward({}, {}, x, train=True)
    a = layer.forward({}, {}, x, train=True, rng=np.random.default_rng(5))[0]
    b = layer.forward({}, {}, x, train=True, rng=np.random.default_rng(5))[0]
    assert np.array_equal(a, b) and set(np.unique(a)) <= {0.0, 2.0}
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        sq.dropout(1.5)


def test_missing_parameters_are_named():
    net = sq.sequential(sq.linear(2, 3))
    with pytest.raises(KeyError, match="missing"):
        net.forward({"0.W": np.ones((3, 2))}, {}, np.ones((1, 2)))
    with pytest.raises(TypeError, match="one or more layers"):
        sq.sequential("linear")
