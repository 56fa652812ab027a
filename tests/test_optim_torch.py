"""dlcourse.optim and dlcourse.adaptive agree with torch.optim, and the book's alternative forms obey the
relations the book states.

Error measure (the issue's): max_t max_i |w_ours - w_torch| / max_i |w_torch| over every step t of a run
of ``STEPS`` updates fed the same random gradient sequence, float64, must stay below ``TOL`` = 1e-12.
The largest value per optimiser is printed by ``test_largest_relative_error`` (run with ``-rP``).
"""
import inspect
from functools import partial

import numpy as np
import pytest
import torch

from dlcourse import adaptive as A
from dlcourse import optim as O
from dlcourse.init import init_mlp

TOL = 1e-12
STEPS = 150
SHAPE = (4, 3)
# Per-column gradient scales: tiny (where eps matters), ordinary, large.
SCALES = np.array([1e-6, 1.0, 30.0])
WEIGHT_DECAYS = (0.0, 0.1)
NOT_IN_TORCH = ("eps_inside_sqrt", "bias_correction")  # our flags for the book's variants, off by default
LARGEST = {}


@pytest.fixture(autouse=True)
def torch_float64():
    """torch keeps scalar optimiser state (NAdam's mu_product, step counts) in float32 unless the default
    dtype is float64; with float32, NAdam drifts from the float64 algorithm by ~1e-11."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def torch_kwargs(ours):
    """Our hyper-parameter names -> torch's: beta -> momentum, (beta1, beta2) -> betas."""
    kwargs = dict(ours)
    if "beta" in kwargs:
        kwargs["momentum"] = kwargs.pop("beta")
    if "beta1" in kwargs:
        kwargs["betas"] = (kwargs.pop("beta1"), kwargs.pop("beta2"))
    return kwargs


class Row:
    """One line of the comparison table: our init/update, the torch class (with fixed extra arguments),
    hyper-parameter settings to try, and which of our state fields is which torch state entry."""

    def __init__(self, name, init, update, torch_class, settings, state_map, **torch_extra):
        self.name, self.init, self.update = name, init, update
        self.torch_class, self.torch_extra = torch_class, torch_extra
        self.settings, self.state_map = settings, state_map

    def torch_optimizer(self, params, ours):
        return self.torch_class(params, **torch_kwargs(ours), **self.torch_extra, foreach=False)


ADAM_STATE = {"m": "exp_avg", "v": "exp_avg_sq", "t": "step"}
ADAM_SETTINGS = [{}, dict(lr=1e-2, beta1=0.8, beta2=0.99, eps=1e-6)]
TABLE = [
    Row("sgd", O.sgd_init, O.sgd_update, torch.optim.SGD, [dict(lr=0.1), dict(lr=0.01)], {}),
    Row("momentum", O.momentum_init, O.momentum_update, torch.optim.SGD,
        [dict(lr=0.05, beta=0.9), dict(lr=0.01, beta=0.5)], {"velocity": "momentum_buffer"}),
    Row("nesterov", O.momentum_init, O.nesterov_update, torch.optim.SGD,
        [dict(lr=0.05, beta=0.9), dict(lr=0.01, beta=0.5)], {"velocity": "momentum_buffer"}, nesterov=True),
    Row("adagrad", A.adagrad_init, A.adagrad_update, torch.optim.Adagrad, [{}, dict(lr=0.1, eps=1e-6)],
        {"sum_sq": "sum"}),
    Row("rmsprop", A.rmsprop_init, A.rmsprop_update, torch.optim.RMSprop,
        [{}, dict(lr=1e-3, alpha=0.9, eps=1e-6)], {"square_avg": "square_avg"}),
    Row("adadelta", A.adadelta_init, A.adadelta_update, torch.optim.Adadelta,
        [{}, dict(lr=0.5, rho=0.95, eps=1e-8)], {"square_avg": "square_avg", "acc_delta": "acc_delta"}),
    Row("adam", A.adam_init, A.adam_update, torch.optim.Adam, ADAM_SETTINGS, ADAM_STATE),
    Row("amsgrad", A.amsgrad_init, A.amsgrad_update, torch.optim.Adam, ADAM_SETTINGS,
        {**ADAM_STATE, "v_max": "max_exp_avg_sq"}, amsgrad=True),
    Row("adamw", A.adam_init, A.adamw_update, torch.optim.AdamW, ADAM_SETTINGS, ADAM_STATE),
    Row("adamax", A.adamax_init, A.adamax_update, torch.optim.Adamax, ADAM_SETTINGS,
        {"m": "exp_avg", "u": "exp_inf", "t": "step"}),
    Row("nadam", A.nadam_init, A.nadam_update, torch.optim.NAdam,
        [{}, dict(lr=1e-2, beta1=0.8, beta2=0.99, momentum_decay=1e-2)], {**ADAM_STATE, "mu_product": "mu_product"}),
]
CASES = [pytest.param(row, {**setting, "weight_decay": wd}, id=f"{row.name}-{i}-wd{wd:g}")
         for row in TABLE for i, setting in enumerate(row.settings) for wd in WEIGHT_DECAYS]


