import keras
import numpy as np
import pytest
from keras import ops

from keras_gen.layers.adaptive_augment import AdaptiveAugment


def images(n=64, size=8, seed=0):
    return (
        np.random.RandomState(seed)
        .uniform(0.1, 1.0, (n, size, size, 1))
        .astype("float32")
    )


def changed(layer, x):
    y = ops.convert_to_numpy(layer(x, training=True))
    return np.abs(y - x).reshape(len(x), -1).max(axis=1) > 1e-6


def test_probability_zero_is_the_identity_and_one_always_augments():
    x = images()
    layer = AdaptiveAugment("color,translation,cutout", seed=0)
    assert (
        float(ops.convert_to_numpy(layer.probability)) == 0.0
    )  # p starts at 0
    np.testing.assert_array_equal(
        ops.convert_to_numpy(layer(x, training=True)), x
    )
    color = AdaptiveAugment("color", initial_probability=1.0, seed=1)
    assert changed(color, x).all()
    # Inference never augments.
    np.testing.assert_array_equal(
        ops.convert_to_numpy(color(x, training=False)), x
    )


def test_each_image_is_augmented_with_probability_p():
    x = images(n=400)
    layer = AdaptiveAugment("color", initial_probability=0.3, seed=2)
    share = changed(layer, x).mean()
    assert 0.22 < share < 0.38, share  # 0.3 +- 3.5 standard deviations
    layer.probability.assign(0.8)
    assert 0.72 < changed(layer, x).mean() < 0.88


def test_p_rises_when_reals_look_too_real_and_falls_otherwise():
    layer = AdaptiveAugment(target=0.6, speed=160, interval=4)
    confident = np.full((8,), 3.0, "float32")  # r_t = 1 > 0.6
    p = lambda: float(ops.convert_to_numpy(layer.probability))  # noqa: E731
    for _ in range(3):
        layer.update(confident)
    assert p() == 0.0  # adjusted only every 4 updates
    layer.update(confident)
    np.testing.assert_allclose(p(), 4 * 8 / 160)  # + N * batch / speed
    np.testing.assert_allclose(
        float(ops.convert_to_numpy(layer.overfitting)), 1.0
    )
    for _ in range(4 * 10):
        layer.update(confident)
    assert p() == 1.0  # clipped
    # 5 of 8 reals positive: r_t = (5 - 3) / 8 = 0.25 < 0.6, p falls.
    unsure = np.array([1, 1, 1, 1, 1, -1, -1, -1], "float32")
    for _ in range(4):
        layer.update(unsure)
    np.testing.assert_allclose(p(), 1.0 - 0.2, rtol=1e-6)
    np.testing.assert_allclose(
        float(ops.convert_to_numpy(layer.overfitting)), 0.25
    )
    for _ in range(4 * 10):
        layer.update(unsure)
    assert p() == 0.0  # clipped


def test_config_round_trip_and_bad_arguments():
    layer = AdaptiveAugment(
        "translation", target=0.5, speed=2000, interval=2, seed=3
    )
    restored = keras.layers.deserialize(keras.layers.serialize(layer))
    assert (
        restored.policy,
        restored.target,
        restored.speed,
        restored.interval,
    ) == ("translation", 0.5, 2000, 2)
    with pytest.raises(ValueError, match="speed=0"):
        AdaptiveAugment(speed=0)
    with pytest.raises(ValueError, match="interval=0"):
        AdaptiveAugment(interval=0)
    with pytest.raises(ValueError, match="initial_probability=1.5"):
        AdaptiveAugment(initial_probability=1.5)
    with pytest.raises(ValueError, match="policy='flip'"):
        AdaptiveAugment("flip")
