"""Chapter 04_optimisers: mistakes students make, and correct implementations unlike the instructor's.

Each function is notebook code for one exercise (see dlcourse.grading.library): it may use what the
chapter's first cell imports (np, MomentumState, AdagradState, RMSPropState, AdadeltaState, AdamState, ...),
never the reference of its own exercise. The state conventions are the docstrings': MomentumState holds
torch's velocity v <- beta v + g (not the lecture form's), AdamState's t counts the updates taken (an int), every
array is a float ndarray shaped like w, the parameters keep the exercise's order (the experiments pass them by
position), and no update may modify w, dw or the state it is given.

Entries marked "(issue 8)" are mistakes that the checks let through (visible and hidden tests) before they held the
whole contract: a list where an array is promised, a float step count, a flag combined with weight decay, the
parameter order.
"""
import math  # noqa: F401 (the notebook code below imports what it uses; this keeps linters quiet)

import numpy as np  # noqa: F401

from dlcourse.adaptive import AdadeltaState, AdagradState, AdamState, RMSPropState  # noqa: F401
from dlcourse.grading.library import correct, mistake
from dlcourse.optim import MomentumState  # noqa: F401

# ---------------------------------------------------------------------- momentum_update


@mistake("momentum_update", "lecture form v <- beta v - lr g stored in the state", "the lecture form's velocity")
def momentum_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    g = dw + weight_decay * w
    v = beta * state.velocity - lr * g
    return w + v, MomentumState(v)


@mistake("momentum_update", "step with the old velocity, then the velocity update",
         "momentum applied before the velocity update")
def momentum_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    g = dw + weight_decay * w
    w_new = w - lr * state.velocity
    velocity = beta * state.velocity + g
    return w_new, MomentumState(velocity)


@mistake("momentum_update", "running average (1 - beta) g", "a running average v <- beta v + (1 - beta) g")
def momentum_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    g = dw + weight_decay * w
    velocity = beta * state.velocity + (1 - beta) * g
    return w - lr * velocity, MomentumState(velocity)


@mistake("momentum_update", "Nesterov's step instead of the heavy ball", "Nesterov's step")
def momentum_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    g = dw + weight_decay * w
    velocity = beta * state.velocity + g
    return w - lr * (g + beta * velocity), MomentumState(velocity)


@mistake("momentum_update", "weight decay forgotten", "the update without weight decay")
def momentum_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    velocity = beta * state.velocity + dw
    return w - lr * velocity, MomentumState(velocity)


@mistake("momentum_update", "weight decay added after the momentum step", "decoupled")
def momentum_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    velocity = beta * state.velocity + dw
    return w - lr * velocity - lr * weight_decay * w, MomentumState(velocity)


@mistake("momentum_update", "weight decay with the wrong sign", "weight decay with the wrong sign")
def momentum_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    g = dw - weight_decay * w
    velocity = beta * state.velocity + g
    return w - lr * velocity, MomentumState(velocity)


@mistake("momentum_update", "velocity updated in place", "changed its input state.velocity in place")
def momentum_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    velocity = state.velocity
    velocity *= beta
    velocity += dw + weight_decay * w
    return w - lr * velocity, MomentumState(velocity)


@mistake("momentum_update", "returns the old state", "the old state returned unchanged")
def momentum_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    velocity = beta * state.velocity + dw + weight_decay * w
    return w - lr * velocity, state



@mistake("momentum_update", "a plain tuple as the state", "the new state should be a MomentumState")
def momentum_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    velocity = beta * state.velocity + dw + weight_decay * w
    return w - lr * velocity, (velocity,)


@mistake("momentum_update", "only w returned", "should return a tuple (w_new, state_new)")
def momentum_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    velocity = beta * state.velocity + dw + weight_decay * w
    return w - lr * velocity


@mistake("momentum_update", "(issue 8) w_new built as a list of rows", "the new w should be a numpy array")
def momentum_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    velocity = beta * state.velocity + dw + weight_decay * w
    return [row - lr * v_row for row, v_row in zip(w, velocity)], MomentumState(velocity)


@mistake("momentum_update", "(issue 8) weight_decay before beta in the signature", "passed by position")
def momentum_update(w, dw, state, lr, weight_decay=0.0, beta=0.9):
    velocity = beta * state.velocity + dw + weight_decay * w
    return w - lr * velocity, MomentumState(velocity)


@mistake("momentum_update", "dw edited in place to add the weight decay", "changed its input dw in place")
def momentum_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    if weight_decay:
        dw += weight_decay * w
    velocity = beta * state.velocity + dw
    return w - lr * velocity, MomentumState(velocity)


@correct("momentum_update", "lecture form inside, converted back to torch's velocity")
def momentum_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    lecture_v = beta * (-lr * state.velocity) - lr * (dw + weight_decay * w)   # v~ = -lr v
    return w + lecture_v, MomentumState(-lecture_v / lr)


