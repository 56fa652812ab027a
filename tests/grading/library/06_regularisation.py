"""Chapter 06_regularisation: mistakes students make, and correct implementations unlike the instructor's.

Each function is notebook code for one exercise (see dlcourse.grading.library): it may use what the chapter's
first cell imports (np, is_weight, ...) and the student's other exercise functions, never the reference
of its own exercise. The conventions are the exercises': the L2 penalty is mu/2 ||W||^2 on the weights only,
ridge regression averages the loss (sklearn's alpha = N mu), the proximal step thresholds at lr nu, epochs are
counted from 0, and every random number comes from the rng argument.
"""
import numpy as np  # noqa: F401 (the notebook code below uses what the notebook imports; these keep linters quiet)

from dlcourse.grading.library import correct, mistake
from dlcourse.sequential import is_weight  # noqa: F401

# ---------------------------------------------------------------------- l2_penalty


@mistake("l2_penalty", "biases penalised (sums over every parameter)", "the biases penalised too")
def l2_penalty(params, mu):
    value = 0.5 * mu * sum(np.sum(w ** 2) for w in params.values())
    return float(value), {key: mu * w for key, w in params.items()}


@mistake("l2_penalty", "gamma and beta penalised (everything but the biases)", "gamma and beta penalised too")
def l2_penalty(params, mu):
    value, grads = 0.0, {}
    for key, w in params.items():
        if key.endswith("b"):
            grads[key] = np.zeros_like(w)
        else:
            value += 0.5 * mu * np.sum(w ** 2)
            grads[key] = mu * w
    return float(value), grads


@mistake("l2_penalty", "mu ||W||^2 with gradient 2 mu W", "mu ||W||^2 with the gradient 2 mu W")
def l2_penalty(params, mu):
    value = sum(mu * np.sum(w ** 2) for key, w in params.items() if is_weight(key))
    return float(value), {key: 2 * mu * w if is_weight(key) else np.zeros_like(w) for key, w in params.items()}


@mistake("l2_penalty", "value without the 1/2, gradient mu W", "the value mu ||W||^2 (no 1/2)")
def l2_penalty(params, mu):
    value = sum(mu * np.sum(w ** 2) for key, w in params.items() if is_weight(key))
    return float(value), {key: mu * w if is_weight(key) else np.zeros_like(w) for key, w in params.items()}


@mistake("l2_penalty", "gradient 2 mu W with the value mu/2 ||W||^2", "the gradient 2 mu W of mu ||W||^2 with")
def l2_penalty(params, mu):
    value = sum(0.5 * mu * np.sum(w ** 2) for key, w in params.items() if is_weight(key))
    return float(value), {key: 2 * mu * w if is_weight(key) else np.zeros_like(w) for key, w in params.items()}


@mistake("l2_penalty", "the norm instead of the squared norm", "the norm ||W||_F instead of its square")
def l2_penalty(params, mu):
    value, grads = 0.0, {}
    for key, w in params.items():
        grads[key] = np.zeros_like(w)
        if is_weight(key):
            norm = np.linalg.norm(w)
            value += 0.5 * mu * norm
            grads[key] = 0.5 * mu * w / norm
    return float(value), grads


@mistake("l2_penalty", "the mean of the squares", "the mean of the squared weights instead of their sum")
def l2_penalty(params, mu):
    value = sum(0.5 * mu * np.mean(w ** 2) for key, w in params.items() if is_weight(key))
    return float(value), {key: mu * w / w.size if is_weight(key) else np.zeros_like(w) for key, w in params.items()}


@mistake("l2_penalty", "weights looked up as keys starting with W", "no penalty at all")
def l2_penalty(params, mu):
    value, grads = 0.0, {}
    for key, w in params.items():
        if key.startswith("W"):
            value += 0.5 * mu * np.sum(w ** 2)
            grads[key] = mu * w
        else:
            grads[key] = np.zeros_like(w)
    return float(value), grads


@mistake("l2_penalty", "grads only for the weights", "are missing: give every parameter a gradient")
def l2_penalty(params, mu):
    weights = {key: w for key, w in params.items() if is_weight(key)}
    return 0.5 * mu * sum(float(np.sum(w ** 2)) for w in weights.values()), {key: mu * w for key, w in weights.items()}


