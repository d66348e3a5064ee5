import numpy as np
import pytest

from keras_gen.metrics import FrechetDistance, frechet_distance


def correlated(rng, n, d, shift=0.0):
    mixing = np.random.default_rng(123).standard_normal((d, d)) / np.sqrt(d)
    return (rng.standard_normal((n, d)) @ mixing + shift).astype("float32")


def scipy_frechet_distance(a, b):
    """The standard formula (TTUR / pytorch-fid) with scipy's sqrtm, float64."""
    import scipy.linalg

    a, b = a.astype("float64"), b.astype("float64")
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * root))


@pytest.mark.parametrize("offset", [0.0, 100.0])
def test_matches_the_scipy_sqrtm_formula_to_1e_6(offset):
    # A large common offset checks the shifted accumulation (no cancellation
    # of E[xx^T] - mu mu^T, even with JAX's float32 accumulators).
    rng = np.random.default_rng(0)
    real = correlated(rng, 1200, 12, offset)
    fake = correlated(rng, 900, 12, offset + 0.3) * 1.2
    metric = FrechetDistance()
    for start in range(0, 1200, 100):  # uneven batches, sets of different sizes
        metric.update_state(
            real[start : start + 100],
            fake[start : start + 100] if start < 900 else None,
        )
    expected = scipy_frechet_distance(real, fake)
    np.testing.assert_allclose(metric.result(), expected, rtol=1e-6)


def test_near_zero_for_one_distribution_and_grows_with_a_known_shift():
    rng = np.random.default_rng(1)
    real = rng.standard_normal((4000, 4)).astype("float32")
    values = []
    for shift in (0.0, 0.5, 1.0, 2.0):
        metric = FrechetDistance()
        metric.update_state(
            real, rng.standard_normal((4000, 4)).astype("float32") + shift
        )
        values.append(metric.result())
    assert values[0] < 0.01
    # Same covariance, mean moved by `shift` in 4 dimensions: d^2 = 4 shift^2.
    np.testing.assert_allclose(values[1:], [1.0, 4.0, 16.0], rtol=0.05)


def test_separate_updates_equal_one_joint_update():
    rng = np.random.default_rng(2)
    real, fake = correlated(rng, 300, 5), correlated(rng, 300, 5, 1.0)
    joint, separate = FrechetDistance(), FrechetDistance()
    joint.update_state(real, fake)
    separate.update_state(real=real[:150])
    separate.update_state(generated=fake)
    separate.update_state(real[150:])
    np.testing.assert_allclose(separate.result(), joint.result(), rtol=1e-6)


def test_reset_state_forgets_the_previous_epoch():
    rng = np.random.default_rng(3)
    real, fake = correlated(rng, 300, 5), correlated(rng, 300, 5, 1.0)
    metric = FrechetDistance()
    metric.update_state(real, real + 5.0)
    metric.reset_state()
    with pytest.raises(ValueError, match="Received: 0 real samples"):
        metric.result()
    metric.update_state(real, fake)
    fresh = FrechetDistance()
    fresh.update_state(real, fake)
    np.testing.assert_allclose(metric.result(), fresh.result(), rtol=1e-6)


def test_function_is_zero_for_equal_and_symmetric():
    rng = np.random.default_rng(4)
    a = np.cov(rng.standard_normal((50, 6)), rowvar=False)
    b = np.cov(rng.standard_normal((50, 6)) * 2, rowvar=False)
    mu = rng.standard_normal(6)
    assert abs(frechet_distance(mu, a, mu, a)) < 1e-10
    np.testing.assert_allclose(
        frechet_distance(mu, a, 0 * mu, b),
        frechet_distance(0 * mu, b, mu, a),
        rtol=1e-10,
    )


def test_a_feature_extractor_and_a_config_round_trip():
    import keras

    extractor = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
    metric = FrechetDistance(extractor, batch_size=32, name="extracted")
    rng = np.random.default_rng(5)
    metric.update_state(
        rng.standard_normal((100, 3)), rng.standard_normal((80, 3)) + 1
    )
    assert metric.num_features == 4 and metric.result() > 0
    clone = FrechetDistance.from_config(metric.get_config())
    assert clone.name == "extracted" and clone.batch_size == 32
    assert clone.feature_extractor.output_shape == (None, 4)


def test_bad_inputs_get_clear_errors():
    metric = FrechetDistance()
    metric.update_state(np.zeros((10, 3)))
    with pytest.raises(ValueError, match=r"features.shape=\(10, 4\)"):
        metric.update_state(None, np.zeros((10, 4)))
    with pytest.raises(ValueError, match="Received: 0 generated samples"):
        metric.result()
    with pytest.raises(ValueError, match="real=None, generated=None"):
        metric.update_state()
    with pytest.raises(ValueError, match="batch_size=0"):
        FrechetDistance(batch_size=0)
