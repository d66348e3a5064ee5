import keras
import numpy as np
import pytest
from keras import ops

from keras_gen import backend
from keras_gen.layers import DiffAugment


def images(n=6, size=8, channels=1, seed=0):
    return (
        np.random.RandomState(seed)
        .uniform(0.1, 1.0, (n, size, size, channels))
        .astype("float32")
    )


def shifted(image, dy, dx):
    """`image` moved down by dy and right by dx, zero fill."""
    out = np.zeros_like(image)
    h, w = image.shape[:2]
    out[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = image[
        max(-dy, 0) : h - max(dy, 0), max(-dx, 0) : w - max(dx, 0)
    ]
    return out


def test_identity_without_training_or_policy():
    x = images()
    np.testing.assert_array_equal(
        ops.convert_to_numpy(DiffAugment(seed=0)(x, training=False)), x
    )
    np.testing.assert_array_equal(
        ops.convert_to_numpy(DiffAugment("", seed=0)(x, training=True)), x
    )


def test_translation_shifts_each_image_by_at_most_an_eighth():
    x = images(n=16, size=16)
    y = ops.convert_to_numpy(
        DiffAugment("translation", seed=0)(x, training=True)
    )
    shifts = []
    for xi, yi in zip(x, y):
        found = [
            (dy, dx)
            for dy in range(-2, 3)
            for dx in range(-2, 3)
            if np.allclose(shifted(xi, dy, dx), yi)
        ]
        assert len(found) == 1, "not a shift by at most 2 = 16 / 8 pixels"
        shifts.append(found[0])
    assert len(set(shifts)) > 3  # one draw per image


def test_cutout_zeroes_one_square_of_half_the_side():
    x = np.ones((32, 8, 8, 2), "float32")
    y = ops.convert_to_numpy(DiffAugment("cutout", seed=1)(x, training=True))
    for yi in y:
        assert np.array_equal(
            yi[..., 0], yi[..., 1]
        )  # the same mask on every channel
        rows, cols = np.nonzero(yi[..., 0] == 0)
        assert (
            rows.max() - rows.min() + 1 <= 4
            and cols.max() - cols.min() + 1 <= 4
        )
        assert len(rows) == (rows.max() - rows.min() + 1) * (
            cols.max() - cols.min() + 1
        )  # a rectangle
    # Squares inside the image are the full 4x4 (probability (5 / 9)^2 here).
    assert ((y == 0).sum(axis=(1, 2, 3)) == 2 * 16).mean() > 0.15


def test_color_is_a_per_image_affine_change_of_grey_levels():
    x = images(n=8)
    y = ops.convert_to_numpy(DiffAugment("color", seed=2)(x, training=True))
    slopes = []
    for xi, yi in zip(x.reshape(8, -1), y.reshape(8, -1)):
        slope, intercept = np.polyfit(xi, yi, 1)
        np.testing.assert_allclose(slope * xi + intercept, yi, atol=1e-4)
        slopes.append(slope)
    assert 0.5 <= min(slopes) and max(slopes) <= 1.5 and np.std(slopes) > 0.05


def test_fresh_draws_each_call_and_gradients_pass():
    layer = DiffAugment(seed=3)
    x = images()
    a, b = layer(x, training=True), layer(x, training=True)
    assert (
        np.abs(ops.convert_to_numpy(a) - ops.convert_to_numpy(b)).max() > 1e-3
    )
    grads = ops.convert_to_numpy(
        backend.input_gradient(
            lambda t: layer(t, training=True), ops.convert_to_tensor(x)
        )
    )
    assert np.abs(grads).sum() > 0 and np.isfinite(grads).all()


def test_config_round_trip_and_bad_policy():
    layer = DiffAugment("translation,cutout", translation_ratio=0.25, seed=4)
    restored = keras.layers.deserialize(keras.layers.serialize(layer))
    assert (
        restored.policy == "translation,cutout"
        and restored.translation_ratio == 0.25
    )
    with pytest.raises(ValueError, match="policy='flip'"):
        DiffAugment("flip")
    with pytest.raises(ValueError, match="cutout_ratio=2"):
        DiffAugment(cutout_ratio=2)
