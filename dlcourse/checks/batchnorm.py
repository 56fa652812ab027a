"""Checks for chapter 05_batchnorm, exercises 1 and 2: batchnorm_init and batchnorm_forward, batchnorm_backward.

Book: chapter 05_batchnorm. The oracles are the reference in ``dlcourse.normalization``, ``torch.nn.BatchNorm1d``
in float64 stepped through the same training batches and then evaluated (running statistics included), torch
autograd, and a numerical gradient. torch is imported only when a check first needs it.
The chapter's other checks are in ``layernorm_inference.py``.
"""
import numpy as np

from .. import normalization as ref
from ..gradcheck import numerical_gradient
from ..normalization import BatchNormCache, BatchNormState
from .batchnorm_mistakes import (BATCHNORM_BACKWARD_MISTAKES, BATCHNORM_FORWARD_MISTAKES, batchnorm_backward_like,
                                 batchnorm_forward_like, quietly)
from .core import Checker, CheckError, _matches, _matches_all, describe

__all__ = ["check_batchnorm_forward", "check_batchnorm_backward"]


def torch_one_thread():
    """torch, imported when a check first needs it, with one intra-op thread: the checks' tensors are tiny, and on a
    busy machine a second thread makes every call wait (the notebook's threadpool_limits does not reach a library
    imported after it)."""
    import torch
    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)
    return torch

# (batch sizes of the training steps, D, momentum, eps): "default" is not passed (the signature's default is
# used); momentum None is torch's cumulative average
FORWARD_CASES = (((4, 7, 4, 5), 3, "default", "default"), ((5, 3, 6), 4, 0.3, 1e-3),
                 ((4, 6, 3, 8), 2, None, "default"), ((3, 5), 5, 0.1, 1e-5))


def batches(rng, sizes, d):
    """Training batches x (N_k, D) with feature-wise offsets and scales (x = s_j z + 12 - j), so that the
    statistics are far from 0 and 1 and every known mistake gives a different number."""
    scales = np.linspace(0.5, 5.0, d)
    offsets = 12.0 - np.arange(d)
    return [scales * rng.standard_normal((n, d)) + offsets + rng.standard_normal(d) for n in sizes]


def batchnorm_params(rng, d):
    return 1.0 + 0.3 * rng.standard_normal(d), 0.5 * rng.standard_normal(d)


def _state_copy(state):
    return BatchNormState(np.array(state.running_mean, dtype=float), np.array(state.running_var, dtype=float),
                          state.num_batches_tracked)


# ---------------------------------------------------------------- torch.nn.BatchNorm1d in float64


def torch_batchnorm_run(xs, gamma, beta, momentum, eps, x_eval):
    """BatchNorm1d trained on the batches ``xs`` and then evaluated on ``x_eval``: per step (out, running_mean,
    running_var, num_batches_tracked), then the evaluation output."""
    torch = torch_one_thread()
    d = xs[0].shape[1]
    bn = torch.nn.BatchNorm1d(d, eps=eps, momentum=momentum).double()
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(gamma))
        bn.bias.copy_(torch.from_numpy(beta))
        steps = []
        for x in xs:
            out = bn(torch.from_numpy(x))
            steps.append((out.numpy().copy(), bn.running_mean.numpy().copy(), bn.running_var.numpy().copy(),
                          int(bn.num_batches_tracked)))
        bn.eval()
        return steps, bn(torch.from_numpy(x_eval)).numpy().copy()


# ---------------------------------------------------------------- exercise 1: batchnorm_init


