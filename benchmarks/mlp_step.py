"""Benchmark: one MLP training step (forward, loss, backward, SGD update), dlcourse vs torch.

The design's budget: the reference numpy code is within 1.5x of torch on the CPU, same shapes,
float32. Run: `.venv/bin/python benchmarks/mlp_step.py` (not part of `make test`: timings on a
shared CI machine are too noisy to gate on).
"""
import time

import numpy as np
import torch

from dlcourse.init import init_mlp
from dlcourse.losses import softmax_cross_entropy
from dlcourse.network import mlp_loss_and_grads

SIZES = [64, 256, 256, 10]
BATCH = 128
REPEATS = 200


def best_of(step, repeats=REPEATS):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return min(times)


def numpy_step(params, x, y, lr=0.1):
    def step():
        _, grads = mlp_loss_and_grads(params, x, y, softmax_cross_entropy)
        for key in params:
            params[key] -= lr * grads[key]
    return step


def torch_step(params, x, y, lr=0.1):
    layers = []
    for i in range(1, len(SIZES)):
        linear = torch.nn.Linear(SIZES[i - 1], SIZES[i])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(params[f"W{i}"]))
            linear.bias.copy_(torch.from_numpy(params[f"b{i}"]))
        layers += [linear, torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    optimiser = torch.optim.SGD(model.parameters(), lr=lr)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        optimiser.zero_grad()
        torch.nn.functional.cross_entropy(model(xt), yt).backward()
        optimiser.step()
    return step


def main():
    rng = np.random.default_rng(0)
    params = init_mlp(SIZES, rng, dtype=np.float32)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], size=BATCH)
    torch.set_num_threads(2)
    ours = best_of(numpy_step({k: v.copy() for k, v in params.items()}, x, y))
    theirs = best_of(torch_step(params, x, y))
    print(f"MLP {SIZES}, batch {BATCH}, float32: dlcourse {ours * 1e3:.3f} ms, torch {theirs * 1e3:.3f} ms, "
          f"ratio {ours / theirs:.2f} (budget 1.5)")


if __name__ == "__main__":
    main()
