"""dlcourse.schedules agrees with torch.optim.lr_scheduler and dlcourse.averaging with
torch.optim.swa_utils.AveragedModel, both in float64 to relative error 1e-12."""
import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler

from dlcourse import adaptive, averaging, optim, schedules
from dlcourse.init import init_mlp
from test_optim_torch import TOL, relative  # the measure: max |ours - theirs| / max |theirs|

ETA0, STEPS = 0.1, 60


# ours, torch scheduler factory (optimizer -> scheduler)
SCHEDULES = {
    "constant": (schedules.constant(ETA0), lambda opt: lr_scheduler.ConstantLR(opt, factor=1.0)),
    "inverse_time": (schedules.inverse_time_decay(ETA0, 0.05),
                     lambda opt: lr_scheduler.LambdaLR(opt, lambda s: 1 / (1 + 0.05 * s))),
    "step": (schedules.step_decay(ETA0, 0.5, 7), lambda opt: lr_scheduler.StepLR(opt, step_size=7, gamma=0.5)),
    "exponential": (schedules.exponential_decay(ETA0, 0.97), lambda opt: lr_scheduler.ExponentialLR(opt, 0.97)),
    "cosine": (schedules.cosine_decay(ETA0, STEPS, eta_min=1e-3),
               lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=STEPS, eta_min=1e-3)),
}


def torch_learning_rates(make_scheduler, steps=STEPS):
    """The lr torch's optimiser uses for updates s = 0..steps (scheduler stepped after each update)."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=ETA0)
    scheduler = make_scheduler(opt)
    rates = []
    for _ in range(steps + 1):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()  # no gradient: nothing moves, but torch wants optimizer.step() before scheduler.step()
        scheduler.step()
    return np.array(rates)


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedule_matches_torch_lr_scheduler(name):
    ours, make_scheduler = SCHEDULES[name]
    steps = np.arange(STEPS + 1)
    assert relative([ours(s) for s in steps], torch_learning_rates(make_scheduler)) < TOL
    assert relative(ours(steps), [ours(s) for s in steps]) == 0.0  # an array of steps works too
    assert isinstance(ours(3), float) and ours(0) == pytest.approx(ETA0)


def test_cosine_decay_stays_at_eta_min_after_total_steps():
    schedule = schedules.cosine_decay(ETA0, 10, eta_min=0.01)
    assert schedule(10) == pytest.approx(0.01) and schedule(25) == pytest.approx(0.01)
    assert schedule(5) == pytest.approx((ETA0 + 0.01) / 2)


def test_step_decay_drops_exactly_every_every_steps():
    schedule = schedules.step_decay(1.0, 0.1, 3)
    assert [schedule(s) for s in range(7)] == pytest.approx([1, 1, 1, 0.1, 0.1, 0.1, 0.01])


def test_adagrad_lr_decay_is_inverse_time_decay():
    """torch Adagrad(lr_decay=d) uses lr / (1 + (step - 1) d) at step = 1, 2, ...:
    inverse_time_decay(lr, d) at s = step - 1."""
    decay, rng = 0.05, np.random.default_rng(0)
    params = init_mlp([3, 4, 2], rng)
    tensors = {key: torch.tensor(value, requires_grad=True) for key, value in params.items()}
    torch_opt = torch.optim.Adagrad(list(tensors.values()), lr=ETA0, lr_decay=decay, foreach=False)
    opt, schedule = adaptive.adagrad(lr=ETA0), schedules.inverse_time_decay(ETA0, decay)
    states = optim.init_params(opt, params)
    for s in range(100):
        grads = {key: rng.standard_normal(value.shape) for key, value in params.items()}
        params, states = optim.update_params(opt, params, grads, states, lr=schedule(s))
        for key, tensor in tensors.items():
            tensor.grad = torch.tensor(grads[key])
        torch_opt.step()
    assert max(relative(params[key], tensors[key].detach()) for key in params) < TOL


def test_momentum_with_step_lr_matches_torch_sgd_with_steplr():
    """optimisers take a schedule through the lr override: torch's momentum form under StepLR."""
    rng = np.random.default_rng(1)
    w, grads = rng.standard_normal(5), rng.standard_normal((STEPS, 5))
    p = torch.tensor(w, requires_grad=True)
    torch_opt = torch.optim.SGD([p], lr=ETA0, momentum=0.9)
    scheduler = lr_scheduler.StepLR(torch_opt, step_size=7, gamma=0.5)
    opt, schedule = optim.momentum(ETA0, beta=0.9), schedules.step_decay(ETA0, 0.5, 7)
    state = opt.init(w)
    for s, g in enumerate(grads):
        w, state = opt.update(w, g, state, lr=schedule(s))
        p.grad = torch.tensor(g)
        torch_opt.step()
        scheduler.step()
    assert relative(w, p.detach()) < TOL


