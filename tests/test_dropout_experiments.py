"""dlcourse.dropout_experiments: the helpers behind chapter 07's experiments do what their docstrings say."""
import numpy as np
import pytest

from dlcourse import datasets
from dlcourse import dropout as dr
from dlcourse import dropout_experiments as dx
from dlcourse.checks.dropout_linear import regression_problem


def test_noisy_digits_relabels_only_the_training_set():
    data = dx.noisy_digits(np.random.default_rng(0), n_train=300, n_val=500, relabel=0.3)
    assert (len(data.train.y), len(data.val.y), len(data.test.y)) == (300, 500, 997)
    digits = datasets.load_digits()
    labels = {x.tobytes(): y for x, y in zip(digits.x, digits.y)}
    for split in (data.val, data.test):
        assert all(labels[x.tobytes()] == y for x, y in zip(split.x, split.y))
    assert all(labels[x.tobytes()] == y for x, y in zip(data.train.x, data.true_train_labels))
    wrong = np.mean(data.train.y != data.true_train_labels)
    assert abs(wrong - 0.3 * 0.9) < 6 * np.sqrt(0.27 * 0.73 / 300)    # replaced, and not by chance the same label


def test_error_and_loss():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    error, loss = dx.error_and_loss(probs, np.array([0, 1]))
    assert error == 50.0 and abs(loss - (-np.log(0.7) - np.log(0.1)) / 2) < 1e-15


def test_training_runs_the_given_functions_and_is_reproducible():
    data = dx.noisy_digits(np.random.default_rng(1), n_train=60, n_val=40)
    calls = {"mask": 0, "forward": 0, "backward": 0}

    def counted(name, function):
        def run(*args):
            calls[name] += 1
            return function(*args)
        return run

    functions = (counted("mask", dr.dropout_mask), counted("forward", dr.dropout_forward),
                 counted("backward", dr.dropout_backward))
    first = dx.train_dropout_mlp(data, 0.5, width=16, steps=20, batch_size=10, record_every=5, functions=functions)
    again = dx.train_dropout_mlp(data, 0.5, width=16, steps=20, batch_size=10, record_every=5)
    assert calls["mask"] == 40 and calls["backward"] == 40 and calls["forward"] >= 40
    assert first[2].shape == (4, 2) and np.all((0 <= first[2]) & (first[2] <= 1))
    assert all(np.array_equal(first[1][key], again[1][key]) for key in first[1])
    assert sorted(first[1]) == ["1.W", "1.b", "4.W", "4.b"]


@pytest.mark.parametrize("inverted", [True, False])
def test_monte_carlo_loss_estimates_the_expected_loss(inverted):
    """The mean of 40,000 samples lies within 6 standard errors of the closed form (fails w.p. < 2e-9)."""
    x, y, w = regression_problem(np.random.default_rng(2), 30, 4)
    samples = dx.monte_carlo_dropout_loss(x, y, w, 0.3, 40000, np.random.default_rng(3), inverted)
    assert samples.shape == (40000,)
    error = abs(samples.mean() - dr.expected_dropout_loss(x, y, w, 0.3, inverted))
    assert error < 6 * samples.std() / np.sqrt(samples.size)


def test_sgd_with_dropout_finds_the_dropout_minimiser():
    x, y, _ = regression_problem(np.random.default_rng(4), 100, 5)
    w = dx.sgd_with_dropout(x, y, 0.5, steps=6000, lr=0.01, batch_size=10, rng=np.random.default_rng(5))
    target = dr.dropout_ridge_solution(x, y, 0.5)
    # SGD's noise leaves a few per cent; least squares, the minimiser without dropout, is 84% away
    assert np.linalg.norm(w - target) < 0.08 * np.linalg.norm(target)
    assert np.linalg.norm(dr.dropout_ridge_solution(x, y, 0.0) - target) > 0.5 * np.linalg.norm(target)