def gradient_sequence(seed, steps=STEPS, shape=SHAPE):
    """Random gradients with a drifting mean (so momentum builds up) and per-column scales."""
    rng = np.random.default_rng(seed)
    drift = np.cumsum(rng.standard_normal((steps,) + shape), axis=0) / np.sqrt(steps)
    return SCALES * (drift + rng.standard_normal((steps,) + shape))


def relative(ours, theirs):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs, dtype=float)
    return float(np.max(np.abs(np.asarray(ours, dtype=float) - theirs)) / max(np.max(np.abs(theirs)), 1e-300))


def record(name, error):
    LARGEST[name] = max(LARGEST.get(name, 0.0), error)
    assert error < TOL, f"{name}: relative error {error:.3g} >= {TOL:g}"


def tensor(array):
    return torch.tensor(np.asarray(array, dtype=float), dtype=torch.float64, requires_grad=True)


def run_ours(init, update, w0, grads):
    """Iterates w_1..w_T of our update and the final state."""
    w, state, path = w0, init(w0), []
    for g in grads:
        w, state = update(w, g, state)
        path.append(w)
    return np.array(path), state


def run_torch(make_optimizer, w0, grads):
    """Iterates of a torch optimizer fed the gradients ``grads`` (set by hand each step), and its state."""
    p = tensor(w0)
    opt = make_optimizer([p])
    path = []
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        path.append(p.detach().numpy().copy())
    return np.array(path), opt.state[p]


@pytest.mark.parametrize("row, hyper", CASES)
def test_matches_torch_optim(row, hyper):
    grads = gradient_sequence(seed=sum(map(ord, row.name)))
    w0 = np.random.default_rng(99).standard_normal(SHAPE)
    ours, state = run_ours(row.init, partial(row.update, **hyper), w0, grads)
    theirs, torch_state = run_torch(partial(row.torch_optimizer, ours=hyper), w0, grads)
    record(row.name, max(relative(a, b) for a, b in zip(ours, theirs)))
    for field, key in row.state_map.items():
        record(row.name, relative(getattr(state, field), torch_state[key]))


@pytest.mark.parametrize("row", TABLE, ids=lambda row: row.name)
def test_updates_are_pure(row):
    """Neither w, dw nor any array of the state is modified by an update."""
    rng = np.random.default_rng(1)
    w, g, update = rng.standard_normal(SHAPE), rng.standard_normal(SHAPE), partial(row.update, **row.settings[0])
    state = update(w, g, row.init(w))[1]  # a non-trivial state
    copies = [w.copy(), g.copy()] + [np.copy(field) for field in state]
    update(w, g, state, weight_decay=0.1)
    assert all(np.array_equal(a, b) for a, b in zip(copies, [w, g, *state]))


@pytest.mark.parametrize("row", TABLE, ids=lambda row: row.name)
def test_defaults_are_torchs(row):
    """Every default hyper-parameter equals torch's (torch's momentum=0 default means plain SGD: not compared)."""
    ours = {name: p.default for name, p in inspect.signature(row.update).parameters.items()
            if p.default is not inspect.Parameter.empty and name not in ("beta",) + NOT_IN_TORCH}
    theirs = inspect.signature(row.torch_class.__init__).parameters
    for name, value in torch_kwargs(ours).items():
        assert theirs[name].default == value, f"{row.name}: {name} default {value} vs torch {theirs[name].default}"


FACTORIES = {"sgd": partial(O.sgd, 0.1), "momentum": partial(O.momentum, 0.05), "nesterov": partial(O.nesterov, 0.05),
             "adagrad": A.adagrad, "rmsprop": A.rmsprop, "adadelta": A.adadelta, "adam": A.adam,
             "amsgrad": A.amsgrad, "adamw": A.adamw, "adamax": A.adamax, "nadam": A.nadam}


