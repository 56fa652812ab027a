"""Checks for chapter 07_dropout, exercises 2 to 5: the forward and backward passes of inverted dropout,
Monte-Carlo prediction and weight scaling.

Book: chapter 07_dropout. The masks are explicit arguments, so the arithmetic is checked exactly: against the
reference, against ``torch.nn.functional.dropout`` given the mask torch drew (read off its output) and, for the
backward pass, against torch's autograd and a numerical gradient. torch is imported only when a check first
needs it, and its global random state is left as it was.
"""
import numpy as np

from .. import dropout as reference
from ..activations import log_softmax, softmax
from ..gradcheck import numerical_gradient
from ..sequential import activation, dropout, linear, sequential
from .core import Checker, describe, unchanged

__all__ = ["check_dropout_forward", "check_dropout_backward", "check_mc_dropout_predict", "check_weight_scaling"]


def _torch():
    import torch
    return torch


def _torch_dropout(x, p, seed):
    """F.dropout(x, p, training=True) in float64 with torch's generator seeded inside a fork (torch's global random
    state is restored), and the mask torch drew, read off its output (x has no zeros)."""
    torch = _torch()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        out = torch.nn.functional.dropout(xt, p, training=True)
    mask = (out != 0).detach().numpy() if p < 1 else np.zeros(x.shape, dtype=bool)
    return xt, out, mask


# ---------------------------------------------------------------- exercises 2 and 3: forward and backward


def _inputs(rng, shape, p):
    """x without zeros (so torch's mask can be read off its output), and a mask with kept and dropped entries."""
    x = 3.0 * rng.standard_normal(shape) + 1.0
    x[np.abs(x) < 1e-3] = 0.5
    mask = rng.random(shape) >= p
    if 0 < p < 1 and mask.size > 1:
        mask.flat[0], mask.flat[-1] = True, False
    return x, mask


# What the common mistakes of training mode compute, for the forward pass (on x) and the backward pass (on dout):
# (the kind of mistake, its description for the forward pass, for the backward pass, and what it computes).
_TRAINING_MISTAKES = [
    ("x * mask without the rescaling (vanilla dropout): inverted dropout divides the kept entries by the keep "
     "probability 1 - p, so that E[out] = x",
     "dout * mask without 1/(1 - p): the forward pass scaled the kept entries by 1/(1 - p), so their gradient is "
     "scaled by the same factor", lambda v, mask, p, scale: v * mask),
    ("x * mask * (1 - p): the kept entries are divided by 1 - p, not multiplied",
     "dout * mask * (1 - p): divide by the keep probability 1 - p, do not multiply",
     lambda v, mask, p, scale: v * mask * (1 - p)),
    ("x * mask / p: p is the drop probability (torch's convention), so the kept entries are divided by the keep "
     "probability 1 - p; cs231n's p is the keep probability",
     "dout * mask / p: p is the drop probability, so the scale is 1/(1 - p)",
     lambda v, mask, p, scale: v * mask / p if p > 0 else None),
    ("x * (1 - mask) / (1 - p): True in the mask means keep",
     "dout * (1 - mask) / (1 - p): True in the mask means keep",
     lambda v, mask, p, scale: v * ~mask * scale),
    ("x / (1 - p) without the mask",
     "dout / (1 - p) without the mask: dropped entries do not affect the output, so their gradient is 0",
     lambda v, mask, p, scale: v * scale),
    (None, "dout: the mask and the scale of training mode are missing (that is the evaluation-mode gradient)",
     lambda v, mask, p, scale: v)]


def _training_mistakes(values, mask, p, backward=False):
    """(description, wrong result) of every mistake of _TRAINING_MISTAKES that applies, for ``values`` = x or dout."""
    scale = 1.0 / (1.0 - p) if p < 1 else 0.0
    found = [(backward_text if backward else forward_text, compute(values, mask, p, scale))
             for forward_text, backward_text, compute in _TRAINING_MISTAKES]
    return [(text, wrong) for text, wrong in found if text is not None and wrong is not None]