@correct("momentum_update", "in-place arithmetic on copies")
def momentum_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    velocity = state.velocity.copy()
    velocity *= beta
    velocity += dw
    velocity += weight_decay * w
    w_new = w.copy()
    w_new -= lr * velocity
    return w_new, MomentumState(velocity)


@correct("momentum_update", "float32")
def momentum_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    w32, dw32, v32 = (np.asarray(a, dtype=np.float32) for a in (w, dw, state.velocity))
    velocity = np.float32(beta) * v32 + dw32 + np.float32(weight_decay) * w32
    return w32 - np.float32(lr) * velocity, MomentumState(velocity)


@correct("momentum_update", "a loop over the entries")
def momentum_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    w_new, velocity = np.zeros(w.shape), np.zeros(w.shape)
    for i in np.ndindex(w.shape):
        velocity[i] = beta * state.velocity[i] + dw[i] + weight_decay * w[i]
        w_new[i] = w[i] - lr * velocity[i]
    return w_new, MomentumState(velocity)


# ---------------------------------------------------------------------- nesterov_update


@mistake("nesterov_update", "plain momentum, no look-ahead", "plain momentum, w - lr v")
def nesterov_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    g = dw + weight_decay * w
    velocity = beta * state.velocity + g
    return w - lr * velocity, MomentumState(velocity)


@mistake("nesterov_update", "look-ahead with the old velocity", "plain momentum")
def nesterov_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    g = dw + weight_decay * w
    w_new = w - lr * (g + beta * state.velocity)
    return w_new, MomentumState(beta * state.velocity + g)


@mistake("nesterov_update", "no gradient in the step", "without the current gradient")
def nesterov_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    g = dw + weight_decay * w
    velocity = beta * state.velocity + g
    return w - lr * beta * velocity, MomentumState(velocity)


@mistake("nesterov_update", "lecture form velocity in the state", "the lecture form's velocity")
def nesterov_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    g = dw + weight_decay * w
    v = beta * state.velocity - lr * g
    return w + beta * v - lr * g, MomentumState(v)


@mistake("nesterov_update", "running average (1 - beta) g", "a running average v <- beta v + (1 - beta) g")
def nesterov_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    g = dw + weight_decay * w
    velocity = beta * state.velocity + (1 - beta) * g
    return w - lr * (g + beta * velocity), MomentumState(velocity)


@mistake("nesterov_update", "weight decay forgotten", "the update without weight decay")
def nesterov_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    velocity = beta * state.velocity + dw
    return w - lr * (dw + beta * velocity), MomentumState(velocity)


@mistake("nesterov_update", "weight decay subtracted", "weight decay with the wrong sign")
def nesterov_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    g = dw - weight_decay * w
    velocity = beta * state.velocity + g
    return w - lr * (g + beta * velocity), MomentumState(velocity)


@mistake("nesterov_update", "velocity updated in place", "changed its input state.velocity in place")
def nesterov_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    g = dw + weight_decay * w
    state.velocity[:] = beta * state.velocity + g
    return w - lr * (g + beta * state.velocity), state


@mistake("nesterov_update", "a double loop that assumes a matrix w", "raised IndexError")
def nesterov_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    w_new, velocity = np.zeros(w.shape), np.zeros(w.shape)
    for i in range(w.shape[0]):
        for j in range(w.shape[1]):
            g = dw[i, j] + weight_decay * w[i, j]
            velocity[i, j] = beta * state.velocity[i, j] + g
            w_new[i, j] = w[i, j] - lr * (g + beta * velocity[i, j])
    return w_new, MomentumState(velocity)



@mistake("nesterov_update", "the state never updated", "the old state returned unchanged")
def nesterov_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    g = dw + weight_decay * w
    velocity = beta * state.velocity + g
    return w - lr * (g + beta * velocity), state


@mistake("nesterov_update", "the velocity stored as a list", "state.velocity should be a numpy array")
def nesterov_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    g = dw + weight_decay * w
    velocity = beta * state.velocity + g
    return w - lr * (g + beta * velocity), MomentumState(velocity.tolist())


@correct("nesterov_update", "a loop over the entries of any shape")
def nesterov_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    w_new, velocity = np.empty(w.shape), np.empty(w.shape)
    for i in np.ndindex(w.shape):
        g = dw[i] + weight_decay * w[i]
        velocity[i] = beta * state.velocity[i] + g
        w_new[i] = w[i] - lr * (g + beta * velocity[i])
    return w_new, MomentumState(velocity)


@correct("nesterov_update", "expanded step (1 + beta) g + beta^2 v_old")
def nesterov_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    g = np.add(dw, weight_decay * w)
    w_new = w - lr * ((1 + beta) * g + beta ** 2 * state.velocity)
    return w_new, MomentumState(beta * state.velocity + g)