def check_batchnorm_init(checker, batchnorm_init, cases=((3, None), (1, None), (4, np.float32))):
    """gamma = 1, beta = 0 and torch's initial running statistics, arrays of shape (D,) and the dtype asked for, for
    (D, dtype) in ``cases`` (None: the default dtype float64, not passed)."""
    __tracebackhide__ = True
    for d, dtype in cases:
        context = f"for D={d}" + ("" if dtype is None else f" and dtype={np.dtype(dtype).name}")
        result = checker.call(batchnorm_init, d, *(() if dtype is None else (dtype,)))
        gamma, beta, state = checker.unpack(result, ("gamma", "beta", "state"), context)
        checker.close("gamma", gamma, np.ones(d), [("zeros: gamma starts at 1", np.zeros(d))], context=context)
        checker.close("beta", beta, np.zeros(d), [("ones: beta starts at 0", np.ones(d))], context=context)
        checker.require(isinstance(state, BatchNormState), f"the state should be a BatchNormState (build it "
                        f"with BatchNormState(running_mean, running_var, 0)), but it is {describe(state)} {context}.")
        checker.close("state.running_mean", state.running_mean, np.zeros(d), context=context)
        checker.close("state.running_var", state.running_var, np.ones(d), [
            ("zeros (cs231n's initial value): torch starts running_var at 1, so that evaluation before any "
             "training step divides by sqrt(1 + eps), not by sqrt(eps)", np.zeros(d))], context=context)
        checker.require(isinstance(state.num_batches_tracked, (int, np.integer)) and state.num_batches_tracked == 0,
                        f"state.num_batches_tracked should be the integer 0 {context}, got "
                        f"{state.num_batches_tracked!r}.")
        want = np.dtype(np.float64 if dtype is None else dtype)
        for what, value in (("gamma", gamma), ("beta", beta), ("state.running_mean", state.running_mean),
                            ("state.running_var", state.running_var)):
            checker.require(value.dtype == want, f"{what} should have dtype {want.name} {context}, got {value.dtype}.")


# ---------------------------------------------------------------- exercise 1: batchnorm_forward


def _options(momentum, eps):
    """The keyword arguments of a call: a setting "default" is left out, so that the signature's default is used."""
    return {key: value for key, value in (("momentum", momentum), ("eps", eps)) if value != "default"}


def _call_forward(fn, checker, x, gamma, beta, state, train, momentum, eps):
    return checker.call(fn, x, gamma, beta, state, train, **_options(momentum, eps),
                        hint=lambda error: " momentum=None means the cumulative average: the new batch gets the "
                                           "weight 1 / num_batches_tracked." if momentum is None
                        and isinstance(error, TypeError) else "")


def _forward_contract(checker, result, n, d, train, context):
    """(out, cache, state) of one call, with the types and shapes the docstring promises."""
    __tracebackhide__ = True
    out, cache, state = checker.unpack(result, ("out", "cache", "new_state"), context)
    checker.conforms("out", out, np.zeros((n, d)), context=context)
    checker.require(isinstance(cache, BatchNormCache), f"the cache should be BatchNormCache(x_hat, inv_std, gamma, "
                    f"train), but it is {describe(cache)} {context}.")
    checker.conforms("cache.x_hat", cache.x_hat, np.zeros((n, d)), context=context)
    checker.conforms("cache.inv_std", cache.inv_std, np.zeros(d), context=context)
    checker.require(isinstance(cache.train, (bool, np.bool_)) and cache.train == train,
                    f"cache.train should be {train} {context}, got {cache.train!r}.")
    checker.require(isinstance(state, BatchNormState), f"the new state should be a BatchNormState, but it is "
                    f"{describe(state)} {context}.")
    checker.conforms("new_state.running_mean", state.running_mean, np.zeros(d), context=context)
    checker.conforms("new_state.running_var", state.running_var, np.zeros(d), context=context)
    checker.require(isinstance(state.num_batches_tracked, (int, np.integer)),
                    f"new_state.num_batches_tracked should be an integer, got {state.num_batches_tracked!r} {context}.")
    return out, cache, state


