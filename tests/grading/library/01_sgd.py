"""Chapter 01_sgd: mistakes students make, and correct implementations unlike the instructor's.

Each function is notebook code for one exercise (see dlcourse.grading.library): it may use what the
chapter's first cell imports (np, math, activations, ...) and the student's other functions
(sgd_logistic_regression calls minibatch_indices and logistic_regression_gradient, as the exercise
asks), never the reference of its own exercise.
"""
import math  # noqa: F401 (the notebook code below imports what it uses; this keeps linters quiet)

import numpy as np  # noqa: F401

from dlcourse import activations, averaging  # noqa: F401
from dlcourse.grading.library import correct, mistake


# ---------------------------------------------------------------------- logistic_regression_gradient


@mistake("logistic_regression_gradient", "no 1/N (the sum over the examples)", "the sum over the examples")
def logistic_regression_gradient(w, b, x, y):
    residual = activations.sigmoid(x @ w + b) - y
    return x.T @ residual, float(np.sum(residual))


@mistake("logistic_regression_gradient", "y - sigma(a): the sign flipped", "its sign flipped")
def logistic_regression_gradient(w, b, x, y):
    residual = y - activations.sigmoid(x @ w + b)
    return x.T @ residual / len(x), float(np.mean(residual))


@mistake("logistic_regression_gradient", "sigma(-a) in place of sigma(a)", "sigma(-a) in place of sigma(a)")
def logistic_regression_gradient(w, b, x, y):
    p = 1 / (1 + np.exp(x @ w + b))
    return x.T @ (p - y) / len(x), float(np.mean(p - y))


@mistake("logistic_regression_gradient", "-y sigma(-y a) x: the {-1, +1} formula on {0, 1} labels",
         "labels in {-1, +1}")
def logistic_regression_gradient(w, b, x, y):
    a = x @ w + b
    residual = -y * activations.sigmoid(-y * a)
    return x.T @ residual / len(x), float(np.mean(residual))


@mistake("logistic_regression_gradient", "gradient of the squared error of sigma(a)", "squared error")
def logistic_regression_gradient(w, b, x, y):
    p = activations.sigmoid(x @ w + b)
    residual = (p - y) * p * (1 - p)
    return x.T @ residual / len(x), float(np.mean(residual))


@mistake("logistic_regression_gradient", "no sigmoid: (a - y) x", "the sigmoid is missing")
def logistic_regression_gradient(w, b, x, y):
    residual = x @ w + b - y
    return x.T @ residual / len(x), float(np.mean(residual))


@mistake("logistic_regression_gradient", "the bias forgotten in the score", "do not forget the bias")
def logistic_regression_gradient(w, b, x, y):
    residual = activations.sigmoid(x @ w) - y
    return x.T @ residual / len(x), float(np.mean(residual))


@mistake("logistic_regression_gradient", "divided by D = x.shape[1] instead of N", "divided by D")
def logistic_regression_gradient(w, b, x, y):
    n, d = x.shape
    residual = activations.sigmoid(x @ w + b) - y
    return x.T @ residual / d, float(np.sum(residual) / d)


@mistake("logistic_regression_gradient", "sigmoid as exp(a) / (1 + exp(a)): nan for scores of 1000", "contains nan")
def logistic_regression_gradient(w, b, x, y):
    e = np.exp(x @ w + b)
    residual = e / (1 + e) - y
    return x.T @ residual / len(x), float(np.mean(residual))


@mistake("logistic_regression_gradient", "forgets db: returns dw only", "should return a tuple (dw, db)")
def logistic_regression_gradient(w, b, x, y):
    residual = activations.sigmoid(x @ w + b) - y
    return x.T @ residual / len(x)


@mistake("logistic_regression_gradient", "a column of ones for b, db sliced as an array",
         "db should be a single number")
def logistic_regression_gradient(w, b, x, y):
    x1 = np.hstack([x, np.ones((len(x), 1))])
    theta = np.append(w, b)
    grad = x1.T @ (activations.sigmoid(x1 @ theta) - y) / len(x)
    return grad[:-1], grad[-1:]


@mistake("logistic_regression_gradient", "scales x in place by the residual", "changed its input x")
def logistic_regression_gradient(w, b, x, y):
    residual = activations.sigmoid(x @ w + b) - y
    x *= residual[:, None]
    return x.mean(axis=0), float(residual.mean())


@mistake("logistic_regression_gradient", "sigma applied twice", "sigma applied twice")
def logistic_regression_gradient(w, b, x, y):
    p = activations.sigmoid(activations.sigmoid(x @ w + b))
    return x.T @ (p - y) / len(x), float(np.mean(p - y))


@mistake("logistic_regression_gradient", "returns [dw, db], a list", "should return a tuple (dw, db)")
def logistic_regression_gradient(w, b, x, y):
    residual = activations.sigmoid(x @ w + b) - y
    return [x.T @ residual / len(x), float(np.mean(residual))]


@mistake("logistic_regression_gradient", "dw built as a list, one feature at a time", "dw should be a numpy array")
def logistic_regression_gradient(w, b, x, y):
    residual = activations.sigmoid(x @ w + b) - y
    dw = [float(np.mean(residual * x[:, j])) for j in range(x.shape[1])]
    return dw, float(np.mean(residual))


@mistake("logistic_regression_gradient", "d/da of -y a taken as +y", "the derivative of -y a is -y")
def logistic_regression_gradient(w, b, x, y):
    residual = activations.sigmoid(x @ w + b) + y
    return x.T @ residual / len(x), float(np.mean(residual))


