"""Checks for chapter 05_batchnorm, exercises 3 to 6: layer norm forward and backward, population statistics,
folding batch norm into the preceding linear layer.

Book: chapter 05_batchnorm. The oracles are the reference in ``dlcourse.normalization``, ``torch.nn.LayerNorm``
and torch autograd, ``torch.nn.BatchNorm1d(momentum=None)`` fed the same batches, and
``torch.nn.utils.fusion.fuse_linear_bn_eval``, all in float64, and a numerical gradient.
"""
import numpy as np

from .. import normalization as ref
from ..gradcheck import numerical_gradient
from ..normalization import BatchNormState, LayerNormCache
from .batchnorm import (batches, batchnorm_params, close_gradients, gradient_scales, torch_batchnorm_run,
                        torch_one_thread)
from .batchnorm_mistakes import (LAYERNORM_BACKWARD_MISTAKES, LAYERNORM_FORWARD_MISTAKES, layernorm_backward_like,
                                 layernorm_forward_like, quietly)
from .core import Checker, _matches, describe

__all__ = ["check_layernorm_forward", "check_layernorm_backward", "check_population_statistics",
           "check_fold_batchnorm"]


def _rows(rng, n, d):
    """x (N, D) whose rows have different offsets and scales (x_nj = s_n z_nj + 12 - n), far from 0 and 1."""
    return rng.uniform(0.5, 5.0, (n, 1)) * rng.standard_normal((n, d)) + 12.0 - np.arange(n)[:, None]


def _unchanged(checker, named_arrays, context):
    __tracebackhide__ = True
    for what, before, after in named_arrays:
        checker.require(np.array_equal(before, after), f"your function changed its input {what} {context}; compute "
                                                       "new arrays instead.")


def _live(mistakes, want):
    """The (description, value) pairs whose value differs from the correct result (those can be told apart)."""
    same = lambda a, b: all(_matches(x, y) for x, y in zip(a, b)) if isinstance(a, tuple) else _matches(a, b)  # noqa
    return [(description, value) for description, value in mistakes if not same(value, want)]


# ---------------------------------------------------------------- exercise 3: layernorm_forward


def torch_layernorm(x, gamma, beta, eps, dout=None):
    """nn.LayerNorm(D, eps) with weight gamma and bias beta, float64: out, and (dx, dgamma, dbeta) if dout."""
    torch = torch_one_thread()
    d = x.shape[1]
    ln = torch.nn.LayerNorm(d, eps=eps).double()
    with torch.no_grad():
        ln.weight.copy_(torch.from_numpy(gamma))
        ln.bias.copy_(torch.from_numpy(beta))
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = ln(xt)
    if dout is None:
        return out.detach().numpy()
    out.backward(torch.from_numpy(dout))
    return out.detach().numpy(), (xt.grad.numpy(), ln.weight.grad.numpy(), ln.bias.grad.numpy())


