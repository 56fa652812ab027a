"""Properties that hold for every input: activations, losses, relative_error, data sets, initialisation."""
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dlcourse import activations as act
from dlcourse import datasets, gradcheck, losses
from dlcourse.init import INIT_SCHEMES, init_mlp

modest = settings(max_examples=50, deadline=None)   # keeps the file well under 20 s


def matrices(low, high, max_side=6):
    """(N, K) float64 arrays with entries in [low, high]."""
    shapes = st.tuples(st.integers(1, max_side), st.integers(1, max_side))
    return arrays(np.float64, shapes, elements=st.floats(low, high, allow_nan=False))


def vectors(low, high, max_size=20):
    return arrays(np.float64, st.integers(1, max_size), elements=st.floats(low, high, allow_nan=False))


seeds = st.integers(0, 2 ** 32 - 1)


# ---------------------------------------------------------------- softmax and log-softmax

@modest
@given(matrices(-1e6, 1e6))
def test_softmax_rows_are_distributions(a):
    p = act.softmax(a)
    assert np.all(p >= 0) and np.all(p <= 1)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-12)


@modest
@given(matrices(-300, 300))
def test_softmax_is_positive_when_no_entry_underflows(a):
    # exp(-600) ~ 1e-261 is still a positive float64; with logits 1e6 apart softmax underflows to 0.
    assert np.all(act.softmax(a) > 0)


@modest
@given(matrices(-300, 300), st.floats(-1000, 1000))
def test_softmax_and_log_softmax_are_shift_invariant(a, shift):
    # a + shift rounds to a multiple of ulp(1300) ~ 2e-13, which is all the error we allow.
    np.testing.assert_allclose(act.softmax(a + shift), act.softmax(a), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(act.log_softmax(a + shift), act.log_softmax(a), rtol=0, atol=1e-9)


@modest
@given(matrices(-30, 30))
def test_log_softmax_is_log_of_softmax(a):
    # Entries 60 apart leave softmax >= 1e-26: no underflow, so log(softmax) is accurate too.
    np.testing.assert_allclose(act.log_softmax(a), np.log(act.softmax(a)), rtol=1e-12, atol=1e-12)


@modest
@given(matrices(-1e6, 1e6))
def test_log_softmax_is_finite_and_non_positive(a):
    lp = act.log_softmax(a)
    assert np.all(np.isfinite(lp)) and np.all(lp <= 0)


# ---------------------------------------------------------------- sigmoid

finite = st.floats(allow_nan=False, allow_infinity=False)


@modest
@given(vectors(-700, 36))
def test_sigmoid_is_strictly_between_0_and_1(a):
    # sigma(a) rounds to 1.0 above a ~ 36.7 and to 0 below a ~ -745: strict bounds hold inside that range.
    s = act.sigmoid(a)
    assert np.all(s > 0) and np.all(s < 1)


@modest
@given(arrays(np.float64, st.integers(1, 20), elements=finite))
def test_sigmoid_is_between_0_and_1_for_every_finite_input(a):
    s = act.sigmoid(a)
    assert np.all(s >= 0) and np.all(s <= 1)


@modest
@given(arrays(np.float64, st.integers(1, 20), elements=finite))
def test_sigmoid_is_symmetric(a):
    np.testing.assert_allclose(act.sigmoid(-a), 1.0 - act.sigmoid(a), rtol=0, atol=1e-15)


@modest
@given(arrays(np.float64, st.integers(1, 20), elements=finite))
def test_sigmoid_derivative_is_at_most_a_quarter(a):
    d = act.sigmoid_derivative(a)
    assert np.all(d >= 0) and np.all(d <= 0.25)


# ---------------------------------------------------------------- softmax cross-entropy

@st.composite
def logits_and_labels(draw, scale):
    logits = draw(matrices(-scale, scale))
    labels = draw(arrays(np.int64, logits.shape[0], elements=st.integers(0, logits.shape[1] - 1)))
    return logits, labels


@modest
@given(logits_and_labels(1e6))
def test_softmax_cross_entropy_is_finite_and_non_negative(case):
    loss, grad = losses.softmax_cross_entropy(*case)
    assert np.isfinite(loss) and loss >= 0
    assert np.all(np.isfinite(grad))
    # Each row of softmax - Y sums to 0, and every entry is at most 1/N in size.
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-12)
    assert np.all(np.abs(grad) <= 1.0 / len(grad) + 1e-15)


