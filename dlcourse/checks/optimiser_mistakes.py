"""The known mistakes of chapter 04_optimisers' exercises, as small configurable implementations.

Book: chapter 04_optimisers. ``checks.optimisers`` runs these beside the student's update: when a
wrong trajectory equals one of them, the failure message names the mistake.
"""
import numpy as np

from .. import adaptive as A
from .. import optim as O

__all__ = [
    "WD_MISTAKES", "adadelta_like", "adadelta_mistakes", "adagrad_like", "adagrad_mistakes",
    "adam_like", "adam_mistakes", "momentum_like", "momentum_mistakes", "nesterov_mistakes",
    "old_state", "rmsprop_like", "rmsprop_mistakes",
]


def _gradient(dw, w, weight_decay, wd):
    """g for the weight-decay variants: 'coupled' (torch: dw + wd w), 'minus' (dw - wd w), 'none' or
    'decoupled' (dw)."""
    return {"coupled": dw + weight_decay * w, "minus": dw - weight_decay * w}.get(wd, dw)


def _decay(w, lr, weight_decay, wd):
    """w before the step: shrunk by lr * wd only in the 'decoupled' (AdamW-like) variant."""
    return (1 - lr * weight_decay) * w if wd == "decoupled" else w


def momentum_like(w, dw, state, lr, beta=0.9, weight_decay=0.0, *, nesterov=False, velocity="sum",
                   step_with="new", wd="coupled"):
    """Momentum or Nesterov momentum with one mistake chosen by the keyword arguments."""
    g, v_old = _gradient(dw, w, weight_decay, wd), state.velocity
    if velocity == "lecture":  # v <- beta v - lr g, the velocity includes the learning rate
        v = beta * v_old - lr * g
        return _decay(w, lr, weight_decay, wd) + (beta * v - lr * g if nesterov else v), O.MomentumState(v)
    v = beta * v_old + ((1 - beta) * g if velocity == "average" else g)
    if nesterov:
        step = {"new": g + beta * v, "old": g + beta * v_old, "no gradient": beta * v}[step_with]
    else:
        step = v if step_with == "new" else v_old
    return _decay(w, lr, weight_decay, wd) - lr * step, O.MomentumState(v)


def adagrad_like(w, dw, state, lr=1e-2, eps=1e-10, weight_decay=0.0, *, accumulate=True, eps_inside=False,
                  sqrt=True, old_sum=False, square_dw=False, wd="coupled"):
    """Adagrad with one mistake chosen by the keyword arguments."""
    g = _gradient(dw, w, weight_decay, wd)
    r = (state.sum_sq if accumulate else 0.0) + (dw * dw if square_dw else g * g)
    used = state.sum_sq if old_sum else r
    denominator = np.sqrt(used + eps) if eps_inside else (np.sqrt(used) if sqrt else used) + eps
    return _decay(w, lr, weight_decay, wd) - lr * g / denominator, A.AdagradState(r)


def rmsprop_like(w, dw, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, eps_inside_sqrt=False, *,
                  flip_eps=False, swap=False, add=False, old_average=False, sqrt=True, wd="coupled"):
    """RMSProp with one mistake chosen by the keyword arguments."""
    g = _gradient(dw, w, weight_decay, wd)
    keep = 1 - alpha if swap else alpha
    s = state.square_avg + g * g if add else keep * state.square_avg + (1 - keep) * g * g
    used = state.square_avg if old_average else s
    inside = eps_inside_sqrt != flip_eps
    denominator = np.sqrt(used + eps) if inside else (np.sqrt(used) if sqrt else used) + eps
    return _decay(w, lr, weight_decay, wd) - lr * g / denominator, A.RMSPropState(s)


def adadelta_like(w, dw, state, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, *, delta_first=False,
                   old_average=False, lr_in_delta=False, ignore_lr=False, eps_numerator=True, swap=False,
                   numerator=True, eps_outside=False, wd="coupled"):
    """Adadelta with one mistake chosen by the keyword arguments."""
    g = _gradient(dw, w, weight_decay, wd)
    keep = 1 - rho if swap else rho
    s = keep * state.square_avg + (1 - keep) * g * g
    s_used = state.square_avg if old_average else s
    if eps_outside:
        delta = (np.sqrt(state.acc_delta) + eps) / (np.sqrt(s_used) + eps) * g
    else:
        top = np.sqrt(state.acc_delta + eps) if eps_numerator else np.sqrt(state.acc_delta)
        delta = (top if numerator else 1.0) / np.sqrt(s_used + eps) * g
    tracked = lr * delta if lr_in_delta else delta
    d = keep * state.acc_delta + (1 - keep) * tracked * tracked
    if delta_first:  # acc_delta updated first, then the step computed with the new acc_delta
        delta = np.sqrt(d + eps) / np.sqrt(s_used + eps) * g
    return _decay(w, lr, weight_decay, wd) - (1.0 if ignore_lr else lr) * delta, A.AdadeltaState(s, d)


