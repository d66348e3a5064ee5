import numpy as np
import pytest

from keras_gen.metrics import KernelDistance


def numpy_kid(x, y):
    """Unbiased MMD^2, cubic kernel (x.y/d + 1)^3, written term by term."""
    d = x.shape[1]
    k = lambda a, b: (a @ b.T / d + 1.0) ** 3  # noqa: E731
    m, n = len(x), len(y)
    kxx, kyy = k(x, x), k(y, y)
    off_x = kxx[~np.eye(m, dtype=bool)].sum() / (m * (m - 1))
    off_y = kyy[~np.eye(n, dtype=bool)].sum() / (n * (n - 1))
    return off_x + off_y - 2.0 * k(x, y).sum() / (m * n)


def test_matches_numpy_on_the_whole_sets():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 6))
    y = rng.standard_normal((200, 6)) * 1.3 + 0.2
    metric = KernelDistance(num_subsets=1, subset_size=1000)
    metric.update_state(x[:120], y[:50])
    metric.update_state(x[120:], y[50:])
    result = metric.result()
    np.testing.assert_allclose(
        result["kernel_distance"],
        numpy_kid(
            x.astype("float32").astype("float64"),
            y.astype("float32").astype("float64"),
        ),
        rtol=1e-9,
    )
    assert result["kernel_distance_std"] == 0.0


def test_subset_mean_and_std_match_numpy_with_the_same_draws():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((300, 4)).astype("float32")
    y = (rng.standard_normal((250, 4)) + 0.5).astype("float32")
    metric = KernelDistance(num_subsets=5, subset_size=100, seed=7)
    metric.update_state(x, y)
    draws = np.random.default_rng(7)
    values = [
        numpy_kid(
            x[draws.choice(300, 100, replace=False)].astype("float64"),
            y[draws.choice(250, 100, replace=False)].astype("float64"),
        )
        for _ in range(5)
    ]
    result = metric.result()
    np.testing.assert_allclose(
        result["kernel_distance"], np.mean(values), rtol=1e-9
    )
    np.testing.assert_allclose(
        result["kernel_distance_std"], np.std(values), rtol=1e-6
    )


def test_near_zero_for_one_distribution_and_grows_with_a_shift():
    rng = np.random.default_rng(2)
    real = rng.standard_normal((600, 4))
    values = []
    for shift in (0.0, 0.5, 1.0, 2.0):
        metric = KernelDistance(num_subsets=10, subset_size=300)
        metric.update_state(real, rng.standard_normal((600, 4)) + shift)
        values.append(metric.result()["kernel_distance"])
    assert abs(values[0]) < 0.02
    assert values[0] < values[1] < values[2] < values[3]


def test_reset_state_and_errors():
    metric = KernelDistance(num_subsets=2)
    metric.update_state(np.ones((5, 2)), np.ones((5, 2)))
    metric.reset_state()
    with pytest.raises(ValueError, match="Received: 0 real samples"):
        metric.result()
    with pytest.raises(ValueError, match="num_subsets=0"):
        KernelDistance(num_subsets=0)
    clone = KernelDistance.from_config(
        KernelDistance(subset_size=10, name="kid").get_config()
    )
    assert clone.subset_size == 10 and clone.name == "kid"
