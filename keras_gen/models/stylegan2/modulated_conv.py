"""Modulated convolution with weight demodulation (Karras et al., 2020)."""

import math

import keras
from keras import ops

from keras_gen.layers.equalized import EqualizedDense
from keras_gen.layers.resample import upsample_2x
from keras_gen.utils import validation


@keras.saving.register_keras_serializable(package="keras_gen")
class ModulatedConv2D(keras.layers.Layer):
    """A convolution whose weights are scaled per sample by a style.

    A learned affine map turns `w` into one scale `s_i` per input channel.
    The weights of sample `b` are (Karras et al., 2020, sec. 2.2)

        w'_ijk  = s_i * w_ijk                                  (eq. 1)
        w''_ijk = w'_ijk / sqrt(sum_{i,k} w'_ijk^2 + eps)      (eq. 3)

    where `sigma_j = sqrt(sum_{i,k} w'_ijk^2)` (eq. 2) is the standard
    deviation of output channel `j` for unit-variance input, so that
    demodulation restores unit output scale.

    Rather than building one kernel per sample (a grouped convolution, which
    not every backend runs on CPU), the layer uses the equivalent form of
    the official code's `fused_modconv=False`: scale the input channels by
    `s`, convolve with the shared kernel, and scale the output channels by
    the demodulation coefficients `1 / sigma_j`. Convolution is linear, so
    this equals the per-sample convolution with the weights above.

    Args:
        filters: output channels.
        kernel_size: side of the square kernel.
        demodulate: apply eq. 3 (toRGB layers do not).
        upsample: double the resolution (bilinear) before convolving.

    Call arguments:
        inputs: `(batch, height, width, in_channels)`.
        w: `(batch, w_dim)` intermediate latent of each sample.

    Example:

    ```python
    conv = ModulatedConv2D(64, 3)
    y = conv(x, w)
    ```
    """

    def __init__(
        self, filters, kernel_size=3, demodulate=True, upsample=False, **kwargs
    ):
        super().__init__(**kwargs)
        self.filters = validation.check_positive_int(filters, "filters")
        self.kernel_size = validation.check_positive_int(
            kernel_size, "kernel_size"
        )
        self.demodulate = bool(demodulate)
        self.upsample = bool(upsample)

    def build(self, inputs_shape, w_shape=None):
        in_channels = int(inputs_shape[-1])
        k = self.kernel_size
        # The affine map A of the paper's figure 2; bias 1 so that styles
        # start at 1 (no modulation).
        self.affine = EqualizedDense(in_channels, bias_init=1.0, name="affine")
        if w_shape is not None:
            self.affine.build(w_shape)
        self.kernel = self.add_weight(
            shape=(k, k, in_channels, self.filters),
            initializer=keras.initializers.RandomNormal(stddev=1.0),
            name="kernel",
        )
        self.weight_gain = 1.0 / math.sqrt(k * k * in_channels)

    def styles(self, w):
        """The per-sample input-channel scales `s`, `(batch, in_channels)`."""
        return self.affine(w)

    def call(self, inputs, w):
        s = self.styles(w)
        kernel = self.kernel * self.weight_gain
        x = inputs * s[:, None, None, :]
        if self.upsample:
            x = upsample_2x(x)
        y = ops.conv(x, kernel, padding="same")
        if self.demodulate:
            # sum_{i,k} (s_i w_ijk)^2 = sum_i s_i^2 sum_k w_ijk^2 (eq. 2).
            energy = ops.sum(ops.square(kernel), axis=(0, 1))  # (in, out)
            sigma_sq = ops.matmul(ops.square(s), energy)  # (batch, out)
            y = y * ops.rsqrt(sigma_sq + 1e-8)[:, None, None, :]
        return y

    def compute_output_shape(self, inputs_shape, w_shape=None):
        b, h, w, _ = inputs_shape
        if self.upsample:
            h, w = (
                (None if h is None else 2 * h),
                (None if w is None else 2 * w),
            )
        return (b, h, w, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=self.kernel_size,
            demodulate=self.demodulate,
            upsample=self.upsample,
        )
        return config