# ---------------------------------------------------------------- relative_error

same_shape_pairs = st.integers(1, 10).flatmap(
    lambda n: st.tuples(*(arrays(np.float64, n, elements=st.floats(-1e6, 1e6)) for _ in range(2))))


@modest
@given(same_shape_pairs)
def test_relative_error_is_symmetric_and_between_0_and_1(pair):
    a, b = pair
    error = gradcheck.relative_error(a, b)
    assert error == gradcheck.relative_error(b, a)
    assert 0.0 <= error <= 1.0


@modest
@given(arrays(np.float64, st.integers(0, 10), elements=st.floats(-1e6, 1e6)))
def test_relative_error_of_equal_arrays_is_zero(a):
    assert gradcheck.relative_error(a, a.copy()) == 0.0


# ---------------------------------------------------------------- datasets

def fractions_summing_to_1():
    return st.tuples(st.floats(0, 1), st.floats(0, 1)).map(sorted).map(
        lambda cut: (cut[0], cut[1] - cut[0], 1.0 - cut[1]))


@modest
@given(st.integers(0, 200), fractions_summing_to_1(), seeds)
def test_train_val_test_split_partitions_the_data(n, fractions, seed):
    data = datasets.Dataset(np.arange(n, dtype=float)[:, None], np.arange(n))
    split = datasets.train_val_test_split(data, np.random.default_rng(seed), fractions)
    ids = np.concatenate([part.y for part in split])
    assert sum(len(part.x) for part in split) == n
    assert sorted(ids.tolist()) == list(range(n))           # no overlap, nothing lost
    for part, fraction in zip(split, fractions):
        assert np.array_equal(part.x[:, 0], part.y)        # rows stay paired with their targets
        assert abs(len(part.x) - fraction * n) <= 1          # sizes follow the fractions
    again = datasets.train_val_test_split(data, np.random.default_rng(seed), fractions)
    assert all(np.array_equal(p.y, q.y) for p, q in zip(split, again))


@pytest.mark.parametrize("fractions", [(0.5, 0.5), (0.5, 0.3, 0.3), (1.2, -0.1, -0.1)])
def test_train_val_test_split_rejects_bad_fractions(fractions):
    with pytest.raises(ValueError, match="fractions"):
        datasets.train_val_test_split(datasets.Dataset(np.zeros((4, 1)), np.zeros(4)),
                                      np.random.default_rng(0), fractions)


# generator -> (call with size n, expected x shape, expected y shape, is classification)
GENERATORS = {
    "make_regression_1d": (lambda n, rng: datasets.make_regression_1d(n, rng), lambda n: ((n, 1), (n, 1))),
    "make_regression_2d": (lambda n, rng: datasets.make_regression_2d(n, rng), lambda n: ((n, 2), (n, 1))),
    "make_spirals": (lambda n, rng: datasets.make_spirals(n, rng, n_classes=3), lambda n: ((3 * n, 2), (3 * n,))),
    "make_moons": (lambda n, rng: datasets.make_moons(n, rng), lambda n: ((n, 2), (n,))),
}


@modest
@given(st.sampled_from(sorted(GENERATORS)), st.integers(1, 100), seeds)
def test_generators_have_documented_shapes_and_are_reproducible(name, n, seed):
    make, shapes = GENERATORS[name]
    data = make(n, np.random.default_rng(seed))
    assert (data.x.shape, data.y.shape) == shapes(n)
    assert data.x.dtype == np.float64 and np.all(np.isfinite(data.x))
    if data.y.ndim == 1:   # classification: integer labels
        assert np.issubdtype(data.y.dtype, np.integer) and data.y.min() >= 0
    else:
        assert data.y.dtype == np.float64
    again = make(n, np.random.default_rng(seed))
    assert np.array_equal(data.x, again.x) and np.array_equal(data.y, again.y)
    other = make(n, np.random.default_rng(seed + 1))
    assert not np.array_equal(data.x, other.x)