def _eval_mistakes(x, mask, p):
    keep = 1.0 - p
    mistakes = [("x * (1 - p): rescaled at test time as well. Inverted dropout scaled in training, so evaluation is "
                 "the identity (multiplying by 1 - p at test time is weight scaling, for vanilla dropout)", x * keep)]
    if mask is not None:
        mistakes += [("the mask applied in evaluation: dropout is the identity at test time (train=False, torch's "
                      "model.eval())", x * mask * (1.0 / keep if keep else 0.0)),
                     ("x * mask: the mask applied in evaluation (train=False): dropout is the identity at test time",
                      x * mask)]
    return mistakes


def _finite(checker, what, got, context):
    __tracebackhide__ = True
    if isinstance(got, np.ndarray) and got.dtype.kind == "f" and not np.isfinite(got).all():
        checker.fail(f"{what} contains nan or inf {context}: with p = 1 every entry is dropped and 1/(1 - p) is "
                     "1/0. Return zeros then, as torch does.")


def _check_cache(checker, cache, mask, p, train, context):
    """The cache is DropoutCache(mask, p, train); in evaluation its mask is not used and may be anything."""
    __tracebackhide__ = True
    checker.require(isinstance(cache, reference.DropoutCache),
                    f"the cache should be DropoutCache(mask, p, train) {context}, but it is {describe(cache)}: "
                    "dropout_backward reads cache.mask, cache.p and cache.train.")
    same_mask = not train or (isinstance(cache.mask, np.ndarray) and np.array_equal(cache.mask, mask))
    checker.require(same_mask and cache.p == p and cache.train is not None and bool(cache.train) == train,
                    f"the cache should hold the mask you were given, p={p} and train={train} {context}, got "
                    f"DropoutCache(mask={describe(cache.mask)}, p={cache.p}, train={cache.train}).")


def check_dropout_forward(dropout_forward, seed=0, shapes=((5, 4), (2, 3, 4)), ps=(0.2, 0.75)):
    """Exercise 2: out = x * mask / (1 - p) in training (zeros at p = 1), out = x in evaluation, and the cache
    DropoutCache(mask, p, train); against the reference and F.dropout given the mask torch drew."""
    __tracebackhide__ = True
    checker = Checker("dropout_forward")
    rng = np.random.default_rng(seed)
    for shape in shapes:
        for p in tuple(ps) + (0.0, 1.0):
            x, mask = _inputs(rng, shape, p)
            saved = (x.copy(), mask.copy())
            context = f"for x of shape {shape}, p={p}, train=True"
            out, cache = checker.unpack(checker.call(dropout_forward, x, mask, p), ("out", "cache"), context)
            unchanged(checker, "x", saved[0], x)
            checker.require(np.array_equal(saved[1], mask), "your function changed its input mask; leave it as it is.")
            _finite(checker, "out", out, context)
            want = reference.dropout_forward(x, mask, p)[0]
            checker.close("out", out, want, _training_mistakes(x, mask, p), context=context)
            _check_cache(checker, cache, mask, p, True, context)
            for given in (mask, None):
                context = f"for x of shape {shape}, p={p}, train=False" + (" and mask=None" if given is None else "")
                out, cache = checker.unpack(checker.call(dropout_forward, x, given, p, train=False), ("out", "cache"),
                                            context)
                checker.close("out", out, x, _eval_mistakes(x, given, p), context=context)
                unchanged(checker, "x", saved[0], x)
                _check_cache(checker, cache, given, p, False, context)
            if p < 1:
                _, theirs, torch_mask = _torch_dropout(x, p, seed)
                context = f"for x of shape {shape}, p={p}, given the mask torch.nn.functional.dropout drew"
                out = checker.unpack(checker.call(dropout_forward, x, torch_mask, p), ("out", "cache"), context)[0]
                checker.close("out", out, theirs.detach().numpy(), context=context)
    checker.done()


def _same(got, wrong):
    return np.shape(got) == np.shape(wrong) and bool(np.allclose(got, wrong, rtol=1e-6, atol=1e-12))