def adam_like(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, bias_correction=True,
               *, flip_correction=False, correction="power", t_shift=0, correct_m=True, correct_v=True,
               eps_inside=False, eps_hat=False, swap=False, sqrt=True, keep_t=False, double_t=False,
               swap_betas=False, store_hat=False, wd="coupled"):
    """Adam with one mistake chosen by the keyword arguments.

    ``correction`` is the factor m and v are divided by: "power" 1 - beta^t (right), "misprint" 1 - beta,
    "power outside" (1 - beta)^t, "inverse" 1 / (1 - beta^t) (multiplied instead of divided).
    """
    g = _gradient(dw, w, weight_decay, wd)
    beta1, beta2 = (beta2, beta1) if swap_betas else (beta1, beta2)
    b1, b2 = (1 - beta1, 1 - beta2) if swap else (beta1, beta2)
    m, v, t = b1 * state.m + (1 - b1) * g, b2 * state.v + (1 - b2) * g * g, state.t + 1
    k = t + t_shift
    factor = {"power": lambda beta: 1 - beta ** k, "misprint": lambda beta: 1 - beta,
              "power outside": lambda beta: (1 - beta) ** k, "inverse": lambda beta: 1 / (1 - beta ** k)}[correction]
    c1, c2 = (factor(beta1), factor(beta2)) if bias_correction != flip_correction else (1.0, 1.0)
    c1, c2 = (c1 if correct_m else 1.0), (c2 if correct_v else 1.0)
    if eps_hat:  # Kingma & Ba's "efficient" form: eps added to sqrt(v) before the bias correction
        step = lr * np.sqrt(c2) / c1 * m / (np.sqrt(v) + eps)
    elif eps_inside:
        step = lr * (m / c1) / np.sqrt(v / c2 + eps)
    else:
        step = lr * (m / c1) / ((np.sqrt(v / c2) if sqrt else v / c2) + eps)
    if store_hat:
        m, v = m / c1, v / c2
    t_new = state.t if keep_t else t + 1 if double_t else t
    return _decay(w, lr, weight_decay, wd) - step, A.AdamState(m, v, t_new)


WD_MISTAKES = [
    ("the update without weight decay: weight_decay * w must be added to the gradient", {"wd": "none"}),
    ("weight decay applied to w directly (decoupled, as AdamW does) instead of added to the gradient "
     "g = dw + weight_decay * w", {"wd": "decoupled"}),
    ("weight decay with the wrong sign, g = dw - weight_decay * w: the gradient of the penalty "
     "(weight_decay / 2) |w|^2 is + weight_decay * w", {"wd": "minus"}),
]


def momentum_mistakes(hyper):
    return [
        ("the lecture form's velocity v <- beta v - lr g, which includes the learning rate (and a minus "
         "sign): here the state holds torch's velocity v <- beta v + g, and the step is w - lr v",
         {"velocity": "lecture"}),
        ("momentum applied before the velocity update: the step used the old velocity v_(t-1); first "
         "update v <- beta v + g, then step w <- w - lr v with the new v", {"step_with": "old"}),
        ("a running average v <- beta v + (1 - beta) g: momentum adds the whole gradient, v <- beta v + g",
         {"velocity": "average"}),
        ("Nesterov's step w - lr (g + beta v): plain momentum steps by w - lr v", {"nesterov": True}),
    ] + WD_MISTAKES


def nesterov_mistakes(hyper):
    return [
        ("plain momentum, w - lr v (which is also w - lr (g + beta v) with the old velocity v_(t-1)): "
         "Nesterov's step is w - lr (g + beta v) with the new v", {"nesterov": False}),
        ("w - lr beta v without the current gradient: the step is w - lr (g + beta v)",
         {"nesterov": True, "step_with": "no gradient"}),
        ("the lecture form's velocity v <- beta v - lr g, which includes the learning rate: here the state "
         "holds torch's velocity v <- beta v + g", {"nesterov": True, "velocity": "lecture"}),
        ("a running average v <- beta v + (1 - beta) g: momentum adds the whole gradient, v <- beta v + g",
         {"nesterov": True, "velocity": "average"}),
    ] + [(description, {"nesterov": True, **flags}) for description, flags in WD_MISTAKES]


def adagrad_mistakes(hyper):
    return [
        ("only the current g^2 in the denominator: the sum of squared gradients r <- r + g^2 must be "
         "accumulated over all steps and returned in the state", {"accumulate": False}),
        ("eps inside the square root, sqrt(r + eps): torch adds eps outside, sqrt(r) + eps",
         {"eps_inside": True}),
        ("a division by r + eps without the square root", {"sqrt": False}),
        ("the step taken with the sum r of the previous steps: add the current g^2 to r first",
         {"old_sum": True}),
        ("r accumulating dw^2 without the weight decay term: use g = dw + weight_decay * w for both",
         {"square_dw": True}),
    ] + WD_MISTAKES


