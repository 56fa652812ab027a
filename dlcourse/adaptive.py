"""Adaptive learning-rate methods as pure init/update pairs: Adagrad, RMSProp, Adadelta, Adam and relatives.

Book: chapter 04_optimisers, sections "Adagrad" to "Adam and its relatives".
Same conventions as ``dlcourse.optim``: ``<name>_init(w) -> state`` and
``<name>_update(w, dw, state, lr, ...) -> (w_new, state_new)`` never modify their inputs; g = dw +
weight_decay w is torch's coupled (L2) weight decay, except in AdamW; squares, square roots and
divisions are elementwise; defaults and algorithms are those of ``torch.optim``. Where the literature
writes an algorithm differently from torch, the docstring says how, and tests/test_optim_torch.py checks
the relation. Step counts t start at 0 in the state and are 1 at the first update, so bias corrections
read 1 - beta^t with t = 1, 2, ...

Not offered (torch options that are off by default): Adagrad's ``lr_decay`` (use
``schedules.inverse_time_decay``, which is the same thing), RMSProp's ``momentum`` and ``centered``,
NAdam's ``decoupled_weight_decay``, and ``maximize`` / ``foreach`` / ``capturable`` everywhere.
"""
from functools import partial
from typing import NamedTuple

import numpy as np

from .optim import Optimizer, _decayed

__all__ = [
    "AdagradState", "adagrad_init", "adagrad_update", "adagrad",
    "RMSPropState", "rmsprop_init", "rmsprop_update", "rmsprop",
    "AdadeltaState", "adadelta_init", "adadelta_update", "adadelta",
    "AdamState", "adam_init", "adam_update", "adam", "adamw_update", "adamw",
    "AMSGradState", "amsgrad_init", "amsgrad_update", "amsgrad",
    "AdaMaxState", "adamax_init", "adamax_update", "adamax",
    "NAdamState", "nadam_init", "nadam_update", "nadam",
]


def _ema(average, value, decay):
    """decay * average + (1 - decay) * value, the running average every method here keeps."""
    return decay * average + (1 - decay) * value


# ---------------------------------------------------------------- Adagrad (Duchi et al. 2011)


class AdagradState(NamedTuple):
    """r: the sum of squared gradients so far, shaped like w."""

    sum_sq: np.ndarray


def adagrad_init(w, initial_accumulator_value=0.0):
    """r = initial_accumulator_value (0 by default, as in torch).

    Shapes: w -> AdagradState(sum_sq shaped like w).
    """
    return AdagradState(np.full_like(w, initial_accumulator_value, dtype=np.result_type(w, float)))