# ---------------------------------------------------------------- Polyak averaging


def iterates(seed=2, steps=40, shape=(3, 2)):
    return np.random.default_rng(seed).standard_normal((steps,) + shape)


def averaged_model_trajectory(ws, **kwargs):
    """torch AveragedModel's average after each of the iterates ws (fed as the weight of a Linear layer)."""
    model = torch.nn.Linear(ws.shape[2], ws.shape[1], bias=False, dtype=torch.float64)
    averaged = torch.optim.swa_utils.AveragedModel(model, **kwargs)
    out = []
    for w in ws:
        with torch.no_grad():
            model.weight.copy_(torch.tensor(w))
        averaged.update_parameters(model)
        out.append(averaged.module.weight.detach().numpy().copy())
    return np.array(out)


def test_uniform_average_matches_averaged_model():
    ws = iterates()
    running = averaging.uniform_average(ws)
    assert relative(running, averaged_model_trajectory(ws)) < TOL
    assert relative(running[-1], ws.mean(axis=0)) < TOL
    avg = np.zeros_like(ws[0])
    for t, w in enumerate(ws, start=1):
        avg = averaging.uniform_average_update(avg, w, t)
        assert relative(avg, running[t - 1]) < TOL


@pytest.mark.parametrize("decay", [0.5, 0.9, 0.99])
def test_exponential_average_matches_torch_ema_and_closed_form(decay):
    ws = iterates()
    ours = averaging.exponential_average(ws, decay)
    ema = torch.optim.swa_utils.get_ema_multi_avg_fn(decay)
    assert relative(ours, averaged_model_trajectory(ws, multi_avg_fn=ema)) < TOL
    t = len(ws)  # closed form: decay^(t-1) w_1 + sum_{k=2..t} (1 - decay) decay^(t-k) w_k
    weights = np.r_[decay ** (t - 1), (1 - decay) * decay ** (t - np.arange(2, t + 1))]
    assert weights.sum() == pytest.approx(1.0)
    assert relative(ours[-1], np.tensordot(weights, ws, axes=1)) < TOL


def test_averaging_updates_take_dicts_and_do_not_modify_inputs():
    rng = np.random.default_rng(3)
    avg, params = init_mlp([2, 3, 1], rng), init_mlp([2, 3, 1], rng)
    copies = {key: value.copy() for key, value in avg.items()}
    for update in (lambda a, w: averaging.ema_update(a, w, 0.9),
                   lambda a, w: averaging.uniform_average_update(a, w, 4)):
        new = update(avg, params)
        assert set(new) == set(avg)
        assert all(np.array_equal(avg[key], copies[key]) for key in avg)
        assert all(relative(new[key], update(avg[key], params[key])) == 0.0 for key in avg if avg[key].any())


def test_polyak_average_beats_last_iterate_of_constant_step_sgd():
    """SGD with a constant lr on a noisy quadratic bounces around the minimum; the tail average is closer
    (the book's claim in 01_sgd, Polyak & Juditsky 1992)."""
    rng = np.random.default_rng(4)
    w, path = np.array([3.0, -2.0]), []
    for _ in range(2000):
        w, _ = optim.sgd_update(w, w + rng.standard_normal(2), (), lr=0.1)
        path.append(w)
    tail = averaging.uniform_average(np.array(path[1000:]))[-1]
    assert np.linalg.norm(tail) < 0.2 * np.linalg.norm(path[-1])
