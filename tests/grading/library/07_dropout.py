"""Chapter 07_dropout: mistakes students make, and correct implementations unlike the instructor's.

Each function is notebook code for one exercise (see dlcourse.grading.library): it may use what the
chapter's first cell imports (np, activations, DropoutCache, ...), never the reference of its own exercise.
The conventions are the docstrings': p is the drop probability (torch's), a mask is boolean with True for
kept, dropout_forward returns (out, DropoutCache(mask, p, train)).
"""
import itertools  # noqa: F401 (the notebook code below imports what it uses; this keeps linters quiet)

import numpy as np  # noqa: F401

from dlcourse import activations  # noqa: F401
from dlcourse.dropout import DropoutCache  # noqa: F401
from dlcourse.grading.library import correct, mistake

# ---------------------------------------------------------------------- dropout_mask


@mistake("dropout_mask", "keeps with probability p (cs231n's convention)", "keep/drop swapped")
def dropout_mask(shape, p, rng):
    return rng.random(shape) < p


@mistake("dropout_mask", "one mask shared by the whole batch", "one mask for the whole batch")
def dropout_mask(shape, p, rng):
    return np.broadcast_to(rng.random(shape[-1:]) >= p, shape)


@mistake("dropout_mask", "one mask entry per example", "one mask entry per example")
def dropout_mask(shape, p, rng):
    return np.broadcast_to(rng.random(shape[:1] + (1,) * (len(shape) - 1)) >= p, shape)


@mistake("dropout_mask", "numpy's global random state", "numpy's global random state")
def dropout_mask(shape, p, rng):
    return np.random.random(shape) >= p


@mistake("dropout_mask", "a generator with a fixed seed inside", "ignores rng")
def dropout_mask(shape, p, rng):
    return np.random.default_rng(0).random(shape) >= p


@mistake("dropout_mask", "a new unseeded generator", "gave different masks")
def dropout_mask(shape, p, rng):
    return np.random.default_rng().random(shape) >= p


@mistake("dropout_mask", "a mask of floats 0.0 and 1.0", "an array of 0s and 1s")
def dropout_mask(shape, p, rng):
    return (rng.random(shape) >= p).astype(float)


@mistake("dropout_mask", "the mask already scaled by 1/(1 - p)", "the scaling by 1/(1 - p) belongs in dropout_forward")
def dropout_mask(shape, p, rng):
    return (rng.random(shape) >= p) / (1 - p)


@mistake("dropout_mask", "exactly round((1 - p) M) units kept per example", "the same number of units kept")
def dropout_mask(shape, p, rng):
    n_keep = int(round((1 - p) * shape[-1]))
    ranks = np.argsort(np.argsort(rng.random(shape), axis=-1), axis=-1)
    return ranks < n_keep


@correct("dropout_mask", "rng.binomial(1, 1 - p) as booleans")
def dropout_mask(shape, p, rng):
    return rng.binomial(1, 1 - p, size=shape).astype(bool)


@correct("dropout_mask", "uniform below the keep probability")
def dropout_mask(shape, p, rng):
    return rng.uniform(0.0, 1.0, size=shape) < 1 - p


@correct("dropout_mask", "the complement of a drop mask")
def dropout_mask(shape, p, rng):
    dropped = rng.random(shape) < p
    return ~dropped


# ---------------------------------------------------------------------- dropout_forward


@mistake("dropout_forward", "no rescaling (vanilla dropout)", "without the rescaling")
def dropout_forward(x, mask, p, train=True):
    if not train:
        return x, DropoutCache(mask, p, False)
    return x * mask, DropoutCache(mask, p, True)


@mistake("dropout_forward", "multiplied by 1 - p", "divided by 1 - p, not multiplied")
def dropout_forward(x, mask, p, train=True):
    if not train:
        return x, DropoutCache(mask, p, False)
    return x * mask * (1 - p), DropoutCache(mask, p, True)


@mistake("dropout_forward", "divided by p (cs231n's keep probability)", "p is the drop probability")
def dropout_forward(x, mask, p, train=True):
    if not train:
        return x, DropoutCache(mask, p, False)
    return x * mask / p if p > 0 else x, DropoutCache(mask, p, True)