def _run_variant(xs, x_eval, gamma, beta, momentum, eps, flags):
    """The trajectory [(out, running_mean, running_var, count), ...] + [(eval out, state after eval)]."""
    kwargs = _options(momentum, eps)
    state, path = ref.batchnorm_init(xs[0].shape[1])[2], []
    with np.errstate(all="ignore"):
        for x in xs:
            out, state = batchnorm_forward_like(x, gamma, beta, state, True, **kwargs, **flags)
            path.append((out, state.running_mean, state.running_var, state.num_batches_tracked))
        out, after = batchnorm_forward_like(x_eval, gamma, beta, state, False, **kwargs, **flags)
    return path + [(out, after.running_mean, after.running_var, after.num_batches_tracked)]


def _same_path(got, want):
    return len(got) == len(want) and all(_matches(g, w) for step_got, step_want in zip(got, want)
                                         for g, w in zip(step_got, step_want))


@quietly
def check_batchnorm_forward(batchnorm_init, batchnorm_forward, seed=0, cases=FORWARD_CASES):
    """batchnorm_init, then batchnorm_forward over several training steps and one evaluation, against the
    reference and torch.nn.BatchNorm1d (float64), feeding back the student's own state.

    ``cases`` holds (batch sizes of the training steps, D, momentum, eps); None for momentum means the
    cumulative average; "default" is not passed, so the signature's default is used.
    """
    __tracebackhide__ = True
    init_checker = Checker("batchnorm_init")
    check_batchnorm_init(init_checker, batchnorm_init)
    init_checker.done()
    checker = Checker("batchnorm_forward")
    rng = np.random.default_rng(seed)
    for sizes, d, momentum, eps in cases:
        xs, x_eval = batches(rng, sizes, d), batches(rng, (5,), d)[0]
        gamma, beta = batchnorm_params(rng, d)
        shown = f"momentum={momentum}" + ("" if eps == "default" else f", eps={eps:g}")
        got_path, want_path = [], _run_variant(xs, x_eval, gamma, beta, momentum, eps, {})
        state = ref.batchnorm_init(d)[2]
        for step, x in enumerate(xs + [x_eval], start=1):
            train = step <= len(xs)
            context = (f"at training step {step}" if train else "in evaluation after the training steps") + \
                f" (N={len(x)}, D={d}, {shown})"
            saved = (x.copy(), gamma.copy(), beta.copy(), _state_copy(state))
            result = _call_forward(batchnorm_forward, checker, x, gamma, beta, state, train, momentum, eps)
            for what, before, after in zip(("x", "gamma", "beta"), saved[:3], (x, gamma, beta)):
                checker.require(np.array_equal(before, after), f"your function changed its input {what} {context}; "
                                                               "compute new arrays instead.")
            checker.require(np.array_equal(saved[3].running_mean, state.running_mean)
                            and np.array_equal(saved[3].running_var, state.running_var),
                            f"your function changed the state it was given in place {context}; return a new "
                            "BatchNormState instead (torch's buffers change, but this function must be pure).")
            out, cache, state = _forward_contract(checker, result, len(x), d, train, context)
            got_path.append((out, state.running_mean, state.running_var, state.num_batches_tracked))
            _compare_step(checker, got_path, want_path, xs, x_eval, gamma, beta, momentum, eps, context)
            _, want_cache, _ = ref.batchnorm_forward(x, gamma, beta, _state_before(want_path, step, d), train,
                                                     **_options(momentum, eps))
            checker.close("cache.x_hat", cache.x_hat, want_cache.x_hat, context=context)
            checker.close("cache.inv_std", cache.inv_std, want_cache.inv_std, [
                ("sqrt(var + eps): store its reciprocal 1 / sqrt(var + eps)", 1 / want_cache.inv_std)],
                context=context)
            checker.close("cache.gamma", cache.gamma, gamma, context=context)
        _compare_torch(checker, got_path, xs, x_eval, gamma, beta, momentum, eps, d, shown)
    _check_one_example(checker, batchnorm_forward)
    checker.done()


