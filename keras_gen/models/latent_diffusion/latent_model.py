"""What every latent generative model shares: a frozen, trained autoencoder
whose latents another generative model (a DDPM, a FlowMatching) learns
(Rombach et al., 2022)."""

import keras
import numpy as np
from keras import ops

from keras_gen.models.editing import ImageEditing
from keras_gen.models.generative_model import GenerativeModel
from keras_gen.models.vae.vae import VAE
from keras_gen.utils import validation


def _is_network(value):
    return isinstance(value, keras.layers.Layer)


class LatentModel(ImageEditing, GenerativeModel):
    """A generative model of the latents of a frozen autoencoder.

    The autoencoder (a trained `keras_gen.models.VAE` or `AutoEncoder`)
    maps data to latents `z = E(x)` and back; it is frozen
    (`autoencoder.trainable = False`). The latent model (built by the
    family's `make_latent_model(code_shape)` and kept in the attribute
    named by `latent_model_name`) sees the rescaled latents
    `scale_factor * z` as its data: its loss, sampling loop, guidance and
    EMA are its own, and `generate` decodes its samples. The model's
    `data_shape` and `value_range` are the autoencoder's; its latent codes
    (`sample_latents`, `decode`, `interpolate`) are the latent model's
    initial noise.

    `scale_factor` makes the latents' standard deviation about 1, the scale
    both the noise schedules and the flow's N(0, I) source assume. As in
    Rombach et al. (appendix D.1) it is `1 / σ̂`, with σ̂ the standard
    deviation of all the latent values of the first training batch,
    estimated once by `fit` and kept as model state (saved with the
    weights); or pass `latent_scale` to fix it. (Until then, `encode`,
    `decode` and `generate` use a scale of 1.)

    `image_to_image` (SDEdit, Meng et al., 2022) runs in the latent space:
    `x` is encoded, edited by the latent model and decoded. `inpaint` runs
    the latent sampler and, at every step, decodes its estimate of the
    clean latents, pastes the known pixels into the decoding and encodes it
    again; the step then heads for that corrected estimate (DDNM's
    range-space correction, Wang et al., 2023, taken through the
    autoencoder). The known pixels are copied into the result exactly; how
    well the generated ones fit them depends on how faithfully the
    autoencoder reconstructs.

    Args:
        autoencoder: the trained autoencoder; it is frozen.
        denoiser: the latent model's network, or `None` for its default.
        make_latent_model: `code_shape -> model`, the family's latent
            model with its own options.
        num_classes: number of classes of a conditional model.
        latent_scale: the scale factor, or `None` to estimate it.
        sample_posterior: train on posterior samples `μ + σ ε` of a VAE
            instead of its mean.
        seed: seed of the model's random stream.
    """

    network_args = ("autoencoder", "denoiser")
    # The attribute that holds the latent model (kept per family so that
    # saved weights keep their paths).
    latent_model_name = None

    def __init__(
        self,
        autoencoder=None,
        denoiser=None,
        make_latent_model=None,
        num_classes=None,
        latent_scale=None,
        sample_posterior=False,
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
        # One implementation of the latent model's objective and sampling:
        # the family's own model, whose data are the (scaled) latents.
        setattr(
            self, self.latent_model_name, make_latent_model(self.code_shape)
        )
        # Frozen, as in Rombach et al.: the latent model learns the latent
        # space the autoencoder was trained to give; only its network is
        # trained. (Set once here, never toggled between phases.)
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
    def latent_model(self):
        """The generative model of the scaled latents."""
        return getattr(self, self.latent_model_name)

    @property
    def denoiser(self):
        """The latent model's network (trained weights; `ema_denoiser` for
        the moving average)."""
        return self.latent_model.denoiser

    @property
    def ema_denoiser(self):
        return self.latent_model.ema_denoiser

    def uses_default_network(self, name):
        if name == "denoiser":
            return self.latent_model.uses_default_network("denoiser")
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
            # z ~ q(z|x) = N(μ, σ²), from the latent model's stream: the
            # model draws all its training noise from one generator.
            z = z + ops.exp(
                0.5 * ops.cast(log_var, "float32")
            ) * self.latent_model.random_normal(ops.shape(z))
        return ops.stop_gradient(z)

    def _scale(self, z=None):
        """The scale factor in use: the stored one, or (not yet set) 1/σ̂ of
        `z` (Rombach et al., appendix D.1), or 1 without latents."""
        stored = ops.cast(self.scale_factor, "float32")
        estimate = 1.0 if z is None else 1.0 / ops.maximum(ops.std(z), 1e-8)
        return ops.where(stored > 0, stored, estimate)

    def encode(self, x, batch_size=256):
        """The scaled latents `scale_factor * E(x)` the latent model is
        trained on (posterior means for a VAE), as a NumPy array."""
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
        # models); the latent model is never called as a layer, so mark it.
        self.latent_model.built = True
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
        # The latent model's own loss on the scaled latents (it also
        # updates the EMA of its network).
        return self.latent_model.compute_loss(
            x=z * scale,
            y=y,
            y_pred=None,
            sample_weight=sample_weight,
            training=training,
        )

    # -- sampling and editing ----------------------------------------------

    @property
    def latent_shape(self):
        return self.code_shape

    def _decode(self, z, labels, seed, batch_size, **options):
        """The latent model's sampler from `z`, then the decoder."""
        latents = self.latent_model._decode(
            z, labels, seed, batch_size, **options
        )
        return self.decode_latents(latents, batch_size=batch_size)

    def decode_latents(self, z, batch_size=256):
        """Data decoded from scaled latents (undoes the scale factor, then the
        autoencoder's `decode`)."""
        z = np.asarray(z, dtype="float32")
        scale = float(ops.convert_to_numpy(self._scale()))
        return self.autoencoder.decode(z / scale, batch_size=batch_size)

    def _image_to_image(self, x, strength, labels, seed, batch_size, **options):
        # SDEdit in the latent space: the latents of `x` are noised to the
        # level `strength` and carried back by the latent model's sampler
        # (Meng et al., 2022; the latent form of Rombach et al., sec. 4.3).
        latents = self.latent_model._image_to_image(
            self.encode(x, batch_size=batch_size),
            strength,
            labels,
            seed,
            batch_size,
            **options,
        )
        return self.decode_latents(latents, batch_size=batch_size)

    def _inpaint(self, x, mask, labels, seed, batch_size, **options):
        # A latent code has no pixels to keep, so the known pixels enter
        # through the autoencoder: the latent sampler runs from noise with
        # nothing replaced in the latent space (an all-ones latent mask),
        # and `_KnownPixels` corrects its estimate of the clean latents at
        # every step.
        codes = np.zeros((len(x),) + tuple(self.code_shape), "float32")
        latents = self.latent_model._inpaint(
            codes,
            np.ones_like(codes),
            labels,
            seed,
            batch_size,
            correction=_KnownPixels(self, x, mask),
            **options,
        )
        return self.decode_latents(latents, batch_size=batch_size)

    def _known_pixel_latents(self, z0, known, mask):
        """`E(m ⊙ D(ẑ_0) + (1 − m) ⊙ x)`: the scaled latents of the decoding
        of `z0` with the known pixels `x` pasted in (a traceable function
        of tensors; see `_KnownPixels`)."""
        scale = self._scale()
        autoencoder = self.autoencoder
        decoded = autoencoder.to_data_space(
            autoencoder._decode_batch(z0 / scale, None)
        )
        if self.value_range is not None:
            decoded = ops.clip(decoded, *self.value_range)
        pasted = mask * ops.cast(decoded, "float32") + (1.0 - mask) * known
        return self._latents(pasted) * scale

    def reference_probe(self, num=4):
        """The latent model's network on fixed latents."""
        return self.latent_model.reference_probe(num)

    # -- saving ------------------------------------------------------------------

    def get_config(self):
        config = super().get_config()
        config.pop("value_range")  # the autoencoder's
        # A compiled autoencoder's training settings belong to its own run:
        # here it is frozen, and its optimizer is not restored.
        config["autoencoder"].pop("compile_config", None)
        inner = self.latent_model
        config.update(
            latent_scale=self.latent_scale,
            sample_posterior=self.sample_posterior,
            num_classes=self.num_classes,
            label_dropout=inner.label_dropout,
            ema_decay=inner.ema_decay,
        )
        if self.uses_default_network("denoiser"):
            config.update(
                inner.mlp_config
                if len(self.code_shape) == 1
                else inner.unet_config
            )
        return config


class _KnownPixels:
    """The latent models' inpainting correction of x̂_0.

    A latent sampler (the latent model's `_inpaint`) calls it at every
    evaluation on its estimate ẑ_0 of the clean (scaled) latents and steps
    toward the latents of the decoding of ẑ_0 with the known pixels pasted
    in. For pixels, an identity autoencoder, this is DDNM's correction
    x̂_0 ← A†y + (I − A†A) x̂_0 for the inpainting operator A (Wang et
    al., 2023, eq. 13); through an autoencoder, decode and encode stand
    in for the identity. The compiled loop reads the autoencoder's weights
    and the scale factor (`variables`) as arguments and gets the known
    pixels and the mask per batch (`context`).
    """

    key = "known_pixels"

    def __init__(self, model, x, mask):
        self.model = model
        self.variables = list(model.autoencoder.variables) + [
            model.scale_factor
        ]
        self.context = (
            np.asarray(x, "float32"),
            np.asarray(mask, "float32"),
        )

    def __call__(self, z0, known, mask):
        return self.model._known_pixel_latents(z0, known, mask)