def adagrad_update(w, dw, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    """r <- r + g^2,  w <- w - lr g / (sqrt(r) + eps)   (torch.optim.Adagrad).

    Shapes: w, dw same shape -> (w_new, AdagradState). Book: 04_optimisers, "Adagrad".
    """
    g = _decayed(dw, w, weight_decay)
    r = state.sum_sq + g * g
    return w - lr * g / (np.sqrt(r) + eps), AdagradState(r)


def adagrad(lr=1e-2, eps=1e-10, weight_decay=0.0, initial_accumulator_value=0.0):
    """Optimizer for Adagrad: r <- r + g^2, w <- w - lr g / (sqrt(r) + eps).

    Shapes: per array, see ``adagrad_update``. Book: 04_optimisers.
    """
    return Optimizer(partial(adagrad_init, initial_accumulator_value=initial_accumulator_value),
                     partial(adagrad_update, lr=lr, eps=eps, weight_decay=weight_decay))


# ---------------------------------------------------------------- RMSProp (Tieleman & Hinton 2012)


class RMSPropState(NamedTuple):
    """s: the running average of squared gradients, shaped like w."""

    square_avg: np.ndarray


def rmsprop_init(w):
    """s = 0.

    Shapes: w -> RMSPropState(square_avg shaped like w).
    """
    return RMSPropState(np.zeros_like(w, dtype=np.result_type(w, float)))


def rmsprop_update(w, dw, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, eps_inside_sqrt=False):
    """s <- alpha s + (1 - alpha) g^2,  w <- w - lr g / (sqrt(s) + eps)   (torch.optim.RMSprop).

    Shapes: w, dw same shape -> (w_new, RMSPropState). Book: 04_optimisers, "RMSProp".
    ``eps_inside_sqrt=True`` gives the form some notes (and TensorFlow's RMSprop) write,
    w <- w - lr g / sqrt(s + eps). For the same s the two denominators obey
    0 <= (sqrt(s) + e) - sqrt(s + e^2) < e: the inside form with eps = e^2 differs from torch's
    with eps = e by less than e in the denominator, while with the same eps it divides by
    sqrt(eps) (1e-4 for eps = 1e-8) instead of eps where s is tiny, and takes much smaller steps there.
    """
    g = _decayed(dw, w, weight_decay)
    s = _ema(state.square_avg, g * g, alpha)
    denominator = np.sqrt(s + eps) if eps_inside_sqrt else np.sqrt(s) + eps
    return w - lr * g / denominator, RMSPropState(s)


def rmsprop(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, eps_inside_sqrt=False):
    """Optimizer for RMSProp: s <- alpha s + (1 - alpha) g^2, w <- w - lr g / (sqrt(s) + eps).

    Shapes: per array, see ``rmsprop_update``. Book: 04_optimisers.
    """
    return Optimizer(rmsprop_init, partial(rmsprop_update, lr=lr, alpha=alpha, eps=eps,
                                           weight_decay=weight_decay, eps_inside_sqrt=eps_inside_sqrt))


# ---------------------------------------------------------------- Adadelta (Zeiler 2012)


class AdadeltaState(NamedTuple):
    """s: running average of g^2; d: running average of the squared (unscaled) steps delta^2."""

    square_avg: np.ndarray
    acc_delta: np.ndarray


def adadelta_init(w):
    """s = 0, d = 0.

    Shapes: w -> AdadeltaState(square_avg, acc_delta, both shaped like w).
    """
    zeros = np.zeros_like(w, dtype=np.result_type(w, float))
    return AdadeltaState(zeros, zeros.copy())


def adadelta_update(w, dw, state, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    """s <- rho s + (1-rho) g^2,  delta = sqrt(d + eps) / sqrt(s + eps) g,  d <- rho d + (1-rho) delta^2,
    w <- w - lr delta   (torch.optim.Adadelta).

    Shapes: w, dw same shape -> (w_new, AdadeltaState). Book: 04_optimisers, "Adadelta".
    Zeiler's algorithm has no learning rate: it is lr = 1, torch's default. torch's lr only scales the
    step applied to w; the running average d still tracks the unscaled delta, so for gradients that do
    not depend on w the state is the same for every lr and w_t - w_0 is proportional to lr.
    """
    g = _decayed(dw, w, weight_decay)
    s = _ema(state.square_avg, g * g, rho)
    delta = np.sqrt(state.acc_delta + eps) / np.sqrt(s + eps) * g
    d = _ema(state.acc_delta, delta * delta, rho)
    return w - lr * delta, AdadeltaState(s, d)


def adadelta(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    """Optimizer for Adadelta (Zeiler 2012 when lr = 1).

    Shapes: per array, see ``adadelta_update``. Book: 04_optimisers.
    """
    return Optimizer(adadelta_init, partial(adadelta_update, lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))


# ---------------------------------------------------------------- Adam (Kingma & Ba 2015) and AdamW


class AdamState(NamedTuple):
    """m, v: running averages of g and g^2 (shaped like w); t: number of updates done so far."""

    m: np.ndarray
    v: np.ndarray
    t: int


def adam_init(w):
    """m = 0, v = 0, t = 0.

    Shapes: w -> AdamState(m, v shaped like w, t = 0).
    """
    zeros = np.zeros_like(w, dtype=np.result_type(w, float))
    return AdamState(zeros, zeros.copy(), 0)


def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    """m <- b1 m + (1-b1) g,  v <- b2 v + (1-b2) g^2,  t <- t+1,
    w <- w - lr m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1^t),  v_hat = v / (1 - b2^t)   (torch Adam).

    Shapes: w, dw same shape -> (w_new, AdamState). Book: 04_optimisers, "Adam".
    ``bias_correction=False`` uses m and v themselves (the classic mistake, for the book's experiment):
    at t = 1, with eps = 0, its step is (1 - b1) / sqrt(1 - b2) times the corrected one, about 3.16 for
    the defaults.
    """
    g = _decayed(dw, w, weight_decay)
    m, v, t = _ema(state.m, g, beta1), _ema(state.v, g * g, beta2), state.t + 1
    m_hat, v_hat = (m / (1 - beta1 ** t), v / (1 - beta2 ** t)) if bias_correction else (m, v)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), AdamState(m, v, t)


def adam(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, bias_correction=True):
    """Optimizer for Adam with bias correction (torch.optim.Adam).

    Shapes: per array, see ``adam_update``. Book: 04_optimisers.
    """
    return Optimizer(adam_init, partial(adam_update, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
                                        weight_decay=weight_decay, bias_correction=bias_correction))


def adamw_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    """w <- (1 - lr weight_decay) w, then Adam's step with g = dw   (Loshchilov & Hutter 2019, torch AdamW).

    Shapes: w, dw same shape -> (w_new, AdamState). Book: 06_regularisation, "Weight decay is not L2".
    Decoupled weight decay: the decay does not pass through m and v, so it is not rescaled per coordinate.
    """
    return adam_update((1 - lr * weight_decay) * w, dw, state, lr, beta1, beta2, eps)


def adamw(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    """Optimizer for AdamW (decoupled weight decay, torch's default weight_decay = 1e-2).

    Shapes: per array, see ``adamw_update``. Book: 06_regularisation.
    """
    return Optimizer(adam_init, partial(adamw_update, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
                                        weight_decay=weight_decay))


# ---------------------------------------------------------------- AMSGrad (Reddi et al. 2018)


class AMSGradState(NamedTuple):
    """Adam's m, v, t and v_max, the elementwise maximum of every v so far."""

    m: np.ndarray
    v: np.ndarray
    v_max: np.ndarray
    t: int


def amsgrad_init(w):
    """m = v = v_max = 0, t = 0.

    Shapes: w -> AMSGradState(m, v, v_max shaped like w, t = 0).
    """
    m, v, _ = adam_init(w)
    return AMSGradState(m, v, v.copy(), 0)


def amsgrad_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    """Adam's m, v, t;  v_max <- max(v_max, v),  w <- w - lr m_hat / (sqrt(v_max / (1 - b2^t)) + eps)
    (torch.optim.Adam(amsgrad=True)).

    Shapes: w, dw same shape -> (w_new, AMSGradState). Book: 04_optimisers, "AMSGrad".
    The denominator never shrinks. Reddi et al. write it without bias correction; torch (and we)
    correct m and v_max as Adam corrects m and v.
    """
    g = _decayed(dw, w, weight_decay)
    m, v, t = _ema(state.m, g, beta1), _ema(state.v, g * g, beta2), state.t + 1
    v_max = np.maximum(state.v_max, v)
    step = lr * (m / (1 - beta1 ** t)) / (np.sqrt(v_max / (1 - beta2 ** t)) + eps)
    return w - step, AMSGradState(m, v, v_max, t)


def amsgrad(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    """Optimizer for AMSGrad (torch.optim.Adam with amsgrad=True).

    Shapes: per array, see ``amsgrad_update``. Book: 04_optimisers.
    """
    return Optimizer(amsgrad_init, partial(amsgrad_update, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
                                           weight_decay=weight_decay))


# ---------------------------------------------------------------- AdaMax (Kingma & Ba 2015, section 7)


class AdaMaxState(NamedTuple):
    """m: running average of g; u: exponentially weighted infinity norm of g; t: updates so far."""

    m: np.ndarray
    u: np.ndarray
    t: int


def adamax_init(w):
    """m = 0, u = 0, t = 0.

    Shapes: w -> AdaMaxState(m, u shaped like w, t = 0).
    """
    m, u, _ = adam_init(w)
    return AdaMaxState(m, u, 0)


def adamax_update(w, dw, state, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    """m <- b1 m + (1-b1) g,  u <- max(b2 u, |g| + eps),  t <- t+1,  w <- w - lr / (1 - b1^t) m / u
    (torch.optim.Adamax).

    Shapes: w, dw same shape -> (w_new, AdaMaxState). Book: 04_optimisers, "AdaMax".
    Kingma & Ba write u <- max(b2 u, |g|) without eps; torch adds eps inside the max, so u > 0 always.
    """
    g = _decayed(dw, w, weight_decay)
    m, t = _ema(state.m, g, beta1), state.t + 1
    u = np.maximum(beta2 * state.u, np.abs(g) + eps)
    return w - lr / (1 - beta1 ** t) * m / u, AdaMaxState(m, u, t)


def adamax(lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    """Optimizer for AdaMax (torch.optim.Adamax).

    Shapes: per array, see ``adamax_update``. Book: 04_optimisers.
    """
    return Optimizer(adamax_init, partial(adamax_update, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
                                          weight_decay=weight_decay))


# ---------------------------------------------------------------- NAdam (Dozat 2016)


class NAdamState(NamedTuple):
    """Adam's m, v, t and mu_product = mu_1 mu_2 ... mu_t, the product of the momentum schedule."""

    m: np.ndarray
    v: np.ndarray
    mu_product: float
    t: int


def nadam_init(w):
    """m = v = 0, mu_product = 1, t = 0.

    Shapes: w -> NAdamState(m, v shaped like w, mu_product = 1.0, t = 0).
    """
    m, v, _ = adam_init(w)
    return NAdamState(m, v, 1.0, 0)


def nadam_update(w, dw, state, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                 momentum_decay=4e-3):
    """mu_t = b1 (1 - 0.96^(t psi) / 2),  P_t = mu_1...mu_t,  m, v as in Adam,  D = sqrt(v / (1 - b2^t)) + eps,
    w <- w - lr (1 - mu_t) / (1 - P_t) g / D - lr mu_{t+1} / (1 - P_t mu_{t+1}) m / D   (torch.optim.NAdam).

    Shapes: w, dw same shape -> (w_new, NAdamState). Book: 04_optimisers, "NAdam".
    psi = momentum_decay. Nesterov's look-ahead applied to Adam's first moment: the current gradient
    enters with the current momentum coefficient, the running average with the next one.
    """
    g = _decayed(dw, w, weight_decay)
    m, v, t = _ema(state.m, g, beta1), _ema(state.v, g * g, beta2), state.t + 1
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    mu_product = state.mu_product * mu
    denominator = np.sqrt(v / (1 - beta2 ** t)) + eps
    step = (lr * (1 - mu) / (1 - mu_product) * g + lr * mu_next / (1 - mu_product * mu_next) * m) / denominator
    return w - step, NAdamState(m, v, mu_product, t)


def nadam(lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, momentum_decay=4e-3):
    """Optimizer for NAdam (torch.optim.NAdam).

    Shapes: per array, see ``nadam_update``. Book: 04_optimisers.
    """
    return Optimizer(nadam_init, partial(nadam_update, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
                                         weight_decay=weight_decay, momentum_decay=momentum_decay))