@correct("logistic_regression_gradient", "a loop over the examples with math.exp")
def logistic_regression_gradient(w, b, x, y):
    import math
    n = len(x)
    dw, db = np.zeros(len(w)), 0.0
    for x_n, y_n in zip(x, y):
        a = float(x_n @ w + b)
        p = 1 / (1 + math.exp(-a)) if a >= 0 else math.exp(a) / (1 + math.exp(a))
        dw += (p - y_n) * x_n / n
        db += (p - y_n) / n
    return dw, db


@correct("logistic_regression_gradient", "{-1, +1} labels t = 2y - 1 and einsum")
def logistic_regression_gradient(w, b, x, y):
    t = 2 * np.asarray(y, dtype=float) - 1
    residual = -t * activations.sigmoid(-t * (x @ w + b))
    return np.einsum("n,nd->d", residual, x) / len(x), residual.mean()


@correct("logistic_regression_gradient", "naive sigmoid 1 / (1 + exp(-a)), overflows (a warning) but is right")
def logistic_regression_gradient(w, b, x, y):
    p = 1 / (1 + np.exp(-(x @ w + b)))
    return (p - y) @ x / x.shape[0], np.sum(p - y) / x.shape[0]


@correct("logistic_regression_gradient", "float32")
def logistic_regression_gradient(w, b, x, y):
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    residual = activations.sigmoid(x32 @ w32 + np.float32(b)) - np.asarray(y, dtype=np.float32)
    return residual @ x32 / np.float32(len(x)), np.float32(residual.mean())


@correct("logistic_regression_gradient", "a column of ones for b")
def logistic_regression_gradient(w, b, x, y):
    x1 = np.column_stack([x, np.ones(len(x))])
    grad = x1.T @ (activations.sigmoid(x1 @ np.append(w, b)) - y) / len(x)
    return grad[:-1], float(grad[-1])


# ---------------------------------------------------------------------- minibatch_indices