@correct("nesterov_update", "heavy-ball step plus beta times the change of velocity")
def nesterov_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    g = dw + weight_decay * w
    velocity = beta * state.velocity + g
    return w - lr * (velocity + beta * (velocity - state.velocity)), MomentumState(velocity)


@correct("nesterov_update", "float32")
def nesterov_update(w, dw, state, lr, beta=0.9, weight_decay=0.0):
    w32 = w.astype(np.float32)
    g = dw.astype(np.float32) + np.float32(weight_decay) * w32
    velocity = np.float32(beta) * state.velocity.astype(np.float32) + g
    return w32 - np.float32(lr) * (g + np.float32(beta) * velocity), MomentumState(velocity)


# ---------------------------------------------------------------------- adagrad_update


@mistake("adagrad_update", "squares not accumulated", "only the current g^2 in the denominator")
def adagrad_update(w, dw, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    g = dw + weight_decay * w
    sum_sq = g ** 2
    return w - lr * g / (np.sqrt(sum_sq) + eps), AdagradState(sum_sq)


@mistake("adagrad_update", "eps inside the square root", "eps inside the square root")
def adagrad_update(w, dw, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    g = dw + weight_decay * w
    sum_sq = state.sum_sq + g ** 2
    return w - lr * g / np.sqrt(sum_sq + eps), AdagradState(sum_sq)


@mistake("adagrad_update", "no square root", "without the square root")
def adagrad_update(w, dw, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    g = dw + weight_decay * w
    sum_sq = state.sum_sq + g ** 2
    return w - lr * g / (sum_sq + eps), AdagradState(sum_sq)


@mistake("adagrad_update", "step before accumulating", "the sum r of the previous steps")
def adagrad_update(w, dw, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    g = dw + weight_decay * w
    w_new = w - lr * g / (np.sqrt(state.sum_sq) + eps)
    return w_new, AdagradState(state.sum_sq + g ** 2)


@mistake("adagrad_update", "sum of dw^2, weight decay only in the step", "r accumulating dw^2")
def adagrad_update(w, dw, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    sum_sq = state.sum_sq + dw ** 2
    g = dw + weight_decay * w
    return w - lr * g / (np.sqrt(sum_sq) + eps), AdagradState(sum_sq)


@mistake("adagrad_update", "weight decay forgotten", "the update without weight decay")
def adagrad_update(w, dw, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    sum_sq = state.sum_sq + dw ** 2
    return w - lr * dw / (np.sqrt(sum_sq) + eps), AdagradState(sum_sq)


@mistake("adagrad_update", "weight decay added after the adaptive step", "decoupled")
def adagrad_update(w, dw, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    sum_sq = state.sum_sq + dw ** 2
    return w - lr * dw / (np.sqrt(sum_sq) + eps) - lr * weight_decay * w, AdagradState(sum_sq)


@mistake("adagrad_update", "sum updated in place with +=", "changed its input state.sum_sq in place")
def adagrad_update(w, dw, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    g = dw + weight_decay * w
    sum_sq = state.sum_sq
    sum_sq += g ** 2
    return w - lr * g / (np.sqrt(sum_sq) + eps), AdagradState(sum_sq)


@mistake("adagrad_update", "w updated in place with -=", "changed its input w in place")
def adagrad_update(w, dw, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    g = dw + weight_decay * w
    sum_sq = state.sum_sq + g * g
    w -= lr * g / (np.sqrt(sum_sq) + eps)
    return w, AdagradState(sum_sq)



@mistake("adagrad_update", "(issue 8) the sum of squares returned as a list", "state.sum_sq should be a numpy array")
def adagrad_update(w, dw, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    g = dw + weight_decay * w
    sum_sq = state.sum_sq + g * g
    return w - lr * g / (np.sqrt(sum_sq) + eps), AdagradState(sum_sq.tolist())


@correct("adagrad_update", "float32")
def adagrad_update(w, dw, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    w32 = w.astype(np.float32)
    g = dw.astype(np.float32) + np.float32(weight_decay) * w32
    sum_sq = state.sum_sq.astype(np.float32) + g * g
    return w32 - np.float32(lr) * g / (np.sqrt(sum_sq) + np.float32(eps)), AdagradState(sum_sq)


@correct("adagrad_update", "eps * np.ones_like, learning rate divided first")
def adagrad_update(w, dw, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    g = dw + weight_decay * w
    sum_sq = np.square(g) + state.sum_sq
    denominator = np.sqrt(sum_sq) + eps * np.ones_like(sum_sq)
    return w - g * (lr / denominator), AdagradState(sum_sq)


@correct("adagrad_update", "sqrt(r + g^2) as np.hypot")
def adagrad_update(w, dw, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    g = dw + weight_decay * w
    root = np.hypot(np.sqrt(state.sum_sq), g)
    return w - lr * g / (root + eps), AdagradState(root ** 2)


@correct("adagrad_update", "a loop with math.sqrt")
def adagrad_update(w, dw, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    import math
    w_new, sum_sq = np.empty(w.shape), np.empty(w.shape)
    for i in np.ndindex(w.shape):
        g = dw[i] + weight_decay * w[i]
        sum_sq[i] = state.sum_sq[i] + g * g
        w_new[i] = w[i] - lr * g / (math.sqrt(sum_sq[i]) + eps)
    return w_new, AdagradState(sum_sq)


# ---------------------------------------------------------------------- rmsprop_update


@mistake("rmsprop_update", "eps always inside the square root (flag ignored)", "eps inside the square root")
def rmsprop_update(w, dw, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, eps_inside_sqrt=False):
    g = dw + weight_decay * w
    square_avg = alpha * state.square_avg + (1 - alpha) * g ** 2
    return w - lr * g / np.sqrt(square_avg + eps), RMSPropState(square_avg)


@mistake("rmsprop_update", "eps always outside the square root (flag ignored)", "eps outside the square root")
def rmsprop_update(w, dw, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, eps_inside_sqrt=False):
    g = dw + weight_decay * w
    square_avg = alpha * state.square_avg + (1 - alpha) * g ** 2
    return w - lr * g / (np.sqrt(square_avg) + eps), RMSPropState(square_avg)


@mistake("rmsprop_update", "the two eps forms swapped", "eps inside the square root")
def rmsprop_update(w, dw, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, eps_inside_sqrt=False):
    g = dw + weight_decay * w
    square_avg = alpha * state.square_avg + (1 - alpha) * g ** 2
    if eps_inside_sqrt:
        denominator = np.sqrt(square_avg) + eps
    else:
        denominator = np.sqrt(square_avg + eps)
    return w - lr * g / denominator, RMSPropState(square_avg)


@mistake("rmsprop_update", "alpha and 1 - alpha swapped", "alpha and 1 - alpha swapped")
def rmsprop_update(w, dw, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, eps_inside_sqrt=False):
    g = dw + weight_decay * w
    square_avg = (1 - alpha) * state.square_avg + alpha * g ** 2
    denominator = np.sqrt(square_avg + eps) if eps_inside_sqrt else np.sqrt(square_avg) + eps
    return w - lr * g / denominator, RMSPropState(square_avg)


@mistake("rmsprop_update", "Adagrad's sum s + g^2", "a sum s + g^2")
def rmsprop_update(w, dw, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, eps_inside_sqrt=False):
    g = dw + weight_decay * w
    square_avg = state.square_avg + g ** 2
    denominator = np.sqrt(square_avg + eps) if eps_inside_sqrt else np.sqrt(square_avg) + eps
    return w - lr * g / denominator, RMSPropState(square_avg)


@mistake("rmsprop_update", "step with the old average", "the average s of the previous steps")
def rmsprop_update(w, dw, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, eps_inside_sqrt=False):
    g = dw + weight_decay * w
    s = state.square_avg
    denominator = np.sqrt(s + eps) if eps_inside_sqrt else np.sqrt(s) + eps
    return w - lr * g / denominator, RMSPropState(alpha * s + (1 - alpha) * g ** 2)


@mistake("rmsprop_update", "weight decay forgotten", "the update without weight decay")
def rmsprop_update(w, dw, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, eps_inside_sqrt=False):
    square_avg = alpha * state.square_avg + (1 - alpha) * dw ** 2
    denominator = np.sqrt(square_avg + eps) if eps_inside_sqrt else np.sqrt(square_avg) + eps
    return w - lr * dw / denominator, RMSPropState(square_avg)


@mistake("rmsprop_update", "returns the old state", "the old state returned unchanged")
def rmsprop_update(w, dw, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, eps_inside_sqrt=False):
    g = dw + weight_decay * w
    square_avg = alpha * state.square_avg + (1 - alpha) * g ** 2
    denominator = np.sqrt(square_avg + eps) if eps_inside_sqrt else np.sqrt(square_avg) + eps
    return w - lr * g / denominator, state



@mistake("rmsprop_update", "weight decay forgotten in the eps_inside_sqrt branch", "the update without weight decay")
def rmsprop_update(w, dw, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, eps_inside_sqrt=False):
    if eps_inside_sqrt:
        square_avg = alpha * state.square_avg + (1 - alpha) * dw ** 2
        return w - lr * dw / np.sqrt(square_avg + eps), RMSPropState(square_avg)
    g = dw + weight_decay * w
    square_avg = alpha * state.square_avg + (1 - alpha) * g ** 2
    return w - lr * g / (np.sqrt(square_avg) + eps), RMSPropState(square_avg)


@correct("rmsprop_update", "float32")
def rmsprop_update(w, dw, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, eps_inside_sqrt=False):
    w32 = w.astype(np.float32)
    g = dw.astype(np.float32) + np.float32(weight_decay) * w32
    s = np.float32(alpha) * state.square_avg.astype(np.float32) + np.float32(1 - alpha) * g * g
    denominator = np.sqrt(s + np.float32(eps)) if eps_inside_sqrt else np.sqrt(s) + np.float32(eps)
    return w32 - np.float32(lr) * g / denominator, RMSPropState(s)


@correct("rmsprop_update", "running average as an increment s + (1 - alpha) (g^2 - s)")
def rmsprop_update(w, dw, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, eps_inside_sqrt=False):
    g = dw + weight_decay * w
    s = state.square_avg + (1 - alpha) * (g ** 2 - state.square_avg)
    return w - lr * g / (np.sqrt(s + eps) if eps_inside_sqrt else np.sqrt(s) + eps), RMSPropState(s)


@correct("rmsprop_update", "both eps forms in one formula, eps multiplied by the flag")
def rmsprop_update(w, dw, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, eps_inside_sqrt=False):
    g = dw + weight_decay * w
    square_avg = alpha * state.square_avg + (1 - alpha) * g * g
    inside = float(eps_inside_sqrt)
    denominator = np.sqrt(square_avg + inside * eps) + (1 - inside) * eps
    return w - lr * g / denominator, RMSPropState(square_avg)


@correct("rmsprop_update", "a loop over the entries")
def rmsprop_update(w, dw, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, eps_inside_sqrt=False):
    import math
    w_new, square_avg = np.empty(w.shape), np.empty(w.shape)
    for i in np.ndindex(w.shape):
        g = dw[i] + weight_decay * w[i]
        square_avg[i] = alpha * state.square_avg[i] + (1 - alpha) * g * g
        if eps_inside_sqrt:
            w_new[i] = w[i] - lr * g / math.sqrt(square_avg[i] + eps)
        else:
            w_new[i] = w[i] - lr * g / (math.sqrt(square_avg[i]) + eps)
    return w_new, RMSPropState(square_avg)


# ---------------------------------------------------------------------- adadelta_update


@mistake("adadelta_update", "acc_delta updated before the step", "acc_delta updated before computing the step")
def adadelta_update(w, dw, state, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    g = dw + weight_decay * w
    square_avg = rho * state.square_avg + (1 - rho) * g ** 2
    delta = np.sqrt(state.acc_delta + eps) / np.sqrt(square_avg + eps) * g
    acc_delta = rho * state.acc_delta + (1 - rho) * delta ** 2
    delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * g
    return w - lr * delta, AdadeltaState(square_avg, acc_delta)


@mistake("adadelta_update", "step with the old average of g^2", "update square_avg first")
def adadelta_update(w, dw, state, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    g = dw + weight_decay * w
    delta = np.sqrt(state.acc_delta + eps) / np.sqrt(state.square_avg + eps) * g
    square_avg = rho * state.square_avg + (1 - rho) * g ** 2
    acc_delta = rho * state.acc_delta + (1 - rho) * delta ** 2
    return w - lr * delta, AdadeltaState(square_avg, acc_delta)


@mistake("adadelta_update", "acc_delta of the step lr delta", "acc_delta tracking the scaled step")
def adadelta_update(w, dw, state, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    g = dw + weight_decay * w
    square_avg = rho * state.square_avg + (1 - rho) * g ** 2
    step = lr * np.sqrt(state.acc_delta + eps) / np.sqrt(square_avg + eps) * g
    acc_delta = rho * state.acc_delta + (1 - rho) * step ** 2
    return w - step, AdadeltaState(square_avg, acc_delta)


@mistake("adadelta_update", "learning rate missing (Zeiler's form)", "Zeiler's step without the learning rate")
def adadelta_update(w, dw, state, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    g = dw + weight_decay * w
    square_avg = rho * state.square_avg + (1 - rho) * g ** 2
    delta = np.sqrt(state.acc_delta + eps) / np.sqrt(square_avg + eps) * g
    acc_delta = rho * state.acc_delta + (1 - rho) * delta ** 2
    return w - delta, AdadeltaState(square_avg, acc_delta)


@mistake("adadelta_update", "no eps in the numerator", "without eps in the numerator")
def adadelta_update(w, dw, state, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    g = dw + weight_decay * w
    square_avg = rho * state.square_avg + (1 - rho) * g ** 2
    delta = np.sqrt(state.acc_delta) / np.sqrt(square_avg + eps) * g
    acc_delta = rho * state.acc_delta + (1 - rho) * delta ** 2
    return w - lr * delta, AdadeltaState(square_avg, acc_delta)


@mistake("adadelta_update", "no RMS of the updates (RMSProp's step)", "without the RMS of the previous updates")
def adadelta_update(w, dw, state, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    g = dw + weight_decay * w
    square_avg = rho * state.square_avg + (1 - rho) * g ** 2
    delta = g / np.sqrt(square_avg + eps)
    acc_delta = rho * state.acc_delta + (1 - rho) * delta ** 2
    return w - lr * delta, AdadeltaState(square_avg, acc_delta)


@mistake("adadelta_update", "rho and 1 - rho swapped", "rho and 1 - rho swapped")
def adadelta_update(w, dw, state, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    g = dw + weight_decay * w
    square_avg = (1 - rho) * state.square_avg + rho * g ** 2
    delta = np.sqrt(state.acc_delta + eps) / np.sqrt(square_avg + eps) * g
    acc_delta = (1 - rho) * state.acc_delta + rho * delta ** 2
    return w - lr * delta, AdadeltaState(square_avg, acc_delta)


@mistake("adadelta_update", "eps outside the square roots", "eps outside the square roots")
def adadelta_update(w, dw, state, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    g = dw + weight_decay * w
    square_avg = rho * state.square_avg + (1 - rho) * g ** 2
    delta = (np.sqrt(state.acc_delta) + eps) / (np.sqrt(square_avg) + eps) * g
    acc_delta = rho * state.acc_delta + (1 - rho) * delta ** 2
    return w - lr * delta, AdadeltaState(square_avg, acc_delta)


@mistake("adadelta_update", "weight decay forgotten", "the update without weight decay")
def adadelta_update(w, dw, state, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    square_avg = rho * state.square_avg + (1 - rho) * dw ** 2
    delta = np.sqrt(state.acc_delta + eps) / np.sqrt(square_avg + eps) * dw
    acc_delta = rho * state.acc_delta + (1 - rho) * delta ** 2
    return w - lr * delta, AdadeltaState(square_avg, acc_delta)


@mistake("adadelta_update", "state fields in the wrong order", "state.square_avg after step 1 is wrong")
def adadelta_update(w, dw, state, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    g = dw + weight_decay * w
    square_avg = rho * state.square_avg + (1 - rho) * g ** 2
    delta = np.sqrt(state.acc_delta + eps) / np.sqrt(square_avg + eps) * g
    acc_delta = rho * state.acc_delta + (1 - rho) * delta ** 2
    return w - lr * delta, AdadeltaState(acc_delta, square_avg)



@mistake("adadelta_update", "the average of g^2 updated in place", "changed its input state.square_avg in place")
def adadelta_update(w, dw, state, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    g = dw + weight_decay * w
    square_avg = state.square_avg
    square_avg *= rho
    square_avg += (1 - rho) * g * g
    delta = np.sqrt(state.acc_delta + eps) / np.sqrt(square_avg + eps) * g
    acc_delta = rho * state.acc_delta + (1 - rho) * delta ** 2
    return w - lr * delta, AdadeltaState(square_avg.copy(), acc_delta)


@correct("adadelta_update", "float32")
def adadelta_update(w, dw, state, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    w32, f = w.astype(np.float32), np.float32
    g = dw.astype(f) + f(weight_decay) * w32
    square_avg = f(rho) * state.square_avg.astype(f) + f(1 - rho) * g * g
    delta = np.sqrt(state.acc_delta.astype(f) + f(eps)) / np.sqrt(square_avg + f(eps)) * g
    acc_delta = f(rho) * state.acc_delta.astype(f) + f(1 - rho) * delta * delta
    return w32 - f(lr) * delta, AdadeltaState(square_avg, acc_delta)


@correct("adadelta_update", "one square root of the ratio")
def adadelta_update(w, dw, state, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    g = dw + weight_decay * w
    s = rho * state.square_avg + (1 - rho) * g ** 2
    delta = g * np.sqrt((state.acc_delta + eps) / (s + eps))
    return w - lr * delta, AdadeltaState(s, rho * state.acc_delta + (1 - rho) * delta ** 2)


@correct("adadelta_update", "an rms helper, keyword arguments to the state")
def adadelta_update(w, dw, state, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    def rms(average):
        return np.sqrt(average + eps)

    def running_average(old, new):
        return rho * old + (1 - rho) * new

    g = dw + weight_decay * w
    square_avg = running_average(state.square_avg, g * g)
    delta = rms(state.acc_delta) * g / rms(square_avg)
    return w - lr * delta, AdadeltaState(acc_delta=running_average(state.acc_delta, delta * delta),
                                         square_avg=square_avg)


@correct("adadelta_update", "a loop over the entries")
def adadelta_update(w, dw, state, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    import math
    w_new, square_avg, acc_delta = np.empty(w.shape), np.empty(w.shape), np.empty(w.shape)
    for i in np.ndindex(w.shape):
        g = dw[i] + weight_decay * w[i]
        square_avg[i] = rho * state.square_avg[i] + (1 - rho) * g * g
        delta = math.sqrt(state.acc_delta[i] + eps) / math.sqrt(square_avg[i] + eps) * g
        acc_delta[i] = rho * state.acc_delta[i] + (1 - rho) * delta * delta
        w_new[i] = w[i] - lr * delta
    return w_new, AdadeltaState(square_avg, acc_delta)


# ---------------------------------------------------------------------- adam_update


@mistake("adam_update", "no bias correction", "no bias correction")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    g = dw + weight_decay * w
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g ** 2
    return w - lr * m / (np.sqrt(v) + eps), AdamState(m, v, state.t + 1)


@mistake("adam_update", "bias correction with t = 0 at the first update", "computed with t = 0")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    g = dw + weight_decay * w
    t = state.t
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g ** 2
    if bias_correction:
        m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    else:
        m_hat, v_hat = m, v
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), AdamState(m, v, t + 1)


@mistake("adam_update", "t incremented twice", "t incremented twice")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    g = dw + weight_decay * w
    t = state.t + 1
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g ** 2
    if bias_correction:
        m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    else:
        m_hat, v_hat = m, v
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), AdamState(m, v, t + 1)


@mistake("adam_update", "t not incremented in the returned state", "t never incremented")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    g = dw + weight_decay * w
    t = state.t + 1
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g ** 2
    if bias_correction:
        m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    else:
        m_hat, v_hat = m, v
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), AdamState(m, v, state.t)


@mistake("adam_update", "1 - beta instead of 1 - beta^t", "1 - beta instead of 1 - beta^t")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    g = dw + weight_decay * w
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g ** 2
    if bias_correction:
        m_hat, v_hat = m / (1 - beta1), v / (1 - beta2)
    else:
        m_hat, v_hat = m, v
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), AdamState(m, v, state.t + 1)


@mistake("adam_update", "eps inside the square root", "eps inside the square root")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    g = dw + weight_decay * w
    t = state.t + 1
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g ** 2
    if bias_correction:
        m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    else:
        m_hat, v_hat = m, v
    return w - lr * m_hat / np.sqrt(v_hat + eps), AdamState(m, v, t)


@mistake("adam_update", "beta1 and beta2 swapped", "beta1 and beta2 swapped")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    g = dw + weight_decay * w
    t = state.t + 1
    m = beta2 * state.m + (1 - beta2) * g
    v = beta1 * state.v + (1 - beta1) * g ** 2
    if bias_correction:
        m_hat, v_hat = m / (1 - beta2 ** t), v / (1 - beta1 ** t)
    else:
        m_hat, v_hat = m, v
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), AdamState(m, v, t)


@mistake("adam_update", "beta and 1 - beta swapped", "beta and 1 - beta swapped")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    g = dw + weight_decay * w
    t = state.t + 1
    m = (1 - beta1) * state.m + beta1 * g
    v = (1 - beta2) * state.v + beta2 * g ** 2
    if bias_correction:
        m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    else:
        m_hat, v_hat = m, v
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), AdamState(m, v, t)


@mistake("adam_update", "bias-corrected m and v stored in the state", "the bias-corrected m_hat and v_hat")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    g = dw + weight_decay * w
    t = state.t + 1
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g ** 2
    if bias_correction:
        m, v = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m / (np.sqrt(v) + eps), AdamState(m, v, t)


@mistake("adam_update", "AdamW's decoupled weight decay", "decoupled")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    t = state.t + 1
    m = beta1 * state.m + (1 - beta1) * dw
    v = beta2 * state.v + (1 - beta2) * dw ** 2
    if bias_correction:
        m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    else:
        m_hat, v_hat = m, v
    return w - lr * (m_hat / (np.sqrt(v_hat) + eps) + weight_decay * w), AdamState(m, v, t)


@mistake("adam_update", "weight decay subtracted from the gradient", "weight decay with the wrong sign")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    g = dw - weight_decay * w
    t = state.t + 1
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g ** 2
    if bias_correction:
        m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    else:
        m_hat, v_hat = m, v
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), AdamState(m, v, t)


@mistake("adam_update", "bias_correction flag ignored", "bias-corrected m and v although bias_correction=False")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    g = dw + weight_decay * w
    t = state.t + 1
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), AdamState(m, v, t)


@mistake("adam_update", "moments updated in place", "changed its input state.m in place")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    g = dw + weight_decay * w
    t = state.t + 1
    m, v = state.m, state.v
    m *= beta1
    m += (1 - beta1) * g
    v *= beta2
    v += (1 - beta2) * g ** 2
    c1, c2 = (1 - beta1 ** t, 1 - beta2 ** t) if bias_correction else (1.0, 1.0)
    return w - lr * (m / c1) / (np.sqrt(v / c2) + eps), AdamState(m, v, t)



@mistake("adam_update", "the bias correction one step ahead, 1 - beta^(t+1)", "one step ahead")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    g = dw + weight_decay * w
    t = state.t + 1
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g ** 2
    c1, c2 = (1 - beta1 ** (t + 1), 1 - beta2 ** (t + 1)) if bias_correction else (1.0, 1.0)
    return w - lr * (m / c1) / (np.sqrt(v / c2) + eps), AdamState(m, v, t)


@mistake("adam_update", "derived (1 - beta)^t: the weights summed as a power", "(1 - beta)^t instead of 1 - beta^t")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    g = dw + weight_decay * w
    t = state.t + 1
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g ** 2
    if bias_correction:
        m_hat, v_hat = m / (1 - beta1) ** t, v / (1 - beta2) ** t
    else:
        m_hat, v_hat = m, v
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), AdamState(m, v, t)


@mistake("adam_update", "derived the factor but multiplied by it", "multiplied by 1 - beta^t")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    g = dw + weight_decay * w
    t = state.t + 1
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g ** 2
    if bias_correction:
        m_hat, v_hat = m * (1 - beta1 ** t), v * (1 - beta2 ** t)
    else:
        m_hat, v_hat = m, v
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), AdamState(m, v, t)


@mistake("adam_update", "only the second moment corrected", "m not bias-corrected")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    g = dw + weight_decay * w
    t = state.t + 1
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g ** 2
    v_hat = v / (1 - beta2 ** t) if bias_correction else v
    return w - lr * m / (np.sqrt(v_hat) + eps), AdamState(m, v, t)


@mistake("adam_update", "(issue 8) the step counted as a float", "state.t should be an integer")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    g = dw + weight_decay * w
    t = state.t + 1.0
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g ** 2
    if bias_correction:
        m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    else:
        m_hat, v_hat = m, v
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), AdamState(m, v, t)


@mistake("adam_update", "(issue 8) weight decay only in the corrected branch", "the update without weight decay")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    t = state.t + 1
    if bias_correction:
        g = dw + weight_decay * w
        m = beta1 * state.m + (1 - beta1) * g
        v = beta2 * state.v + (1 - beta2) * g ** 2
        return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), AdamState(m, v, t)
    m = beta1 * state.m + (1 - beta1) * dw
    v = beta2 * state.v + (1 - beta2) * dw ** 2
    return w - lr * m / (np.sqrt(v) + eps), AdamState(m, v, t)


@mistake("adam_update", "(issue 8) keyword-only hyper-parameters", "Keep the parameters of the exercise")
def adam_update(w, dw, state, *, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    g = dw + weight_decay * w
    t = state.t + 1
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g ** 2
    c1, c2 = (1 - beta1 ** t, 1 - beta2 ** t) if bias_correction else (1.0, 1.0)
    return w - lr * (m / c1) / (np.sqrt(v / c2) + eps), AdamState(m, v, t)


@correct("adam_update", "a loop over the entries, the corrections computed once")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
             bias_correction=True):
    import math
    t = state.t + 1
    c1, c2 = (1 - beta1 ** t, 1 - beta2 ** t) if bias_correction else (1.0, 1.0)
    w_new, m, v = np.empty(w.shape), np.empty(w.shape), np.empty(w.shape)
    for i in np.ndindex(w.shape):
        g = dw[i] + weight_decay * w[i]
        m[i] = beta1 * state.m[i] + (1 - beta1) * g
        v[i] = beta2 * state.v[i] + (1 - beta2) * g * g
        w_new[i] = w[i] - lr * (m[i] / c1) / (math.sqrt(v[i] / c2) + eps)
    return w_new, AdamState(m, v, t)


@correct("adam_update", "bias correction folded into the step size, eps scaled to match")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    g = dw + weight_decay * w
    t = state.t + 1
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g ** 2
    c1, c2 = (1 - beta1 ** t, 1 - beta2 ** t) if bias_correction else (1.0, 1.0)
    step_size = lr * np.sqrt(c2) / c1
    return w - step_size * m / (np.sqrt(v) + eps * np.sqrt(c2)), AdamState(m, v, t)


@correct("adam_update", "torch's ordering, the corrections computed with a float step count")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    import math
    g = np.add(dw, np.multiply(weight_decay, w))
    t = float(state.t) + 1.0
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * np.square(g)
    if bias_correction:
        denominator = np.sqrt(v) / math.sqrt(1 - beta2 ** t) + eps
        step_size = lr / (1 - beta1 ** t)
    else:
        denominator, step_size = np.sqrt(v) + eps, lr
    return w - step_size * m / denominator, AdamState(m, v, state.t + 1)


@correct("adam_update", "m and v as increments towards g, float32")
def adam_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                bias_correction=True):
    w32 = np.asarray(w, dtype=np.float32)
    g = np.asarray(dw, dtype=np.float32) + np.float32(weight_decay) * w32
    m = state.m + np.float32(1 - beta1) * (g - state.m)
    v = state.v + np.float32(1 - beta2) * (g * g - state.v)
    m, v = m.astype(np.float32), v.astype(np.float32)
    t = state.t + 1
    m_hat = m / (1 - beta1 ** t) if bias_correction else m
    v_hat = v / (1 - beta2 ** t) if bias_correction else v
    return w32 - np.float32(lr) * m_hat / (np.sqrt(v_hat) + np.float32(eps)), AdamState(m, v, t)