@quietly
def check_layernorm_forward(layernorm_forward, seed=0, shapes=((4, 6), (5, 5), (1, 3), (7, 2)), eps=None):
    """out and the cache of layer normalisation against the reference and torch.nn.LayerNorm (float64), for
    (N, D) in ``shapes`` (N = D included, where a wrong axis can hide; N = 1 included, which layer norm allows)."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("layernorm_forward")
    for n, d in shapes:
        x = _rows(rng, n, d)
        gamma, beta = batchnorm_params(rng, d)
        context = f"for N={n}, D={d}" + ("" if eps is None else f", eps={eps:g}")
        saved = (x.copy(), gamma.copy(), beta.copy())
        result = checker.call(layernorm_forward, x, gamma, beta, *(() if eps is None else (eps,)),
                              hint=lambda error: " Keep the axis of the row statistics: x.mean(axis=1, keepdims=True) "
                                                 "has shape (N, 1) and broadcasts against (N, D)."
                              if isinstance(error, ValueError) and "broadcast" in str(error) else "")
        _unchanged(checker, zip(("x", "gamma", "beta"), saved, (x, gamma, beta)), context)
        out, cache = checker.unpack(result, ("out", "cache"), context)
        used_eps = 1e-5 if eps is None else eps
        want_out, want_cache = ref.layernorm_forward(x, gamma, beta, used_eps)
        mistakes = _live([(description, layernorm_forward_like(x, gamma, beta, used_eps, **flags))
                          for description, flags in LAYERNORM_FORWARD_MISTAKES], want_out)
        checker.close("out", out, want_out, mistakes, context=context)
        checker.close("out", out, torch_layernorm(x, gamma, beta, used_eps),
                      context=context + ", compared with torch.nn.LayerNorm")
        checker.require(isinstance(cache, LayerNormCache), f"the cache should be LayerNormCache(x_hat, inv_std, "
                        f"gamma), but it is {describe(cache)} {context}.")
        checker.close("cache.x_hat", cache.x_hat, want_cache.x_hat, context=context)
        checker.close("cache.inv_std", cache.inv_std, want_cache.inv_std, [
            ("shape (N,): keep the axis, 1 / sqrt(var + eps) of shape (N, 1)", want_cache.inv_std[:, 0]),
            ("sqrt(var + eps): store its reciprocal 1 / sqrt(var + eps)", 1 / want_cache.inv_std)], context=context)
        checker.close("cache.gamma", cache.gamma, gamma, context=context)
    checker.done()


# ---------------------------------------------------------------- exercise 4: layernorm_backward


@quietly
def check_layernorm_backward(layernorm_backward, seed=0, shapes=((4, 6), (5, 5), (1, 3), (6, 2))):
    """dx, dgamma, dbeta of layer normalisation against the reference, torch autograd and a numerical gradient."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("layernorm_backward")
    for n, d in shapes:
        x = _rows(rng, n, d)
        gamma, beta = batchnorm_params(rng, d)
        _, cache = ref.layernorm_forward(x, gamma, beta)
        dout = rng.standard_normal((n, d)) / n
        context = f"for N={n}, D={d}"
        saved = [dout.copy()] + [a.copy() for a in cache]
        result = checker.call(layernorm_backward, dout, cache)
        _unchanged(checker, zip(("dout", "cache.x_hat", "cache.inv_std", "cache.gamma"), saved, [dout] + list(cache)),
                   context)
        got = checker.unpack(result, ("dx", "dgamma", "dbeta"), context)
        want = ref.layernorm_backward(dout, cache)
        mistakes = _live([(description, layernorm_backward_like(dout, cache, **flags))
                          for description, flags in LAYERNORM_BACKWARD_MISTAKES], want)
        scales = gradient_scales(dout, gamma, cache.inv_std)
        close_gradients(checker, got, want, mistakes, context, scales)
        _, theirs = torch_layernorm(x, gamma, beta, 1e-5, dout)
        close_gradients(checker, got, theirs, [], context + ", compared with torch autograd", scales)
        numerical = numerical_gradient(lambda v: float(np.sum(ref.layernorm_forward(v, gamma, beta)[0] * dout)),
                                       x.copy())
        checker.close("dx compared with a numerical gradient", got[0], numerical, rtol=1e-4, atol=1e-6,
                      context=context)
    checker.done()


# ---------------------------------------------------------------- exercise 5: population_statistics