def check_dropout_backward(dropout_backward, seed=0, shapes=((5, 4), (2, 3, 4)), ps=(0.2, 0.75)):
    """Exercise 3: dx = dout * mask / (1 - p) in training (zeros at p = 1), dx = dout in evaluation; against the
    reference, a numerical gradient and torch's autograd through F.dropout."""
    __tracebackhide__ = True
    checker = Checker("dropout_backward")
    rng = np.random.default_rng(seed)
    for shape in shapes:
        for p in tuple(ps) + (0.0, 1.0):
            x, mask = _inputs(rng, shape, p)
            dout = rng.standard_normal(shape)
            saved = (dout.copy(), mask.copy())
            context = f"for dout of shape {shape}, p={p}, train=True"
            dx = checker.call(dropout_backward, dout, reference.DropoutCache(mask, p, True))
            unchanged(checker, "dout", saved[0], dout)
            checker.require(np.array_equal(saved[1], mask), "your function changed the mask in the cache.")
            _finite(checker, "dx", dx, context)
            want = reference.dropout_backward(dout, reference.DropoutCache(mask, p, True))
            checker.conforms("dx", dx, want, context=context)
            known = _training_mistakes(dout, mask, p, backward=True)
            if 0 < p < 1 and ((dx != 0) != mask).any() and not any(_same(dx, wrong) for _, wrong in known):
                checker.fail(f"dx is not zero exactly where the mask dropped entries {context}: use the mask in the "
                             "cache. A new mask drawn in the backward pass differentiates another network than the "
                             "one the forward pass ran.")
            checker.close("dx", dx, want, known, context=context)
            for given in (mask, None):
                context = f"for dout of shape {shape}, p={p}, train=False" + (" and mask=None" if given is None else "")
                dx = checker.call(dropout_backward, dout, reference.DropoutCache(given, p, False))
                checker.close("dx", dx, dout, [(
                    "the training-mode gradient: in evaluation (cache.train is False) dropout is the identity, "
                    "so dx = dout", dout * mask * (1 / (1 - p) if p < 1 else 0.0))] if given is not None else [],
                    context=context)
            if 0 < p < 1:
                context = f"for dout of shape {shape}, p={p}, compared with a numerical gradient"
                numerical = numerical_gradient(
                    lambda v: float(np.sum(reference.dropout_forward(v, mask, p)[0] * dout)), x.copy())
                dx = checker.call(dropout_backward, dout, reference.DropoutCache(mask, p, True))
                checker.close("dx", dx, numerical, rtol=1e-6, atol=1e-7, context=context)
                xt, out, torch_mask = _torch_dropout(x, p, seed)
                out.backward(_torch().tensor(dout, dtype=out.dtype))
                context = f"for dout of shape {shape}, p={p}, compared with torch's autograd through F.dropout"
                dx = checker.call(dropout_backward, dout, reference.DropoutCache(torch_mask, p, True))
                checker.close("dx", dx, xt.grad.numpy(), context=context)
    checker.done()


# ---------------------------------------------------------------- exercise 4: Monte-Carlo prediction


def _small_net(d, k, p_in, p_hidden):
    return sequential(dropout(p_in), linear(d, 7), activation("relu"), dropout(p_hidden), linear(7, k))


def _mc_mistakes(net, params, x, seed, n_samples):
    def passes():
        rng = np.random.default_rng(seed)
        return np.array([net.forward(params, {}, x, train=True, rng=rng)[0] for _ in range(n_samples)])

    def one_hot_votes():
        logits = passes()
        return np.mean(np.eye(logits.shape[-1])[np.argmax(logits, axis=-1)], axis=0)

    return [
        ("the softmax of the averaged logits: average the probabilities softmax(logits) of the passes, not "
         "the logits", lambda: softmax(passes().mean(axis=0), axis=1)),
        ("the average of the logits: the prediction averages class probabilities, so apply softmax to each pass",
         lambda: passes().mean(axis=0)),
        ("the prediction in evaluation mode: with train=False no mask is drawn and every pass is the same (the "
         "classic model.eval() mistake of MC dropout); run the passes with train=True",
         lambda: softmax(net.forward(params, {}, x, train=False)[0], axis=1)),
        ("the first pass repeated: every pass must draw new masks (call net.forward once per sample)",
         lambda: softmax(passes()[0], axis=1)),
        ("the sum of the probabilities over the passes; divide by the number of samples",
         lambda: softmax(passes(), axis=-1).sum(axis=0)),
        ("the fraction of passes voting for each class (argmax); average the probabilities instead",
         one_hot_votes),
        ("the geometric mean of the probabilities, exp(mean log softmax), which is not normalised; average the "
         "probabilities themselves", lambda: np.exp(log_softmax(passes(), axis=-1).mean(axis=0)))]


