"""Pixelwise feature vector normalisation (Karras et al., 2018, sec. 4.2)."""

import keras
from keras import ops


def pixel_norm(x, epsilon=1e-8):
    """`x / sqrt(mean(x^2 over the last axis) + epsilon)`.

    Every feature vector (a pixel's channels, or a latent code) is scaled
    to unit second moment: Karras et al. (2018), eq. of sec. 4.2,
    `b = a / sqrt(1/N sum_j a_j^2 + eps)` with `eps = 1e-8`. StyleGAN's
    mapping network applies it to `z` (`normalize_2nd_moment`).
    The mean is taken in float32 (float16 squares overflow).
    """
    squares = ops.square(ops.cast(x, "float32"))
    scale = ops.rsqrt(ops.mean(squares, axis=-1, keepdims=True) + epsilon)
    return x * ops.cast(scale, x.dtype)


@keras.saving.register_keras_serializable(package="keras_gen")
class PixelNormalization(keras.layers.Layer):
    """Normalises every feature vector to unit second moment (`pixel_norm`).

    Progressive GAN's generator applies it after every convolution, in
    place of batch normalisation, to keep the signal magnitudes of the
    generator and the discriminator from escalating.

    Args:
        epsilon: added under the square root.

    Example:

    ```python
    h = keras.layers.Conv2D(64, 3, padding="same")(images)
    h = keras_gen.layers.PixelNormalization()(h)   # unit RMS per pixel
    ```
    """

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, inputs):
        return pixel_norm(inputs, self.epsilon)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["epsilon"] = self.epsilon
        return config
