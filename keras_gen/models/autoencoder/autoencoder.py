"""Deterministic autoencoders: plain, sparse, denoising and contractive."""

import keras
from keras import ops

from keras_gen import backend
from keras_gen.models.autoencoder import networks
from keras_gen.models.generative_model import GenerativeModel
from keras_gen.utils import validation

RECONSTRUCTION_LOSSES = ("mse", "binary_crossentropy")
CORRUPTIONS = (None, "gaussian", "masking")


@keras.saving.register_keras_serializable(package="keras_gen")
class AutoEncoder(GenerativeModel):
    """An autoencoder with optional sparse, denoising and contractive terms.

    The loss is the reconstruction error of the clean input plus
    - a sparsity penalty `sparsity_weight * mean(|h|)` on the code `h`
      (an L1 activity penalty);
    - for a denoising autoencoder (Vincent et al., 2008), the encoder sees a
      corrupted input during training: additive Gaussian noise of standard
      deviation `corruption_level`, or masking noise that zeroes each value
      with probability `corruption_level`; the target stays clean;
    - a contractive penalty `contractive_weight * ||J_f(x)||_F^2`, the
      squared Frobenius norm of the encoder's Jacobian (Rifai et al., 2011,
      eq. 2), computed exactly with one input gradient per code unit.

    `model(x)` returns the reconstruction. Train with `fit(x)`.

    Args:
        encoder: a `keras.Model` from a sample to a code of `latent_dim`
            units, or `None` for the default network for `data_shape`.
        decoder: a `keras.Model` from the code to a sample, or `None`.
        latent_dim: size of the code (used by the default networks).
        data_shape: shape of one sample, needed when the defaults are built.
        reconstruction_loss: `"mse"` or `"binary_crossentropy"` (the default
            decoder then ends in a sigmoid).
        sparsity_weight: weight of the L1 activity penalty (0 disables it).
        corruption: `None`, `"gaussian"` or `"masking"`.
        corruption_level: noise standard deviation, or masking probability.
        contractive_weight: weight of the contractive penalty.
        seed: seed of the model's random stream.

    Example:

    ```python
    x = keras_gen.datasets.load_digits("train")
    ae = keras_gen.models.AutoEncoder(data_shape=(8, 8, 1), latent_dim=8,
                                      corruption="masking", corruption_level=0.3)
    ae.compile(optimizer="adam")
    ae.fit(x, epochs=2, batch_size=64)
    codes = ae.encode(x)
    ```
    """

    network_args = ("encoder", "decoder")

    def __init__(
        self,
        encoder=None,
        decoder=None,
        latent_dim=16,
        data_shape=None,
        reconstruction_loss="mse",
        sparsity_weight=0.0,
        corruption=None,
        corruption_level=0.0,
        contractive_weight=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.latent_dim = validation.check_positive_int(latent_dim, "latent_dim")
        self.reconstruction_loss = validation.check_choice(
            reconstruction_loss, "reconstruction_loss", RECONSTRUCTION_LOSSES
        )
        self.sparsity_weight = validation.check_non_negative(sparsity_weight, "sparsity_weight")
        self.corruption = validation.check_choice(corruption, "corruption", CORRUPTIONS)
        self.corruption_level = validation.check_non_negative(corruption_level, "corruption_level")
        if corruption == "masking":
            validation.check_probability(corruption_level, "corruption_level")
        self.contractive_weight = validation.check_non_negative(contractive_weight, "contractive_weight")
        networks.require_data_shape(data_shape, encoder, decoder)
        if encoder is None:
            encoder = networks.build_encoder(data_shape, self.latent_dim)
        if decoder is None:
            activation = "sigmoid" if reconstruction_loss == "binary_crossentropy" else None
            decoder = networks.build_decoder(
                self.latent_dim, data_shape, output_activation=activation
            )
        self.encoder = encoder
        self.decoder = decoder
        self.data_shape = validation.network_input_shape(encoder)
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")

    def _expected_data_shape(self):
        return self.data_shape

    def _corrupt(self, x):
        if self.corruption == "gaussian":
            noise = self.random_normal(ops.shape(x))
            return x + self.corruption_level * noise
        if self.corruption == "masking":
            keep = self.random_uniform(ops.shape(x))
            return ops.where(keep >= self.corruption_level, x, ops.zeros_like(x))
        return x

    def call(self, inputs, training=False):
        self._check_batch(inputs)
        h = self.encoder(self._corrupt(inputs) if training else inputs, training=training)
        if self.sparsity_weight > 0:
            self.add_loss(self.sparsity_weight * ops.mean(ops.abs(h)))
        return self.decoder(h, training=training)

    def _reconstruction_error(self, x, reconstruction):
        # In float32 under a mixed policy too (TF does not promote).
        x, reconstruction = ops.cast(x, "float32"), ops.cast(reconstruction, "float32")
        if self.reconstruction_loss == "mse":
            return ops.mean(ops.square(x - reconstruction))
        return ops.mean(keras.losses.binary_crossentropy(x, reconstruction, axis=None))

    def contractive_penalty(self, x):
        """`||J_f(x)||_F^2` averaged over the batch (Rifai et al., eq. 2)."""
        total = 0.0
        for j in range(self.latent_dim):
            g = backend.input_gradient(
                lambda t, j=j: self.encoder(t, training=False)[:, j], x
            )
            total = total + ops.sum(ops.square(g))
        return total / ops.cast(ops.shape(x)[0], "float32")

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        reconstruction = self._reconstruction_error(x, y_pred)
        self.reconstruction_tracker.update_state(reconstruction)
        loss = reconstruction
        if self.contractive_weight > 0 and training:
            loss = loss + self.contractive_weight * self.contractive_penalty(x)
        losses = self.losses
        if losses:
            loss = loss + ops.sum(ops.stack(losses))
        return loss

    def encode(self, x, batch_size=256):
        """The codes of `x`, as a NumPy array."""
        return self.encoder.predict(x, batch_size=batch_size, verbose=0)

    def decode(self, z, batch_size=256):
        """The reconstructions decoded from codes `z`, as a NumPy array."""
        return self.decoder.predict(z, batch_size=batch_size, verbose=0)

    def reconstruct(self, x, batch_size=256):
        """`decode(encode(x))` on clean inputs."""
        return self.decode(self.encode(x, batch_size), batch_size)

    def get_config(self):
        config = super().get_config()
        config.update(
            latent_dim=self.latent_dim,
            data_shape=self.data_shape,
            reconstruction_loss=self.reconstruction_loss,
            sparsity_weight=self.sparsity_weight,
            corruption=self.corruption,
            corruption_level=self.corruption_level,
            contractive_weight=self.contractive_weight,
        )
        return config
