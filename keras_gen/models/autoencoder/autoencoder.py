"""Deterministic autoencoders: plain, sparse, denoising and contractive."""

import keras
import numpy as np
from keras import ops

from keras_gen import backend
from keras_gen.layers import upsampling as upsampling_lib
from keras_gen.layers.ema import warmup_decay
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

    It generates too, by ex-post density estimation (Ghosh et al., 2020,
    sec. 4, "regularised autoencoders"): training keeps a running mean and
    variance of the codes (model state), and `generate` decodes codes drawn
    from that diagonal Gaussian (`sample_latents`). It is a weaker generator
    than a VAE's prior, but it makes the autoencoder a drop-in member of
    the family contract (and a latent space for `LatentDiffusion`).

    Args:
        encoder: a `keras.Model` from a sample to a code of `latent_dim`
            units, or `None` for the default network for `data_shape`.
        decoder: a `keras.Model` from the code to a sample, or `None`.
        latent_dim: size of the code (used by the default networks).
        data_shape: shape of one sample, needed when the defaults are built.
        value_range: `(low, high)` of the data; `"auto"`: (0, 1) for
            images, `None` for vectors. Reconstructions and samples are
            clipped to it.
        reconstruction_loss: `"mse"` or `"binary_crossentropy"` (the default
            decoder then ends in a sigmoid).
        sparsity_weight: weight of the L1 activity penalty (0 disables it).
        corruption: `None`, `"gaussian"` or `"masking"`.
        corruption_level: noise standard deviation, or masking probability.
        contractive_weight: weight of the contractive penalty.
        hidden_units, filters: the default networks' sizes (see
            `keras_gen.models.autoencoder.Encoder` and `Decoder`).
        upsampling: how the default decoder upsamples images:
            `"resize_conv"` (default), `"depth_to_space"` or `"transposed"`
            (see `keras_gen.models.autoencoder.Decoder`). Configs saved
            before this argument existed load as `"transposed"`.
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
        value_range="auto",
        reconstruction_loss="mse",
        sparsity_weight=0.0,
        corruption=None,
        corruption_level=0.0,
        contractive_weight=0.0,
        hidden_units=(256, 256),
        filters=(32, 64),
        upsampling="resize_conv",
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.latent_dim = validation.check_positive_int(
            latent_dim, "latent_dim"
        )
        self.reconstruction_loss = validation.check_choice(
            reconstruction_loss, "reconstruction_loss", RECONSTRUCTION_LOSSES
        )
        self.sparsity_weight = validation.check_non_negative(
            sparsity_weight, "sparsity_weight"
        )
        self.corruption = validation.check_choice(
            corruption, "corruption", CORRUPTIONS
        )
        self.corruption_level = validation.check_non_negative(
            corruption_level, "corruption_level"
        )
        if corruption == "masking":
            validation.check_probability(corruption_level, "corruption_level")
        self.contractive_weight = validation.check_non_negative(
            contractive_weight, "contractive_weight"
        )
        self.hidden_units = validation.check_int_sequence(
            hidden_units, "hidden_units"
        )
        self.filters = validation.check_int_sequence(filters, "filters")
        self.upsampling = upsampling_lib.check_network_upsampling(upsampling)
        networks.require_data_shape(data_shape, encoder, decoder)
        if data_shape is None:
            data_shape = validation.network_input_shape(encoder)
        self._set_data_contract(data_shape, value_range, None)
        activation = (
            "sigmoid" if reconstruction_loss == "binary_crossentropy" else None
        )
        self.encoder = self._default_network(
            "encoder",
            encoder,
            lambda: networks.Encoder(
                self.data_shape,
                self.latent_dim,
                self.hidden_units,
                self.filters,
            ),
        )
        self.decoder = self._default_network(
            "decoder",
            decoder,
            lambda: networks.Decoder(
                self.latent_dim,
                self.data_shape,
                self.hidden_units,
                self.filters,
                output_activation=activation,
                upsampling=self.upsampling,
            ),
        )
        if not self.uses_default_network("decoder"):
            networks.check_decoder_input(self.decoder, self.latent_dim)
        self.reconstruction_tracker = keras.metrics.Mean(
            name="reconstruction_loss"
        )
        # Running moments of the codes, for `generate` (see the docstring).
        self.code_mean = self.add_weight(
            shape=(self.latent_dim,),
            initializer="zeros",
            trainable=False,
            name="code_mean",
        )
        self.code_variance = self.add_weight(
            shape=(self.latent_dim,),
            initializer="ones",
            trainable=False,
            name="code_variance",
        )
        self.code_updates = self.add_weight(
            shape=(),
            dtype="int32",
            initializer="zeros",
            trainable=False,
            name="code_updates",
        )

    def _corrupt(self, x):
        if self.corruption == "gaussian":
            noise = self.random_normal(ops.shape(x))
            return x + self.corruption_level * noise
        if self.corruption == "masking":
            keep = self.random_uniform(ops.shape(x))
            return ops.where(
                keep >= self.corruption_level, x, ops.zeros_like(x)
            )
        return x

    def call(self, inputs, training=False):
        self._check_batch(inputs)
        h = self.encoder(
            self._corrupt(inputs) if training else inputs, training=training
        )
        if self.sparsity_weight > 0:
            self.add_loss(self.sparsity_weight * ops.mean(ops.abs(h)))
        if training:
            self._track_codes(h)
        return self.decoder(h, training=training)

    def _track_codes(self, h):
        """Moves the running moments of the codes toward this batch's."""
        h = ops.stop_gradient(
            ops.cast(ops.reshape(h, (-1, self.latent_dim)), "float32")
        )
        decay = warmup_decay(0.99, self.code_updates)
        # Var[h] = E[h^2] - E[h]^2, from moments averaged over the
        # data-parallel processes, so that every process keeps the moments
        # of the global batch.
        mean, mean_square = backend.mean_over_processes(
            [ops.mean(h, axis=0), ops.mean(ops.square(h), axis=0)]
        )
        variance = ops.maximum(mean_square - ops.square(mean), 0.0)
        self.code_mean.assign(decay * self.code_mean + (1.0 - decay) * mean)
        self.code_variance.assign(
            decay * self.code_variance + (1.0 - decay) * variance
        )
        self.code_updates.assign(self.code_updates + 1)

    def _reconstruction_error(self, x, reconstruction):
        # In float32 under a mixed policy too (TF does not promote).
        x, reconstruction = (
            ops.cast(x, "float32"),
            ops.cast(reconstruction, "float32"),
        )
        if self.reconstruction_loss == "mse":
            return ops.mean(ops.square(x - reconstruction))
        return ops.mean(
            keras.losses.binary_crossentropy(x, reconstruction, axis=None)
        )

    def contractive_penalty(self, x):
        """`||J_f(x)||_F^2` averaged over the batch (Rifai et al., eq. 2)."""
        total = 0.0
        for j in range(self.latent_dim):
            g = backend.input_gradient(
                lambda t, j=j: self.encoder(t, training=False)[:, j], x
            )
            total = total + ops.sum(ops.square(g))
        return total / ops.cast(ops.shape(x)[0], "float32")

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        reconstruction = self._reconstruction_error(x, y_pred)
        self.reconstruction_tracker.update_state(reconstruction)
        loss = reconstruction
        if self.contractive_weight > 0 and training:
            loss = loss + self.contractive_weight * self.contractive_penalty(x)
        losses = self.losses
        if losses:
            loss = loss + ops.sum(ops.stack(losses))
        return loss

    def default_optimizer(self):
        return keras.optimizers.Adam(1e-3)

    def encode(self, x, batch_size=256):
        """The codes of `x`, as a NumPy array."""
        return self.encoder.predict(x, batch_size=batch_size, verbose=0)

    def reconstruct(self, x, batch_size=256):
        """`decode(encode(x))` on clean inputs (in `value_range`)."""
        return self.decode(self.encode(x, batch_size), batch_size=batch_size)

    @property
    def latent_shape(self):
        return (self.latent_dim,)

    def sample_latents(self, num_samples, *, seed=None, temperature=1.0):
        """Codes from the Gaussian fitted to the training codes: mean
        `code_mean`, standard deviation `temperature * sqrt(code_variance)`."""
        z = super().sample_latents(
            num_samples, seed=seed, temperature=temperature
        )
        mean = ops.convert_to_numpy(self.code_mean)
        std = np.sqrt(np.maximum(ops.convert_to_numpy(self.code_variance), 0.0))
        return (mean + z * std).astype("float32")

    def _decode_batch(self, z, labels):
        return self.decoder(z, training=False)

    def generate(
        self,
        num_samples,
        *,
        seed=None,
        labels=None,
        batch_size=256,
        temperature=1.0,
    ):
        """Decodes codes drawn from the Gaussian fitted to the training codes.

        Args:
            num_samples: how many.
            seed: an int for a reproducible draw, or `None` for the model's
                random stream.
            labels: must be `None` (unconditional).
            batch_size: samples per call.
            temperature: scale of the codes' spread around their mean.

        Returns:
            A NumPy float32 array `(num_samples, *data_shape)`.
        """
        return super().generate(
            num_samples,
            seed=seed,
            labels=labels,
            batch_size=batch_size,
            temperature=temperature,
        )

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
        if self.uses_default_network("encoder") or self.uses_default_network(
            "decoder"
        ):
            config.update(
                hidden_units=self.hidden_units,
                filters=self.filters,
                upsampling=self.upsampling,
            )
        return config

    @classmethod
    def from_config(cls, config):
        return super().from_config(
            upsampling_lib.with_legacy_upsampling(config)
        )
