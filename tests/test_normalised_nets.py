"""dlcourse.normalised_nets, the experiments of chapter 05: what each helper promises, on small networks."""
import numpy as np
import pytest
import torch

from dlcourse import network, normalised_nets
from dlcourse.losses import softmax_cross_entropy


def small(norm, noisy=False, activation="tanh"):
    model = normalised_nets.normalised_mlp([6, 8, 7, 3], activation, norm, noisy=noisy)
    params, state = model.net.init(np.random.default_rng(0))
    return model, params, state


def data(n=40, seed=1):
    rng = np.random.default_rng(seed)
    return 2.0 * rng.standard_normal((n, 6)) + 1.0, rng.integers(0, 3, size=n)


def test_the_stack_is_linear_norm_noise_activation():
    model, _, _ = small("batch", noisy=True)
    assert [layer.name.split("(")[0] for layer in model.layers] == [
        "linear", "batchnorm", "noise", "tanh", "linear", "batchnorm", "noise", "tanh", "linear"]
    with pytest.raises(ValueError, match="norm must be"):
        normalised_nets.normalised_mlp([2, 3], norm="group")


def test_training_steps_lower_the_loss_and_a_divergence_is_reported():
    model, params, state = small("batch")
    x, y = data()
    before = normalised_nets.mean_loss(model, params, state, (x, y))
    params, state, history = normalised_nets.train_sgd(model, params, state, (x, y), 30, 8, 0.1,
                                                       np.random.default_rng(2))
    assert len(history["loss"]) == 30 and not history["diverged"]
    assert normalised_nets.mean_loss(model, params, state, (x, y)) < before
    plain, p, s = small(None, activation="relu")
    p = {key: 1e120 * value for key, value in p.items()}        # the logits overflow to inf
    _, _, history = normalised_nets.train_sgd(plain, p, s, (x, y), 50, 8, 10.0, np.random.default_rng(2))
    assert history["diverged"] and len(history["loss"]) < 50 and not np.isfinite(history["loss"][-1])


def test_the_noise_layer_draws_a_new_scale_and_shift_in_training_only():
    layer = normalised_nets.noise(4)
    x = np.ones((3, 4))
    out, _, _ = layer.forward({}, {}, x, train=False)
    assert out is x
    a = layer.forward({}, {}, x, train=True, rng=np.random.default_rng(0))[0]
    b = layer.forward({}, {}, x, train=True, rng=np.random.default_rng(1))[0]
    assert not np.array_equal(a, b) and np.allclose(a, a[0])          # per unit, the same for every example
    with pytest.raises(ValueError, match="rng="):
        layer.forward({}, {}, x, train=True)


def test_fold_network_computes_the_evaluation_output():
    model, params, state = small("batch")
    x, y = data()
    params, state, _ = normalised_nets.train_sgd(model, params, state, (x, y), 5, 10, 0.1, np.random.default_rng(3))
    plain = normalised_nets.fold_network(model, params, state)
    assert sorted(plain) == ["W1", "W2", "W3", "b1", "b2", "b3"]
    expected = model.net.forward(params, state, x, train=False)[0]
    assert np.allclose(network.mlp_forward(plain, x, "tanh")[0], expected, rtol=1e-12, atol=1e-12)


def test_population_state_is_batchnorm1d_with_momentum_none_on_the_layer_inputs():
    model = normalised_nets.normalised_mlp([6, 5, 2], "relu", "batch")
    params, state = model.net.init(np.random.default_rng(4))
    x, _ = data(n=23)
    population = normalised_nets.population_state(model, params, state, x, 5)
    bn = torch.nn.BatchNorm1d(5, momentum=None).double()
    with torch.no_grad():
        for start in range(0, 20, 5):                                   # four full batches; the last 3 rows are left out
            bn(torch.from_numpy(x[start:start + 5] @ params["0.W"].T + params["0.b"]))
    np.testing.assert_allclose(population["1.running_mean"], bn.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(population["1.running_var"], bn.running_var.numpy(), rtol=1e-12)
    assert int(population["1.num_batches_tracked"]) == 4 and int(state["1.num_batches_tracked"]) == 0


def test_batch_dependence_is_zero_for_layer_norm_and_for_one_whole_batch():
    x, _ = data(n=24)
    model, params, state = small("layer")
    assert normalised_nets.batch_dependence(model, params, state, x, 4, np.random.default_rng(5)) == 0.0
    model, params, state = small("batch")
    assert normalised_nets.batch_dependence(model, params, state, x, 24, np.random.default_rng(5)) == 0.0
    assert normalised_nets.batch_dependence(model, params, state, x, 2, np.random.default_rng(5)) > 0.0


def run_probe(probe, model, params, state, x, y):
    _, _, history = normalised_nets.train_sgd(model, params, state, (x, y), 12, 8, 0.1, np.random.default_rng(6),
                                              probe=probe, every=5)
    return history


def test_probes_record_what_the_chapter_plots():
    model, params, state = small("batch", activation="relu")
    x, y = data()
    history = run_probe(normalised_nets.percentiles_probe(model, test_data=(x, y)), model, params, state, x, y)
    percentiles = np.array(history["percentiles"])
    assert percentiles.shape == (3, 3) and np.all(np.diff(percentiles, axis=1) >= 0)
    assert len(history["test_accuracy"]) == 3 and all(0 <= a <= 1 for a in history["test_accuracy"])
    history = run_probe(normalised_nets.landscape_probe(model), model, params, state, x, y)
    low, high = np.array(history["loss_range"]).T
    assert len(low) == 3 and np.all(low <= high) and all(change > 0 for change in history["gradient_change"])
    assert all(shift >= 0 for shift in history["shift"]) and all(-1 <= c <= 1 for c in history["cosine"])


def test_gradient_shift_of_the_first_layer_is_zero_and_loss_variation_starts_at_the_batch_loss():
    """No layer lies below the first, so its gradient does not move; a step of size 0 leaves the loss as it is."""
    model, params, state = small("batch")
    x, y = data()
    assert normalised_nets.gradient_shift(model, params, state, x, y, 0.1, "0.W") == (0.0, pytest.approx(1.0))
    values, changes = normalised_nets.loss_variation(model, params, state, x, y, [0.0, 0.1])
    out = model.net.forward(params, state, x, train=True)[0]
    assert values[0] == pytest.approx(softmax_cross_entropy(out, y)[0], rel=1e-12) and changes[0] == 0.0
    assert changes[1] > 0.0


def test_train_network_is_build_init_train_from_one_seed():
    x, y = data()
    model, params, state, history, final = normalised_nets.train_network([6, 8, 3], "relu", "batch", (x, y), 10, 8,
                                                                         0.1, seed=3)
    assert final == normalised_nets.mean_loss(model, params, state, (x, y)) and len(history["loss"]) == 10
    again = normalised_nets.train_network([6, 8, 3], "relu", "batch", (x, y), 10, 8, 0.1, seed=3)
    assert all(np.array_equal(params[key], again[1][key]) for key in params)
    *_, diverged = normalised_nets.train_network([6, 8, 3], "relu", None, (x, y), 10, 8, 0.1, seed=3,
                                                 weight_scale=1e200)      # the logits overflow
    assert np.isnan(diverged)
