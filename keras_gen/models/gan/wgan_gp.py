"""Wasserstein GANs: WGAN-GP, and the original weight-clipping WGAN."""

import keras
from keras import ops

from keras_gen.losses import penalties
from keras_gen.models.gan import networks
from keras_gen.models.gan.gan import GAN
from keras_gen.utils import validation


@keras.saving.register_keras_serializable(package="keras_gen")
class WGANGP(GAN):
    """Wasserstein GAN with gradient penalty (Gulrajani et al., 2017).

    The critic minimises `E[D(G(z))] - E[D(x)] + lambda * GP`, with the
    penalty `GP = E[(||grad D(x_hat)||_2 - 1)^2]` taken at points `x_hat`
    drawn UNIFORMLY on segments between real and generated samples (eq. 3,
    Algorithm 1). The critic takes `n_critic` steps per generator step. The
    default critic has no batch norm (which would break the per-sample
    penalty, sec. 4). Defaults follow the paper: lambda = 10, n_critic = 5,
    Adam(1e-4, beta_1=0, beta_2=0.9). On low-dimensional toy mixtures with
    tiny modes the authors' own toy code uses lambda = 0.1 (`gan_toy.py`);
    on PacGAN's grid of 25 Gaussians it covers all 25 modes where lambda = 10
    covers about half (`benchmarks/pacgan_modes.py`).

    With `clip_value` and `gradient_penalty_weight=0` it is the original WGAN
    (Arjovsky et al., 2017): critic weights clipped to `[-c, c]` after each
    critic step, RMSprop(5e-5). `drift_weight` adds `eps * E[D(x)^2]`, which
    keeps the critic's output near zero (Karras et al., 2018, A.1).

    Args:
        generator, discriminator, latent_dim, data_shape, value_range,
        num_classes, conditioning, pack, ema_decay, hidden_units,
        generator_filters, discriminator_filters, upsampling, seed: as in `GAN` (the discriminator
            is the critic; with `pack` the penalty is taken per pack).
        n_critic: critic steps per generator step.
        gradient_penalty_weight: lambda.
        clip_value: clip critic weights to this magnitude (original WGAN), or
            `None`.
        drift_weight: weight of the drift penalty (0 disables it).

    Example:

    ```python
    points = keras_gen.datasets.toy_2d("8gaussians", 10000)
    wgan = keras_gen.models.WGANGP(data_shape=(2,), latent_dim=2)
    wgan.compile()
    wgan.fit(points, epochs=1, batch_size=256)
    ```
    """

    @property
    def regularizer_names(self):
        # Only the terms that are on are logged.
        names = ("gradient_penalty",) if self.gradient_penalty_weight else ()
        return names + (("drift",) if self.drift_weight else ())

    def __init__(
        self,
        generator=None,
        discriminator=None,
        latent_dim=64,
        data_shape=None,
        value_range="auto",
        num_classes=None,
        conditioning="projection",
        n_critic=5,
        gradient_penalty_weight=10.0,
        clip_value=None,
        drift_weight=0.0,
        pack=1,
        ema_decay=None,
        hidden_units=(256, 256),
        generator_filters=(128, 64),
        discriminator_filters=(64, 128),
        upsampling="resize_conv",
        seed=None,
        **kwargs,
    ):
        for name in ("loss", "d_steps"):
            if name in kwargs:
                raise ValueError(
                    f"WGANGP sets `{name}` itself (the Wasserstein loss, "
                    f"`n_critic` steps). Received: {name}={kwargs[name]!r}"
                )
        self.gradient_penalty_weight = validation.check_non_negative(
            gradient_penalty_weight, "gradient_penalty_weight"
        )
        self.clip_value = (
            None
            if clip_value is None
            else validation.check_in_range(
                clip_value, "clip_value", 0.0, description="a positive number"
            )
        )
        self.drift_weight = validation.check_non_negative(
            drift_weight, "drift_weight"
        )
        super().__init__(
            generator=generator,
            discriminator=discriminator,
            latent_dim=latent_dim,
            data_shape=data_shape,
            value_range=value_range,
            num_classes=num_classes,
            conditioning=conditioning,
            loss="wasserstein",
            d_steps=validation.check_positive_int(n_critic, "n_critic"),
            pack=pack,
            ema_decay=ema_decay,
            hidden_units=hidden_units,
            generator_filters=generator_filters,
            discriminator_filters=discriminator_filters,
            upsampling=upsampling,
            seed=seed,
            **kwargs,
        )

    @property
    def n_critic(self):
        return self.d_steps

    def build_default_generator(self, data_shape):
        # No batch norm for vectors: Gulrajani et al.'s toy generator is a
        # plain ReLU MLP, and batch norm there blurs sharp modes (measured on
        # the 8-Gaussian toy: 6/8 modes and 41 % high-quality samples with it,
        # 8/8 and 98 % without, after 2,000 steps). Images keep DCGAN's.
        return networks.GANGenerator(
            self.latent_dim,
            data_shape,
            self.num_classes,
            self.hidden_units,
            self.generator_filters,
            batch_norm=len(data_shape) == 3,
            upsampling=self.upsampling,
        )

    def build_default_discriminator(self, data_shape):
        return networks.GANDiscriminator(
            data_shape,
            num_classes=self.num_classes,
            conditioning=self.conditioning,
            hidden_units=self.hidden_units,
            filters=self.discriminator_filters,
            batch_norm=False,
            name="critic",
        )

    def default_optimizers(self):
        if self.clip_value is not None and not self.gradient_penalty_weight:
            # Arjovsky et al. (2017), Algorithm 1: RMSprop, lr 5e-5.
            return {
                "discriminator": keras.optimizers.RMSprop(5e-5),
                "generator": keras.optimizers.RMSprop(5e-5),
            }
        # Gulrajani et al. (2017), Algorithm 1: Adam(1e-4, 0, 0.9).
        return {
            "discriminator": keras.optimizers.Adam(
                1e-4, beta_1=0.0, beta_2=0.9
            ),
            "generator": keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
        }

    def discriminator_regularizers(self, x, fake, labels):
        terms = {}
        # `x` and `fake` come packed: with packing, x_hat interpolates whole
        # packs (one epsilon per pack) and the norm is over the pack's input,
        # since the packed critic is the function that must be 1-Lipschitz.
        if self.gradient_penalty_weight:
            epsilon = self.random_uniform((ops.shape(x)[0],))

            def critic(t):
                return self._discriminate(t, labels, training=True, packed=True)

            gp = penalties.gradient_penalty(critic, x, fake, epsilon)
            terms["gradient_penalty"] = self.gradient_penalty_weight * gp
        if self.drift_weight:
            real = self._discriminate(x, labels, training=True, packed=True)
            terms["drift"] = self.drift_weight * ops.mean(ops.square(real))
        return terms

    def after_discriminator_step(self):
        if self.clip_value is not None:
            c = self.clip_value
            for v in self.discriminator.trainable_variables:
                v.assign(ops.clip(v, -c, c))

    def get_config(self):
        config = self._shared_config()
        config.update(
            n_critic=self.n_critic,
            gradient_penalty_weight=self.gradient_penalty_weight,
            clip_value=self.clip_value,
            drift_weight=self.drift_weight,
        )
        return config
