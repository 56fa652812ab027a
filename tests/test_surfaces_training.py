"""dlcourse.surfaces (gradients and Hessians against torch autograd, stationary points, trajectories),
dlcourse.plotting (headless) and dlcourse.training (minibatches, the loop, quiet by default)."""
import sys
import warnings

import matplotlib
import numpy as np
import pytest
import torch

from dlcourse import adaptive, losses, network, optim, plotting, schedules, surfaces, training
from dlcourse.init import init_mlp
from test_optim_torch import TOL, relative  # the measure: max |ours - theirs| / max |theirs|

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

SURFACES = {
    "quadratic": surfaces.ill_conditioned_quadratic(25.0, angle=0.4),
    "rosenbrock": surfaces.rosenbrock(),
    "saddle": surfaces.saddle(),
    "himmelblau": surfaces.several_minima(),
    "himmelblau-tilted": surfaces.several_minima(tilt=3.0),
}


def sample_points(surface, n=20, seed=0):
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(*surface.xlim, n), rng.uniform(*surface.ylim, n)])


@pytest.mark.parametrize("name", SURFACES)
def test_gradient_and_hessian_match_torch_autograd(name):
    surface = SURFACES[name]
    points = sample_points(surface)
    for point in points:
        w = torch.tensor(point, requires_grad=True)
        assert relative(surface.grad(point), torch.autograd.grad(surface.f(w), w)[0]) < TOL
        hessian = torch.autograd.functional.hessian(surface.f, torch.tensor(point))
        assert relative(surface.hessian(point), hessian) < TOL
        assert surface.f(point) == pytest.approx(float(surface.f(torch.tensor(point))), rel=TOL)
    # a batch of points (and a grid) gives the same as point by point
    assert relative(surface.grad(points), [surface.grad(p) for p in points]) == 0.0
    assert surface.hessian(points.reshape(4, 5, 2)).shape == (4, 5, 2, 2)


@pytest.mark.parametrize("name", SURFACES)
def test_minima_and_saddles_are_what_the_hessian_says(name):
    surface = SURFACES[name]
    for kind, points in (("minimum", surface.minima), ("saddle", surface.saddles)):
        for point in points:
            assert np.abs(surface.grad(point)).max() < 1e-10, f"{name}: {point} is not stationary"
            assert surfaces.classify_stationary_point(surface.hessian(point)) == kind


@pytest.mark.parametrize("eigenvalues, kind", [
    ((1.0, 2.0), "minimum"), ((-1.0, -2.0), "maximum"), ((1.0, -1.0), "saddle"), ((1.0, 0.0), "degenerate"),
    ((0.0, 0.0), "degenerate"), ((-1.0, 1e-9), "degenerate"), ((1.0, -1.0, 0.0), "saddle"),
])
def test_classify_stationary_point(eigenvalues, kind):
    q = np.linalg.qr(np.random.default_rng(1).standard_normal((len(eigenvalues),) * 2))[0]
    assert surfaces.classify_stationary_point(q @ np.diag(eigenvalues) @ q.T) == kind


def test_gradient_descent_on_the_quadratic_is_the_closed_form():
    """w_t = (I - lr A)^t w_0 for f = w^T A w / 2."""
    surface, lr, w0 = SURFACES["quadratic"], 0.05, np.array([1.5, -1.0])
    path = surfaces.run_trajectory(optim.sgd(lr), surface, w0, 30)
    step = np.eye(2) - lr * surface.hessian(w0)
    assert path.shape == (31, 2) and np.array_equal(path[0], w0)
    assert relative(path, [np.linalg.matrix_power(step, t) @ w0 for t in range(31)]) < TOL