@mistake("l2_penalty", "params dict reused for the grads", "your function changed its input params")
def l2_penalty(params, mu):
    value = 0.0
    for key in params:
        if is_weight(key):
            value += 0.5 * mu * np.sum(params[key] ** 2)
            params[key] = mu * params[key]
        else:
            params[key] = np.zeros_like(params[key])
    return float(value), params


@correct("l2_penalty", "comprehensions with the squared norm from np.linalg.norm")
def l2_penalty(params, mu):
    value = mu / 2 * sum(np.linalg.norm(w) ** 2 for key, w in params.items() if key.endswith(".W"))
    return value, {key: (mu * w if key.endswith(".W") else 0 * w) for key, w in params.items()}


@correct("l2_penalty", "np.vdot and float32 arithmetic")
def l2_penalty(params, mu):
    value, grads = np.float32(0.0), {}
    for key, w in params.items():
        w32 = w.astype(np.float32)
        if is_weight(key):
            value += np.float32(mu) / 2 * np.vdot(w32, w32)
            grads[key] = np.float32(mu) * w32
        else:
            grads[key] = np.zeros(w.shape, dtype=np.float32)
    return float(value), grads


# ---------------------------------------------------------------------- ridge_regression


@mistake("ridge_regression", "the sum loss: sklearn's alpha = mu", "without the 1/N")
def ridge_regression(x, y, mu):
    xc, yc = x - x.mean(axis=0), y - y.mean()
    w = np.linalg.solve(xc.T @ xc + mu * np.eye(x.shape[1]), xc.T @ yc)
    return w, float(y.mean() - x.mean(axis=0) @ w)


@mistake("ridge_regression", "bias penalised through a column of ones", "the bias penalised too")
def ridge_regression(x, y, mu):
    n, d = x.shape
    xa = np.hstack([x, np.ones((n, 1))])
    wa = np.linalg.solve(xa.T @ xa / n + mu * np.eye(d + 1), xa.T @ y / n)
    return wa[:-1], float(wa[-1])


@mistake("ridge_regression", "no bias and no centring", "no bias (b = 0")
def ridge_regression(x, y, mu):
    n, d = x.shape
    return np.linalg.solve(x.T @ x / n + mu * np.eye(d), x.T @ y / n), 0.0


@mistake("ridge_regression", "only y centred", "y centred but not x")
def ridge_regression(x, y, mu):
    n, d = x.shape
    w = np.linalg.solve(x.T @ x / n + mu * np.eye(d), x.T @ (y - y.mean()) / n)
    return w, float(y.mean())


@mistake("ridge_regression", "2 mu on the diagonal", "the gradient of mu ||w||^2, not of mu/2")
def ridge_regression(x, y, mu):
    n, d = x.shape
    xc, yc = x - x.mean(axis=0), y - y.mean()
    w = np.linalg.solve(xc.T @ xc / n + 2 * mu * np.eye(d), xc.T @ yc / n)
    return w, float(y.mean() - x.mean(axis=0) @ w)


@mistake("ridge_regression", "mu/2 on the diagonal", "(X^T X / N + mu/2 I)")
def ridge_regression(x, y, mu):
    n, d = x.shape
    xc, yc = x - x.mean(axis=0), y - y.mean()
    w = np.linalg.solve(xc.T @ xc / n + mu / 2 * np.eye(d), xc.T @ yc / n)
    return w, float(y.mean() - x.mean(axis=0) @ w)


@mistake("ridge_regression", "sklearn's alpha = N mu in the averaged equations", "sklearn's alpha = N mu put into")
def ridge_regression(x, y, mu):
    n, d = x.shape
    xc, yc = x - x.mean(axis=0), y - y.mean()
    w = np.linalg.solve(xc.T @ xc / n + n * mu * np.eye(d), xc.T @ yc / n)
    return w, float(y.mean() - x.mean(axis=0) @ w)


@mistake("ridge_regression", "least squares, the penalty forgotten", "the least-squares solution without the penalty")
def ridge_regression(x, y, mu):
    xc, yc = x - x.mean(axis=0), y - y.mean()
    w = np.linalg.lstsq(xc, yc, rcond=None)[0]
    return w, float(y.mean() - x.mean(axis=0) @ w)


