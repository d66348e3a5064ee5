"""Activation normalisation used as a bijector (Kingma & Dhariwal, 2018)."""

import keras
import numpy as np
from keras import ops

from keras_gen.models.real_nvp.bijector import BijectorMixin


def _sum_over_sample(t):
    """Sum over every axis but the batch axis: one value per sample."""
    return ops.sum(t, axis=tuple(range(1, len(t.shape))))


@keras.saving.register_keras_serializable(package="keras_gen")
class ActNorm(BijectorMixin, keras.layers.Layer):
    """Per-channel affine bijector `y = x * exp(log_scale) + bias`.

    Glow's actnorm (Kingma & Dhariwal, 2018, sec. 3.1) replaces the batch
    norm of RealNVP (Dinh et al., 2017, sec. 3.7): the same affine map at
    training and inference time, so the flow stays one exact bijection.
    The layer starts as the identity; `initialize(x)` sets it from a batch
    so that its outputs have zero mean and unit variance per channel (the
    data-dependent initialisation). `RealNVP.fit` does this eagerly on the
    first batch before the first compiled step, so no data-dependent branch
    runs inside `jit` on any backend.

    The log-determinant per sample is `(number of positions) *
    sum(log_scale)`: one scale per channel (last axis), shared over the
    other axes (Glow, table 1).

    Example:

    ```python
    layer = ActNorm()
    layer.build((None, 8, 8, 3))
    layer.initialize(images)
    y, log_det = layer.forward(images)
    x, _ = layer.inverse(y)
    ```
    """

    def build(self, input_shape):
        channels = input_shape[-1]
        self.log_scale = self.add_weight(
            shape=(channels,), initializer="zeros", name="log_scale"
        )
        self.bias = self.add_weight(
            shape=(channels,), initializer="zeros", name="bias"
        )
        self.built = True

    def initialize(self, x, epsilon=1e-6):
        """Data-dependent initialisation from a batch `x` (eager only)."""
        x = np.asarray(ops.convert_to_numpy(x), dtype="float64")
        flat = x.reshape(-1, x.shape[-1])
        mean, std = flat.mean(axis=0), flat.std(axis=0)
        log_scale = -np.log(std + epsilon)
        self.log_scale.assign(log_scale.astype("float32"))
        self.bias.assign((-mean * np.exp(log_scale)).astype("float32"))

    def _log_det(self, x):
        # Each position of a sample carries the same per-channel scale.
        return _sum_over_sample(ops.zeros_like(x) + self.log_scale)

    def _forward(self, x):
        """`(y, log|det dy/dx|)` per sample."""
        y = x * ops.exp(self.log_scale) + self.bias
        return y, self._log_det(x)

    def _inverse(self, y):
        """`(x, log|det dx/dy|)` per sample."""
        x = (y - self.bias) * ops.exp(-self.log_scale)
        return x, -self._log_det(y)

    def call(self, inputs):
        return self._forward(inputs)[0]

    def compute_output_shape(self, input_shape):
        return input_shape