@modest
@given(st.integers(1, 40), st.integers(2, 5), seeds)
def test_spirals_have_balanced_classes(n_per_class, n_classes, seed):
    data = datasets.make_spirals(n_per_class, np.random.default_rng(seed), n_classes=n_classes)
    assert np.array_equal(np.bincount(data.y), np.full(n_classes, n_per_class))


def test_moons_labels_are_0_and_1():
    assert set(datasets.make_moons(10, np.random.default_rng(0)).y.tolist()) == {0, 1}


def test_load_digits_shapes_and_range():
    pytest.importorskip("sklearn")
    data = datasets.load_digits()
    assert data.x.shape == (1797, 64) and data.y.shape == (1797,)
    assert data.x.min() >= 0.0 and data.x.max() <= 1.0
    assert data.y.dtype == np.int64 and set(data.y.tolist()) == set(range(10))


def test_load_digits_reads_what_sklearn_loads():
    from sklearn.datasets import load_digits as sklearn_digits
    sklearn, ours = sklearn_digits(), datasets.load_digits()
    assert np.array_equal(ours.x, sklearn.data / 16.0) and np.array_equal(ours.y, sklearn.target)
    program = ("import sys; from dlcourse import datasets; datasets.load_digits(); "
               "print(sorted(m for m in sys.modules if m.startswith('sklearn.')))")
    imported = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True).stdout.strip()
    assert imported == "[]", f"load_digits imported scikit-learn's modules {imported} (a second per notebook)"


# ---------------------------------------------------------------- initialisation

@modest
@given(st.lists(st.integers(1, 12), min_size=2, max_size=5), st.sampled_from(sorted(INIT_SCHEMES)),
       st.sampled_from([np.float64, np.float32]), seeds)
def test_init_mlp_shapes_dtype_and_reproducibility(sizes, scheme, dtype, seed):
    params = init_mlp(sizes, np.random.default_rng(seed), scheme, dtype)
    assert list(params) == [f"{kind}{layer}" for layer in range(1, len(sizes)) for kind in "Wb"]
    for layer in range(1, len(sizes)):
        assert params[f"W{layer}"].shape == (sizes[layer], sizes[layer - 1])
        assert params[f"b{layer}"].shape == (sizes[layer],)
        assert np.all(params[f"b{layer}"] == 0)
        assert params[f"W{layer}"].dtype == dtype and params[f"b{layer}"].dtype == dtype
    again = init_mlp(sizes, np.random.default_rng(seed), scheme, dtype)
    assert all(np.array_equal(params[key], again[key]) for key in params)


STD = {"he": lambda fan_in, fan_out: np.sqrt(2 / fan_in),
       "glorot": lambda fan_in, fan_out: np.sqrt(2 / (fan_in + fan_out)),
       "lecun": lambda fan_in, fan_out: np.sqrt(1 / fan_in),
       "small": lambda fan_in, fan_out: 0.01}


@pytest.mark.parametrize("scheme", sorted(STD))
@pytest.mark.parametrize("sizes", [(100, 300, 50), (400, 40, 200)])
def test_init_mlp_std_follows_the_scheme(scheme, sizes):
    assert sorted(STD) == sorted(INIT_SCHEMES)
    params = init_mlp(sizes, np.random.default_rng(0), scheme)
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        w = params[f"W{layer}"]
        want = STD[scheme](fan_in, fan_out)
        # >= 8000 samples: the sample std is within ~1% of the truth, the mean within ~1% of a std.
        assert abs(w.std() / want - 1) < 0.05, (scheme, layer, w.std(), want)
        assert abs(w.mean()) < 0.05 * want


def test_init_mlp_rejects_unknown_scheme():
    with pytest.raises(ValueError, match="unknown scheme"):
        init_mlp([2, 3], np.random.default_rng(0), "xavier")