def _torch_mc_predict(params, x, p_in, p_hidden, seed, n_samples):
    """The Monte-Carlo prediction of ``_small_net`` computed by torch in float64, with the masks replayed from a
    generator seeded like the student's (each pass draws the input mask, then the hidden mask)."""
    torch = _torch()
    replay = np.random.default_rng(seed)
    w1, b1, w2, b2 = (torch.from_numpy(params[key]) for key in ("1.W", "1.b", "4.W", "4.b"))
    xt, total = torch.from_numpy(x), 0.0
    for _ in range(n_samples):
        kept_inputs = torch.from_numpy(reference.dropout_mask(x.shape, p_in, replay))
        hidden = torch.relu(torch.nn.functional.linear(xt * kept_inputs / (1 - p_in), w1, b1))
        kept_hidden = torch.from_numpy(reference.dropout_mask(tuple(hidden.shape), p_hidden, replay))
        total = total + torch.softmax(torch.nn.functional.linear(hidden * kept_hidden / (1 - p_hidden), w2, b2), dim=1)
    return (total / n_samples).numpy()


def check_mc_dropout_predict(mc_dropout_predict, seed=0, sizes=((6, 5, 3), (1, 4, 4)), samples=(1, 5, 30)):
    """Exercise 4: the mean of softmax(logits) over ``n_samples`` passes in training mode, all drawing their masks
    from the one ``rng`` in turn; compared exactly with the reference given a generator with the same seed, and
    with torch fed the same masks."""
    __tracebackhide__ = True
    checker = Checker("mc_dropout_predict")
    rng = np.random.default_rng(seed)
    for n, d, k in sizes:
        net = _small_net(d, k, 0.2, 0.5)
        params, state = net.init(rng)
        params = {key: value + (0.3 * rng.standard_normal(value.shape) if key.endswith("b") else 0.0)
                  for key, value in params.items()}
        x = rng.standard_normal((n, d))
        saved_params, saved_x = {key: value.copy() for key, value in params.items()}, x.copy()
        for n_samples in samples:
            stream = int(rng.integers(1 << 30))
            context = f"for x of shape {(n, d)}, {k} classes and n_samples={n_samples}"
            got = checker.call(mc_dropout_predict, net, params, state, x, np.random.default_rng(stream), n_samples)
            unchanged(checker, "x", saved_x, x)
            for key in params:
                unchanged(checker, f"params[{key!r}]", saved_params[key], params[key])
            want = reference.mc_dropout_predict(net, params, state, x, np.random.default_rng(stream), n_samples)
            checker.close("the matrix of predicted probabilities", got, want,
                          _mc_mistakes(net, params, x, stream, n_samples), context=context)
            checker.close("the matrix of predicted probabilities", got,
                          _torch_mc_predict(params, x, 0.2, 0.5, stream, n_samples),
                          context=context + ", compared with torch fed the same masks")
    checker.done()


# ---------------------------------------------------------------- exercise 5: weight scaling


