"""Latent diffusion (Rombach et al., 2022): a DDPM in the latent space of a
frozen, trained autoencoder."""

import keras
import numpy as np
from keras import ops

from keras_gen.models.ddpm.ddpm import DDPM, DiffusionSampling
from keras_gen.models.generative_model import GenerativeModel
from keras_gen.models.vae.vae import VAE
from keras_gen.utils import validation


def _is_network(value):
    return isinstance(value, keras.layers.Layer)


@keras.saving.register_keras_serializable(package="keras_gen")
class LatentDiffusion(DiffusionSampling, GenerativeModel):
    """A diffusion model trained on the latents of a frozen autoencoder.

    The autoencoder (a trained `keras_gen.models.VAE` or `AutoEncoder`)
    maps data to latents `z = E(x)` and back; it is frozen
    (`autoencoder.trainable = False`) and only the denoiser trains, with the
    DDPM objective of Ho et al. (2020, eq. 14) on the rescaled latents
    `scale_factor * z`. All of the diffusion (loss, EMA, schedulers, the
    compiled DDPM/DDIM sampling loop, classifier-free guidance) is the
    `keras_gen.models.DDPM` held in `self.diffusion`, which sees latent
    vectors as its data; `generate` decodes its samples with the
    autoencoder's `decode`. The model's `data_shape` and `value_range` are
    the autoencoder's; its latent codes (`sample_latents`, `decode`,
    `interpolate`) are the diffusion's initial noise.

    `scale_factor` makes the latents' standard deviation about 1, the scale
    the noise schedule assumes. As in Rombach et al. (appendix D.1) it is
    `1 / σ̂`, with σ̂ the standard deviation of all the latent values of the
    first training batch, estimated once by `fit` and kept as model state
    (saved with the weights); or pass `latent_scale` to fix it. (Until
    then, `encode`, `decode` and `generate` use a scale of 1.)

    Latents are the encoder's posterior mean for a VAE (or a sample of the
    posterior with `sample_posterior=True`), and the code of a
    deterministic autoencoder.

    Args:
        autoencoder: a trained autoencoder with `encode` and `decode`
            methods and an `encoder` and a `decoder` network (a keras_gen
            `VAE` or `AutoEncoder`). It is frozen.
        denoiser: a `keras.Model` `[z_t, t(, label)] -> output` shaped like
            the latents; `None` builds DDPM's default (an MLP for latent
            vectors, a U-Net for spatial latents).
        scheduler: a `keras_gen.schedulers.Scheduler`; default
            `DDPMScheduler()` (linear β from 1e-4 to 0.02, T = 1000,
            ε-prediction, no clipping: latents are unbounded).
        num_classes: number of classes of a conditional model.
        label_dropout: probability of dropping the label in training
            (classifier-free guidance).
        ema_decay: decay of the denoiser weights' moving average.
        latent_scale: the scale factor, or `None` to estimate it from the
            first training batch.
        sample_posterior: train on posterior samples `μ + σ ε` of a VAE
            instead of its mean.
        hidden_dim, num_layers: the default MLP denoiser's.
        width, channel_multipliers, num_res_blocks, attention_resolutions,
            dropout, data_format: the default U-Net's (spatial latents only).
        seed: seed of the model's random stream.

    Example:

    ```python
    x = keras_gen.datasets.load_digits("train")           # (1000, 8, 8, 1)
    # A lightly KL-regularised VAE: sharp decodings; the diffusion, not the
    # N(0, I) prior, then models where its latents lie.
    vae = keras_gen.models.VAE(data_shape=(8, 8, 1), latent_dim=8, beta=0.1)
    vae.compile(optimizer="adam")
    vae.fit(x, epochs=20, batch_size=64)
    model = keras_gen.models.LatentDiffusion(vae, hidden_dim=128)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit(x, epochs=20, batch_size=64)                 # the VAE stays fixed
    images = model.generate(16, scheduler="ddim", num_steps=50, seed=0)
    ```
    """

    network_args = ("autoencoder", "denoiser")

    def __init__(
        self,
        autoencoder=None,
        denoiser=None,
        scheduler=None,
        num_classes=None,
        label_dropout=0.1,
        ema_decay=0.9999,
        latent_scale=None,
        sample_posterior=False,
        hidden_dim=256,
        num_layers=4,
        width=64,
        channel_multipliers=(1, 2),
        num_res_blocks=2,
        attention_resolutions=(4,),
        dropout=0.0,
        data_format="channels_last",
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self._check_autoencoder(autoencoder)
        if latent_scale is not None:
            latent_scale = validation.check_in_range(
                latent_scale,
                "latent_scale",
                1e-12,
                description="a finite number > 0, or None",
            )
        if not isinstance(sample_posterior, bool):
            raise ValueError(
                f"`sample_posterior` must be a bool. Received: sample_posterior={sample_posterior!r}"
            )
        if sample_posterior and not isinstance(autoencoder, VAE):
            raise ValueError(
                "`sample_posterior=True` needs a VAE (a posterior to sample). "
                f"Received: autoencoder of class {autoencoder.__class__.__name__}"
            )
        self.latent_scale = latent_scale
        self.sample_posterior = sample_posterior
        data_shape = getattr(
            autoencoder, "data_shape", None
        ) or validation.network_input_shape(autoencoder.encoder)
        self._set_data_contract(
            tuple(data_shape),
            getattr(autoencoder, "value_range", None),
            num_classes,
        )
        self.code_shape = tuple(
            validation.network_input_shape(autoencoder.decoder)
        )
        if denoiser is not None:
            denoiser_shape = tuple(validation.network_input_shape(denoiser))
            if denoiser_shape != self.code_shape:
                raise ValueError(
                    f"The denoiser must take latents shaped like the decoder's input {self.code_shape}. "
                    f"Received: denoiser with input shape {denoiser_shape}"
                )
        # One implementation of the diffusion: a DDPM whose data are the
        # (scaled) latents. Unbounded values: no [-1, 1] mapping or clipping.
        self.diffusion = DDPM(
            denoiser=denoiser,
            data_shape=self.code_shape,
            scheduler=scheduler,
            num_classes=num_classes,
            label_dropout=label_dropout,
            ema_decay=ema_decay,
            value_range=None,
            width=width,
            channel_multipliers=channel_multipliers,
            num_res_blocks=num_res_blocks,
            attention_resolutions=attention_resolutions,
            dropout=dropout,
            data_format=data_format,
            hidden_dim=hidden_dim,
            num_layers=num_layers,
            seed=seed,
            name="diffusion",
        )
        # Frozen, as in Rombach et al.: the diffusion learns the latent space
        # the autoencoder was trained to give; only the denoiser is trained.
        # (Set once here, never toggled between phases.)
        autoencoder.trainable = False
        self.autoencoder = autoencoder
        # 0 means "not estimated yet": the first training batch sets it.
        self.scale_factor = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(latent_scale or 0.0),
            trainable=False,
            name="scale_factor",
        )

    @staticmethod
    def _check_autoencoder(autoencoder):
        if autoencoder is None:
            raise ValueError(
                "Pass a trained `autoencoder` (e.g. a keras_gen VAE or AutoEncoder). Received: autoencoder=None"
            )
        missing = [
            name
            for name, ok in (
                ("encode", callable(getattr(autoencoder, "encode", None))),
                ("decode", callable(getattr(autoencoder, "decode", None))),
                ("encoder", _is_network(getattr(autoencoder, "encoder", None))),
                ("decoder", _is_network(getattr(autoencoder, "decoder", None))),
            )
            if not ok
        ]
        if missing or not _is_network(autoencoder):
            raise ValueError(
                "`autoencoder` must be a Keras model with `encode` and `decode` methods and "
                "`encoder` and `decoder` networks, such as a keras_gen VAE or AutoEncoder; it lacks "
                f"{', '.join(missing) or 'being a Keras layer'}. Received: autoencoder={autoencoder!r}"
            )

    @property
    def denoiser(self):
        """The latent DDPM's denoiser (trained weights; `ema_denoiser` for
        the moving average)."""
        return self.diffusion.denoiser

    @property
    def ema_denoiser(self):
        return self.diffusion.ema_denoiser

    def uses_default_network(self, name):
        if name == "denoiser":
            return self.diffusion.uses_default_network("denoiser")
        return super().uses_default_network(name)

    # -- the latent space --------------------------------------------------

    def _latents(self, x, sample=False):
        """The autoencoder's latents of a batch, unscaled, without gradient."""
        x = ops.cast(x, "float32")
        if isinstance(self.autoencoder, VAE):
            mean, log_var = self.autoencoder(x, training=False)
        else:
            out = self.autoencoder.encoder(x, training=False)
            mean, log_var = (
                tuple(out) if isinstance(out, (list, tuple)) else (out, None)
            )
        z = ops.cast(mean, "float32")
        if sample and log_var is not None:
            # z ~ q(z|x) = N(μ, σ²), from the diffusion's stream: the model
            # draws all its training noise from one generator.
            z = z + ops.exp(
                0.5 * ops.cast(log_var, "float32")
            ) * self.diffusion.random_normal(ops.shape(z))
        return ops.stop_gradient(z)

    def _scale(self, z=None):
        """The scale factor in use: the stored one, or (not yet set) 1/σ̂ of
        `z` (Rombach et al., appendix D.1), or 1 without latents."""
        stored = ops.cast(self.scale_factor, "float32")
        estimate = 1.0 if z is None else 1.0 / ops.maximum(ops.std(z), 1e-8)
        return ops.where(stored > 0, stored, estimate)

    def encode(self, x, batch_size=256):
        """The scaled latents `scale_factor * E(x)` the diffusion is trained
        on (posterior means for a VAE), as a NumPy array."""
        x = np.asarray(x, dtype="float32")
        validation.check_array_data(x, "x", self.data_shape)
        scale = ops.convert_to_numpy(self._scale())
        return (
            self.map_batches(
                lambda xb: self._latents(xb), x, batch_size=batch_size
            )
            * scale
        )

    # -- training ------------------------------------------------------------

    def build(self, input_shape=None):
        # Every variable exists from `__init__` (the networks are functional
        # models); the latent DDPM is never called as a layer, so mark it.
        self.diffusion.built = True
        self.built = True

    def call(self, inputs, training=False):
        """A bare batch of data passes through (checked); the training
        forward pass, which needs the noise and labels, runs in
        `compute_loss`. Use `encode` for latents."""
        self._check_batch(inputs)
        return inputs

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        z = self._latents(x, sample=self.sample_posterior and training)
        scale = self._scale(z)
        if training:
            # Estimated once, on the first batch, then kept (a no-op after).
            self.scale_factor.assign(ops.cast(scale, self.scale_factor.dtype))
        # The DDPM loss (Ho et al., eq. 14) on the scaled latents; it also
        # updates the EMA of the denoiser.
        return self.diffusion.compute_loss(
            x=z * scale,
            y=y,
            y_pred=None,
            sample_weight=sample_weight,
            training=training,
        )

    # -- sampling ------------------------------------------------------------

    @property
    def latent_shape(self):
        return self.code_shape

    def _decode(self, z, labels, seed, batch_size, **options):
        """The latent DDPM's reverse process from `z`, then the decoder."""
        latents = self.diffusion._decode(z, labels, seed, batch_size, **options)
        return self.decode_latents(latents, batch_size=batch_size)

    def decode_latents(self, z, batch_size=256):
        """Data decoded from scaled latents (undoes the scale factor, then the
        autoencoder's `decode`)."""
        z = np.asarray(z, dtype="float32")
        scale = float(ops.convert_to_numpy(self._scale()))
        return self.autoencoder.decode(z / scale, batch_size=batch_size)

    def reference_probe(self, num=4):
        """The latent DDPM's denoiser on fixed latents (see `DDPM`)."""
        return self.diffusion.reference_probe(num)

    # -- saving ------------------------------------------------------------------

    def get_config(self):
        config = super().get_config()
        config.pop("value_range")  # the autoencoder's
        # A compiled autoencoder's training settings belong to its own run:
        # here it is frozen, and its optimizer is not restored.
        config["autoencoder"].pop("compile_config", None)
        diffusion = self.diffusion.get_config()
        config.update(
            scheduler=diffusion["scheduler"],
            latent_scale=self.latent_scale,
            sample_posterior=self.sample_posterior,
            num_classes=self.num_classes,
            label_dropout=self.diffusion.label_dropout,
            ema_decay=self.diffusion.ema_decay,
        )
        if self.uses_default_network("denoiser"):
            config.update(
                self.diffusion.mlp_config
                if len(self.code_shape) == 1
                else self.diffusion.unet_config
            )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("scheduler"), dict):
            config["scheduler"] = keras.saving.deserialize_keras_object(
                config["scheduler"]
            )
        return super().from_config(config)
