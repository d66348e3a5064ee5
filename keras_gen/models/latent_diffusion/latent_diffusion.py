"""Latent diffusion (Rombach et al., 2022): a DDPM in the latent space of a
frozen, trained autoencoder."""

import keras

from keras_gen.models.ddpm.ddpm import DDPM, DiffusionSampling
from keras_gen.models.latent_diffusion.latent_model import LatentModel


@keras.saving.register_keras_serializable(package="keras_gen")
class LatentDiffusion(DiffusionSampling, LatentModel):
    """A diffusion model trained on the latents of a frozen autoencoder.

    The autoencoder (a trained `keras_gen.models.VAE` or `AutoEncoder`)
    maps data to latents `z = E(x)` and back; it is frozen and only the
    denoiser trains, with the DDPM objective of Ho et al. (2020, eq. 14) on
    the rescaled latents `scale_factor * z` (see
    `keras_gen.models.latent_diffusion.latent_model.LatentModel` for the
    latent space, the scale factor and the frozen autoencoder). All of the
    diffusion (loss, EMA, schedulers, the compiled DDPM/DDIM sampling loop,
    classifier-free guidance) is the `keras_gen.models.DDPM` held in
    `self.diffusion`, which sees latent vectors as its data; `generate`
    decodes its samples with the autoencoder's `decode`, `image_to_image`
    (SDEdit) edits in the latent space, and `inpaint` steers every reverse
    step by the known pixels through the autoencoder (see `LatentModel`).

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
            ε-prediction, no clipping: latents are unbounded); one of
            your own must not clip (`clip_sample=False`).
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
    edited = model.image_to_image(x[:4], strength=0.5, scheduler="ddim", num_steps=50, seed=0)
    mask = np.zeros((8, 8)); mask[4:] = 1                  # redraw the lower half
    filled = model.inpaint(x[:4], mask, scheduler="ddim", num_steps=50, seed=0)
    ```
    """

    latent_model_name = "diffusion"

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
        def make_diffusion(code_shape):
            # The latents are unbounded: no [-1, 1] mapping or clipping.
            return DDPM(
                denoiser=denoiser,
                data_shape=code_shape,
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

        super().__init__(
            autoencoder=autoencoder,
            denoiser=denoiser,
            make_latent_model=make_diffusion,
            num_classes=num_classes,
            latent_scale=latent_scale,
            sample_posterior=sample_posterior,
            seed=seed,
            **kwargs,
        )

    def get_config(self):
        config = super().get_config()
        config["scheduler"] = self.diffusion.get_config()["scheduler"]
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("scheduler"), dict):
            config["scheduler"] = keras.saving.deserialize_keras_object(
                config["scheduler"]
            )
        return super().from_config(config)