@mistake("dropout_forward", "True taken to mean dropped", "True in the mask means keep")
def dropout_forward(x, mask, p, train=True):
    if not train:
        return x, DropoutCache(mask, p, False)
    return np.where(mask, 0.0, x / (1 - p)) if p < 1 else np.zeros_like(x), DropoutCache(mask, p, True)


@mistake("dropout_forward", "0/0 = nan at p = 1", "contains nan or inf")
def dropout_forward(x, mask, p, train=True):
    if not train:
        return x, DropoutCache(mask, p, False)
    return x * mask / (1 - p), DropoutCache(mask, p, True)


@mistake("dropout_forward", "the mask applied in evaluation too", "the mask applied in evaluation")
def dropout_forward(x, mask, p, train=True):
    scale = 0.0 if p == 1 else 1 / (1 - p)
    return x * mask * scale, DropoutCache(mask, p, train)


@mistake("dropout_forward", "x (1 - p) at test time (double scaling)", "rescaled at test time as well")
def dropout_forward(x, mask, p, train=True):
    if not train:
        return x * (1 - p), DropoutCache(mask, p, False)
    scale = 0.0 if p == 1 else 1 / (1 - p)
    return x * mask * scale, DropoutCache(mask, p, True)


@mistake("dropout_forward", "returns only out", "should return a tuple (out, cache)")
def dropout_forward(x, mask, p, train=True):
    if not train:
        return x
    return x * mask / (1 - p) if p < 1 else np.zeros_like(x)


@mistake("dropout_forward", "scales x in place", "changed its input x")
def dropout_forward(x, mask, p, train=True):
    if train:
        x *= mask * (1 / (1 - p) if p < 1 else 0.0)
    return x, DropoutCache(mask, p, train)


@mistake("dropout_forward", "returns the mask as the cache", "the cache should be DropoutCache")
def dropout_forward(x, mask, p, train=True):
    if not train:
        return x, mask
    return x * mask * (1 / (1 - p) if p < 1 else 0.0), mask


@correct("dropout_forward", "np.where, a copy in evaluation")
def dropout_forward(x, mask, p, train=True):
    if not train:
        return x.copy(), DropoutCache(mask, p, train)
    if p == 1:
        return np.zeros_like(x), DropoutCache(mask, p, train)
    return np.where(mask, x / (1 - p), 0.0), DropoutCache(mask, p, train)


@correct("dropout_forward", "a float mask scaled first, in float32")
def dropout_forward(x, mask, p, train=True):
    if not train:
        return x, DropoutCache(mask, p, False)
    keep = 1.0 - p
    scaled = mask.astype(np.float32) / np.float32(keep) if keep > 0 else np.zeros(mask.shape, np.float32)
    return x.astype(np.float32) * scaled, DropoutCache(mask, p, True)


# ---------------------------------------------------------------------- dropout_backward


@mistake("dropout_backward", "no 1/(1 - p)", "without 1/(1 - p)")
def dropout_backward(dout, cache):
    if not cache.train:
        return dout
    return dout * cache.mask


@mistake("dropout_backward", "multiplied by 1 - p", "divide by the keep probability 1 - p, do not multiply")
def dropout_backward(dout, cache):
    if not cache.train:
        return dout
    return dout * cache.mask * (1 - cache.p)


@mistake("dropout_backward", "divided by p", "p is the drop probability")
def dropout_backward(dout, cache):
    if not cache.train:
        return dout
    return dout * cache.mask / cache.p if cache.p > 0 else dout


@mistake("dropout_backward", "the mask forgotten", "without the mask")
def dropout_backward(dout, cache):
    if not cache.train:
        return dout
    return dout / (1 - cache.p) if cache.p < 1 else np.zeros_like(dout)


@mistake("dropout_backward", "the training-mode gradient in evaluation", "the training-mode gradient")
def dropout_backward(dout, cache):
    return dout * cache.mask * (1 / (1 - cache.p) if cache.p < 1 else 0.0)