def test_diverging_trajectory_is_nan_and_silent(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = surfaces.run_trajectory(optim.sgd(1.0), SURFACES["rosenbrock"], np.array([-1.5, 2.0]), 100)
    assert np.isnan(path[-1]).all() and np.isfinite(path[:3]).all()
    assert capsys.readouterr() == ("", "")


def test_saddle_traps_gradient_descent_only_on_its_stable_line():
    saddle = SURFACES["saddle"]
    on_line = surfaces.run_trajectory(optim.sgd(0.1), saddle, np.array([1.5, 0.0]), 300)
    off_line = surfaces.run_trajectory(optim.sgd(0.1), saddle, np.array([1.5, 1e-3]), 300)
    assert np.abs(on_line[-1]).max() < 1e-10
    assert np.abs(off_line[-1] - [0.0, 1.0]).max() < 1e-6


@pytest.mark.parametrize("opt", [optim.momentum(1e-3), optim.nesterov(1e-3), adaptive.adam(0.02),
                                 adaptive.rmsprop(1e-2), adaptive.nadam(0.02)],
                         ids=["momentum", "nesterov", "adam", "rmsprop", "nadam"])
def test_optimisers_descend_rosenbrock(opt):
    surface = SURFACES["rosenbrock"]
    path = surfaces.run_trajectory(opt, surface, np.array([-1.5, 2.0]), 1500)
    assert surface.f(path[-1]) < 1e-2 * surface.f(path[0])


def test_run_trajectory_uses_the_schedule():
    surface, w0 = SURFACES["quadratic"], np.array([1.0, 1.0])
    schedule = schedules.step_decay(0.05, 0.5, 5)
    path = surfaces.run_trajectory(optim.sgd(1.0), surface, w0, 12, schedule=schedule)
    w = w0
    for t in range(12):
        w = w - schedule(t) * surface.grad(w)
    assert relative(path[-1], w) < TOL


def test_plots_are_headless_and_return_axes():
    surface = SURFACES["rosenbrock"]
    paths = {"momentum": surfaces.run_trajectory(optim.momentum(1e-3), surface, np.array([-1.5, 2.0]), 50),
             "diverged": surfaces.run_trajectory(optim.sgd(1.0), surface, np.array([-1.5, 2.0]), 50)}
    ax = plotting.plot_contour_trajectories(surface, paths)
    assert ax.get_title() == "rosenbrock" and len(ax.get_legend().get_texts()) == 2
    levels = plotting.contour_levels(surface.f(sample_points(surface, 500)), 20, log=True)
    assert np.all(np.diff(np.log(levels - levels[0] + 1e-300)[1:]) > 0)
    fig, (left, right) = plt.subplots(1, 2)
    assert plotting.plot_contour_trajectories(SURFACES["saddle"], {}, ax=left) is left
    assert plotting.plot_curves({"a": [3, 2, 1], "b": [2, 1]}, ax=right, logy=True) is right
    assert right.get_yscale() == "log" and len(right.get_lines()) == 2
    plt.close("all")


# ---------------------------------------------------------------- training


@pytest.mark.parametrize("n, batch_size", [(10, 3), (12, 4), (5, 8), (1, 1)])
def test_minibatches_cover_every_example_once(n, batch_size):
    rng = np.random.default_rng(0)
    batches = list(training.minibatch_indices(n, batch_size, rng))
    sizes = [len(b) for b in batches]
    assert sizes == [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    assert sorted(np.concatenate(batches)) == list(range(n))
    ordered = np.concatenate(list(training.minibatch_indices(n, batch_size, shuffle=False)))
    assert list(ordered) == list(range(n))


def test_minibatch_order_changes_between_epochs():
    rng = np.random.default_rng(0)
    first, second = (np.concatenate(list(training.minibatch_indices(50, 7, rng))) for _ in range(2))
    assert not np.array_equal(first, second)


def regression_problem(seed=0, n=64):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]]) + 0.1 * rng.standard_normal((n, 1))
    return (x, y), init_mlp([3, 8, 1], rng)


def mse_loss_and_grads(params, x, y):
    return network.mlp_loss_and_grads(params, x, y, losses.mse_loss)


def test_train_learns_records_history_and_is_quiet(capsys):
    data, params = regression_problem()
    copies = {key: value.copy() for key, value in params.items()}
    schedule = schedules.inverse_time_decay(0.05, 0.01)
    _, history = training.train(
        params, adaptive.adam(), data, mse_loss_and_grads, epochs=20, batch_size=10,
        rng=np.random.default_rng(1), schedule=schedule,
        callback=lambda p, epoch: {"full_loss": mse_loss_and_grads(p, *data)[0]})
    assert len(history["train_loss"]) == len(history["full_loss"]) == 20
    assert len(history["batch_loss"]) == len(history["lr"]) == 20 * 7 and not history["diverged"]
    assert history["lr"][:2] == [schedule(0), schedule(1)]
    assert history["full_loss"][-1] < 0.1 * history["full_loss"][0]
    assert all(np.array_equal(params[key], copies[key]) for key in params)
    assert capsys.readouterr() == ("", "")


def test_train_is_the_plain_loop():
    """train = minibatch_indices + loss_and_grads + update_params, nothing else (same rng, same result)."""
    data, params = regression_problem(seed=2)
    opt = optim.momentum(0.01)
    trained, _ = training.train(params, opt, data, mse_loss_and_grads, 3, 16, np.random.default_rng(5))
    rng, states = np.random.default_rng(5), optim.init_params(opt, params)
    for _ in range(3):
        for index in training.minibatch_indices(len(data[0]), 16, rng):
            grads = mse_loss_and_grads(params, data[0][index], data[1][index])[1]
            params, states = optim.update_params(opt, params, grads, states)
    assert all(np.array_equal(trained[key], params[key]) for key in params)


def test_train_stops_silently_when_it_diverges(capsys):
    data, params = regression_problem()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, history = training.train(params, optim.sgd(50.0), data, mse_loss_and_grads, 50, 8,
                                    np.random.default_rng(0))
    assert history["diverged"] and np.isnan(history["train_loss"][-1]) and len(history["train_loss"]) < 50
    assert capsys.readouterr() == ("", "")


def test_progress_bar_only_when_asked_and_never_on_stderr(capsys, monkeypatch):
    assert training.progress_enabled(None) is False  # under pytest
    assert training.progress_enabled(True) is True and training.progress_enabled(False) is False
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    monkeypatch.delenv("DLCOURSE_QUIET", raising=False)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    assert training.progress_enabled(None) is False  # stdout is captured: not a terminal
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    assert training.progress_enabled(None) is True  # an interactive terminal
    monkeypatch.setitem(sys.modules, "ipykernel", None)
    assert training.progress_enabled(None) is False  # a Jupyter kernel: notebook runs must be quiet
    monkeypatch.delitem(sys.modules, "ipykernel")
    monkeypatch.setenv("DLCOURSE_QUIET", "1")
    assert training.progress_enabled(None) is False
    data, params = regression_problem()
    training.train(params, optim.sgd(0.01), data, mse_loss_and_grads, 2, 16, np.random.default_rng(0), progress=True)
    out, err = capsys.readouterr()
    assert "step" in out and err == ""