@mistake("ridge_regression", "the bias returned as an array", "b should be a single number")
def ridge_regression(x, y, mu):
    n, d = x.shape
    xc, yc = x - x.mean(axis=0), y - y.mean()
    w = np.linalg.solve(xc.T @ xc / n + mu * np.eye(d), xc.T @ yc / n)
    return w, np.array([y.mean() - x.mean(axis=0) @ w])


@correct("ridge_regression", "the SVD of the centred data")
def ridge_regression(x, y, mu):
    n = len(x)
    xc, yc = x - x.mean(axis=0), y - y.mean()
    u, s, vt = np.linalg.svd(xc, full_matrices=False)
    w = vt.T @ (s / (s ** 2 + n * mu) * (u.T @ yc))
    return w, y.mean() - x.mean(axis=0) @ w


@correct("ridge_regression", "the dual (kernel) form, an N x N system")
def ridge_regression(x, y, mu):
    n = len(x)
    x_mean = np.mean(x, axis=0)
    xc, yc = x - x_mean, y - np.mean(y)
    w = xc.T @ np.linalg.solve(xc @ xc.T + n * mu * np.eye(n), yc)
    return w, float(np.mean(y) - x_mean @ w)


@correct("ridge_regression", "least squares on data augmented with sqrt(N mu) I")
def ridge_regression(x, y, mu):
    n, d = x.shape
    xc, yc = x - x.mean(axis=0), y - y.mean()
    w = np.linalg.lstsq(np.vstack([xc, np.sqrt(n * mu) * np.eye(d)]), np.concatenate([yc, np.zeros(d)]), rcond=None)[0]
    return w, float(np.mean(y - x @ w))


@correct("ridge_regression", "scikit-learn's Ridge with alpha = N mu")
def ridge_regression(x, y, mu):
    from sklearn.linear_model import Ridge
    model = Ridge(alpha=len(x) * mu).fit(x, y)
    return model.coef_, float(model.intercept_)


# ---------------------------------------------------------------------- soft_threshold


@mistake("soft_threshold", "max(w - threshold, 0)", "the negative entries are lost")
def soft_threshold(w, threshold):
    return np.maximum(w - threshold, 0.0)


@mistake("soft_threshold", "hard thresholding", "hard thresholding")
def soft_threshold(w, threshold):
    return np.where(np.abs(w) > threshold, w, 0.0)


@mistake("soft_threshold", "no max(., 0): small entries cross zero", "without max(., 0)")
def soft_threshold(w, threshold):
    return np.sign(w) * (np.abs(w) - threshold)


@mistake("soft_threshold", "the sign lost", "the sign of w is lost")
def soft_threshold(w, threshold):
    return np.maximum(np.abs(w) - threshold, 0.0)


@mistake("soft_threshold", "clip(w, -threshold, threshold)", "clip(w, -threshold, threshold)")
def soft_threshold(w, threshold):
    return np.clip(w, -threshold, threshold)


@mistake("soft_threshold", "w - threshold for both signs", "the negative entries move away from zero")
def soft_threshold(w, threshold):
    return np.where(np.abs(w) > threshold, w - threshold, 0.0)


@mistake("soft_threshold", "thresholds w in place", "your function changed its input w")
def soft_threshold(w, threshold):
    w[np.abs(w) <= threshold] = 0.0
    w -= threshold * np.sign(w)
    return w


@correct("soft_threshold", "two clips")
def soft_threshold(w, threshold):
    return np.clip(w - threshold, 0, None) + np.clip(w + threshold, None, 0)


@correct("soft_threshold", "nested np.where")
def soft_threshold(w, threshold):
    return np.where(w > threshold, w - threshold, np.where(w < -threshold, w + threshold, 0.0))


@correct("soft_threshold", "a loop over the entries")
def soft_threshold(w, threshold):
    out = np.zeros(np.shape(w))
    for i in np.ndindex(out.shape):
        if abs(w[i]) > threshold:
            out[i] = w[i] - np.copysign(threshold, w[i])
    return out


# ---------------------------------------------------------------------- ista_step