def _state_before(path, step, d):
    """The reference state before ``step`` (1-based) of a trajectory."""
    if step == 1:
        return ref.batchnorm_init(d)[2]
    _, mean, var, count = path[step - 2]
    return BatchNormState(mean, var, count)


def _compare_step(checker, got_path, want_path, xs, x_eval, gamma, beta, momentum, eps, context):
    """The last step of ``got_path`` against the reference; on failure, a mistake is named when the student's whole
    trajectory so far equals that mistake's (the variants are run only then)."""
    __tracebackhide__ = True
    step = len(got_path)
    out, mean, var, count = got_path[-1]
    want_out, want_mean, want_var, want_count = want_path[step - 1]
    fields = [("out", out, want_out), ("new_state.running_mean", mean, want_mean),
              ("new_state.running_var", var, want_var)]
    try:
        checker.close_all(fields, context=context)
        checker.require(count == want_count, "")
    except CheckError:
        named = []
        for description, flags in BATCHNORM_FORWARD_MISTAKES:
            wrong = _run_variant(xs, x_eval, gamma, beta, momentum, eps, flags)[:step]
            if not _same_path(wrong, want_path[:step]) and _same_path(got_path, wrong):
                named = [(description, got_path[-1][:3])]
                break
        checker.close_all(fields, named, context=context)
        checker.fail(f"new_state.num_batches_tracked is {count} {context}, expected {want_count}"
                     + (" (evaluation does not count)" if step > len(xs) else "") + "."
                     + (f" Your result equals {named[0][0]}." if named else ""))


def _compare_torch(checker, got_path, xs, x_eval, gamma, beta, momentum, eps, d, shown):
    __tracebackhide__ = True
    steps, eval_out = torch_batchnorm_run(xs, gamma, beta, None if momentum is None else
                                          (0.1 if momentum == "default" else momentum),
                                          1e-5 if eps == "default" else eps, x_eval)
    for step, ((out, mean, var, count), (t_out, t_mean, t_var, t_count)) in enumerate(zip(got_path, steps), 1):
        context = f"at training step {step} (N={len(xs[step - 1])}, D={d}, {shown}), compared with torch's BatchNorm1d"
        checker.close_all([("out", out, t_out), ("running_mean", mean, t_mean), ("running_var", var, t_var)],
                          context=context)
        checker.require(count == t_count, f"num_batches_tracked is {count} {context}, torch has {t_count}.")
    checker.close("the evaluation output", got_path[-1][0], eval_out,
                  context=f"(D={d}, {shown}), compared with torch's BatchNorm1d in eval mode")


def _check_one_example(checker, batchnorm_forward):
    """Training with one example raises a ValueError, as torch does; evaluating one example works."""
    __tracebackhide__ = True
    gamma, beta, state = ref.batchnorm_init(3)
    x = np.array([[1.0, 2.0, 3.0]])
    try:
        checker.call(batchnorm_forward, x, gamma, beta, state, True)
    except CheckError as error:
        if not isinstance(error.__cause__, ValueError):
            raise
        checker.ok()
    else:
        checker.fail("should raise a ValueError when train=True and x has one row (N=1), as torch does: the batch "
                     "variance of one example is 0, and the example would be normalised to beta. Add "
                     "`if x.shape[0] < 2: raise ValueError(...)`.")
    out, _, _ = checker.unpack(checker.call(batchnorm_forward, x, gamma, beta, state, False),
                               ("out", "cache", "new_state"), "in evaluation with N=1")
    checker.close("out", out, (x - state.running_mean) / np.sqrt(state.running_var + 1e-5) * gamma + beta,
                  context="in evaluation with N=1 (one example is fine when the running statistics are used)")


# ---------------------------------------------------------------- exercise 2: batchnorm_backward


def gradient_scales(dout, gamma, inv_std):
    """The round-off scales of (dx, dgamma, dbeta): dx can be far smaller than the terms it is made of (with N = 2
    in batch norm, or D = 1 in layer norm, it is of the order of eps or 0), so its round-off follows
    gamma dout / sigma; dgamma's follows sum_n |dout| (x_hat is of size 1, or round-off around 0)."""
    return np.max(np.abs(gamma * inv_std * dout)), np.max(np.abs(dout).sum(axis=0)), None