@pytest.mark.parametrize("row", TABLE, ids=lambda row: row.name)
def test_lifted_over_mlp_params_matches_torch(row):
    """update_params over init_mlp's dict equals one torch optimizer over all the tensors."""
    opt = FACTORIES[row.name](weight_decay=0.05)
    hyper = {key: value for key, value in opt.update.keywords.items() if key not in NOT_IN_TORCH}
    params = init_mlp([3, 5, 2], np.random.default_rng(0))
    tensors = {key: tensor(value) for key, value in params.items()}
    torch_opt = row.torch_optimizer(list(tensors.values()), hyper)
    states, rng = O.init_params(opt, params), np.random.default_rng(5)
    for _ in range(100):
        grads = {key: rng.standard_normal(value.shape) for key, value in params.items()}
        params, states = O.update_params(opt, params, grads, states)
        for key, t in tensors.items():
            t.grad = torch.tensor(grads[key])
        torch_opt.step()
    for key in params:
        record(row.name, relative(params[key], tensors[key]))


# ---------------------------------------------------------------- momentum: lecture form vs torch form
#
# Lecture form: v'_t = beta v'_{t-1} - lr_t g_t, w_t = w_{t-1} + v'_t. torch form: v_t = beta v_{t-1} + g_t,
# w_t = w_{t-1} - lr_t v_t. If lr_t = lr for all t, then v'_t = -lr v_t by induction (v'_0 = v_0 = 0 and
# v'_t = beta (-lr v_{t-1}) - lr g_t = -lr (beta v_{t-1} + g_t)), so both add the same -lr v_t to w:
# identical iterates. Unrolled, with lr_t varying:
#   torch:    w_T - w_0 = -sum_k g_k sum_{t>=k} lr_t beta^(t-k)
#   lecture:  w_T - w_0 = -sum_k g_k lr_k sum_{t>=k} beta^(t-k)
# which differ as soon as lr_t is not constant.


def test_momentum_lecture_form_equals_torch_form_with_constant_lr():
    grads, lr, beta = gradient_sequence(seed=3), 0.03, 0.9
    w_torch = w_lecture = np.ones(SHAPE)
    s_torch = s_lecture = O.momentum_init(w_torch)
    for g in grads:
        w_torch, s_torch = O.momentum_update(w_torch, g, s_torch, lr, beta, weight_decay=0.1)
        w_lecture, s_lecture = O.momentum_update_lecture(w_lecture, g, s_lecture, lr, beta, weight_decay=0.1)
        record("momentum (lecture form)", relative(w_lecture, w_torch))
        record("momentum (lecture form)", relative(s_lecture.velocity, -lr * s_torch.velocity))


def momentum_coefficients(lrs, beta, lecture):
    """c_k with w_T - w_0 = -sum_k c_k g_k (the unrolled forms in the comment above)."""
    steps = len(lrs)
    powers = np.triu(beta ** (np.arange(steps)[None, :] - np.arange(steps)[:, None]))  # [k, t] = beta^(t-k), t >= k
    return lrs * powers.sum(axis=1) if lecture else powers @ lrs


@pytest.mark.parametrize("update, lecture", [(O.momentum_update, False), (O.momentum_update_lecture, True)],
                         ids=["torch-form", "lecture-form"])