@mistake("ista_step", "a subgradient step", "a subgradient step w - lr (dw + nu sign(w))")
def ista_step(w, dw, lr, nu):
    return w - lr * (dw + nu * np.sign(w))


@mistake("ista_step", "threshold nu, without the learning rate", "the threshold nu instead of lr nu")
def ista_step(w, dw, lr, nu):
    return soft_threshold(w - lr * dw, nu)


@mistake("ista_step", "threshold lr nu / 2 (the square without 1/2)", "the threshold lr nu / 2")
def ista_step(w, dw, lr, nu):
    return soft_threshold(w - lr * dw, lr * nu / 2)


@mistake("ista_step", "threshold 2 lr nu", "the threshold 2 lr nu")
def ista_step(w, dw, lr, nu):
    return soft_threshold(w - lr * dw, 2 * lr * nu)


@mistake("ista_step", "proximal step first, then the gradient step", "the proximal step before the gradient step")
def ista_step(w, dw, lr, nu):
    return soft_threshold(w, lr * nu) - lr * dw


@mistake("ista_step", "the penalty forgotten", "the plain gradient step")
def ista_step(w, dw, lr, nu):
    return w - lr * dw


@mistake("ista_step", "a step up the gradient", "a step up the gradient")
def ista_step(w, dw, lr, nu):
    return soft_threshold(w + lr * dw, lr * nu)


@mistake("ista_step", "hard thresholding after the gradient step", "hard thresholding of w - lr dw")
def ista_step(w, dw, lr, nu):
    v = w - lr * dw
    return v * (np.abs(v) > lr * nu)


@correct("ista_step", "the formula written out")
def ista_step(w, dw, lr, nu):
    v = w - lr * dw
    return np.sign(v) * np.maximum(np.abs(v) - lr * nu, 0.0)


@correct("ista_step", "torch's softshrink")
def ista_step(w, dw, lr, nu):
    import torch
    v = torch.from_numpy(np.asarray(w - lr * dw, dtype=np.float64))
    return torch.nn.functional.softshrink(v, lr * nu).numpy()


# ---------------------------------------------------------------------- max_norm


@mistake("max_norm", "the whole matrix projected (Frobenius norm)", "the whole matrix projected onto ||W||_F <= r")
def max_norm(w, r):
    norm = np.linalg.norm(w)
    return w * min(1.0, r / norm)


@mistake("max_norm", "columns instead of rows", "each column projected")
def max_norm(w, r):
    norms = np.linalg.norm(w, axis=0, keepdims=True)
    return w * np.minimum(1.0, r / np.maximum(norms, 1e-300))


@mistake("max_norm", "every row rescaled to r", "every row rescaled to norm r")
def max_norm(w, r):
    norms = np.linalg.norm(w, axis=1, keepdims=True)
    return np.where(norms > 0, w * r / np.where(norms > 0, norms, 1.0), w)


@mistake("max_norm", "max instead of min", "max(1, r / ||w_j||)")
def max_norm(w, r):
    norms = np.linalg.norm(w, axis=1, keepdims=True)
    return w * np.maximum(1.0, r / np.maximum(norms, 1e-300))


@mistake("max_norm", "entries clipped", "each entry clipped to [-r, r]")
def max_norm(w, r):
    return np.clip(w, -r, r)


@mistake("max_norm", "divided by the squared norm", "rows divided by their squared norm")
def max_norm(w, r):
    squared = np.sum(w ** 2, axis=1, keepdims=True)
    return w * np.minimum(1.0, r / np.maximum(squared, 1e-300))


@mistake("max_norm", "the L1 norm of each row", "the L1 norm of each row")
def max_norm(w, r):
    norms = np.abs(w).sum(axis=1, keepdims=True)
    return w * np.minimum(1.0, r / np.maximum(norms, 1e-300))


@mistake("max_norm", "0/0 for an all-zero row", "is all zeros and became")
def max_norm(w, r):
    norms = np.linalg.norm(w, axis=1, keepdims=True)
    return w / norms * np.minimum(norms, r)


@mistake("max_norm", "rows rescaled in place", "your function changed its input w")
def max_norm(w, r):
    for j in range(len(w)):
        norm = np.linalg.norm(w[j])
        if norm > r:
            w[j] *= r / norm
    return w


