import numpy as np
import pytest
from keras import ops

from keras_gen.layers import EqualizedConv2D, EqualizedDense, PixelNormalization
from keras_gen.layers.resample import (
    downsample_2x,
    downsample_average,
    upsample_2x,
    upsample_nearest,
)


def test_equalized_dense_rescales_at_run_time():
    layer = EqualizedDense(3, lr_multiplier=0.01, bias_init=1.0)
    x = np.random.RandomState(2).randn(5, 16).astype("float32")
    y = ops.convert_to_numpy(layer(x))
    kernel, bias = (
        ops.convert_to_numpy(layer.kernel),
        ops.convert_to_numpy(layer.bias),
    )
    assert 50 < kernel.std() < 200  # stored as N(0, 1 / 0.01^2)
    np.testing.assert_allclose(
        y, x @ (kernel * 0.01 / 4.0) + bias * 0.01, rtol=1e-4, atol=1e-5
    )
    np.testing.assert_allclose(bias * 0.01, 1.0, rtol=1e-6)


def test_resampling_keeps_constants_and_is_bilinear():
    ones = np.ones((1, 4, 4, 2), "float32")
    np.testing.assert_allclose(
        ops.convert_to_numpy(upsample_2x(ones)),
        np.ones((1, 8, 8, 2)),
        atol=1e-6,
    )
    np.testing.assert_allclose(
        ops.convert_to_numpy(downsample_2x(ones)),
        np.ones((1, 2, 2, 2)),
        atol=1e-6,
    )
    ramp = np.arange(4, dtype="float32")[None, :, None, None] * np.ones(
        (1, 4, 3, 1), "float32"
    )
    up = ops.convert_to_numpy(upsample_2x(ramp))[0, :, 0, 0]
    # Output pixel centres sit at (i + 0.5) / 2 - 0.5 in input coordinates.
    np.testing.assert_allclose(
        up, np.clip((np.arange(8) + 0.5) / 2 - 0.5, 0, 3), atol=1e-6
    )


def test_equalized_conv_scales_by_he_constant_at_run_time():
    layer = EqualizedConv2D(4, 3)
    x = np.random.RandomState(3).randn(2, 5, 5, 6).astype("float32")
    y = ops.convert_to_numpy(layer(x))
    kernel = ops.convert_to_numpy(layer.kernel)
    assert 0.8 < kernel.std() < 1.2  # stored as N(0, 1), scaled at each call
    expected = ops.convert_to_numpy(
        ops.conv(
            x, (kernel / np.sqrt(3 * 3 * 6)).astype("float32"), padding="same"
        )
    )
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


def test_pixel_norm_gives_unit_rms_per_pixel():
    x = np.random.RandomState(4).randn(2, 3, 3, 5).astype("float32") * 7.0
    y = ops.convert_to_numpy(PixelNormalization()(x))
    np.testing.assert_allclose(np.sqrt((y**2).mean(axis=-1)), 1.0, rtol=1e-5)
    np.testing.assert_allclose(
        y / x, (y / x)[..., :1] * np.ones_like(x), rtol=1e-5
    )  # one scale per pixel


def test_nearest_and_average_resampling_invert_each_other():
    x = np.random.RandomState(5).randn(2, 7, 7, 3).astype("float32")
    up = ops.convert_to_numpy(upsample_nearest(x, 4))
    assert up.shape == (2, 28, 28, 3)
    np.testing.assert_array_equal(
        up[:, 4:8, 8:12], np.broadcast_to(x[:, 1:2, 2:3], (2, 4, 4, 3))
    )
    np.testing.assert_allclose(
        ops.convert_to_numpy(downsample_average(up, 4)), x, rtol=1e-6
    )
    down = ops.convert_to_numpy(downsample_average(up[:, :14, :14], 2))
    np.testing.assert_allclose(down, up[:, :14:2, :14:2], rtol=1e-6)
    with pytest.raises(ValueError, match="factor"):
        downsample_average(x, 2)
    with pytest.raises(ValueError, match="factor=0"):
        upsample_nearest(x, 0)