@mistake("dropout_backward", "a new mask in the backward pass", "not zero exactly where the mask dropped")
def dropout_backward(dout, cache):
    if not cache.train:
        return dout
    mask = np.random.default_rng().random(dout.shape) >= cache.p
    return dout * mask * (1 / (1 - cache.p) if cache.p < 1 else 0.0)


@mistake("dropout_backward", "0/0 = nan at p = 1", "contains nan or inf")
def dropout_backward(dout, cache):
    if not cache.train:
        return dout
    return dout * cache.mask / (1 - cache.p)


@mistake("dropout_backward", "scales dout in place", "changed its input dout")
def dropout_backward(dout, cache):
    if cache.train:
        dout *= cache.mask * (1 / (1 - cache.p) if cache.p < 1 else 0.0)
    return dout


@correct("dropout_backward", "np.where with the scale computed once")
def dropout_backward(dout, cache):
    mask, p, train = cache
    if not train:
        return dout.copy()
    scale = 1.0 / (1.0 - p) if p < 1 else 0.0
    return np.where(mask, scale * dout, 0.0)


@correct("dropout_backward", "a loop over the entries")
def dropout_backward(dout, cache):
    dx = np.array(dout, dtype=float)
    if cache.train:
        for index in np.ndindex(dx.shape):
            dx[index] = dout[index] / (1 - cache.p) if cache.mask[index] and cache.p < 1 else 0.0
    return dx


# ---------------------------------------------------------------------- mc_dropout_predict


@mistake("mc_dropout_predict", "softmax of the averaged logits", "the softmax of the averaged logits")
def mc_dropout_predict(net, params, state, x, rng, n_samples):
    logits = [net.forward(params, state, x, train=True, rng=rng)[0] for _ in range(n_samples)]
    return activations.softmax(np.mean(logits, axis=0), axis=1)


@mistake("mc_dropout_predict", "the averaged logits", "the average of the logits")
def mc_dropout_predict(net, params, state, x, rng, n_samples):
    logits = [net.forward(params, state, x, train=True, rng=rng)[0] for _ in range(n_samples)]
    return np.mean(logits, axis=0)


@mistake("mc_dropout_predict", "passes in evaluation mode", "the prediction in evaluation mode")
def mc_dropout_predict(net, params, state, x, rng, n_samples):
    total = 0.0
    for _ in range(n_samples):
        total = total + activations.softmax(net.forward(params, state, x, train=False, rng=rng)[0], axis=1)
    return total / n_samples


@mistake("mc_dropout_predict", "one pass repeated", "the first pass repeated")
def mc_dropout_predict(net, params, state, x, rng, n_samples):
    probs = activations.softmax(net.forward(params, state, x, train=True, rng=rng)[0], axis=1)
    return sum(probs for _ in range(n_samples)) / n_samples


@mistake("mc_dropout_predict", "the sum over the passes", "divide by the number of samples")
def mc_dropout_predict(net, params, state, x, rng, n_samples):
    total = 0.0
    for _ in range(n_samples):
        total = total + activations.softmax(net.forward(params, state, x, train=True, rng=rng)[0], axis=1)
    return total


@mistake("mc_dropout_predict", "majority votes", "voting for each class")
def mc_dropout_predict(net, params, state, x, rng, n_samples):
    votes = 0.0
    for _ in range(n_samples):
        logits = net.forward(params, state, x, train=True, rng=rng)[0]
        votes = votes + np.eye(logits.shape[1])[np.argmax(logits, axis=1)]
    return votes / n_samples


@mistake("mc_dropout_predict", "the geometric mean, unnormalised", "the geometric mean of the probabilities")
def mc_dropout_predict(net, params, state, x, rng, n_samples):
    total = 0.0
    for _ in range(n_samples):
        total = total + activations.log_softmax(net.forward(params, state, x, train=True, rng=rng)[0], axis=1)
    return np.exp(total / n_samples)


@mistake("mc_dropout_predict", "a new generator for every pass", "is wrong")
def mc_dropout_predict(net, params, state, x, rng, n_samples):
    total = 0.0
    for _ in range(n_samples):
        logits = net.forward(params, state, x, train=True, rng=np.random.default_rng())[0]
        total = total + activations.softmax(logits, axis=1)
    return total / n_samples