@correct("max_norm", "a copy with the offending rows rescaled")
def max_norm(w, r):
    out = w.copy()
    norms = np.sqrt(np.sum(w * w, axis=1))
    big = norms > r
    out[big] = w[big] * (r / norms[big])[:, None]
    return out


@correct("max_norm", "a loop over the rows")
def max_norm(w, r):
    rows = []
    for row in w:
        norm = np.sqrt(row @ row)
        rows.append(row * (r / norm) if norm > r else row.copy())
    return np.array(rows)


@correct("max_norm", "torch.renorm")
def max_norm(w, r):
    import torch
    return torch.renorm(torch.from_numpy(np.array(w, dtype=np.float64)), 2, 0, r).numpy()


# ---------------------------------------------------------------------- early_stopping


@mistake("early_stopping", "the stop epoch returned as the best", "the stop epoch as the best epoch")
def early_stopping(val_losses, patience, min_delta=0.0):
    best, waited = np.inf, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best - min_delta:
            best, waited = loss, 0
        else:
            waited += 1
            if waited == patience:
                return epoch, epoch
    return len(val_losses) - 1, len(val_losses) - 1


@mistake("early_stopping", "waited > patience", "one epoch too late")
def early_stopping(val_losses, patience, min_delta=0.0):
    best, best_epoch, waited = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best - min_delta:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited > patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


@mistake("early_stopping", "the counter is never reset", "without restarting the count")
def early_stopping(val_losses, patience, min_delta=0.0):
    best, best_epoch, waited = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best - min_delta:
            best, best_epoch = loss, epoch
        else:
            waited += 1
            if waited == patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


@mistake("early_stopping", "ties count as improvements", "ties counted as improvements")
def early_stopping(val_losses, patience, min_delta=0.0):
    best, best_epoch, waited = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss <= best - min_delta:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


@mistake("early_stopping", "min_delta ignored", "min_delta ignored")
def early_stopping(val_losses, patience, min_delta=0.0):
    best, best_epoch, waited = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


@mistake("early_stopping", "min_delta with the wrong sign", "min_delta has the wrong sign")
def early_stopping(val_losses, patience, min_delta=0.0):
    best, best_epoch, waited = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best + min_delta:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


@mistake("early_stopping", "NaN counted as an improvement", "a NaN loss counted as an improvement")
def early_stopping(val_losses, patience, min_delta=0.0):
    best, best_epoch, waited = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if not loss >= best - min_delta:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


@mistake("early_stopping", "the best epoch of the whole sequence", "epochs after the stop included")
def early_stopping(val_losses, patience, min_delta=0.0):
    best, waited = np.inf, 0
    stop = len(val_losses) - 1
    for epoch, loss in enumerate(val_losses):
        if loss < best - min_delta:
            best, waited = loss, 0
        else:
            waited += 1
            if waited == patience:
                stop = epoch
                break
    return int(np.nanargmin(val_losses)), stop


@mistake("early_stopping", "stops at the first epoch without improvement", "the rule with patience 1")
def early_stopping(val_losses, patience, min_delta=0.0):
    best, best_epoch = np.inf, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best - min_delta:
            best, best_epoch = loss, epoch
        else:
            return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


@mistake("early_stopping", "epochs counted from 1", "epochs counted from 1")
def early_stopping(val_losses, patience, min_delta=0.0):
    best, best_epoch, waited = np.inf, 1, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best - min_delta:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses)


@mistake("early_stopping", "None when the rule never fires", "stop_epoch should be an int")
def early_stopping(val_losses, patience, min_delta=0.0):
    best, best_epoch, waited = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best - min_delta:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return best_epoch, epoch
    return best_epoch, None


@correct("early_stopping", "epochs since the best, computed from the best epoch")
def early_stopping(val_losses, patience, min_delta=0.0):
    best_epoch = 0
    best = np.inf
    for epoch in range(len(val_losses)):
        loss = float(val_losses[epoch])
        if not np.isnan(loss) and loss < best - min_delta:
            best, best_epoch = loss, epoch
        elif epoch - best_epoch == patience:
            return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


