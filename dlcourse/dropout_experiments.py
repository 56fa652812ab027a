"""The experiments of chapter 07_dropout, as functions: the notebook shows what they measure, these do the work.

Book: chapter 07_dropout. Every function takes its randomness from an explicit generator or seed, and the
dropout functions it uses (``functions`` = (dropout_mask, dropout_forward, dropout_backward)), so that the
chapter's experiments run on the student's implementations once they pass their tests.

- ``noisy_digits``: the digits split into a small training set whose labels are partly replaced by random
  ones, and clean validation and test sets;
- ``train_dropout_mlp``: a one-hidden-layer ReLU network with dropout on its inputs and hidden units, trained
  with Adam on minibatches, recording training and validation error;
- ``monte_carlo_dropout_loss``: the loss of linear regression under sampled input masks, one value per mask;
- ``sgd_with_dropout``: linear regression trained by SGD with a fresh input mask for every example.
"""
from typing import NamedTuple

import numpy as np

from . import adaptive, datasets, losses, optim
from . import dropout as dr
from . import sequential as sq

__all__ = ["NoisyDigits", "noisy_digits", "classification_error", "error_and_loss", "train_dropout_mlp",
           "monte_carlo_dropout_loss", "sgd_with_dropout"]

REFERENCE = (dr.dropout_mask, dr.dropout_forward, dr.dropout_backward)


class NoisyDigits(NamedTuple):
    """Training data with partly random labels, clean validation and test data, and the true training labels."""

    train: datasets.Dataset
    val: datasets.Dataset
    test: datasets.Dataset
    true_train_labels: np.ndarray


def noisy_digits(rng, n_train=300, n_val=500, relabel=0.3):
    """The digits, shuffled and split; each training label is replaced, with probability ``relabel``, by a label
    drawn uniformly from the 10 classes (so it may stay right by chance).

    Shapes: -> train (n_train, 64), val (n_val, 64), test (the remaining examples).
    """
    digits = datasets.load_digits()
    order = rng.permutation(len(digits.x))
    parts = np.split(order, [n_train, n_train + n_val])
    train, val, test = (datasets.Dataset(digits.x[idx], digits.y[idx].copy()) for idx in parts)
    replaced = rng.random(n_train) < relabel
    train.y[replaced] = rng.integers(0, 10, replaced.sum())
    return NoisyDigits(train, val, test, digits.y[parts[0]])


def classification_error(net, params, data):
    """The fraction of ``data``'s examples that the network, in evaluation mode, classifies wrongly."""
    return float(np.mean(np.argmax(sq.predict(net, params, {}, data.x), axis=1) != data.y))


def error_and_loss(probs, labels):
    """(error in %, mean cross-entropy) of predicted class probabilities.

    Shapes: probs (N, K), labels (N,) -> two floats.
    """
    error = 100.0 * np.mean(np.argmax(probs, axis=1) != labels)
    return float(error), float(-np.mean(np.log(probs[np.arange(len(labels)), labels])))


def train_dropout_mlp(data, p_hidden, p_input=0.2, width=256, steps=700, lr=1e-3, batch_size=50, seed=1,
                      record_every=50, inverted=True, functions=REFERENCE):
    """Train D-width-10 (ReLU) with dropout p_input on the inputs and p_hidden on the hidden units, by Adam on
    minibatches of ``data.train``; every ``record_every`` steps record (training error, validation error).

    Returns (net, params, curve) with curve of shape (steps // record_every, 2); params keyed "1.W", "1.b",
    "4.W", "4.b" (the linear layers come after the dropout layers 0 and 3).
    """
    train, val = data.train, data.val
    mask, forward, backward = functions
    net = sq.sequential(sq.dropout(p_input, inverted, mask, forward, backward), sq.linear(train.x.shape[1], width),
                        sq.activation("relu"), sq.dropout(p_hidden, inverted, mask, forward, backward),
                        sq.linear(width, 10))
    rng = np.random.default_rng(seed)
    params, state = net.init(rng)
    opt = adaptive.adam(lr=lr)
    opt_state = optim.init_params(opt, params)
    curve = []
    for step in range(1, steps + 1):
        batch = rng.choice(len(train.y), batch_size, replace=False)
        _, grads, state = sq.loss_and_grads(net, params, state, train.x[batch], train.y[batch],
                                            losses.softmax_cross_entropy, rng)
        params, opt_state = optim.update_params(opt, params, grads, opt_state)
        if step % record_every == 0:
            curve.append((classification_error(net, params, train), classification_error(net, params, val)))
    return net, params, np.array(curve)


def monte_carlo_dropout_loss(x, y, w, p, n_masks, rng, inverted=True, chunk=1000):
    """(1/2N) sum_n (y_n - s w^T (m_n * x_n))^2 for ``n_masks`` independent sets of masks m (one per example),
    s = 1/(1 - p) if inverted else 1: samples whose mean estimates ``dropout.expected_dropout_loss``.

    Shapes: x (N, D), y (N,), w (D,) -> (n_masks,).
    """
    scale = 1.0 / (1.0 - p) if inverted else 1.0
    samples = []
    for start in range(0, n_masks, chunk):
        masks = rng.random((min(chunk, n_masks - start),) + x.shape) >= p
        samples.append(0.5 * np.mean((y - scale * (masks * x) @ w) ** 2, axis=1))
    return np.concatenate(samples)


def sgd_with_dropout(x, y, p, steps, lr, batch_size, rng, functions=REFERENCE):
    """Linear regression y ~ w^T x trained by SGD on the inverted-dropout loss, a fresh input mask for every
    example of every minibatch; returns the average of the iterates of the second half (Polyak averaging).

    Shapes: x (N, D), y (N,) -> w (D,).
    """
    make_mask, forward = functions[0], functions[1]
    w, average = np.zeros(x.shape[1]), np.zeros(x.shape[1])
    for step in range(steps):
        batch = rng.choice(len(y), batch_size, replace=False)
        dropped = forward(x[batch], make_mask((batch_size, x.shape[1]), p, rng), p, True)[0]
        w = w - lr * dropped.T @ (dropped @ w - y[batch]) / batch_size
        if step >= steps // 2:
            average = average + w / (steps - steps // 2)
    return average