def _scaling_mistakes(params, drop_probs):
    def scaled(factor, biases=False, prefix_match=False):
        out = dict(params)
        for prefix, p in drop_probs.items():
            for key in params:
                layer, name = key.rsplit(".", 1)
                hit = key.startswith(prefix) if prefix_match else layer == prefix
                if hit and (name == "W" or (biases and name == "b")):
                    out[key] = factor(p) * out.get(key, params[key])
        return out

    return [
        ("the biases scaled too: only the weights multiply the dropped units (a bias sees no dropout)",
         scaled(lambda p: 1 - p, biases=True)),
        ("the weights scaled by 1/(1 - p), inverted dropout's training-time factor: at test time a vanilla-dropout "
         "network multiplies them by the keep probability 1 - p", scaled(lambda p: 1 / (1 - p))),
        ("the weights scaled by p: p is the drop probability, multiply by the keep probability 1 - p",
         scaled(lambda p: p)),
        ("every key that starts with a prefix scaled (layer '1' also matched '10.W'): compare the part of the key "
         "before its last dot", scaled(lambda p: 1 - p, prefix_match=True)),
        ("the parameters unchanged: that is right for inverted dropout, but this network was trained with vanilla "
         "dropout, whose test-time weights are (1 - p) W", dict(params))]


def _deep_net(widths, p_in, p_hidden):
    layers, sizes = [dropout(p_in)], list(widths)
    for index, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if index:
            layers += [activation("relu"), dropout(p_hidden)]
        layers.append(linear(d_in, d_out))
    return sequential(*layers)


def _torch_expected_layer(w, b, h, p):
    """E over every mask m of the vanilla layer's pre-activation W (m * h) + b, computed in torch in float64: what the
    weight-scaled layer must compute from h."""
    torch = _torch()
    masks, probs = reference.all_masks(len(h), p)
    pre = torch.from_numpy(masks * h) @ torch.from_numpy(w).T + torch.from_numpy(b)
    return (torch.from_numpy(probs) @ pre).numpy()


def check_weight_scaling(weight_scaling, seed=0, widths=(4, 5, 3, 6, 2, 3), p_in=0.2, p_hidden=0.5):
    """Exercise 5: W <- (1 - p) W for every layer named in drop_probs (its key prefix), all else unchanged; and each
    scaled layer computes the vanilla layer's pre-activation averaged over every mask of its input (torch)."""
    __tracebackhide__ = True
    checker = Checker("weight_scaling")
    rng = np.random.default_rng(seed)
    net = _deep_net(widths, p_in, p_hidden)
    params, _ = net.init(rng)
    params = {key: value + (0.2 * rng.standard_normal(value.shape) if key.endswith("b") else 0.0)
              for key, value in params.items()}
    linear_layers = sorted({key.rsplit(".", 1)[0] for key in params}, key=int)
    cases = [{layer: (p_in if i == 0 else p_hidden) for i, layer in enumerate(linear_layers)},
             {layer: 0.3 for layer in linear_layers[1:-1]}, {}]
    for drop_probs in cases:
        context = f"for drop_probs={drop_probs}"
        saved = {key: value.copy() for key, value in params.items()}
        got = checker.call(weight_scaling, params, dict(drop_probs))
        for key in params:
            unchanged(checker, f"params[{key!r}]", saved[key], params[key])
        checker.require(isinstance(got, dict), f"should return a dict like params {context}, got {describe(got)}.")
        missing = sorted(set(params) - set(got))
        checker.require(not missing, f"the result lacks the keys {missing} {context}: return every parameter, the "
                                     "unscaled ones too.")
        want = reference.weight_scaling(params, drop_probs)
        keys = sorted(params)
        mistakes = [(description, [wrong[key] for key in keys])
                    for description, wrong in _scaling_mistakes(params, drop_probs)]
        checker.close_all([(f"the result[{key!r}]", got[key], want[key]) for key in keys], mistakes, context=context)
        for prefix, p in drop_probs.items():
            h = rng.standard_normal(params[f"{prefix}.W"].shape[1])
            scaled_layer = got[f"{prefix}.W"] @ h + got[f"{prefix}.b"]
            checker.close(f"layer {prefix}'s pre-activation with your weights", scaled_layer,
                          _torch_expected_layer(params[f"{prefix}.W"], params[f"{prefix}.b"], h, p),
                          context=context + ", compared with torch's average of the vanilla layer over every mask")
    checker.done()