@correct("early_stopping", "a while loop")
def early_stopping(val_losses, patience, min_delta=0.0):
    losses = np.asarray(val_losses, dtype=float)
    best, best_epoch, waited, epoch = np.inf, 0, 0, 0
    while epoch < len(losses) and waited < patience:
        if losses[epoch] < best - min_delta:
            best, best_epoch, waited = losses[epoch], epoch, 0
        else:
            waited += 1
        epoch += 1
    return best_epoch, epoch - 1


# ---------------------------------------------------------------------- noisy_input_loss


@mistake("noisy_input_loss", "sigma instead of sigma^2", "the variance of the noise, sigma^2, belongs there")
def noisy_input_loss(x, y, w, b, sigma):
    r = x @ w.T + b - y
    n = len(x)
    return float(0.5 * np.sum(r ** 2) / n + 0.5 * sigma * np.sum(w ** 2)), r.T @ x / n + sigma * w, r.sum(axis=0) / n


@mistake("noisy_input_loss", "the 1/2 missing on the noise term", "sigma^2 ||W||^2 without the 1/2")
def noisy_input_loss(x, y, w, b, sigma):
    r = x @ w.T + b - y
    n = len(x)
    loss = 0.5 * np.sum(r ** 2) / n + sigma ** 2 * np.sum(w ** 2)
    return float(loss), r.T @ x / n + 2 * sigma ** 2 * w, r.sum(axis=0) / n


@mistake("noisy_input_loss", "the bias penalised", "the bias penalised too")
def noisy_input_loss(x, y, w, b, sigma):
    r = x @ w.T + b - y
    n = len(x)
    loss = 0.5 * np.sum(r ** 2) / n + 0.5 * sigma ** 2 * (np.sum(w ** 2) + np.sum(b ** 2))
    return float(loss), r.T @ x / n + sigma ** 2 * w, r.sum(axis=0) / n + sigma ** 2 * b


@mistake("noisy_input_loss", "the noise term summed over the examples", "N sigma^2/2 ||W||^2")
def noisy_input_loss(x, y, w, b, sigma):
    r = x @ w.T + b - y
    n = len(x)
    loss = 0.5 * np.sum(r ** 2) / n + 0.5 * n * sigma ** 2 * np.sum(w ** 2)
    return float(loss), r.T @ x / n + n * sigma ** 2 * w, r.sum(axis=0) / n


@mistake("noisy_input_loss", "a factor D on the noise term", "D sigma^2/2 ||W||^2")
def noisy_input_loss(x, y, w, b, sigma):
    r = x @ w.T + b - y
    n, d = x.shape
    loss = 0.5 * np.sum(r ** 2) / n + 0.5 * d * sigma ** 2 * np.sum(w ** 2)
    return float(loss), r.T @ x / n + d * sigma ** 2 * w, r.sum(axis=0) / n


@mistake("noisy_input_loss", "noise on the targets", "the noise on the targets instead of the inputs")
def noisy_input_loss(x, y, w, b, sigma):
    r = x @ w.T + b - y
    n, k = y.shape
    return float(0.5 * np.sum(r ** 2) / n + 0.5 * k * sigma ** 2), r.T @ x / n, r.sum(axis=0) / n


@mistake("noisy_input_loss", "the noise-free loss", "the loss without noise")
def noisy_input_loss(x, y, w, b, sigma):
    r = x @ w.T + b - y
    n = len(x)
    return float(0.5 * np.sum(r ** 2) / n), r.T @ x / n, r.sum(axis=0) / n


@mistake("noisy_input_loss", "dw without the noise term's gradient", "dw without the gradient sigma^2 W")
def noisy_input_loss(x, y, w, b, sigma):
    r = x @ w.T + b - y
    n = len(x)
    return float(0.5 * np.sum(r ** 2) / n + 0.5 * sigma ** 2 * np.sum(w ** 2)), r.T @ x / n, r.sum(axis=0) / n


@mistake("noisy_input_loss", "a sum over the examples", "the sum over the examples instead of the average")
def noisy_input_loss(x, y, w, b, sigma):
    r = x @ w.T + b - y
    return float(0.5 * np.sum(r ** 2) + 0.5 * sigma ** 2 * np.sum(w ** 2)), r.T @ x + sigma ** 2 * w, r.sum(axis=0)