def test_momentum_forms_with_changing_lr_follow_their_closed_forms(update, lecture):
    grads, beta = gradient_sequence(seed=4), 0.9
    lrs = 0.05 * 0.5 ** (np.arange(STEPS) // 30)  # a step-decay schedule
    w, state = np.zeros(SHAPE), O.momentum_init(np.zeros(SHAPE))
    for g, lr in zip(grads, lrs):
        w, state = update(w, g, state, lr, beta)
    closed = -np.tensordot(momentum_coefficients(lrs, beta, lecture), grads, axes=1)
    other = -np.tensordot(momentum_coefficients(lrs, beta, not lecture), grads, axes=1)
    record(f"momentum closed form ({'lecture' if lecture else 'torch'})", relative(w, closed))
    assert relative(w, other) > 1e-3, "with a changing lr the two forms must differ"


# ---------------------------------------------------------------- Nesterov: look-ahead form vs torch form
#
# Look-ahead form: v_{t+1} = beta v_t - lr grad(w_t + beta v_t), w_{t+1} = w_t + v_{t+1}. Put u_t = w_t + beta v_t
# (the look-ahead point) and b_t = -v_t / lr. Then
#   b_{t+1} = beta b_t + grad(u_t)
#   u_{t+1} = w_{t+1} + beta v_{t+1} = u_t + (1 + beta) v_{t+1} - beta v_t = u_t - lr (grad(u_t) + beta b_{t+1}),
# which is torch's nesterov=True step with parameter u and momentum buffer b (u_0 = w_0 as v_0 = 0).
# Weight decay adds wd * x to the gradient at the point x where it is evaluated, so it fits in grad().


@pytest.mark.parametrize("weight_decay", WEIGHT_DECAYS)
def test_nesterov_lookahead_form_equals_torch_under_change_of_variables(weight_decay):
    rng = np.random.default_rng(6)
    q = np.linalg.qr(rng.standard_normal((5, 5)))[0]
    hessian = q @ np.diag(np.linspace(0.1, 3.0, 5)) @ q.T
    noise = rng.standard_normal((STEPS, 5))
    lr, beta = 0.1, 0.9
    w, state = rng.standard_normal(5), O.momentum_init(np.zeros(5))
    p = tensor(w)
    torch_opt = torch.optim.SGD([p], lr=lr, momentum=beta, nesterov=True, weight_decay=weight_decay, foreach=False)
    for t in range(STEPS):
        grad_fn = lambda x, t=t: hessian @ x + noise[t]  # noqa: E731  (the gradient changes with t)
        w, state = O.nesterov_lookahead_update(w, grad_fn, state, lr, beta, weight_decay)
        p.grad = torch.tensor(grad_fn(p.detach().numpy()))
        torch_opt.step()
        record("nesterov (look-ahead form)", relative(w + beta * state.velocity, p))
        record("nesterov (look-ahead form)", relative(-state.velocity / lr, torch_opt.state[p]["momentum_buffer"]))


# ---------------------------------------------------------------- RMSProp: eps inside vs outside the sqrt


def implied_denominators(update, state, g, **hyper):
    """d with w_new = w - lr g / d, read off one update from w = 0."""
    lr = hyper["lr"]
    w_new, _ = update(np.zeros_like(g), g, state, **hyper)
    return -lr * g / w_new


def test_rmsprop_eps_inside_and_outside_sqrt():
    """With e = eps: 0 <= (sqrt(s) + e) - sqrt(s + e^2) < e, so eps_inside_sqrt with eps = e^2 is torch's
    RMSprop up to less than e in every denominator. With the same eps = 1e-8 in both, coordinates whose
    s is tiny get denominators sqrt(1e-8) = 1e-4 instead of ~1e-8 + sqrt(s): much smaller steps."""
    grads = gradient_sequence(seed=7) * np.array([1e-3, 1.0, 1.0])  # first column: |g| ~ 1e-9
    e, state = 1e-8, A.rmsprop_init(grads[0])
    ratios, squares = [], []
    for g in grads:
        outside = implied_denominators(A.rmsprop_update, state, g, lr=0.01, eps=e)
        inside = implied_denominators(A.rmsprop_update, state, g, lr=0.01, eps=e * e, eps_inside_sqrt=True)
        gap, rounding = outside - inside, 1e-15 * outside
        assert np.all(gap >= -rounding) and np.all(gap < e + rounding), "eps inside (e^2) vs outside (e)"
        same_eps = implied_denominators(A.rmsprop_update, state, g, lr=0.01, eps=e, eps_inside_sqrt=True)
        state = A.rmsprop_update(np.zeros_like(g), g, state, eps=e)[1]
        ratios.append(same_eps / outside)
        squares.append(state.square_avg)
    ratios, squares = np.array(ratios), np.array(squares)
    tiny, ordinary = ratios[squares < 1e-14], ratios[squares > 1e-2]
    print(f"RMSProp with eps = 1e-8 inside vs outside the sqrt: denominators {tiny.min():.3g} to {tiny.max():.3g} "
          f"times larger where s < 1e-14, within {np.abs(ordinary - 1).max():.2g} of each other where s > 1e-2")
    assert tiny.size and tiny.min() > 100  # tiny gradients: steps over 100 times smaller with eps inside
    assert ordinary.size and np.abs(ordinary - 1).max() < 1e-6  # ordinary gradients: no visible difference


# ---------------------------------------------------------------- Adadelta: Zeiler's algorithm is torch's lr = 1


@pytest.mark.parametrize("lr", [0.1, 0.5, 2.0])
def test_adadelta_lr_only_scales_the_step(lr):
    """torch's lr multiplies the step applied to w but not the delta its running average d tracks: for
    gradients that do not depend on w, the state is the same for every lr and w_t - w_0 = lr (w_t^Zeiler - w_0),
    where w^Zeiler is Zeiler's (2012) Algorithm 1, i.e. lr = 1 (torch's default, compared to torch above)."""
    grads, w0 = gradient_sequence(seed=8), np.ones(SHAPE)
    zeiler, zeiler_state = run_ours(A.adadelta_init, A.adadelta_update, w0, grads)
    scaled, scaled_state = run_ours(A.adadelta_init, partial(A.adadelta_update, lr=lr), w0, grads)
    record("adadelta (lr scaling)", relative(scaled - w0, lr * (zeiler - w0)))
    for ours, zeilers in zip(scaled_state, zeiler_state):
        record("adadelta (lr scaling)", relative(ours, zeilers))


# ---------------------------------------------------------------- Adam: bias correction


@pytest.mark.parametrize("beta1, beta2", [(0.9, 0.999), (0.9, 0.99), (0.5, 0.9)])
def test_adam_without_bias_correction_first_step_ratio(beta1, beta2):
    """At t = 1 (eps = 0), m = (1-b1) g and v = (1-b2) g^2, so the uncorrected step is (1-b1)/sqrt(1-b2) times
    the corrected one, lr sign(g): about 3.16 times LARGER for the defaults (not smaller); with a constant
    gradient the ratio at step t is (1 - b1^t) / sqrt(1 - b2^t)."""
    g, w = np.array([0.3, -2.0, 1e-4]), np.zeros(3)
    state_c = state_u = A.adam_init(w)
    for t in range(1, 21):
        w_c, state_c = A.adam_update(w, g, state_c, lr=1.0, beta1=beta1, beta2=beta2, eps=0.0)
        w_u, state_u = A.adam_update(w, g, state_u, lr=1.0, beta1=beta1, beta2=beta2, eps=0.0, bias_correction=False)
        expected = (1 - beta1 ** t) / np.sqrt(1 - beta2 ** t)
        record("adam (bias correction ratio)", relative(w_u / w_c, np.full(3, expected)))
        if t == 1:
            record("adam (bias correction ratio)", relative(w_c, -np.sign(g)))
    assert (1 - 0.9) / np.sqrt(1 - 0.999) == pytest.approx(3.1623, abs=1e-4)


def test_largest_relative_error():
    """Summary: the largest relative error seen per optimiser (printed; run with -rP)."""
    width = max(map(len, LARGEST), default=0)
    for name, error in sorted(LARGEST.items()):
        print(f"{name:<{width}}  {error:.2e}")
    assert all(error < TOL for error in LARGEST.values())


def test_ravel_params_matches_parameters_to_vector_and_round_trips():
    params = init_mlp([5, 4, 3], np.random.default_rng(0))
    model = torch.nn.ModuleList([torch.nn.Linear(5, 4), torch.nn.Linear(4, 3)]).double()
    with torch.no_grad():
        for layer, index in zip(model, (1, 2)):
            layer.weight.copy_(torch.tensor(params[f"W{index}"]))
            layer.bias.copy_(torch.tensor(params[f"b{index}"]))
    vector, unravel = O.ravel_params(params)
    assert list(params) == ["W1", "b1", "W2", "b2"]
    np.testing.assert_array_equal(vector, torch.nn.utils.parameters_to_vector(model.parameters()).detach().numpy())
    again = unravel(vector)
    assert list(again) == list(params)
    for key in params:
        np.testing.assert_array_equal(again[key], params[key])


def test_run_on_gradients_is_the_loop_it_replaces():
    """The iterates and states of run_on_gradients, with and without a schedule, are those of torch's SGD with
    momentum fed the same gradients (and of the loop written out)."""
    gradients = np.random.default_rng(3).standard_normal((30, 4))
    lrs = np.where(np.arange(30) < 15, 0.1, 0.01)
    ws, states = O.run_on_gradients(O.momentum_update, O.momentum_init, np.ones(4), gradients, lrs=lrs, beta=0.5)
    p = torch.ones(4, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.5)
    for t, g in enumerate(gradients):
        opt.param_groups[0]["lr"] = lrs[t]
        p.grad = torch.tensor(g)
        opt.step()
        np.testing.assert_allclose(ws[t], p.detach().numpy(), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(states[t].velocity, opt.state[p]["momentum_buffer"].numpy(), rtol=1e-13)
    ws_constant, _ = O.run_on_gradients(O.momentum_update, O.momentum_init, np.ones(4), gradients, lr=0.1, beta=0.5)
    w, state = np.ones(4), O.momentum_init(np.ones(4))
    for t, g in enumerate(gradients):
        w, state = O.momentum_update(w, g, state, lr=0.1, beta=0.5)
        np.testing.assert_array_equal(ws_constant[t], w)


def test_ravel_params_follows_a_given_order():
    """Gradients come in backward order (W2 first); raveled in the parameters' order they line up with them."""
    params = init_mlp([5, 4, 3], np.random.default_rng(0))
    backward_order = {key: params[key] for key in ("W2", "b2", "W1", "b1")}
    np.testing.assert_array_equal(O.ravel_params(backward_order, order=params)[0], O.ravel_params(params)[0])
