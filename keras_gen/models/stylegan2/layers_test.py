import numpy as np
import pytest
from keras import ops

from keras_gen.layers.resample import upsample_2x
from keras_gen.models.stylegan2 import ModulatedConv2D


def modulated(
    filters, kernel_size, in_channels, w_dim, demodulate=True, upsample=False
):
    layer = ModulatedConv2D(
        filters, kernel_size, demodulate=demodulate, upsample=upsample
    )
    layer.build((None, None, None, in_channels), (None, w_dim))
    return layer


@pytest.mark.parametrize(
    "demodulate, upsample", [(True, False), (False, False), (True, True)]
)
def test_modulated_conv_equals_the_per_sample_convolution(demodulate, upsample):
    rng = np.random.RandomState(0)
    layer = modulated(5, 3, 4, 6, demodulate, upsample)
    x = rng.randn(3, 6, 6, 4).astype("float32")
    w = rng.randn(3, 6).astype("float32")
    y = ops.convert_to_numpy(layer(x, w))
    styles = ops.convert_to_numpy(layer.styles(w))
    kernel = ops.convert_to_numpy(layer.kernel) * layer.weight_gain
    for b in range(3):
        # Eq. 1: w'_ijk = s_i w_ijk; eq. 3: divided by sqrt(sum_{i,k} w'^2 + eps).
        k = kernel * styles[b][None, None, :, None]
        if demodulate:
            k = k / np.sqrt((k**2).sum(axis=(0, 1, 2), keepdims=True) + 1e-8)
        xb = x[b : b + 1]
        if upsample:
            xb = ops.convert_to_numpy(upsample_2x(xb))
        expected = ops.convert_to_numpy(ops.conv(xb, k, padding="same"))
        np.testing.assert_allclose(y[b : b + 1], expected, rtol=1e-4, atol=1e-4)
    assert y.shape == ((3, 12, 12, 5) if upsample else (3, 6, 6, 5))


def test_demodulation_gives_unit_output_scale_for_unit_input():
    rng = np.random.RandomState(1)
    x = rng.randn(4, 24, 24, 64).astype("float32")
    w = rng.randn(4, 8).astype("float32")
    for demodulate in (True, False):
        layer = modulated(32, 3, 64, 8, demodulate)
        layer.affine.bias.assign(
            np.full((64,), 3.0, "float32")
        )  # styles around 3
        y = ops.convert_to_numpy(layer(x, w))[
            :, 1:-1, 1:-1
        ]  # away from the zero padding
        std = y.std(axis=(0, 1, 2))  # per output channel
        if demodulate:
            np.testing.assert_allclose(std, 1.0, atol=0.1)
        else:
            assert std.mean() > 2.0  # the styles' scale passes through
