"""Adversarial autoencoder (Makhzani et al., 2016)."""

import keras
import numpy as np
from keras import ops

from keras_gen.layers import upsampling as upsampling_lib
from keras_gen.losses import adversarial
from keras_gen.models.autoencoder import networks as ae_networks
from keras_gen.models.gan import networks as gan_networks
from keras_gen.models.multi_optimizer_model import MultiOptimizerModel
from keras_gen.utils import validation

PRIORS = ("gaussian", "mixture", "uniform")


@keras.saving.register_keras_serializable(package="keras_gen")
class AAE(MultiOptimizerModel):
    """Adversarial autoencoder: an autoencoder whose codes match a prior.

    Each training step has the paper's two phases (sec. 2): the
    reconstruction phase updates encoder and decoder on the reconstruction
    error; the regularisation phase first updates a discriminator that tells
    prior samples (real) from codes (fake), then updates the encoder, as the
    generator, to fool it. The encoder is deterministic.

    Priors: `"gaussian"` (standard normal), `"mixture"` (`num_components`
    Gaussians with means on a circle of radius `mixture_radius` in the first
    two code dimensions, standard deviation `mixture_std`; the paper's
    10-component 2-D mixture by default), `"uniform"` on [-1, 1], or any
    callable `prior(num_samples, latent_dim, seed_generator) -> tensor`.

    With `num_classes`, the decoder also receives the one-hot label (the
    supervised AAE, sec. 4), so the code can carry the style alone: train
    with `fit(x, labels)` and choose the class with `generate(labels=...)`.

    Args:
        encoder: `keras.Model` from a sample to `latent_dim` values, or None.
        decoder: `keras.Model` from `latent_dim` (+ `num_classes`) values to
            a sample, or None.
        discriminator: `keras.Model` from a code to one logit, or None.
        latent_dim: size of the code.
        data_shape: shape of one sample (needed for the default networks).
        value_range: `(low, high)` of the data and the samples; `"auto"`:
            (0, 1) with the cross-entropy loss and for images, `None`
            (unbounded) for vectors with `"mse"`.
        prior: `"gaussian"`, `"mixture"`, `"uniform"` or a callable.
        num_components, mixture_radius, mixture_std: the mixture prior.
        num_classes: classes given to the decoder (supervised AAE), or None.
        reconstruction_loss: `"binary_crossentropy"` (data in [0, 1]; the
            default decoder ends in a sigmoid) or `"mse"`.
        hidden_units, filters: the default networks' sizes (see
            `keras_gen.models.autoencoder.Encoder` and `Decoder`).
        upsampling: how the default decoder upsamples images:
            `"resize_conv"` (default), `"depth_to_space"` or `"transposed"`
            (see `keras_gen.models.autoencoder.Decoder`). Configs saved
            before this argument existed load as `"transposed"`.
        seed: seed of the model's random stream and of the default
            networks' initial weights.

    Phases (`compile(autoencoder_optimizer=..., discriminator_optimizer=...,
    generator_optimizer=...)`): "autoencoder" (reconstruction),
    "discriminator" (on codes) and "generator" (the encoder against it).

    Example:

    ```python
    x = keras_gen.datasets.load_digits("train")
    aae = keras_gen.models.AAE(data_shape=(8, 8, 1), latent_dim=2, prior="mixture")
    aae.compile()
    aae.fit(x, epochs=5, batch_size=64)
    codes = aae.encode(x)            # (1000, 2), shaped like the prior
    ```
    """

    optimizer_names = ("autoencoder", "discriminator", "generator")
    loss_names = ("reconstruction_loss", "d_loss", "g_loss")
    network_args = ("encoder", "decoder", "discriminator")

    def __init__(
        self,
        encoder=None,
        decoder=None,
        discriminator=None,
        latent_dim=8,
        data_shape=None,
        value_range="auto",
        prior="gaussian",
        num_components=10,
        mixture_radius=4.0,
        mixture_std=0.5,
        num_classes=None,
        reconstruction_loss="binary_crossentropy",
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
        if not callable(prior):
            validation.check_choice(prior, "prior", PRIORS)
        if prior == "mixture" and self.latent_dim < 2:
            raise ValueError(
                "The mixture prior places its means on a circle and needs "
                f"latent_dim >= 2. Received: latent_dim={latent_dim}"
            )
        self.prior = prior
        self.num_components = validation.check_positive_int(
            num_components, "num_components"
        )
        self.mixture_radius = validation.check_non_negative(
            mixture_radius, "mixture_radius"
        )
        self.mixture_std = validation.check_non_negative(
            mixture_std, "mixture_std"
        )
        self.reconstruction_loss = validation.check_choice(
            reconstruction_loss,
            "reconstruction_loss",
            ("binary_crossentropy", "mse"),
        )
        self.hidden_units = validation.check_int_sequence(
            hidden_units, "hidden_units"
        )
        self.filters = validation.check_int_sequence(filters, "filters")
        self.upsampling = upsampling_lib.check_network_upsampling(upsampling)
        ae_networks.require_data_shape(data_shape, encoder, decoder)
        if data_shape is None:
            data_shape = validation.network_input_shape(encoder)
        if (
            isinstance(value_range, str)
            and value_range == "auto"
            and self.reconstruction_loss == "binary_crossentropy"
        ):
            value_range = (0.0, 1.0)  # probabilities, for vectors too
        self._set_data_contract(data_shape, value_range, num_classes)
        if (
            self.reconstruction_loss == "binary_crossentropy"
            and self.value_range is None
        ):
            raise ValueError(
                "reconstruction_loss='binary_crossentropy' needs bounded data: pass `value_range` (e.g. "
                "(0, 1)), or use reconstruction_loss='mse'. Received: value_range=None"
            )
        activation = (
            "sigmoid"
            if self.reconstruction_loss == "binary_crossentropy"
            else None
        )
        code_size = self.latent_dim + (
            self.num_classes if self._labels_to_decoder() else 0
        )
        self.encoder = self._default_network(
            "encoder",
            encoder,
            lambda: ae_networks.Encoder(
                self.data_shape,
                self.encoder_output_dim,
                self.hidden_units,
                self.filters,
            ),
        )
        self.decoder = self._default_network(
            "decoder",
            decoder,
            lambda: ae_networks.Decoder(
                code_size,
                self.data_shape,
                self.hidden_units,
                self.filters,
                output_activation=activation,
                upsampling=self.upsampling,
            ),
        )
        if not self.uses_default_network("decoder"):
            ae_networks.check_decoder_input(
                self.decoder,
                code_size,
                "latent_dim"
                + (" + num_classes" if code_size > self.latent_dim else ""),
            )
        self.discriminator = self._default_network(
            "discriminator",
            discriminator,
            lambda: self._code_discriminator(
                self.discriminator_input_dim, "latent_discriminator"
            ),
        )
        angles = (
            2 * np.pi * np.arange(self.num_components) / self.num_components
        )
        means = np.zeros((self.num_components, self.latent_dim), "float32")
        means[:, 0], means[:, 1] = np.cos(angles), np.sin(angles)
        self._mixture_means = (
            means * self.mixture_radius if self.latent_dim >= 2 else means
        )

    # -- what subclasses change ------------------------------------------------

    def _labels_to_decoder(self):
        """Whether the decoder receives the class (the supervised AAE)."""
        return self.num_classes is not None

    @property
    def encoder_output_dim(self):
        """Outputs of the encoder: the code."""
        return self.latent_dim

    @property
    def discriminator_input_dim(self):
        """Inputs of the (code) discriminator: the code."""
        return self.latent_dim

    def _code_discriminator(self, input_dim, name):
        """A default discriminator on `input_dim`-vectors (an MLP)."""
        return gan_networks.GANDiscriminator(
            (input_dim,), hidden_units=self.hidden_units, name=name
        )

    @property
    def code_discriminators(self):
        """The discriminators of the regularisation phase, in the order of
        `_regularized_codes` and `_prior_codes`."""
        return [self.discriminator]

    def _regularized_codes(self, x, labels):
        """What each code discriminator sees of the encoder's output."""
        return [self.encoder(x, training=True)]

    def _prior_codes(self, batch_size, labels):
        """What each code discriminator sees of the prior (the "real" side)."""
        return [self.sample_prior(batch_size)]

    def _reconstruct(self, x, labels):
        """The decoder's output for `x` in training (model space)."""
        z = self.encoder(x, training=True)
        return self.decoder(self._decoder_inputs(z, labels), training=True)

    @property
    def model_range(self):
        # The default decoder ends in a sigmoid for the cross-entropy.
        return (
            (0.0, 1.0)
            if self.reconstruction_loss == "binary_crossentropy"
            else None
        )

    def default_optimizers(self):
        # Makhzani et al. train with SGD-momentum; Adam is the common, more
        # forgiving choice for all three phases.
        return {
            "autoencoder": keras.optimizers.Adam(1e-3, beta_1=0.5),
            "discriminator": keras.optimizers.Adam(1e-3, beta_1=0.5),
            "generator": keras.optimizers.Adam(1e-3, beta_1=0.5),
        }

    def phase_variables(self):
        return {
            "autoencoder": self.encoder.trainable_variables
            + self.decoder.trainable_variables,
            "discriminator": [
                v
                for d in self.code_discriminators
                for v in d.trainable_variables
            ],
            "generator": self.encoder.trainable_variables,
        }

    # -- the prior -----------------------------------------------------------

    def sample_prior(self, num_samples, seed=None, components=None):
        """Draws `num_samples` codes from the prior.

        Args:
            num_samples: how many codes.
            seed: a `SeedGenerator`, or `None` for the model's stream.
            components: mixture prior only: `(num_samples,)` indices of the
                components to draw from; a negative index (and `None`, for
                all) draws the component uniformly.
        """
        if seed is not None:
            normal = lambda shape: keras.random.normal(shape, seed=seed)  # noqa: E731
            uniform = lambda shape: keras.random.uniform(shape, seed=seed)  # noqa: E731
        else:
            normal, uniform = self.random_normal, self.random_uniform
        shape = (num_samples, self.latent_dim)
        if callable(self.prior):
            return self.prior(
                num_samples, self.latent_dim, seed or self.seed_generator
            )
        if self.prior == "gaussian":
            return normal(shape)
        if self.prior == "uniform":
            return 2.0 * uniform(shape) - 1.0
        # Mixture: pick a component (uniformly unless given), then add
        # Gaussian noise.
        u = uniform((num_samples,))
        index = ops.minimum(
            ops.cast(ops.floor(u * self.num_components), "int32"),
            self.num_components - 1,
        )
        if components is not None:
            components = ops.cast(ops.reshape(components, (-1,)), "int32")
            index = ops.where(components >= 0, components, index)
        means = ops.take(
            ops.convert_to_tensor(self._mixture_means), index, axis=0
        )
        return means + self.mixture_std * normal(shape)

    # -- training -------------------------------------------------------------

    def _decoder_inputs(self, z, labels):
        if not self._labels_to_decoder():
            return z
        return ops.concatenate(
            [z, ops.one_hot(labels, self.num_classes, dtype=z.dtype)], axis=-1
        )

    def _reconstruction_error(self, x, reconstruction):
        if self.reconstruction_loss == "mse":
            return ops.mean(ops.square(x - reconstruction))
        return ops.mean(
            keras.losses.binary_crossentropy(x, reconstruction, axis=None)
        )

    def train_step_logic(self, data):
        x, labels = self._unpack_labelled(data)
        self.update_trackers(
            **self._autoencoder_phases(self.to_model_space(x), labels)
        )

    def _autoencoder_phases(self, x, labels):
        """The paper's phases (sec. 2): reconstruction, then regularisation
        (the code discriminators, then the encoder against them)."""
        rec = self.optimize_step(
            "autoencoder",
            lambda: self._reconstruction_error(x, self._reconstruct(x, labels)),
        )
        priors = self._prior_codes(ops.shape(x)[0], labels)

        def logits(discriminator, codes):
            return ops.reshape(discriminator(codes, training=True), (-1,))

        def discriminator_loss():
            codes = [
                ops.stop_gradient(c) for c in self._regularized_codes(x, labels)
            ]
            losses = [
                adversarial.discriminator_loss(
                    "non_saturating", logits(d, p), logits(d, c)
                )
                for d, c, p in zip(self.code_discriminators, codes, priors)
            ]
            return ops.sum(ops.stack(losses))

        d_loss = self.optimize_step("discriminator", discriminator_loss)

        def generator_loss():
            codes = self._regularized_codes(x, labels)
            losses = [
                adversarial.generator_loss("non_saturating", logits(d, c))
                for d, c in zip(self.code_discriminators, codes)
            ]
            return ops.sum(ops.stack(losses))

        g_loss = self.optimize_step("generator", generator_loss)
        return dict(reconstruction_loss=rec, d_loss=d_loss, g_loss=g_loss)

    # -- inference --------------------------------------------------------------

    def encode(self, x, batch_size=256):
        """The codes of `x` (in `value_range`), as a NumPy array."""
        return self._encoder_outputs(x, batch_size)

    def _encoder_outputs(self, x, batch_size):
        x = self.to_model_space(np.asarray(x, dtype="float32"))
        return self.encoder.predict(x, batch_size=batch_size, verbose=0)

    @property
    def latent_shape(self):
        return (self.latent_dim,)

    def sample_latents(self, num_samples, *, seed=None, temperature=1.0):
        """`num_samples` codes drawn from the prior, as NumPy (the
        temperature scales them about the origin)."""
        num_samples = validation.check_positive_int(num_samples, "num_samples")
        temperature = validation.check_non_negative(temperature, "temperature")
        z = ops.convert_to_numpy(
            self.sample_prior(num_samples, seed=self._sample_seed(seed))
        )
        return (z * temperature).astype("float32")

    def _decode_batch(self, z, labels):
        return self.decoder(self._decoder_inputs(z, labels), training=False)

    def reconstruct(self, x, labels=None, batch_size=256):
        """`decode(encode(x))` (in `value_range`)."""
        return self.decode(
            self.encode(x, batch_size), labels=labels, batch_size=batch_size
        )

    def generate(
        self,
        num_samples,
        *,
        seed=None,
        labels=None,
        batch_size=256,
        temperature=1.0,
    ):
        """Decodes `num_samples` codes drawn from the prior.

        Args:
            num_samples: how many.
            seed: an int for a reproducible draw, or `None` for the model's
                random stream.
            labels: classes of a supervised AAE (one, or one per sample).
            batch_size: samples per call.
            temperature: scale of the prior codes.

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
            prior=keras.saving.serialize_keras_object(self.prior)
            if callable(self.prior)
            else self.prior,
            num_components=self.num_components,
            mixture_radius=self.mixture_radius,
            mixture_std=self.mixture_std,
            num_classes=self.num_classes,
            reconstruction_loss=self.reconstruction_loss,
        )
        if any(self.uses_default_network(n) for n in self.network_args):
            config.update(
                hidden_units=self.hidden_units,
                filters=self.filters,
                upsampling=self.upsampling,
            )
        return config

    @classmethod
    def from_config(cls, config):
        config = upsampling_lib.with_legacy_upsampling(config)
        if isinstance(config.get("prior"), dict):
            config["prior"] = keras.saving.deserialize_keras_object(
                config["prior"]
            )
        return super().from_config(config)
