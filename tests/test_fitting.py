"""The training loops of dlcourse.fitting (chapter 06's experiments) and datasets.with_random_labels: each does what
its docstring says, checked against the loop written out by hand and against torch.optim where a rule is torch's.
"""
import numpy as np
import pytest
import torch

from dlcourse import datasets, fitting, losses, optim, regularisation, sequential


def problem(seed=0, n=40):
    rng = np.random.default_rng(seed)
    net = sequential.mlp([6, 5, 3], "tanh")
    params, _ = net.init(rng)
    return net, params, rng.standard_normal((n, 6)), rng.integers(0, 3, n)


def by_hand(net, params, x, y, lr, mu, steps):
    for _ in range(steps):
        _, grads, _ = sequential.loss_and_grads(net, params, {}, x, y, losses.softmax_cross_entropy)
        params = {k: params[k] - lr * (grads[k] + (mu * params[k] if sequential.is_weight(k) else 0.0))
                  for k in params}
    return params


def test_gradient_descent_is_the_loop_with_the_penalty():
    net, params, x, y = problem()
    saved = {k: v.copy() for k, v in params.items()}
    got = fitting.gradient_descent(net, params, x, y, steps=5, lr=0.3, penalty=regularisation.l2_penalty, mu=0.1)
    assert fitting.largest_difference(got, by_hand(net, saved, x, y, 0.3, 0.1, 5)) < 1e-14
    assert fitting.largest_difference(params, saved) == 0.0


def test_minibatch_steps_coupled_penalty_equals_decoupled_shrink_for_sgd():
    net, params, x, y = problem(1)
    batches = np.random.default_rng(2).integers(0, 40, size=(20, 8))
    coupled, _, history = fitting.minibatch_steps(net, params, optim.sgd(0.2), x, y, batches,
                                                  regularisation.l2_penalty, mu=0.05)
    decoupled, _, _ = fitting.minibatch_steps(net, params, optim.sgd(0.2), x, y, batches, shrink=0.2 * 0.05)
    assert fitting.largest_difference(coupled, decoupled) < 1e-14
    assert history["loss"].shape == (20,) and history["max_row_norm"].shape == (20,)


def test_minibatch_steps_with_momentum_match_torch_sgd_on_the_same_batches():
    net, params, x, y = problem(3)
    batches = np.random.default_rng(4).integers(0, 40, size=(10, 8))
    ours, _, _ = fitting.minibatch_steps(net, params, optim.momentum(0.1, beta=0.9), x, y, batches)
    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    sgd = torch.optim.SGD(list(tensors.values()), lr=0.1, momentum=0.9)
    for batch in batches:      # gradients from our backward pass at torch's current parameters
        current = {k: t.detach().numpy().copy() for k, t in tensors.items()}
        _, grads, _ = sequential.loss_and_grads(net, current, {}, x[batch], y[batch], losses.softmax_cross_entropy)
        for k, t in tensors.items():
            t.grad = torch.tensor(grads[k])
        sgd.step()
    assert fitting.largest_difference(ours, {k: t.detach().numpy() for k, t in tensors.items()}) < 1e-12


def test_projection_is_applied_after_every_step():
    net, params, x, y = problem(5)
    batches = np.random.default_rng(6).integers(0, 40, size=(5, 8))
    project = lambda p: {k: regularisation.max_norm(v, 0.5) if sequential.is_weight(k) else v for k, v in p.items()}  # noqa: E731
    _, _, history = fitting.minibatch_steps(net, params, optim.sgd(1.0), x, y, batches, project=project)
    assert np.all(history["max_row_norm"] <= 0.5 + 1e-12)


def test_train_and_the_error_measures():
    net, params, x, y = problem(7)
    trained, history = fitting.train(net, params, optim.sgd(0.5), x, y, epochs=30, batch_size=10,
                                     rng=np.random.default_rng(8))
    assert len(history["train_loss"]) == 30 and history["train_loss"][-1] < history["train_loss"][0]
    logits = sequential.predict(net, trained, {}, x)
    assert fitting.error_rate(net, trained, x, y) == pytest.approx(np.mean(logits.argmax(axis=1) != y))
    assert fitting.cross_entropy(net, trained, x, y) == pytest.approx(losses.softmax_cross_entropy(logits, y)[0])


def test_with_random_labels_replaces_about_the_fraction_asked_for():
    """20000 labels, a quarter replaced by a uniform class (9 in 10 then differ): the changed fraction within
    0.02 of 0.225 (its standard deviation is 0.003, so this fails with probability far below 1e-6)."""
    y = np.random.default_rng(0).integers(0, 10, 20000)
    saved = y.copy()
    noisy = datasets.with_random_labels(y, 0.25, np.random.default_rng(1))
    assert np.array_equal(y, saved) and noisy.dtype == y.dtype and noisy.min() >= 0 and noisy.max() <= 9
    assert abs(np.mean(noisy != y) - 0.25 * 0.9) < 0.02
