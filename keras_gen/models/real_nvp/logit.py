"""The logit transform of bounded data (Dinh et al., 2017, sec. 4.1)."""

import math

import keras
from keras import ops

from keras_gen.models.real_nvp.bijector import BijectorMixin


@keras.saving.register_keras_serializable(package="keras_gen")
class LogitTransform(BijectorMixin, keras.layers.Layer):
    """Bijector from a box `[low, low + width)` to the real line.

    Data in the box are rescaled to `y = (x - low) / width` in [0, 1), then
    mapped to logit space, away from the edges (Dinh et al., 2017, sec. 4.1):

        h = logit(alpha + (1 - 2 * alpha) * y),

    so that a flow with a Gaussian base models the unbounded `h`. Per entry,
    `log|dh/dx| = log(1 - 2 alpha) - log(p) - log(1 - p) - log(width)` with
    `p = alpha + (1 - 2 alpha) y`; the flow adds it to its log-determinant,
    so densities stay densities of `x`. With `alpha=None` the layer only
    rescales to [0, 1).

    Args:
        low: lower end of the box.
        width: width of the box (> 0).
        alpha: margin in (0, 0.5), or `None` for no logit.

    Example:

    ```python
    layer = LogitTransform(low=0.0, width=256.0, alpha=0.05)
    h, log_det = layer.forward(pixels_plus_uniform_noise)
    ```
    """

    def __init__(self, low=0.0, width=1.0, alpha=0.05, **kwargs):
        super().__init__(**kwargs)
        self.low = float(low)
        self.width = float(width)
        self.alpha = None if alpha is None else float(alpha)
        self.built = True

    def _sum(self, t):
        return ops.sum(t, axis=tuple(range(1, len(t.shape))))

    def _forward(self, x):
        """`(h, log|det dh/dx|)` per sample."""
        y = (x - self.low) / self.width
        log_det = -math.log(self.width) * ops.ones_like(y)
        if self.alpha is None:
            return y, self._sum(log_det)
        p = self.alpha + (1.0 - 2.0 * self.alpha) * y
        log_p, log_1mp = ops.log(p), ops.log(1.0 - p)
        log_det = log_det + math.log(1.0 - 2.0 * self.alpha) - log_p - log_1mp
        return log_p - log_1mp, self._sum(log_det)

    def _inverse(self, h):
        """`(x, log|det dx/dh|)` per sample."""
        if self.alpha is None:
            y = h
            log_det = ops.zeros_like(h)
        else:
            # log p + log(1 - p) for p = sigmoid(h), without cancellation.
            log_det = (
                -ops.softplus(-h)
                - ops.softplus(h)
                - math.log(1.0 - 2.0 * self.alpha)
            )
            y = (ops.sigmoid(h) - self.alpha) / (1.0 - 2.0 * self.alpha)
        x = self.low + self.width * y
        return x, self._sum(log_det + math.log(self.width))

    def call(self, inputs):
        return self._forward(inputs)[0]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(low=self.low, width=self.width, alpha=self.alpha)
        return config