@correct("mc_dropout_predict", "a list of probabilities, then np.mean")
def mc_dropout_predict(net, params, state, x, rng, n_samples):
    probs = []
    for _ in range(n_samples):
        logits, _, _ = net.forward(params, state, x, train=True, rng=rng)
        probs.append(activations.softmax(logits, axis=1))
    return np.mean(probs, axis=0)


@correct("mc_dropout_predict", "a running mean with a hand-written softmax")
def mc_dropout_predict(net, params, state, x, rng, n_samples):
    mean = None
    for s in range(n_samples):
        logits = net.forward(params, state, x, train=True, rng=rng)[0]
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs = e / e.sum(axis=1, keepdims=True)
        mean = probs if mean is None else mean + (probs - mean) / (s + 1)
    return mean


# ---------------------------------------------------------------------- weight_scaling


@mistake("weight_scaling", "the biases scaled too", "the biases scaled too")
def weight_scaling(params, drop_probs):
    scaled = dict(params)
    for prefix, p in drop_probs.items():
        for name in ("W", "b"):
            scaled[f"{prefix}.{name}"] = (1 - p) * params[f"{prefix}.{name}"]
    return scaled


@mistake("weight_scaling", "scaled by 1/(1 - p)", "inverted dropout's training-time factor")
def weight_scaling(params, drop_probs):
    scaled = dict(params)
    for prefix, p in drop_probs.items():
        scaled[f"{prefix}.W"] = params[f"{prefix}.W"] / (1 - p)
    return scaled


@mistake("weight_scaling", "scaled by p", "the weights scaled by p")
def weight_scaling(params, drop_probs):
    scaled = dict(params)
    for prefix, p in drop_probs.items():
        scaled[f"{prefix}.W"] = p * params[f"{prefix}.W"]
    return scaled


@mistake("weight_scaling", "key.startswith(prefix): layer 1 matches 10", "every key that starts with a prefix")
def weight_scaling(params, drop_probs):
    scaled = dict(params)
    for prefix, p in drop_probs.items():
        for key in params:
            if key.startswith(prefix) and key.endswith(".W"):
                scaled[key] = (1 - p) * scaled[key]
    return scaled


@mistake("weight_scaling", "nothing to do at test time (inverted dropout's rule)", "the parameters unchanged")
def weight_scaling(params, drop_probs):
    return dict(params)


@mistake("weight_scaling", "writes the scaled weights into params", "changed its input params")
def weight_scaling(params, drop_probs):
    for prefix, p in drop_probs.items():
        params[f"{prefix}.W"] = (1 - p) * params[f"{prefix}.W"]
    return params


@mistake("weight_scaling", "a shallow copy, then *= in place", "changed its input params")
def weight_scaling(params, drop_probs):
    scaled = dict(params)
    for prefix, p in drop_probs.items():
        scaled[f"{prefix}.W"] *= 1 - p
    return scaled


@mistake("weight_scaling", "returns only the scaled weights", "the result lacks the keys")
def weight_scaling(params, drop_probs):
    return {f"{prefix}.W": (1 - p) * params[f"{prefix}.W"] for prefix, p in drop_probs.items()}


@correct("weight_scaling", "a dict comprehension on the key's prefix")
def weight_scaling(params, drop_probs):
    def factor(key):
        layer, name = key.rsplit(".", 1)
        return 1 - drop_probs[layer] if name == "W" and layer in drop_probs else 1.0
    return {key: factor(key) * value for key, value in params.items()}


@correct("weight_scaling", "copies of every array, scaled in place")
def weight_scaling(params, drop_probs):
    scaled = {key: np.array(value, copy=True) for key, value in params.items()}
    for prefix, p in drop_probs.items():
        scaled[prefix + ".W"] *= 1.0 - p
    return scaled


# ---------------------------------------------------------------------- expected_dropout_loss


@mistake("expected_dropout_loss", "keep and drop swapped", "keep and drop swapped")
def expected_dropout_loss(x, y, w, p, inverted=True):
    keep = p
    scale = 1 / keep if inverted else 1.0
    variance = scale ** 2 * p * (1 - p) * ((x * x) @ (w * w))
    return float(np.mean(0.5 * (y - scale * keep * (x @ w)) ** 2 + 0.5 * variance))


