"""dlcourse: the reference implementations behind the deep-learning course book.

Each module holds one idea; the book chapter it belongs to is named in its docstring.
"""
from . import (activations, adaptive, averaging, book, checks, datasets, dropout, fallback, gradcheck, init, layers,
               logistic, losses, network, normalization, optim, plotting, schedules, sequential, signal, surfaces,
               training)

__version__ = "0.1.0"

__all__ = ["activations", "adaptive", "averaging", "book", "checks", "datasets", "dropout", "fallback", "gradcheck",
           "init", "layers", "logistic", "losses", "network", "normalization", "optim", "plotting", "schedules",
           "sequential", "signal", "surfaces", "training", "__version__"]
