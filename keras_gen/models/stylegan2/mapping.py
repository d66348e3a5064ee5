"""StyleGAN's mapping network z -> w, with the tracked average of w."""

import keras
from keras import ops

from keras_gen.layers.equalized import EqualizedDense
from keras_gen.layers.pixel_norm import pixel_norm
from keras_gen.utils import validation


@keras.saving.register_keras_serializable(package="keras_gen")
class MappingNetwork(keras.Model):
    """An MLP from the input latent `z` to the intermediate latent `w`.

    `z` is first normalised to unit second moment, then passes `num_layers`
    equalised-learning-rate dense layers with leaky ReLU whose learning rate
    is multiplied by `lr_multiplier` (Karras et al., 2019, sec. 2 and
    appendix C: 8 layers, 0.01). `w_avg` is a non-trainable running mean of
    `w` for the truncation trick, `w_avg <- w_avg + (1 - beta) * (mean(w) -
    w_avg)` with `beta = w_avg_beta` (updated by `track`).

    Args:
        latent_dim: size of `z`.
        w_dim: size of `w`.
        num_layers: dense layers.
        lr_multiplier: learning-rate multiplier of every layer.
        w_avg_beta: decay of the running mean of `w`.

    Example:

    ```python
    mapping = MappingNetwork(latent_dim=64, w_dim=64)
    w = mapping(keras.random.normal((8, 64)))   # (8, 64)
    ```
    """

    def __init__(
        self,
        latent_dim=128,
        w_dim=128,
        num_layers=8,
        lr_multiplier=0.01,
        w_avg_beta=0.995,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.latent_dim = validation.check_positive_int(
            latent_dim, "latent_dim"
        )
        self.w_dim = validation.check_positive_int(w_dim, "w_dim")
        self.num_layers = validation.check_positive_int(
            num_layers, "mapping_layers"
        )
        self.lr_multiplier = validation.check_in_range(
            lr_multiplier,
            "mapping_lr_multiplier",
            1e-12,
            description="a positive number",
        )
        self.w_avg_beta = validation.check_probability(w_avg_beta, "w_avg_beta")
        self.dense_layers = [
            EqualizedDense(
                w_dim,
                activation="lrelu",
                lr_multiplier=self.lr_multiplier,
                name=f"dense_{i}",
            )
            for i in range(self.num_layers)
        ]
        self.build((None, self.latent_dim))

    def build(self, input_shape):
        shape = (None, self.latent_dim)
        for layer in self.dense_layers:
            layer.build(shape)
            shape = (None, self.w_dim)
        self.w_avg = self.add_weight(
            shape=(self.w_dim,),
            initializer="zeros",
            trainable=False,
            name="w_avg",
        )
        self.built = True

    def call(self, z):
        # Normalise z to unit second moment (the official `normalize_2nd_moment`).
        x = pixel_norm(z)
        for layer in self.dense_layers:
            x = layer(x)
        return x

    def track(self, w):
        """Moves `w_avg` towards the batch mean of `w` (no gradient)."""
        mean = ops.mean(ops.stop_gradient(w), axis=0)
        self.w_avg.assign(
            self.w_avg + (1.0 - self.w_avg_beta) * (mean - self.w_avg)
        )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.w_dim,)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "latent_dim": self.latent_dim,
            "w_dim": self.w_dim,
            "num_layers": self.num_layers,
            "lr_multiplier": self.lr_multiplier,
            "w_avg_beta": self.w_avg_beta,
        }