def _population_mistakes(xs):
    """(description, (mean, var, count)) of the usual mistakes."""
    k = len(xs)
    ema = ref.batchnorm_init(xs[0].shape[1])[2]
    for x in xs:
        ema = BatchNormState(0.9 * ema.running_mean + 0.1 * x.mean(0), 0.9 * ema.running_var + 0.1 * x.var(0, ddof=1),
                             ema.num_batches_tracked + 1)
    pooled = np.concatenate(xs)
    sizes = np.array([len(x) for x in xs], dtype=float)[:, None]
    means = np.array([x.mean(0) for x in xs])
    variances = np.array([x.var(0, ddof=1) for x in xs])
    return [
        ("the running average with momentum 0.1, what BatchNorm1d keeps by default: momentum=None makes every "
         "batch count the same, (1/K) sum_k", tuple(ema)),
        ("the mean of the biased batch variances: torch averages the unbiased ones, s2_k N_k / (N_k - 1)",
         (means.mean(0), np.mean([x.var(0) for x in xs], axis=0), k)),
        ("the variance of all the batches pooled together: average the K batch variances instead (they differ when "
         "the batch means differ)", (pooled.mean(0), pooled.var(0, ddof=1), k)),
        ("the squared mean of the batch standard deviations: average the variances",
         (means.mean(0), np.sqrt(variances).mean(0) ** 2, k)),
        ("averages weighted by the batch sizes: torch gives every batch the same weight",
         ((sizes * means).sum(0) / sizes.sum(), (sizes * variances).sum(0) / sizes.sum(), k)),
        ("the statistics of the last batch only", (means[-1], variances[-1], k)),
    ]


def torch_population(xs):
    """BatchNorm1d(D, momentum=None) trained on the batches xs (float64): (running_mean, running_var, count)."""
    steps, _ = torch_batchnorm_run(xs, np.ones(xs[0].shape[1]), np.zeros(xs[0].shape[1]), None, 1e-5, xs[0])
    return steps[-1][1:]


