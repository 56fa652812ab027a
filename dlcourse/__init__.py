"""dlcourse: the reference implementations behind the deep-learning course book.

Each module holds one idea; the book chapter it belongs to is named in its docstring.
"""
from . import (activations, adaptive, augmentation, autoencoder, averaging, book, checks, datasets, dropout,
               dropout_experiments, ensembles, fallback, fitting, gradcheck, init, layers, logistic, losses, network,
               normalised_nets, normalization, optim, pca, plotting, regularisation, schedules, sequential, signal,
               stopping, surfaces, training)

__version__ = "0.1.0"

__all__ = ["activations", "adaptive", "augmentation", "autoencoder", "averaging", "book", "checks", "datasets",
           "dropout", "dropout_experiments", "ensembles", "fallback", "fitting", "gradcheck", "init", "layers",
           "logistic", "losses", "network", "normalised_nets", "normalization", "optim", "pca", "plotting",
           "regularisation", "schedules", "sequential", "signal", "stopping", "surfaces", "training", "__version__"]