def close_gradients(checker, got, want, mistakes, context, scales):
    """(dx, dgamma, dbeta) against ``want`` with the round-off ``scales``; a mistake is named only when all three
    equal what it produces."""
    __tracebackhide__ = True
    named = [(description, wrong) for description, wrong in mistakes if _matches_all(list(got), wrong)]
    for what, value, expected, scale in zip(("dx", "dgamma", "dbeta"), got, want, scales):
        checker.close(what, value, expected, [(description, value) for description, _ in named[:1]], context=context,
                      scale=scale)


def torch_batchnorm_grads(x, gamma, beta, dout, train, state, eps):
    """dx, dgamma, dbeta of sum(out * dout) from torch autograd through F.batch_norm, float64."""
    torch = torch_one_thread()
    F = torch.nn.functional
    xt, gt, bt = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, gamma, beta))
    mean, var = (torch.tensor(a, dtype=torch.float64) for a in (state.running_mean, state.running_var))
    out = F.batch_norm(xt, mean, var, gt, bt, training=train, eps=eps)
    out.backward(torch.from_numpy(dout))
    return xt.grad.numpy(), gt.grad.numpy(), bt.grad.numpy()


@quietly
def check_batchnorm_backward(batchnorm_backward, seed=0, shapes=((4, 3), (7, 5), (2, 4)), eps=1e-5):
    """dx, dgamma, dbeta in training and in evaluation mode against the reference, torch autograd and a numerical
    gradient, for (N, D) in ``shapes``."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    checker = Checker("batchnorm_backward")
    for n, d in shapes:
        x = batches(rng, (n,), d)[0]
        gamma, beta = batchnorm_params(rng, d)
        state = BatchNormState(12.0 - np.arange(d) + rng.standard_normal(d), rng.uniform(0.5, 8.0, d), 3)
        for train in (True, False):
            _, cache, _ = ref.batchnorm_forward(x, gamma, beta, state, train, eps=eps)
            dout = rng.standard_normal((n, d)) / n
            context = f"for N={n}, D={d} in {'training' if train else 'evaluation'} mode"
            saved = [dout.copy()] + [np.array(a, copy=True) for a in cache[:3]]
            result = checker.call(batchnorm_backward, dout, cache)
            for what, before, after in zip(("dout", "cache.x_hat", "cache.inv_std", "cache.gamma"), saved,
                                           [dout] + list(cache[:3])):
                checker.require(np.array_equal(before, after), f"your function changed its input {what}; compute "
                                                               "new arrays instead.")
            dx, dgamma, dbeta = checker.unpack(result, ("dx", "dgamma", "dbeta"), context)
            want = ref.batchnorm_backward(dout, cache)
            got = (dx, dgamma, dbeta)
            mistakes = [(description, batchnorm_backward_like(dout, cache, **flags))
                        for description, flags in BATCHNORM_BACKWARD_MISTAKES]
            mistakes = [(description, wrong) for description, wrong in mistakes
                        if not all(_matches(w, r) for w, r in zip(wrong, want))]
            scales = gradient_scales(dout, gamma, cache.inv_std)
            close_gradients(checker, got, want, mistakes, context, scales)
            theirs = torch_batchnorm_grads(x, gamma, beta, dout, train, state, eps)
            close_gradients(checker, got, theirs, [], context + ", compared with torch autograd", scales)
            numerical = numerical_gradient(
                lambda v: float(np.sum(ref.batchnorm_forward(v, gamma, beta, state, train, eps=eps)[0] * dout)),
                x.copy())
            checker.close("dx compared with a numerical gradient", dx, numerical, rtol=1e-4, atol=1e-6,
                          context=context)
    checker.done()
