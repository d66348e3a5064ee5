"""Sinusoidal embedding of diffusion timesteps."""

import math

import keras
from keras import ops

from keras_gen.utils import validation


@keras.saving.register_keras_serializable(package="keras_gen")
class SinusoidalEmbedding(keras.layers.Layer):
    """Embeds scalar positions (diffusion timesteps) as sines and cosines.

    The embedding of Vaswani et al. (2017, section 3.5) used for the
    timestep by Ho et al. (2020, appendix B): for frequencies
    ω_i = max_period^(−i / (dim/2)), i = 0..dim/2 − 1, the output is
    `[sin(t ω), cos(t ω)]`.

    Args:
        dim: size of the embedding (even).
        max_period: the longest period.

    Example:

    ```python
    t = keras.ops.convert_to_tensor([0, 10, 999])
    keras_gen.layers.SinusoidalEmbedding(32)(t).shape  # (3, 32)
    ```
    """

    def __init__(self, dim, max_period=10000.0, **kwargs):
        super().__init__(**kwargs)
        self.dim = validation.check_positive_int(dim, "dim")
        if self.dim % 2:
            raise ValueError(f"`dim` must be even. Received: dim={dim}")
        self.max_period = validation.check_in_range(
            max_period, "max_period", 1.0
        )

    def call(self, positions):
        half = self.dim // 2
        frequencies = ops.exp(
            -math.log(self.max_period)
            * ops.arange(half, dtype="float32")
            / half
        )
        angles = (
            ops.cast(ops.reshape(positions, (-1, 1)), "float32")
            * frequencies[None, :]
        )
        return ops.cast(
            ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1),
            self.compute_dtype,
        )

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def get_config(self):
        config = super().get_config()
        config.update(dim=self.dim, max_period=self.max_period)
        return config