@mistake("noisy_input_loss", "dw transposed", "It looks transposed")
def noisy_input_loss(x, y, w, b, sigma):
    r = x @ w.T + b - y
    n = len(x)
    loss = 0.5 * np.sum(r ** 2) / n + 0.5 * sigma ** 2 * np.sum(w ** 2)
    return float(loss), x.T @ r / n + sigma ** 2 * w.T, r.sum(axis=0) / n


@correct("noisy_input_loss", "the expected Gram matrix X^T X / N + sigma^2 I")
def noisy_input_loss(x, y, w, b, sigma):
    n, d = x.shape
    xa, wa = np.hstack([x, np.ones((n, 1))]), np.hstack([w, b[:, None]])
    gram = xa.T @ xa / n
    gram[:d, :d] += sigma ** 2 * np.eye(d)          # E[(x + xi)(x + xi)^T] / N; the constant input has no noise
    loss = 0.5 * (np.trace(wa @ gram @ wa.T) - 2 * np.trace(wa @ xa.T @ y) / n + np.sum(y ** 2) / n)
    grad = wa @ gram - y.T @ xa / n
    return float(loss), grad[:, :d], grad[:, d]


@correct("noisy_input_loss", "one example at a time")
def noisy_input_loss(x, y, w, b, sigma):
    n = len(x)
    loss, dw, db = 0.0, np.zeros(w.shape), np.zeros(b.shape)
    for x_n, y_n in zip(x, y):
        r = w @ x_n + b - y_n
        loss += (0.5 * r @ r + 0.5 * sigma ** 2 * np.sum(w * w)) / n
        dw += (np.outer(r, x_n) + sigma ** 2 * w) / n
        db += r / n
    return loss, dw, db


# ---------------------------------------------------------------------- bootstrap_indices


@mistake("bootstrap_indices", "a permutation per model (no replacement)", "that is a permutation")
def bootstrap_indices(n, n_models, rng):
    return np.array([rng.permutation(n) for _ in range(n_models)])


@mistake("bootstrap_indices", "one sample shared by every model", "every model got the same bootstrap sample")
def bootstrap_indices(n, n_models, rng):
    return np.tile(rng.integers(0, n, size=n), (n_models, 1))


@mistake("bootstrap_indices", "shape (n, n_models)", "It looks transposed")
def bootstrap_indices(n, n_models, rng):
    return rng.integers(0, n, size=(n, n_models))


@mistake("bootstrap_indices", "rng.integers(0, n - 1): the last example never drawn", "already excludes n")
def bootstrap_indices(n, n_models, rng):
    return rng.integers(0, max(n - 1, 1), size=(n_models, n))


@mistake("bootstrap_indices", "numpy's global random state", "not with np.random")
def bootstrap_indices(n, n_models, rng):
    return np.random.randint(0, n, size=(n_models, n))


@mistake("bootstrap_indices", "a new generator with a fixed seed", "instead of creating a generator with a fixed seed")
def bootstrap_indices(n, n_models, rng):
    return np.random.default_rng(0).integers(0, n, size=(n_models, n))


@mistake("bootstrap_indices", "float indices", "should be an array of ints")
def bootstrap_indices(n, n_models, rng):
    return np.floor(rng.random((n_models, n)) * n)


@mistake("bootstrap_indices", "indices 1..n", "should lie in 0..")
def bootstrap_indices(n, n_models, rng):
    return rng.integers(1, n + 1, size=(n_models, n))


@correct("bootstrap_indices", "rng.choice with replacement")
def bootstrap_indices(n, n_models, rng):
    return rng.choice(n, size=(n_models, n), replace=True)


@correct("bootstrap_indices", "one model at a time, each row sorted")
def bootstrap_indices(n, n_models, rng):
    return np.stack([np.sort(rng.integers(0, n, size=n)) for _ in range(n_models)])


@correct("bootstrap_indices", "floor of uniform numbers times n")
def bootstrap_indices(n, n_models, rng):
    return np.minimum(np.floor(rng.random((n_models, n)) * n), n - 1).astype(np.int64)