@quietly
def check_population_statistics(population_statistics, seed=0, cases=(((4, 7, 4, 5, 3), 3), ((6,), 2),
                                                                        ((2, 9, 5), 4))):
    """The BatchNormState that BatchNorm1d(momentum=None) holds after the batches, for (batch sizes, D) in
    ``cases``, against the reference and torch (float64)."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("population_statistics")
    for sizes, d in cases:
        xs = [x + 3.0 * k for k, x in enumerate(batches(rng, sizes, d))]   # batch means drift, as during training
        context = f"for {len(sizes)} batches of sizes {list(sizes)}, D={d}"
        saved = [x.copy() for x in xs]
        result = checker.call(population_statistics, xs)
        _unchanged(checker, [(f"batches[{k}]", before, after) for k, (before, after) in enumerate(zip(saved, xs))],
                   context)
        checker.require(isinstance(result, BatchNormState), f"should return a BatchNormState(running_mean, "
                        f"running_var, num_batches_tracked), but returned {describe(result)} {context}.")
        want = ref.population_statistics(xs)
        mistakes = _live(_population_mistakes(xs), tuple(want))
        checker.close_all([("running_mean", result.running_mean, want.running_mean),
                           ("running_var", result.running_var, want.running_var),
                           ("num_batches_tracked", result.num_batches_tracked, want.num_batches_tracked)],
                          mistakes, context=context)
        mean, var, count = torch_population(xs)
        checker.close_all([("running_mean", result.running_mean, mean), ("running_var", result.running_var, var)],
                          context=context + ", compared with torch's BatchNorm1d(momentum=None)")
        checker.require(result.num_batches_tracked == count, f"num_batches_tracked is {result.num_batches_tracked} "
                        f"{context}, torch counts {count}.")
    checker.done()


# ---------------------------------------------------------------- exercise 6: fold_batchnorm


def torch_fold(w, b, gamma, beta, state, eps):
    """torch.nn.utils.fusion.fuse_linear_bn_eval on a Linear and an eval-mode BatchNorm1d (float64) -> (w', b')."""
    torch = torch_one_thread()
    from torch.nn.utils.fusion import fuse_linear_bn_eval
    m, d = w.shape
    linear, bn = torch.nn.Linear(d, m).double(), torch.nn.BatchNorm1d(m, eps=eps).double()
    with torch.no_grad():
        for tensor, value in ((linear.weight, w), (linear.bias, b), (bn.weight, gamma), (bn.bias, beta),
                              (bn.running_mean, state.running_mean), (bn.running_var, state.running_var)):
            tensor.copy_(torch.from_numpy(np.asarray(value, dtype=float)))
        fused = fuse_linear_bn_eval(linear.eval(), bn.eval())
    return fused.weight.detach().numpy(), fused.bias.detach().numpy()


def _fold_mistakes(w, b, gamma, beta, state, eps):
    std = np.sqrt(state.running_var + eps)
    scale = gamma / std
    return [
        ("the fold without the linear layer's bias b: b' = gamma (b - running_mean) / sigma + beta",
         (w * scale[:, None], beta - state.running_mean * scale)),
        ("the fold with w multiplied by sigma / gamma: divide by sigma, w' = w gamma / sigma",
         (w / scale[:, None], (b - state.running_mean) * scale + beta)),
        ("the fold with sqrt(running_var) + eps: use sqrt(running_var + eps)",
         (w * (gamma / (np.sqrt(state.running_var) + eps))[:, None],
          (b - state.running_mean) * gamma / (np.sqrt(state.running_var) + eps) + beta)),
        ("the fold without beta", (w * scale[:, None], (b - state.running_mean) * scale)),
        ("the fold with the mean not scaled: b' = gamma b / sigma + beta - running_mean",
         (w * scale[:, None], b * scale + beta - state.running_mean)),
        ("the fold with running_var in place of its square root", (w * (gamma / (state.running_var + eps))[:, None],
                                                                  (b - state.running_mean) * gamma
                                                                  / (state.running_var + eps) + beta)),
    ]


@quietly
def check_fold_batchnorm(fold_batchnorm, seed=0, shapes=((3, 5), (4, 2), (1, 3)), eps=None):
    """(w', b') against the reference and torch.nn.utils.fusion.fuse_linear_bn_eval (float64), and the folded
    linear layer against the linear layer followed by batch norm in evaluation, for (M, D) in ``shapes``."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("fold_batchnorm")
    used_eps = 1e-5 if eps is None else eps
    for m, d in shapes:
        w, b = rng.standard_normal((m, d)), rng.standard_normal(m)
        gamma, beta = batchnorm_params(rng, m)
        state = BatchNormState(3.0 * rng.standard_normal(m), rng.uniform(0.05, 9.0, m), 7)
        context = f"for w of shape {(m, d)}" + ("" if eps is None else f", eps={eps:g}")
        saved = [a.copy() for a in (w, b, gamma, beta, state.running_mean, state.running_var)]
        result = checker.call(fold_batchnorm, w, b, gamma, beta, state, *(() if eps is None else (eps,)),
                              hint=lambda error: " The scale gamma / sigma has one entry per output unit, so it "
                                                 "multiplies the rows of w (shape (M, D)): w * scale[:, None]."
                              if isinstance(error, ValueError) and "broadcast" in str(error) else "")
        _unchanged(checker, zip(("w", "b", "gamma", "beta", "state.running_mean", "state.running_var"), saved,
                                (w, b, gamma, beta, state.running_mean, state.running_var)), context)
        got = checker.unpack(result, ("w_folded", "b_folded"), context)
        want = ref.fold_batchnorm(w, b, gamma, beta, state, used_eps)
        mistakes = _live(_fold_mistakes(w, b, gamma, beta, state, used_eps), want)
        checker.close_all(list(zip(("w_folded", "b_folded"), got, want)), mistakes, context=context)
        checker.close_all(list(zip(("w_folded", "b_folded"), got, torch_fold(w, b, gamma, beta, state, used_eps))),
                          context=context + ", compared with torch's fuse_linear_bn_eval")
        x = rng.standard_normal((6, d))
        two_layers = ref.batchnorm_forward(x @ w.T + b, gamma, beta, state, False, eps=used_eps)[0]
        checker.close("the folded layer's output x w'^T + b'", x @ np.asarray(got[0]).T + got[1], two_layers,
                      context=context + ", compared with the linear layer followed by batch norm in evaluation")
    checker.done()