def rmsprop_mistakes(hyper):
    eps_place = ("eps outside the square root, sqrt(s) + eps, although eps_inside_sqrt=True asks for "
                 "sqrt(s + eps)" if hyper.get("eps_inside_sqrt") else
                 "eps inside the square root, sqrt(s + eps): with eps_inside_sqrt=False (torch's form) "
                 "the denominator is sqrt(s) + eps")
    return [
        (eps_place, {"flip_eps": True}),
        ("alpha and 1 - alpha swapped: s <- alpha s + (1 - alpha) g^2", {"swap": True}),
        ("a sum s + g^2 (that is Adagrad) instead of the decaying average alpha s + (1 - alpha) g^2",
         {"add": True}),
        ("the step taken with the average s of the previous steps: update s first", {"old_average": True}),
        ("a division by s + eps without the square root", {"sqrt": False}),
    ] + WD_MISTAKES


def adadelta_mistakes(hyper):
    return [
        ("acc_delta updated before computing the step: the step must use the acc_delta of the previous "
         "steps, and acc_delta is updated with the new delta afterwards", {"delta_first": True}),
        ("the step taken with the average of g^2 of the previous steps: update square_avg first",
         {"old_average": True}),
        ("acc_delta tracking the scaled step (lr delta)^2: torch's lr only scales the step applied to w, "
         "acc_delta tracks the unscaled delta", {"lr_in_delta": True}),
        ("Zeiler's step without the learning rate (lr = 1): torch's Adadelta multiplies the step by lr",
         {"ignore_lr": True}),
        ("sqrt(acc_delta) without eps in the numerator: acc_delta starts at 0, so the step stays 0",
         {"eps_numerator": False}),
        ("rho and 1 - rho swapped in the running averages", {"swap": True}),
        ("delta = g / sqrt(square_avg + eps), without the RMS of the previous updates sqrt(acc_delta + eps) in "
         "the numerator (that is RMSProp): Adadelta's delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) g",
         {"numerator": False}),
        ("eps outside the square roots, (sqrt(acc_delta) + eps) / (sqrt(square_avg) + eps): Adadelta adds eps "
         "inside both, sqrt(acc_delta + eps) / sqrt(square_avg + eps)", {"eps_outside": True}),
    ] + WD_MISTAKES


def adam_mistakes(hyper):
    correction = ("bias-corrected m and v although bias_correction=False" if hyper.get("bias_correction") is False
                  else "no bias correction: divide m by 1 - beta1^t and v by 1 - beta2^t")
    return [
        (correction, {"flip_correction": True}),
        ("the bias correction 1 - beta instead of 1 - beta^t (a misprint in some lecture notes)",
         {"correction": "misprint"}),
        ("the bias correction (1 - beta)^t instead of 1 - beta^t: the weights (1 - beta) beta^(t-k) of the "
         "average sum to 1 - beta^t", {"correction": "power outside"}),
        ("m and v multiplied by 1 - beta^t: divide by it to undo the bias towards 0", {"correction": "inverse"}),
        ("m not bias-corrected: m_hat = m / (1 - beta1^t)", {"correct_m": False}),
        ("the bias correction computed with t = 0 at the first update (a division by 1 - beta^0 = 0): t "
         "counts the updates, so increment it first: t = 1 at the first update", {"t_shift": -1}),
        ("the bias correction one step ahead, 1 - beta^(t+1): t is 1 at the first update", {"t_shift": 1}),
        ("t never incremented in the returned state: return AdamState(m, v, t + 1)", {"keep_t": True}),
        ("t incremented twice (once for the bias correction, once more in the returned state): t grows by 1 "
         "per update", {"double_t": True}),
        ("v not bias-corrected: v_hat = v / (1 - beta2^t)", {"correct_v": False}),
        ("eps inside the square root, sqrt(v_hat + eps): torch uses sqrt(v_hat) + eps", {"eps_inside": True}),
        ("eps added to sqrt(v) before the bias correction (Kingma & Ba's 'efficient' form with eps_hat): "
         "torch adds eps to sqrt(v_hat)", {"eps_hat": True}),
        ("beta and 1 - beta swapped in the running averages: m <- beta1 m + (1 - beta1) g", {"swap": True}),
        ("beta1 and beta2 swapped: m <- beta1 m + (1 - beta1) g averages the gradients, v <- beta2 v + "
         "(1 - beta2) g^2 their squares", {"swap_betas": True}),
        ("the bias-corrected m_hat and v_hat stored in the state: the state keeps the raw averages m and v, "
         "the correction only enters the step", {"store_hat": True}),
        ("a division by v_hat + eps without the square root", {"sqrt": False}),
    ] + WD_MISTAKES


def old_state(reference):
    """The reference step that returns the state it was given instead of the new one."""
    def update(w, dw, state, *args, **hyper):
        return reference(w, dw, state, *args, **hyper)[0], state
    return update