@mistake("expected_dropout_loss", "the full X^T X in the penalty", "the full X^T X")
def expected_dropout_loss(x, y, w, p, inverted=True):
    keep = 1 - p
    scale = 1 / keep if inverted else 1.0
    penalty = 0.5 * scale ** 2 * p * keep * (w @ (x.T @ x) @ w) / len(x)
    return float(0.5 * np.mean((y - scale * keep * (x @ w)) ** 2) + penalty)


@mistake("expected_dropout_loss", "the variance term forgotten", "the loss of the average prediction only")
def expected_dropout_loss(x, y, w, p, inverted=True):
    keep = 1 - p
    scale = 1 / keep if inverted else 1.0
    return float(0.5 * np.mean((y - scale * keep * (x @ w)) ** 2))


@mistake("expected_dropout_loss", "a sum over the examples", "the sum over the examples")
def expected_dropout_loss(x, y, w, p, inverted=True):
    keep = 1 - p
    scale = 1 / keep if inverted else 1.0
    variance = scale ** 2 * p * keep * ((x * x) @ (w * w))
    return float(np.sum(0.5 * (y - scale * keep * (x @ w)) ** 2 + 0.5 * variance))


@mistake("expected_dropout_loss", "the factor 1/2 forgotten", "twice the expected loss")
def expected_dropout_loss(x, y, w, p, inverted=True):
    keep = 1 - p
    scale = 1 / keep if inverted else 1.0
    variance = scale ** 2 * p * keep * ((x * x) @ (w * w))
    return float(np.mean((y - scale * keep * (x @ w)) ** 2 + variance))


@mistake("expected_dropout_loss", "inverted: the variance without s^2", "the penalty of vanilla dropout")
def expected_dropout_loss(x, y, w, p, inverted=True):
    keep = 1 - p
    scale = 1 / keep if inverted else 1.0
    variance = p * keep * ((x * x) @ (w * w))
    return float(np.mean(0.5 * (y - scale * keep * (x @ w)) ** 2 + 0.5 * variance))


@mistake("expected_dropout_loss", "inverted: the mean prediction (1 - p) X w", "vanilla dropout's mean prediction")
def expected_dropout_loss(x, y, w, p, inverted=True):
    keep = 1 - p
    scale = 1 / keep if inverted else 1.0
    variance = scale ** 2 * p * keep * ((x * x) @ (w * w))
    return float(np.mean(0.5 * (y - keep * (x @ w)) ** 2 + 0.5 * variance))


@mistake("expected_dropout_loss", "the flag inverted ignored", "the expected loss of inverted dropout")
def expected_dropout_loss(x, y, w, p, inverted=True):
    keep = 1 - p
    variance = p / keep * ((x * x) @ (w * w))
    return float(np.mean(0.5 * (y - x @ w) ** 2 + 0.5 * variance))


@mistake("expected_dropout_loss", "a Monte-Carlo estimate instead of the expectation", "is wrong")
def expected_dropout_loss(x, y, w, p, inverted=True):
    rng = np.random.default_rng(0)
    scale = 1 / (1 - p) if inverted else 1.0
    masks = rng.random((2000,) + x.shape) >= p
    return float(np.mean(0.5 * (y - scale * (masks * x) @ w) ** 2))


@correct("expected_dropout_loss", "explicit loops over examples and inputs")
def expected_dropout_loss(x, y, w, p, inverted=True):
    keep = 1 - p
    s = 1 / keep if inverted else 1.0
    total = 0.0
    for n in range(len(x)):
        mean = sum(s * keep * x[n, j] * w[j] for j in range(len(w)))
        variance = sum(s * s * p * keep * x[n, j] ** 2 * w[j] ** 2 for j in range(len(w)))
        total += 0.5 * (y[n] - mean) ** 2 + 0.5 * variance
    return total / len(x)