@mistake("minibatch_indices", "drops the last, partial batch", "the last, partial batch is missing")
def minibatch_indices(n, batch_size, rng=None, shuffle=True):
    order = rng.permutation(n) if shuffle else np.arange(n)
    for i in range(n // batch_size):
        yield order[i * batch_size:(i + 1) * batch_size]


@mistake("minibatch_indices", "never shuffles", "the examples are not shuffled")
def minibatch_indices(n, batch_size, rng=None, shuffle=True):
    order = np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


@mistake("minibatch_indices", "np.random.permutation (the global generator)", "the generator rng was not used")
def minibatch_indices(n, batch_size, rng=None, shuffle=True):
    order = np.random.permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


@mistake("minibatch_indices", "np.random.shuffle (the global generator)", "the generator rng was not used")
def minibatch_indices(n, batch_size, rng=None, shuffle=True):
    order = np.arange(n)
    if shuffle:
        np.random.shuffle(order)
    return [order[start:start + batch_size] for start in range(0, n, batch_size)]


@mistake("minibatch_indices", "its own generator with a fixed seed", "the generator rng was not used")
def minibatch_indices(n, batch_size, rng=None, shuffle=True):
    order = np.random.default_rng(0).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


@mistake("minibatch_indices", "indices drawn with replacement", "exactly once per epoch")
def minibatch_indices(n, batch_size, rng=None, shuffle=True):
    order = rng.integers(0, n, size=n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


@mistake("minibatch_indices", "a new permutation for every batch", "exactly once per epoch")
def minibatch_indices(n, batch_size, rng=None, shuffle=True):
    for start in range(0, n, batch_size):
        order = rng.permutation(n) if shuffle else np.arange(n)
        yield order[start:start + batch_size]


@mistake("minibatch_indices", "np.array_split into ceil(n / b) parts", "np.array_split balances the sizes")
def minibatch_indices(n, batch_size, rng=None, shuffle=True):
    order = rng.permutation(n) if shuffle else np.arange(n)
    return np.array_split(order, math.ceil(n / batch_size))


@mistake("minibatch_indices", "np.array_split into n // b parts", "np.array_split balances the sizes")
def minibatch_indices(n, batch_size, rng=None, shuffle=True):
    order = rng.permutation(n) if shuffle else np.arange(n)
    return np.array_split(order, max(n // batch_size, 1))


@mistake("minibatch_indices", "shuffles inside each batch only", "only the order inside each batch")
def minibatch_indices(n, batch_size, rng=None, shuffle=True):
    for start in range(0, n, batch_size):
        batch = np.arange(start, min(start + batch_size, n))
        yield rng.permutation(batch) if shuffle else batch


@mistake("minibatch_indices", "rng.choice without replacement", "not the one rng.permutation(N) draws")
def minibatch_indices(n, batch_size, rng=None, shuffle=True):
    order = rng.choice(n, size=n, replace=False) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


@mistake("minibatch_indices", "ignores shuffle=False (rng is None then)", "raised AttributeError")
def minibatch_indices(n, batch_size, rng=None, shuffle=True):
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


@mistake("minibatch_indices", "np.split into n // b equal parts", "raised ValueError")
def minibatch_indices(n, batch_size, rng=None, shuffle=True):
    order = rng.permutation(n) if shuffle else np.arange(n)
    return np.split(order, n // batch_size)


@correct("minibatch_indices", "a list, rng.shuffle of np.arange")
def minibatch_indices(n, batch_size, rng=None, shuffle=True):
    order = np.arange(n)
    if shuffle:
        rng.shuffle(order)
    return [order[i * batch_size:(i + 1) * batch_size] for i in range(math.ceil(n / batch_size))]


@correct("minibatch_indices", "np.split at multiples of batch_size")
def minibatch_indices(n, batch_size, rng=None, shuffle=True):
    order = rng.permutation(n) if shuffle else np.arange(n)
    yield from np.split(order, np.arange(batch_size, n, batch_size))


@mistake("minibatch_indices", "a while loop yielding lists of ints", "should be a numpy array")
def minibatch_indices(n, batch_size, rng=None, shuffle=True):
    order = list(rng.permutation(n)) if shuffle else list(range(n))
    while order:
        yield [int(i) for i in order[:batch_size]]
        order = order[batch_size:]


@mistake("minibatch_indices", "shuffles whenever an rng is given, whatever shuffle says",
         "with shuffle=False and an rng given")
def minibatch_indices(n, batch_size, rng=None, shuffle=True):
    order = np.arange(n) if rng is None else rng.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


@mistake("minibatch_indices", "draws the permutation before looking at shuffle", "the generator rng was used")
def minibatch_indices(n, batch_size, rng=None, shuffle=True):
    permutation = rng.permutation(n) if rng is not None else None
    order = permutation if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


@mistake("minibatch_indices", "returns None: the batches built but not returned", "returned None")
def minibatch_indices(n, batch_size, rng=None, shuffle=True):
    order = rng.permutation(n) if shuffle else np.arange(n)
    batches = [order[start:start + batch_size] for start in range(0, n, batch_size)]


@correct("minibatch_indices", "full batches by reshape, the remainder sliced")
def minibatch_indices(n, batch_size, rng=None, shuffle=True):
    order = rng.permutation(n) if shuffle else np.arange(n)
    full = n // batch_size * batch_size
    batches = list(order[:full].reshape(-1, batch_size))
    if full < n:
        batches.append(order[full:])
    return batches


# ---------------------------------------------------------------------- sgd_logistic_regression


@mistake("sgd_logistic_regression", "never shuffles (shuffle=False)", "are the minibatches shuffled?")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b, s = float(b0), 0
    ws, bs = [w], [b]
    for epoch in range(epochs):
        for batch in minibatch_indices(len(x), batch_size, rng, shuffle=False):
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = lr(s) if callable(lr) else lr
            w, b = w - eta * dw, b - eta * db
            ws.append(w)
            bs.append(b)
            s += 1
    return np.array(ws), np.array(bs)


@mistake("sgd_logistic_regression", "shuffles once: the minibatches drawn before the epoch loop",
         "draws the minibatches once and reuses them")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b, s = float(b0), 0
    ws, bs = [w], [b]
    batches = list(minibatch_indices(len(x), batch_size, rng))
    for epoch in range(epochs):
        for batch in batches:
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = lr(s) if callable(lr) else lr
            w, b = w - eta * dw, b - eta * db
            ws.append(w)
            bs.append(b)
            s += 1
    return np.array(ws), np.array(bs)


@mistake("sgd_logistic_regression", "the gradient of the whole training set", "the whole training set")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b, s = float(b0), 0
    ws, bs = [w], [b]
    for epoch in range(epochs):
        for batch in minibatch_indices(len(x), batch_size, rng):
            dw, db = logistic_regression_gradient(w, b, x, y)
            eta = lr(s) if callable(lr) else lr
            w, b = w - eta * dw, b - eta * db
            ws.append(w)
            bs.append(b)
            s += 1
    return np.array(ws), np.array(bs)


@mistake("sgd_logistic_regression", "gradient ascent (w + eta dw)", "gradient ascent")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b, s = float(b0), 0
    ws, bs = [w], [b]
    for epoch in range(epochs):
        for batch in minibatch_indices(len(x), batch_size, rng):
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = lr(s) if callable(lr) else lr
            w, b = w + eta * dw, b + eta * db
            ws.append(w)
            bs.append(b)
            s += 1
    return np.array(ws), np.array(bs)


@mistake("sgd_logistic_regression", "its own minibatch gradient, summed over the batch", "summed over the batch")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b, s = float(b0), 0
    ws, bs = [w], [b]
    for epoch in range(epochs):
        for batch in minibatch_indices(len(x), batch_size, rng):
            residual = activations.sigmoid(x[batch] @ w + b) - y[batch]
            eta = lr(s) if callable(lr) else lr
            w, b = w - eta * x[batch].T @ residual, b - eta * residual.sum()
            ws.append(w)
            bs.append(b)
            s += 1
    return np.array(ws), np.array(bs)


@mistake("sgd_logistic_regression", "its own minibatch gradient, divided by N", "divided by N instead of by the batch")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    n = len(x)
    w = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b, s = float(b0), 0
    ws, bs = [w], [b]
    for epoch in range(epochs):
        for batch in minibatch_indices(n, batch_size, rng):
            residual = activations.sigmoid(x[batch] @ w + b) - y[batch]
            eta = lr(s) if callable(lr) else lr
            w, b = w - eta * x[batch].T @ residual / n, b - eta * residual.sum() / n
            ws.append(w)
            bs.append(b)
            s += 1
    return np.array(ws), np.array(bs)


@mistake("sgd_logistic_regression", "s from enumerate inside the epoch loop: restarts every epoch",
         "restarts at 0 every epoch")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b = float(b0)
    ws, bs = [w], [b]
    for epoch in range(epochs):
        for s, batch in enumerate(minibatch_indices(len(x), batch_size, rng)):
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = lr(s) if callable(lr) else lr
            w, b = w - eta * dw, b - eta * db
            ws.append(w)
            bs.append(b)
    return np.array(ws), np.array(bs)


@mistake("sgd_logistic_regression", "the schedule counted per epoch: lr(epoch)", "lr(epoch)")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b = float(b0)
    ws, bs = [w], [b]
    for epoch in range(epochs):
        eta = lr(epoch) if callable(lr) else lr
        for batch in minibatch_indices(len(x), batch_size, rng):
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            w, b = w - eta * dw, b - eta * db
            ws.append(w)
            bs.append(b)
    return np.array(ws), np.array(bs)


@mistake("sgd_logistic_regression", "the counter starts at 1: lr(len(ws))", "whose first update uses lr(1)")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b = float(b0)
    ws, bs = [w], [b]
    for epoch in range(epochs):
        for batch in minibatch_indices(len(x), batch_size, rng):
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = lr(len(ws)) if callable(lr) else lr
            w, b = w - eta * dw, b - eta * db
            ws.append(w)
            bs.append(b)
    return np.array(ws), np.array(bs)


@mistake("sgd_logistic_regression", "lr used as a number when it is a schedule", "Here lr is a learning-rate schedule")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b = float(b0)
    ws, bs = [w], [b]
    for epoch in range(epochs):
        for batch in minibatch_indices(len(x), batch_size, rng):
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            w, b = w - lr * dw, b - lr * db
            ws.append(w)
            bs.append(b)
    return np.array(ws), np.array(bs)


@mistake("sgd_logistic_regression", "forgets to update b", "b never changes")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b, s = float(b0), 0
    ws, bs = [w], [b]
    for epoch in range(epochs):
        for batch in minibatch_indices(len(x), batch_size, rng):
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            w = w - (lr(s) if callable(lr) else lr) * dw
            ws.append(w)
            bs.append(b)
            s += 1
    return np.array(ws), np.array(bs)


@mistake("sgd_logistic_regression", "always starts from w = 0", "from w = 0 although w0 was given")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w, b, s = np.zeros(x.shape[1]), b0, 0
    ws, bs = [w], [b]
    for epoch in range(epochs):
        for batch in minibatch_indices(len(x), batch_size, rng):
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = lr(s) if callable(lr) else lr
            w, b = w - eta * dw, b - eta * db
            ws.append(w)
            bs.append(b)
            s += 1
    return np.array(ws), np.array(bs)


@mistake("sgd_logistic_regression", "always starts from w = 0, b = 0", "although w0 and b0 were given")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w, b, s = np.zeros(x.shape[1]), 0.0, 0
    ws, bs = [w], [b]
    for epoch in range(epochs):
        for batch in minibatch_indices(len(x), batch_size, rng):
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = lr(s) if callable(lr) else lr
            w, b = w - eta * dw, b - eta * db
            ws.append(w)
            bs.append(b)
            s += 1
    return np.array(ws), np.array(bs)


@mistake("sgd_logistic_regression", "ignores b0", "from b = 0 although b0 was given")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b, s = 0.0, 0
    ws, bs = [w], [b]
    for epoch in range(epochs):
        for batch in minibatch_indices(len(x), batch_size, rng):
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = lr(s) if callable(lr) else lr
            w, b = w - eta * dw, b - eta * db
            ws.append(w)
            bs.append(b)
            s += 1
    return np.array(ws), np.array(bs)


@mistake("sgd_logistic_regression", "skips the last, smaller minibatch", "partial batch")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b, s = float(b0), 0
    ws, bs = [w], [b]
    for epoch in range(epochs):
        for batch in minibatch_indices(len(x), batch_size, rng):
            if len(batch) < batch_size:
                continue
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = lr(s) if callable(lr) else lr
            w, b = w - eta * dw, b - eta * db
            ws.append(w)
            bs.append(b)
            s += 1
    return np.array(ws), np.array(bs)


@mistake("sgd_logistic_regression", "w -= eta dw: every row of ws is the same array", "change it in place")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b, s = float(b0), 0
    ws, bs = [w], [b]
    for epoch in range(epochs):
        for batch in minibatch_indices(len(x), batch_size, rng):
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = lr(s) if callable(lr) else lr
            w -= eta * dw
            b -= eta * db
            ws.append(w)
            bs.append(b)
            s += 1
    return np.array(ws), np.array(bs)


@mistake("sgd_logistic_regression", "w = w0 without a copy, then w -= eta dw (copies stored)",
         "changed its input w0")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w = np.zeros(x.shape[1]) if w0 is None else w0
    b, s = float(b0), 0
    ws, bs = [w.copy()], [b]
    for epoch in range(epochs):
        for batch in minibatch_indices(len(x), batch_size, rng):
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = lr(s) if callable(lr) else lr
            w -= eta * dw
            b -= eta * db
            ws.append(w.copy())
            bs.append(b)
            s += 1
    return np.array(ws), np.array(bs)


@mistake("sgd_logistic_regression", "no row for the starting point", "Row 0 must hold the starting point")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b, s = float(b0), 0
    ws, bs = [], []
    for epoch in range(epochs):
        for batch in minibatch_indices(len(x), batch_size, rng):
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = lr(s) if callable(lr) else lr
            w, b = w - eta * dw, b - eta * db
            ws.append(w)
            bs.append(b)
            s += 1
    return np.array(ws), np.array(bs)


@mistake("sgd_logistic_regression", "one row per epoch", "That is one row per epoch")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b, s = float(b0), 0
    ws, bs = [w], [b]
    for epoch in range(epochs):
        for batch in minibatch_indices(len(x), batch_size, rng):
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = lr(s) if callable(lr) else lr
            w, b = w - eta * dw, b - eta * db
            s += 1
        ws.append(w)
        bs.append(b)
    return np.array(ws), np.array(bs)


@mistake("sgd_logistic_regression", "returns the end point only", "not only the end point")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b, s = float(b0), 0
    for epoch in range(epochs):
        for batch in minibatch_indices(len(x), batch_size, rng):
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = lr(s) if callable(lr) else lr
            w, b = w - eta * dw, b - eta * db
            s += 1
    return w, b


@mistake("sgd_logistic_regression", "shuffles with np.random.permutation", "the generator rng was not used")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    n = len(x)
    w = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b, s = float(b0), 0
    ws, bs = [w], [b]
    for epoch in range(epochs):
        order = np.random.permutation(n)
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = lr(s) if callable(lr) else lr
            w, b = w - eta * dw, b - eta * db
            ws.append(w)
            bs.append(b)
            s += 1
    return np.array(ws), np.array(bs)


@mistake("sgd_logistic_regression", "isinstance(lr, float) to tell a rate from a schedule", "Here lr is a number")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b = float(b0)
    ws, bs = [w], [b]
    for epoch in range(epochs):
        for batch in minibatch_indices(len(x), batch_size, rng):
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = lr if isinstance(lr, float) else lr(len(ws) - 1)
            w, b = w - eta * dw, b - eta * db
            ws.append(w)
            bs.append(b)
    return np.array(ws), np.array(bs)


@mistake("sgd_logistic_regression", "b0 used only when w0 is given too", "from b = 0 although b0 was given")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    if w0 is None:
        w, b = np.zeros(x.shape[1]), 0.0
    else:
        w, b = np.array(w0, dtype=float), float(b0)
    ws, bs = [w], [b]
    for epoch in range(epochs):
        for batch in minibatch_indices(len(x), batch_size, rng):
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = lr(len(ws) - 1) if callable(lr) else lr
            w, b = w - eta * dw, b - eta * db
            ws.append(w)
            bs.append(b)
    return np.array(ws), np.array(bs)


@mistake("sgd_logistic_regression", "returns the lists ws and bs", "ws should be a numpy array")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b = float(b0)
    ws, bs = [w], [b]
    for epoch in range(epochs):
        for batch in minibatch_indices(len(x), batch_size, rng):
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = lr(len(ws) - 1) if callable(lr) else lr
            w, b = w - eta * dw, b - eta * db
            ws.append(w)
            bs.append(b)
    return ws, bs


@mistake("sgd_logistic_regression", "returns [ws, bs], a list", "should return a tuple (ws, bs)")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w = np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b = float(b0)
    ws, bs = [w], [b]
    for epoch in range(epochs):
        for batch in minibatch_indices(len(x), batch_size, rng):
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = lr(len(ws) - 1) if callable(lr) else lr
            w, b = w - eta * dw, b - eta * db
            ws.append(w)
            bs.append(b)
    return [np.array(ws), np.array(bs)]


@correct("sgd_logistic_regression", "preallocated arrays, theta = (w, b) in one vector")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    n, d = x.shape
    steps = epochs * math.ceil(n / batch_size)
    thetas = np.zeros((steps + 1, d + 1))
    thetas[0, :d] = 0.0 if w0 is None else w0
    thetas[0, d] = b0
    s = 0
    for _ in range(epochs):
        for batch in minibatch_indices(n, batch_size, rng):
            dw, db = logistic_regression_gradient(thetas[s, :d], thetas[s, d], x[batch], y[batch])
            eta = lr(s) if callable(lr) else lr
            thetas[s + 1] = thetas[s] - eta * np.append(dw, db)
            s += 1
    return thetas[:, :d], thetas[:, d]


@correct("sgd_logistic_regression", "in-place updates of float32 parameters, a copy stored each step")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    w = np.zeros(x.shape[1], dtype=np.float32) if w0 is None else np.array(w0, dtype=np.float32)
    b = np.float32(b0)
    ws, bs = [w.copy()], [b]
    for epoch in range(epochs):
        for batch in minibatch_indices(len(x), batch_size, rng):
            dw, db = logistic_regression_gradient(w, b, x[batch], y[batch])
            eta = np.float32(lr(len(ws) - 1) if callable(lr) else lr)
            w -= eta * np.asarray(dw, dtype=np.float32)
            b = b - eta * np.float32(db)
            ws.append(w.copy())
            bs.append(b)
    return np.array(ws), np.array(bs)


@correct("sgd_logistic_regression", "the schedule turned into a function first, one flat loop over all batches")
def sgd_logistic_regression(x, y, lr, epochs, batch_size, rng, w0=None, b0=0.0):
    rate = lr if callable(lr) else (lambda s: lr)
    batches = (batch for epoch in range(epochs) for batch in minibatch_indices(len(x), batch_size, rng))
    ws = [np.zeros(x.shape[1]) if w0 is None else np.array(w0, dtype=float)]
    bs = [float(b0)]
    for s, batch in enumerate(batches):
        dw, db = logistic_regression_gradient(ws[-1], bs[-1], x[batch], y[batch])
        ws.append(ws[-1] - rate(s) * dw)
        bs.append(bs[-1] - rate(s) * db)
    return np.stack(ws), np.array(bs)


# ---------------------------------------------------------------------- classify_stationary_point


@mistake("classify_stationary_point", "the determinant alone", "the determinant alone")
def classify_stationary_point(hessian, tol=1e-8):
    det = np.linalg.det(hessian)
    if det > 0:
        return "minimum"
    if det < 0:
        return "saddle"
    return "degenerate"


@mistake("classify_stationary_point", "the 2-D test with det and trace, wrong in 1-D and 3-D",
         "the two-dimensional test")
def classify_stationary_point(hessian, tol=1e-8):
    det = np.linalg.det(hessian)
    if abs(det) <= tol:
        return "degenerate"
    if det < 0:
        return "saddle"
    return "minimum" if np.trace(hessian) > 0 else "maximum"


@mistake("classify_stationary_point", "minimum and maximum swapped", "minimum and maximum swapped")
def classify_stationary_point(hessian, tol=1e-8):
    eigenvalues = np.linalg.eigvalsh(hessian)
    if np.all(eigenvalues > tol):
        return "maximum"
    if np.all(eigenvalues < -tol):
        return "minimum"
    if np.any(eigenvalues > tol) and np.any(eigenvalues < -tol):
        return "saddle"
    return "degenerate"


@mistake("classify_stationary_point", "no degenerate case", "the degenerate case is ignored")
def classify_stationary_point(hessian, tol=1e-8):
    eigenvalues = np.linalg.eigvalsh(hessian)
    if eigenvalues.min() < -tol and eigenvalues.max() > tol:
        return "saddle"
    if eigenvalues.min() >= 0:
        return "minimum"
    return "maximum"


@mistake("classify_stationary_point", "compares with 0 instead of tol", "instead of with tol")
def classify_stationary_point(hessian, tol=1e-8):
    eigenvalues = np.linalg.eigvalsh(hessian)
    if np.all(eigenvalues > 0):
        return "minimum"
    if np.all(eigenvalues < 0):
        return "maximum"
    if np.any(eigenvalues > 0) and np.any(eigenvalues < 0):
        return "saddle"
    return "degenerate"


@mistake("classify_stationary_point", "a fixed threshold 1e-8 in place of tol", "with tol ignored")
def classify_stationary_point(hessian, tol=1e-8):
    eigenvalues = np.linalg.eigvalsh(hessian)
    if np.all(eigenvalues > 1e-8):
        return "minimum"
    if np.all(eigenvalues < -1e-8):
        return "maximum"
    if np.any(eigenvalues > 1e-8) and np.any(eigenvalues < -1e-8):
        return "saddle"
    return "degenerate"


@mistake("classify_stationary_point", "the signs of the diagonal entries", "the diagonal entries")
def classify_stationary_point(hessian, tol=1e-8):
    diagonal = np.diag(hessian)
    if np.all(diagonal > tol):
        return "minimum"
    if np.all(diagonal < -tol):
        return "maximum"
    if np.any(diagonal > tol) and np.any(diagonal < -tol):
        return "saddle"
    return "degenerate"


@mistake("classify_stationary_point", "a zero eigenvalue tested before the saddle",
         "a zero eigenvalue before the saddle")
def classify_stationary_point(hessian, tol=1e-8):
    eigenvalues = np.linalg.eigvalsh(hessian)
    if np.all(eigenvalues > tol):
        return "minimum"
    if np.all(eigenvalues < -tol):
        return "maximum"
    if np.any(np.abs(eigenvalues) <= tol):
        return "degenerate"
    return "saddle"


@mistake("classify_stationary_point", "returns 'saddle point'", "should return one of the strings")
def classify_stationary_point(hessian, tol=1e-8):
    eigenvalues = np.linalg.eigvalsh(hessian)
    if np.all(eigenvalues > tol):
        return "minimum"
    if np.all(eigenvalues < -tol):
        return "maximum"
    if np.any(eigenvalues > tol) and np.any(eigenvalues < -tol):
        return "saddle point"
    return "degenerate"


@mistake("classify_stationary_point", ">= tol and <= -tol", "the comparisons >= tol and <= -tol")
def classify_stationary_point(hessian, tol=1e-8):
    eigenvalues = np.linalg.eigvalsh(hessian)
    if np.all(eigenvalues >= tol):
        return "minimum"
    if np.all(eigenvalues <= -tol):
        return "maximum"
    if np.any(eigenvalues >= tol) and np.any(eigenvalues <= -tol):
        return "saddle"
    return "degenerate"


@mistake("classify_stationary_point", "a default tol of 1e-6", "the default")
def classify_stationary_point(hessian, tol=1e-6):
    eigenvalues = np.linalg.eigvalsh(hessian)
    if np.all(eigenvalues > tol):
        return "minimum"
    if np.all(eigenvalues < -tol):
        return "maximum"
    if np.any(eigenvalues > tol) and np.any(eigenvalues < -tol):
        return "saddle"
    return "degenerate"


@mistake("classify_stationary_point", "returns a bool for a minimum", "should return one of the strings")
def classify_stationary_point(hessian, tol=1e-8):
    eigenvalues = np.linalg.eigvalsh(hessian)
    if np.all(eigenvalues > tol):
        return True
    if np.all(eigenvalues < -tol):
        return "maximum"
    if np.any(eigenvalues > tol) and np.any(eigenvalues < -tol):
        return "saddle"
    return "degenerate"


@correct("classify_stationary_point", "the smallest and largest eigenvalue, np.linalg.eigvals")
def classify_stationary_point(hessian, tol=1e-8):
    eigenvalues = np.linalg.eigvals(hessian).real
    low, high = eigenvalues.min(), eigenvalues.max()
    if low > tol:
        return "minimum"
    if high < -tol:
        return "maximum"
    return "saddle" if low < -tol and high > tol else "degenerate"


@correct("classify_stationary_point", "counting positive and negative eigenvalues with np.linalg.eigh")
def classify_stationary_point(hessian, tol=1e-8):
    eigenvalues = np.linalg.eigh(np.asarray(hessian))[0]
    n_pos, n_neg = int(np.sum(eigenvalues > tol)), int(np.sum(eigenvalues < -tol))
    if n_pos == len(eigenvalues):
        return "minimum"
    if n_neg == len(eigenvalues):
        return "maximum"
    return "saddle" if n_pos and n_neg else "degenerate"


@correct("classify_stationary_point", "a loop over the eigenvalues with sets of signs")
def classify_stationary_point(hessian, tol=1e-8):
    signs = set()
    for value in np.linalg.eigvalsh(hessian):
        signs.add(1 if value > tol else (-1 if value < -tol else 0))
    if signs == {1}:
        return "minimum"
    if signs == {-1}:
        return "maximum"
    if 1 in signs and -1 in signs:
        return "saddle"
    return "degenerate"


# ---------------------------------------------------------------------- inverse_time_decay


@mistake("inverse_time_decay", "s + 1: the first update already decayed", "the schedule one step later")
def inverse_time_decay(eta0, decay):
    def schedule(s):
        return eta0 / (1 + decay * (s + 1))
    return schedule


@mistake("inverse_time_decay", "eta0 * decay * s", "the learning rate is eta0 divided by")
def inverse_time_decay(eta0, decay):
    return lambda s: eta0 * decay * s


@mistake("inverse_time_decay", "Bottou's form eta0 / (1 + eta0 decay s)", "the decay multiplies k alone")
def inverse_time_decay(eta0, decay):
    return lambda s: eta0 / (1 + eta0 * decay * s)


@mistake("inverse_time_decay", "multiplies by (1 + decay s)", "do not multiply")
def inverse_time_decay(eta0, decay):
    return lambda s: eta0 * (1 + decay * s)


@mistake("inverse_time_decay", "exponent: eta0 / (1 + decay)^s", "an exponential decay")
def inverse_time_decay(eta0, decay):
    return lambda s: eta0 / (1 + decay) ** s


@mistake("inverse_time_decay", "brackets missing: eta0 / 1 + decay * s", "the brackets are missing")
def inverse_time_decay(eta0, decay):
    return lambda s: eta0 / 1 + decay * s


@mistake("inverse_time_decay", "counts its own calls instead of using s", "without a counter inside")
def inverse_time_decay(eta0, decay):
    calls = [0]

    def schedule(s):
        eta = eta0 / (1 + decay * calls[0])
        calls[0] += 1
        return eta
    return schedule


@mistake("inverse_time_decay", "returns the learning rate of step 0, a number", "should return a function")
def inverse_time_decay(eta0, decay, s=0):
    return eta0 / (1 + decay * s)


@mistake("inverse_time_decay", "a one-element array", "should be a single number")
def inverse_time_decay(eta0, decay):
    return lambda s: np.array([eta0 / (1 + decay * s)])


@mistake("inverse_time_decay", "rounded to 4 decimals", "rounded")
def inverse_time_decay(eta0, decay):
    return lambda s: round(eta0 / (1 + decay * s), 4)


@correct("inverse_time_decay", "a callable class")
def inverse_time_decay(eta0, decay):
    class InverseTime:
        def __call__(self, s):
            return eta0 / (1.0 + decay * s)
    return InverseTime()


@correct("inverse_time_decay", "a lambda with a power -1")
def inverse_time_decay(eta0, decay):
    return lambda s: float(eta0) * (1.0 + float(decay) * float(s)) ** -1


@correct("inverse_time_decay", "functools.partial of a helper")
def inverse_time_decay(eta0, decay):
    import functools

    def rate(eta0, decay, s):
        return 1 / (1 / eta0 + decay * s / eta0)
    return functools.partial(rate, eta0, decay)


# ---------------------------------------------------------------------- uniform_average


@mistake("uniform_average", "divides by t + 1", "an extra zero iterate at the start")
def uniform_average(iterates):
    iterates = np.asarray(iterates, dtype=float)
    t = np.arange(2, len(iterates) + 2).reshape((-1,) + (1,) * (iterates.ndim - 1))
    return np.cumsum(iterates, axis=0) / t


@mistake("uniform_average", "divides by t counted from 0", "did you divide by t = 0?")
def uniform_average(iterates):
    iterates = np.asarray(iterates, dtype=float)
    t = np.arange(len(iterates)).reshape((-1,) + (1,) * (iterates.ndim - 1))
    return np.cumsum(iterates, axis=0) / t


@mistake("uniform_average", "the running sum", "the running sum, not divided by t")
def uniform_average(iterates):
    return np.cumsum(iterates, axis=0)


@mistake("uniform_average", "the mean of all iterates in every row", "the average of all T iterates in every row")
def uniform_average(iterates):
    return np.ones_like(iterates) * np.mean(iterates, axis=0)


@mistake("uniform_average", "the final average only", "not only the final average")
def uniform_average(iterates):
    return np.mean(iterates, axis=0)


@mistake("uniform_average", "the running update before adding w_t: one step behind", "one step behind")
def uniform_average(iterates):
    out = np.empty(np.shape(iterates))
    avg = iterates[0]
    for t in range(len(iterates)):
        out[t] = avg
        avg = avg + (iterates[t] - avg) / (t + 1)
    return out


@mistake("uniform_average", "the running update written into iterates", "changed its input iterates")
def uniform_average(iterates):
    for t in range(1, len(iterates)):
        iterates[t] = iterates[t - 1] + (iterates[t] - iterates[t - 1]) / (t + 1)
    return iterates


@mistake("uniform_average", "np.zeros_like(iterates): integers stay integers", "should be an array of floats")
def uniform_average(iterates):
    out = np.zeros_like(iterates)
    total = np.zeros_like(iterates[0])
    for t in range(len(iterates)):
        total = total + iterates[t]
        out[t] = total / (t + 1)
    return out


@mistake("uniform_average", "a list of the running means", "should be a numpy array")
def uniform_average(iterates):
    return [np.mean(iterates[:t], axis=0) for t in range(1, len(iterates) + 1)]


@correct("uniform_average", "the running update avg += (w_t - avg) / t")
def uniform_average(iterates):
    out, avg = [], None
    for t, w in enumerate(iterates, start=1):
        avg = w.copy() if t == 1 else avg + (w - avg) / t
        out.append(avg)
    return np.array(out)


@correct("uniform_average", "float32 cumsum")
def uniform_average(iterates):
    iterates = np.asarray(iterates, dtype=np.float32)
    counts = np.arange(1, len(iterates) + 1, dtype=np.float32)
    return np.cumsum(iterates, axis=0) / counts.reshape((-1,) + (1,) * (iterates.ndim - 1))


@correct("uniform_average", "the mean of the first t rows, row by row")
def uniform_average(iterates):
    return np.array([np.mean(iterates[:t], axis=0) for t in range(1, len(iterates) + 1)])


@correct("uniform_average", "averaging.uniform_average_update")
def uniform_average(iterates):
    out = [np.array(iterates[0], dtype=float)]
    for t in range(2, len(iterates) + 1):
        out.append(averaging.uniform_average_update(out[-1], iterates[t - 1], t))
    return np.array(out)


# ---------------------------------------------------------------------- exponential_average


@mistake("exponential_average", "started from 0", "started from 0 instead of from the first iterate")
def exponential_average(iterates, decay):
    avg, out = np.zeros_like(iterates[0]), []
    for w in iterates:
        avg = decay * avg + (1 - decay) * w
        out.append(avg)
    return np.array(out)


@mistake("exponential_average", "decay and 1 - decay swapped", "decay and 1 - decay swapped")
def exponential_average(iterates, decay):
    out = [iterates[0]]
    for w in iterates[1:]:
        out.append((1 - decay) * out[-1] + decay * w)
    return np.array(out)


@mistake("exponential_average", "Adam's bias correction", "bias-corrected average started from 0")
def exponential_average(iterates, decay):
    avg, out = np.zeros_like(iterates[0]), []
    for t, w in enumerate(iterates, start=1):
        avg = decay * avg + (1 - decay) * w
        out.append(avg / (1 - decay ** t))
    return np.array(out)


@mistake("exponential_average", "stores the average before the update: one step behind", "one step behind")
def exponential_average(iterates, decay):
    avg, out = iterates[0], []
    for w in iterates:
        out.append(avg)
        avg = decay * avg + (1 - decay) * w
    return np.array(out)


@mistake("exponential_average", "the final average only", "not only the final average")
def exponential_average(iterates, decay):
    avg = iterates[0]
    for w in iterates[1:]:
        avg = decay * avg + (1 - decay) * w
    return avg


@mistake("exponential_average", "updates a view of iterates[0] in place", "changed its input iterates")
def exponential_average(iterates, decay):
    avg, out = iterates[0], [iterates[0].copy()]
    for w in iterates[1:]:
        avg *= decay
        avg += (1 - decay) * w
        out.append(avg.copy())
    return np.array(out)


@mistake("exponential_average", "np.empty_like(iterates): integers stay integers", "should be an array of floats")
def exponential_average(iterates, decay):
    out = np.empty_like(iterates)
    out[0] = iterates[0]
    for t in range(1, len(iterates)):
        out[t] = decay * out[t - 1] + (1 - decay) * iterates[t]
    return out


@correct("exponential_average", "the closed form with weights decay^(t-k)")
def exponential_average(iterates, decay):
    out = []
    for t in range(1, len(iterates) + 1):
        weights = np.array([decay ** (t - 1)] + [(1 - decay) * decay ** (t - k) for k in range(2, t + 1)])
        out.append(np.tensordot(weights, iterates[:t], axes=1))
    return np.array(out)


@correct("exponential_average", "averaging.ema_update in a loop")
def exponential_average(iterates, decay):
    out = [np.array(iterates[0], dtype=float)]
    for w in iterates[1:]:
        out.append(averaging.ema_update(out[-1], w, decay))
    return np.array(out)


@correct("exponential_average", "a copy, overwritten row by row")
def exponential_average(iterates, decay):
    out = np.array(iterates, dtype=float, copy=True)
    for t in range(1, len(out)):
        out[t] += decay * (out[t - 1] - out[t])
    return out
