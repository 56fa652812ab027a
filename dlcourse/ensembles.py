"""Bagging: models trained on bootstrap samples, their predicted probabilities averaged.

Book: chapter 06_regularisation, section "Bagging and ensembles" (Breiman 1996).

A bootstrap sample draws N indices from 0..N-1 uniformly *with* replacement, so an example is left out
with probability (1 - 1/N)^N -> 1/e, and a sample holds about 1 - 1/e = 63.2 % distinct examples.
"""
import numpy as np

__all__ = ["bootstrap_indices", "distinct_fraction", "average_probabilities", "majority_vote"]


def bootstrap_indices(n, n_models, rng):
    """idx[m] = n indices drawn uniformly from 0..n-1 with replacement, independently for each model m.

    Shapes: -> (n_models, n) integers. Randomness only from ``rng`` (an np.random.Generator).
    """
    return rng.integers(0, n, size=(n_models, n))


def distinct_fraction(indices, n):
    """The fraction of 0..n-1 that each row of ``indices`` contains.

    Shapes: indices (S, m) integers -> (S,).
    """
    indices = np.asarray(indices)
    present = np.zeros((len(indices), n), dtype=bool)
    present[np.arange(len(indices))[:, None], indices] = True
    return present.mean(axis=1)


def average_probabilities(probs):
    """p(y | x) = 1/S sum_m p_m(y | x): the ensemble's predictive distribution.

    Shapes: probs (S, N, K), each probs[m] a row-stochastic matrix -> (N, K).
    """
    return np.mean(np.asarray(probs, dtype=float), axis=0)


def majority_vote(probs):
    """The class most members predict (ties to the smallest class index).

    Shapes: probs (S, N, K) -> (N,) integers.
    """
    probs = np.asarray(probs)
    votes = np.argmax(probs, axis=2)
    counts = np.apply_along_axis(np.bincount, 0, votes, minlength=probs.shape[2])
    return np.argmax(counts, axis=0)
