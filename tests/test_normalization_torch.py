"""dlcourse.normalization against torch.nn in float64 (relative error <= 1e-10).

Batch norm over several training steps of different batch sizes and then evaluation, running statistics and
num_batches_tracked included, for several momenta, momentum=None and eps; its backward pass against autograd in
both modes; layer norm against nn.LayerNorm and autograd; population statistics against BatchNorm1d(momentum=None);
folding against torch.nn.utils.fusion.fuse_linear_bn_eval; a network with a layer-norm layer against
nn.Sequential.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.nn.utils.fusion import fuse_linear_bn_eval

from test_sequential_torch import TOL, close

from dlcourse import losses, normalization
from dlcourse import sequential as sq


def offset_batches(rng, sizes, d):
    """Batches whose features have different offsets and scales, far from mean 0 and variance 1."""
    return [np.linspace(0.3, 4.0, d) * rng.standard_normal((n, d)) + 10.0 - np.arange(d) for n in sizes]


def torch_bn(d, gamma, beta, momentum, eps):
    bn = torch.nn.BatchNorm1d(d, eps=eps, momentum=momentum).double()
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(gamma))
        bn.bias.copy_(torch.from_numpy(beta))
    return bn


@pytest.mark.parametrize("momentum", [0.1, 0.5, 0.01, None])
@pytest.mark.parametrize("eps", [1e-5, 1e-2])
def test_batchnorm_training_steps_then_eval_match_batchnorm1d(momentum, eps):
    """Outputs, gradients, running_mean, running_var and num_batches_tracked after every training step; then eval."""
    rng = np.random.default_rng(0)
    d = 4
    gamma, beta = 1 + 0.3 * rng.standard_normal(d), 0.5 * rng.standard_normal(d)
    bn = torch_bn(d, gamma, beta, momentum, eps)
    state = normalization.batchnorm_init(d)[2]
    for step, x in enumerate(offset_batches(rng, (4, 7, 2, 5, 3, 6), d)):
        bn.train()
        xt = torch.from_numpy(x).requires_grad_()
        expected = bn(xt)
        out, cache, state = normalization.batchnorm_forward(x, gamma, beta, state, True, momentum, eps)
        close(out, expected, f"output at step {step}")
        close(state.running_mean, bn.running_mean, f"running_mean after step {step}")
        close(state.running_var, bn.running_var, f"running_var after step {step}")
        assert state.num_batches_tracked == int(bn.num_batches_tracked)
        dout = rng.standard_normal(x.shape)
        bn.zero_grad()
        expected.backward(torch.from_numpy(dout))
        for ours, theirs, what in zip(normalization.batchnorm_backward(dout, cache),
                                      (xt.grad, bn.weight.grad, bn.bias.grad), ("dx", "dgamma", "dbeta")):
            close(ours, theirs, f"{what} at step {step}")
    bn.eval()
    x = offset_batches(rng, (5,), d)[0]
    xt = torch.from_numpy(x).requires_grad_()
    expected = bn(xt)
    out, cache, after = normalization.batchnorm_forward(x, gamma, beta, state, False, momentum, eps)
    close(out, expected, "evaluation output")
    assert after is state, "evaluation returns the state unchanged"
    dout = rng.standard_normal(x.shape)
    expected.backward(torch.from_numpy(dout))
    close(normalization.batchnorm_backward(dout, cache)[0], xt.grad, "evaluation dx")


def test_running_statistics_follow_torchs_conventions():
    """The new batch gets the weight momentum; running_var stores the unbiased variance; the start is 0 and 1."""
    gamma, beta, state = normalization.batchnorm_init(2)
    assert np.array_equal(state.running_mean, [0, 0]) and np.array_equal(state.running_var, [1, 1])
    x = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0], [7.0, 2.0]])
    _, _, state = normalization.batchnorm_forward(x, gamma, beta, state, True, momentum=0.25)
    np.testing.assert_allclose(state.running_mean, 0.25 * x.mean(axis=0))
    np.testing.assert_allclose(state.running_var, 0.75 + 0.25 * x.var(axis=0, ddof=1))


def test_population_statistics_equal_batchnorm1d_with_momentum_none():
    rng = np.random.default_rng(1)
    xs = [x + 2.0 * k for k, x in enumerate(offset_batches(rng, (3, 9, 2, 5), 3))]
    bn = torch_bn(3, np.ones(3), np.zeros(3), None, 1e-5)
    with torch.no_grad():
        for x in xs:
            bn(torch.from_numpy(x))
    state = normalization.population_statistics(xs)
    close(state.running_mean, bn.running_mean, "population mean")
    close(state.running_var, bn.running_var, "population variance")
    assert state.num_batches_tracked == int(bn.num_batches_tracked) == len(xs)
    with pytest.raises(ValueError, match="at least one batch"):
        normalization.population_statistics([])


@pytest.mark.parametrize("n, d", [(4, 6), (5, 5), (1, 3), (3, 1)])
@pytest.mark.parametrize("eps", [1e-5, 0.1])
def test_layernorm_matches_nn_layernorm_and_autograd(n, d, eps):
    rng = np.random.default_rng(n * 10 + d)
    x = rng.uniform(0.5, 4.0, (n, 1)) * rng.standard_normal((n, d)) + 7.0
    gamma, beta = 1 + 0.3 * rng.standard_normal(d), 0.5 * rng.standard_normal(d)
    ln = torch.nn.LayerNorm(d, eps=eps).double()
    with torch.no_grad():
        ln.weight.copy_(torch.from_numpy(gamma))
        ln.bias.copy_(torch.from_numpy(beta))
    xt = torch.from_numpy(x).requires_grad_()
    expected = ln(xt)
    out, cache = normalization.layernorm_forward(x, gamma, beta, eps)
    close(out, expected, "layer norm output")
    assert cache.inv_std.shape == (n, 1)
    dout = rng.standard_normal((n, d))
    expected.backward(torch.from_numpy(dout))
    dx, dgamma, dbeta = normalization.layernorm_backward(dout, cache)
    # with D = 1 every x_hat is 0 and dx is 0: compare absolutely, on the scale of gamma dout / sigma
    scale = np.abs(gamma * cache.inv_std * dout).max()
    assert np.abs(dx - xt.grad.numpy()).max() <= TOL * scale
    assert np.abs(dgamma - ln.weight.grad.numpy()).max() <= TOL * np.abs(dout).sum(axis=0).max()
    close(dbeta, ln.bias.grad, "dbeta")


@pytest.mark.parametrize("m, d", [(3, 5), (6, 2), (1, 1)])
@pytest.mark.parametrize("eps", [1e-5, 1e-3])
def test_fold_batchnorm_matches_fuse_linear_bn_eval(m, d, eps):
    rng = np.random.default_rng(m + d)
    w, b = rng.standard_normal((m, d)), rng.standard_normal(m)
    gamma, beta = 1 + 0.3 * rng.standard_normal(m), 0.5 * rng.standard_normal(m)
    state = normalization.BatchNormState(rng.standard_normal(m), rng.uniform(0.1, 5.0, m), 3)
    linear, bn = torch.nn.Linear(d, m).double(), torch_bn(m, gamma, beta, 0.1, eps)
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(w))
        linear.bias.copy_(torch.from_numpy(b))
        bn.running_mean.copy_(torch.from_numpy(state.running_mean))
        bn.running_var.copy_(torch.from_numpy(state.running_var))
    fused = fuse_linear_bn_eval(linear.eval(), bn.eval())
    w_folded, b_folded = normalization.fold_batchnorm(w, b, gamma, beta, state, eps)
    close(w_folded, fused.weight, "folded weight")
    close(b_folded, fused.bias, "folded bias")
    x = rng.standard_normal((7, d))
    close(x @ w_folded.T + b_folded, bn(linear(torch.from_numpy(x))), "folded layer against Linear + BatchNorm1d")


def test_network_with_layernorm_matches_nn_sequential():
    """linear, layer norm, tanh, linear: loss and every gradient equal nn.Sequential's; train and eval agree."""
    rng = np.random.default_rng(3)
    net = sq.sequential(sq.linear(5, 7), sq.layernorm(7), sq.activation("tanh"), sq.linear(7, 3))
    params, state = net.init(rng)
    params = {k: v + 0.2 * rng.standard_normal(v.shape) for k, v in params.items()}
    model = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.LayerNorm(7), torch.nn.Tanh(),
                                torch.nn.Linear(7, 3)).double()
    names = {"0.W": "0.weight", "0.b": "0.bias", "1.gamma": "1.weight", "1.beta": "1.bias", "3.W": "3.weight",
             "3.b": "3.bias"}
    with torch.no_grad():
        for ours, theirs in names.items():
            model.get_parameter(theirs).copy_(torch.from_numpy(params[ours]))
    x, y = rng.standard_normal((6, 5)), rng.integers(0, 3, size=6)
    loss, grads, _ = sq.loss_and_grads(net, params, state, x, y, losses.softmax_cross_entropy)
    torch_loss = F.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y))
    torch_loss.backward()
    close(loss, torch_loss, "loss")
    for ours, theirs in names.items():
        close(grads[ours], model.get_parameter(theirs).grad, f"grad {ours}")
    assert np.array_equal(net.forward(params, state, x, train=True)[0], sq.predict(net, params, state, x))
