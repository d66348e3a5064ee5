"""Latent flow matching: a FlowMatching model in the latent space of a
frozen, trained autoencoder (the latent form of Lipman et al., 2023, as in
Dao et al., 2023)."""

import keras

from keras_gen.models.flow_matching.flow_matching import (
    FlowMatching,
    FlowSampling,
)
from keras_gen.models.latent_diffusion.latent_model import LatentModel


@keras.saving.register_keras_serializable(package="keras_gen")
class LatentFlowMatching(FlowSampling, LatentModel):
    """A flow-matching model trained on the latents of a frozen autoencoder.

    The autoencoder (a trained `keras_gen.models.VAE` or `AutoEncoder`)
    maps data to latents `z = E(x)` and back; it is frozen and only the
    velocity network trains, with the conditional flow-matching loss of
    Lipman et al. (2023, eq. 23) on the rescaled latents `scale_factor * z`
    (see `keras_gen.models.latent_diffusion.latent_model.LatentModel` for
    the latent space, the scale factor and the frozen autoencoder). All of
    the flow (the probability path, the independent or minibatch-OT
    coupling, EMA, the compiled ODE solvers, classifier-free guidance) is
    the `keras_gen.models.FlowMatching` held in `self.flow`, which sees
    latent vectors as its data; `generate` integrates it from noise and
    decodes with the autoencoder's `decode`, `image_to_image` (SDEdit)
    edits in the latent space, and `inpaint` turns every velocity toward
    the latents of the decoded estimate with the known pixels pasted in
    (see `LatentModel`). A straight flow in a small latent space
    needs few solver steps: this is the cheap sampler of the two latent
    families.

    Likelihoods are not offered: `self.flow.log_prob` gives the density of
    the scaled latents, not of the data.

    Args:
        autoencoder: a trained autoencoder with `encode` and `decode`
            methods and an `encoder` and a `decoder` network (a keras_gen
            `VAE` or `AutoEncoder`). It is frozen.
        denoiser: the velocity network, a `keras.Model` `[z_t, t(, label)]
            -> velocity` shaped like the latents (see `FlowMatching` for
            the time input); `None` builds FlowMatching's default (an MLP
            for latent vectors, a U-Net for spatial latents).
        num_classes: number of classes of a conditional model.
        coupling: `"independent"` or `"ot"` (minibatch optimal transport).
        sigma_min: the width of the path at the data end (0: rectified
            flow).
        label_dropout: probability of dropping the label in training
            (classifier-free guidance).
        ema_decay: decay of the network weights' moving average.
        latent_scale: the scale factor, or `None` to estimate it from the
            first training batch.
        sample_posterior: train on posterior samples `μ + σ ε` of a VAE
            instead of its mean.
        hidden_dim, num_layers: the default MLP's.
        width, channel_multipliers, num_res_blocks, attention_resolutions,
            dropout, data_format: the default U-Net's (spatial latents only).
        seed: seed of the model's random stream.

    Example:

    ```python
    x = keras_gen.datasets.load_digits("train")           # (1000, 8, 8, 1)
    vae = keras_gen.models.VAE(data_shape=(8, 8, 1), latent_dim=8, beta=0.1)
    vae.compile(optimizer="adam")
    vae.fit(x, epochs=20, batch_size=64)
    model = keras_gen.models.LatentFlowMatching(vae, hidden_dim=128)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit(x, epochs=20, batch_size=64)                 # the VAE stays fixed
    images = model.generate(16, solver="heun", num_steps=10, seed=0)
    edited = model.image_to_image(x[:4], strength=0.5, seed=0)
    mask = np.zeros((8, 8)); mask[4:] = 1                  # redraw the lower half
    filled = model.inpaint(x[:4], mask, seed=0)
    ```
    """

    latent_model_name = "flow"

    def __init__(
        self,
        autoencoder=None,
        denoiser=None,
        num_classes=None,
        coupling="independent",
        sigma_min=0.0,
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
        def make_flow(code_shape):
            # The latents are unbounded: no [-1, 1] mapping or clipping.
            return FlowMatching(
                denoiser=denoiser,
                data_shape=code_shape,
                value_range=None,
                num_classes=num_classes,
                coupling=coupling,
                sigma_min=sigma_min,
                label_dropout=label_dropout,
                ema_decay=ema_decay,
                width=width,
                channel_multipliers=channel_multipliers,
                num_res_blocks=num_res_blocks,
                attention_resolutions=attention_resolutions,
                dropout=dropout,
                data_format=data_format,
                hidden_dim=hidden_dim,
                num_layers=num_layers,
                seed=seed,
                name="flow",
            )

        super().__init__(
            autoencoder=autoencoder,
            denoiser=denoiser,
            make_latent_model=make_flow,
            num_classes=num_classes,
            latent_scale=latent_scale,
            sample_posterior=sample_posterior,
            seed=seed,
            **kwargs,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            coupling=self.flow.coupling, sigma_min=self.flow.sigma_min
        )
        return config
