"""The squeeze operation of RealNVP (Dinh et al., 2017, sec. 3.6)."""

import keras
from keras import ops

from keras_gen.models.real_nvp.bijector import BijectorMixin


def squeeze(x):
    """`(B, H, W, C)` -> `(B, H/2, W/2, 4C)`: each 2x2 block becomes channels.

    Volume-preserving (a permutation), so its log-determinant is zero.
    """
    _, h, w, c = x.shape
    x = ops.reshape(x, (-1, h // 2, 2, w // 2, 2, c))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (-1, h // 2, w // 2, 4 * c))


def unsqueeze(x):
    """The inverse of `squeeze`: `(B, H, W, 4C)` -> `(B, 2H, 2W, C)`."""
    _, h, w, c4 = x.shape
    c = c4 // 4
    x = ops.reshape(x, (-1, h, w, 2, 2, c))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (-1, 2 * h, 2 * w, c))


@keras.saving.register_keras_serializable(package="keras_gen")
class Squeeze(BijectorMixin, keras.layers.Layer):
    """Squeeze as a bijector: trades each 2x2xC block for 1x1x4C.

    Dinh et al. (2017, sec. 3.6) squeeze between the checkerboard and the
    channel-wise couplings of each scale, so that the channel masks mix
    pixels that the checkerboard masks kept apart. The height and width of
    the input must be even.

    Example:

    ```python
    y, log_det = Squeeze().forward(ops.ones((2, 4, 4, 1)))  # y: (2, 2, 2, 4)
    ```
    """

    def _forward(self, x):
        """`(y, 0)`: a permutation has unit Jacobian."""
        h, w = x.shape[1], x.shape[2]
        if h % 2 or w % 2:
            raise ValueError(
                "`Squeeze` needs an even height and width. "
                f"Received: x.shape={tuple(x.shape)}"
            )
        return squeeze(x), ops.zeros_like(x[:, 0, 0, 0])

    def _inverse(self, y):
        return unsqueeze(y), ops.zeros_like(y[:, 0, 0, 0])

    def call(self, inputs):
        return self._forward(inputs)[0]

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        return (b, h // 2, w // 2, 4 * c)