@correct("expected_dropout_loss", "the exact average over every mask (enumerated)")
def expected_dropout_loss(x, y, w, p, inverted=True):
    import itertools
    s = 1 / (1 - p) if inverted else 1.0
    total = 0.0
    for mask in itertools.product((0.0, 1.0), repeat=len(w)):
        mask = np.array(mask)
        probability = np.prod(np.where(mask == 1, 1 - p, p))
        total += probability * np.mean(0.5 * (y - s * x @ (mask * w)) ** 2)
    return total


@correct("expected_dropout_loss", "the closed form with the mean squares of the inputs")
def expected_dropout_loss(x, y, w, p, inverted=True):
    mean_squares = np.mean(x ** 2, axis=0)
    if inverted:
        return 0.5 * np.mean((y - x @ w) ** 2) + 0.5 * p / (1 - p) * np.sum(mean_squares * w ** 2)
    return 0.5 * np.mean((y - (1 - p) * x @ w) ** 2) + 0.5 * p * (1 - p) * np.sum(mean_squares * w ** 2)


# ---------------------------------------------------------------------- dropout_ridge_solution


@mistake("dropout_ridge_solution", "keep and drop swapped", "keep and drop swapped")
def dropout_ridge_solution(x, y, p, inverted=True):
    gram = x.T @ x
    strength = (1 - p) / p if p > 0 else 0.0
    w = np.linalg.solve(gram + strength * np.diag(np.diag(gram)), x.T @ y)
    return w if inverted else w / (1 - p)


@mistake("dropout_ridge_solution", "the full X^T X in the penalty", "a penalty with the full X^T X")
def dropout_ridge_solution(x, y, p, inverted=True):
    gram = x.T @ x
    w = np.linalg.solve(gram + p / (1 - p) * gram, x.T @ y)
    return w if inverted else w / (1 - p)


@mistake("dropout_ridge_solution", "plain ridge with the identity", "plain ridge regression")
def dropout_ridge_solution(x, y, p, inverted=True):
    gram = x.T @ x
    w = np.linalg.solve(gram + p / (1 - p) * np.eye(len(gram)), x.T @ y)
    return w if inverted else w / (1 - p)


@mistake("dropout_ridge_solution", "X^T X / N with diag(X^T X)", "both terms of the normal equations")
def dropout_ridge_solution(x, y, p, inverted=True):
    gram = x.T @ x
    w = np.linalg.solve(gram / len(x) + p / (1 - p) * np.diag(np.diag(gram)), x.T @ y / len(x))
    return w if inverted else w / (1 - p)


@mistake("dropout_ridge_solution", "least squares", "the least-squares solution")
def dropout_ridge_solution(x, y, p, inverted=True):
    w = np.linalg.lstsq(x, y, rcond=None)[0]
    return w if inverted else w / (1 - p)


@mistake("dropout_ridge_solution", "vanilla's p (1 - p) in the normal equations", "the penalty factor of vanilla")
def dropout_ridge_solution(x, y, p, inverted=True):
    gram = x.T @ x
    w = np.linalg.solve(gram + p * (1 - p) * np.diag(np.diag(gram)), x.T @ y)
    return w if inverted else w / (1 - p)


@mistake("dropout_ridge_solution", "vanilla: the test-time weights returned", "the test-time weights (1 - p) w")
def dropout_ridge_solution(x, y, p, inverted=True):
    gram = x.T @ x
    return np.linalg.solve(gram + p / (1 - p) * np.diag(np.diag(gram)), x.T @ y)


@correct("dropout_ridge_solution", "least squares on an augmented system")
def dropout_ridge_solution(x, y, p, inverted=True):
    penalty = np.diag(np.sqrt(p / (1 - p) * np.sum(x * x, axis=0)))
    stacked = np.vstack([x, penalty])
    w = np.linalg.lstsq(stacked, np.concatenate([y, np.zeros(len(penalty))]), rcond=None)[0]
    return w if inverted else w / (1 - p)


@correct("dropout_ridge_solution", "ridge on inputs normalised by their root sum of squares")
def dropout_ridge_solution(x, y, p, inverted=True):
    norms = np.sqrt(np.sum(x ** 2, axis=0))
    z = x / norms
    v = np.linalg.inv(z.T @ z + p / (1 - p) * np.eye(z.shape[1])) @ (z.T @ y)
    w = v / norms
    return w if inverted else w / (1 - p)
