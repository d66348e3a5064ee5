"""Progressive GAN (Karras et al., 2018) trained with `model.fit`."""

import math

import keras
from keras import ops

from keras_gen.layers.resample import downsample_average, upsample_nearest
from keras_gen.losses import adversarial, penalties
from keras_gen.models.adversarial_model import AdversarialModel
from keras_gen.models.progan.networks import (
    ProgressiveDiscriminator,
    ProgressiveGenerator,
)
from keras_gen.utils import validation


def growth_at(images_seen, stable_images, fade_images, num_levels):
    """The growth state after `images_seen` real images (the schedule).

    Level 0 trains for `stable_images` images; then each further level
    fades in over `fade_images` images (its weight alpha rising linearly
    from 0 to 1) and trains `stable_images` more (Karras et al., 2018,
    sec. 3 and A.1: 800k images each). The result is
    `level - 1 + alpha` while level `level` fades in, `level` once it is
    stable, and stays at `num_levels - 1` once every level has grown.

    Args:
        images_seen: a scalar (number or tensor).
        stable_images, fade_images: the schedule (fade_images > 0).
        num_levels: the number of levels.

    Returns:
        A float32 scalar tensor in `[0, num_levels - 1]`.
    """
    t = ops.cast(images_seen, "float32")
    period = float(stable_images + fade_images)
    after_base = ops.maximum(t - float(stable_images), 0.0)
    grown = ops.floor(after_base / period)  # levels fully faded in
    alpha = ops.minimum((after_base - grown * period) / float(fade_images), 1.0)
    return ops.minimum(grown + alpha, float(num_levels - 1))


@keras.saving.register_keras_serializable(package="keras_gen")
class ProgressiveGAN(AdversarialModel):
    """Progressive growing of GANs (Karras et al., 2018).

    Training starts at a low resolution and adds layers to the generator
    and the discriminator as it goes: each new resolution fades in
    smoothly (its weight alpha rising from 0 to 1, sec. 3, fig. 2), then
    trains stable, until the full resolution is reached. The networks use
    an equalised learning rate (sec. 4.1, `keras_gen.layers.EqualizedConv2D`
    and `EqualizedDense`, shared with StyleGAN2), the generator pixelwise
    feature normalisation (sec. 4.2, `keras_gen.layers.PixelNormalization`)
    and the discriminator a minibatch standard-deviation channel (sec. 3,
    `keras_gen.layers.MinibatchStdDev`). The loss is WGAN-GP (lambda = 10,
    `n_critic = 1`, `keras_gen.losses.gradient_penalty`) plus the drift
    term `eps * E[D(x)^2]`, eps = 0.001 (appendix A.1), and `generate`
    uses a moving average of the generator (decay 0.999, A.1). Adam(1e-3,
    beta_1=0, beta_2=0.99, eps 1e-8).

    **The schedule is model state.** `images_seen`, a variable saved with
    the weights (and by `keras_gen.callbacks.BackupAndRestore`), counts the
    real images trained on; the growth state (`growth`, `current_resolution`,
    `fade_alpha`) is a function of it (`growth_at`). So a run resumed from a
    saved model or a backup continues the same fade at the same alpha, and
    `fit` needs nothing but enough data: `schedule_images` images reach
    the last resolution, fully faded in and stabilised.

    **One compiled step.** Every resolution is built at construction; the
    growth state is a tensor the step computes from `images_seen`, and the
    networks skip the inactive levels with `ops.cond` (see
    `keras_gen.models.progan.networks`). JAX and TensorFlow compile the step
    once for the whole schedule (every level is traced, so compiling costs
    about as much as the full-resolution network); each step then runs only
    the active levels. The images always have the full resolution: the
    generator's output is repeated up from the active level, and the
    discriminator pools its input down; the real images are pooled to the
    active level (and blended with the level below during a fade, as the
    official code does) before they are repeated up. This resampling at
    full resolution, and the gradient penalty's input gradient there, are
    the costs that do not shrink at the low levels.

    Resolutions: `data_shape=(r, r, c)` with `r = base * 2**k`: 16 grows
    4 -> 8 -> 16, 28 (Fashion-MNIST) 7 -> 14 -> 28, 32 4 -> ... -> 32.

    Differences from the paper: one batch size for every resolution (the
    paper lowers it as the resolution grows), and no progressive growth of
    the real data's storage (the data are given at full resolution).

    Args:
        generator: a `ProgressiveGenerator`, or `None` to build one.
        discriminator: a `ProgressiveDiscriminator`, or `None`.
        data_shape: `(resolution, resolution, channels)`.
        value_range: `(low, high)` of the images (default (-1, 1)).
        base_resolution: side of the first level (`None`: the full side
            halved while it stays even and >= 4).
        latent_dim: size of `z`.
        channel_base, channel_max: feature maps of level `k`:
            `min(channel_base // (4 * 2**k), channel_max)` (the paper:
            8192 and 512 for 1024x1024; the defaults suit 16-32 pixels on a
            CPU).
        stable_images: real images each level trains for once stable (the
            paper: 800,000).
        fade_images: real images over which a level fades in (800,000).
        gradient_penalty_weight: WGAN-GP's lambda (10).
        drift_weight: the drift term's eps (0.001).
        n_critic: discriminator steps per generator step (1).
        mbstd_group_size: minibatch-stddev group (`None`: the batch).
        ema_decay: decay of the generator's moving average, or `None`.
        seed: seed of the model's random stream and initial weights.

    Example:

    ```python
    x = keras_gen.datasets.load_digits("train", image_size=16) * 2 - 1
    model = keras_gen.models.ProgressiveGAN(
        data_shape=(16, 16, 1), latent_dim=32, stable_images=6000, fade_images=6000
    )
    model.compile()
    model.fit(x, epochs=model.schedule_images // len(x) + 1, batch_size=32)
    print(model.current_resolution, model.fade_alpha)   # 16 1.0
    images = model.generate(16, seed=0)
    ```
    """

    loss_names = ("d_loss", "g_loss", "gradient_penalty", "drift", "growth")
    layout_rules = AdversarialModel.layout_rules + (
        (
            r".*/(b\d+_conv\d*|to_rgb\d+|from_rgb\d+)/kernel",
            (None, None, None, "model"),
        ),
        # `b0_dense` already matches the base rule `.*dense[^/]*/kernel`.
        (r".*/b\d+_out/kernel", (None, "model")),
    )

    def __init__(
        self,
        generator=None,
        discriminator=None,
        data_shape=(16, 16, 1),
        value_range=(-1.0, 1.0),
        base_resolution=None,
        latent_dim=128,
        channel_base=1024,
        channel_max=128,
        stable_images=800_000,
        fade_images=800_000,
        gradient_penalty_weight=10.0,
        drift_weight=0.001,
        n_critic=1,
        mbstd_group_size=None,
        ema_decay=0.999,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        data_shape = validation.check_data_shape(data_shape, allow_none=False)
        if len(data_shape) != 3 or data_shape[0] != data_shape[1]:
            raise ValueError(
                "ProgressiveGAN generates square images: `data_shape` must be (resolution, resolution, "
                f"channels). Received: data_shape={data_shape}"
            )
        self.stable_images = validation.check_positive_int(
            stable_images, "stable_images", allow_zero=True
        )
        self.fade_images = validation.check_positive_int(
            fade_images, "fade_images"
        )
        self.gradient_penalty_weight = validation.check_non_negative(
            gradient_penalty_weight, "gradient_penalty_weight"
        )
        self.drift_weight = validation.check_non_negative(
            drift_weight, "drift_weight"
        )
        self.n_critic = validation.check_positive_int(n_critic, "n_critic")
        self.channel_base, self.channel_max = channel_base, channel_max
        self.mbstd_group_size = mbstd_group_size
        resolution, channels = data_shape[0], data_shape[2]
        networks = {
            "generator": (
                generator,
                ProgressiveGenerator,
                lambda: ProgressiveGenerator(
                    latent_dim,
                    resolution,
                    base_resolution,
                    channels,
                    channel_base,
                    channel_max,
                    name="generator",
                ),
            ),
            "discriminator": (
                discriminator,
                ProgressiveDiscriminator,
                lambda: ProgressiveDiscriminator(
                    resolution,
                    base_resolution,
                    channels,
                    channel_base,
                    channel_max,
                    mbstd_group_size=mbstd_group_size,
                    name="discriminator",
                ),
            ),
        }
        for name, (given, cls, build) in networks.items():
            if given is not None and not isinstance(given, cls):
                raise ValueError(
                    f"`{name}` must be a `{cls.__name__}` (it takes the growth state), or None for the default. "
                    f"Received: {name}={given!r}"
                )
            setattr(self, name, self._default_network(name, given, build))
        g, d = self.generator, self.discriminator
        if (g.resolution, g.image_channels) != (resolution, channels) or (
            (d.resolution, d.base_resolution, d.image_channels)
            != (g.resolution, g.base_resolution, g.image_channels)
        ):
            raise ValueError(
                "`generator` and `discriminator` must both work on `data_shape` images from the same "
                f"base resolution. Received: data_shape={data_shape}, generator {g.resolution}x{g.resolution}x"
                f"{g.image_channels} from {g.base_resolution}, discriminator {d.resolution}x{d.resolution}x"
                f"{d.image_channels} from {d.base_resolution}"
            )
        self.latent_dim = g.latent_dim
        self._set_data_contract(data_shape, value_range, None)
        self._init_ema(ema_decay)
        # The schedule's clock: real images trained on (model state).
        self.images_seen = self.add_weight(
            shape=(),
            dtype="int32",
            initializer="zeros",
            trainable=False,
            name="images_seen",
        )

    # -- the schedule ----------------------------------------------------------------

    base_resolution = property(lambda self: self.generator.base_resolution)
    num_levels = property(lambda self: self.generator.num_levels)

    @property
    def resolutions(self):
        """The side of every level, e.g. `[7, 14, 28]`."""
        return [self.base_resolution * 2**k for k in range(self.num_levels)]

    @property
    def schedule_images(self):
        """Real images until the last level is faded in and stable."""
        return self.stable_images + (self.num_levels - 1) * (
            self.fade_images + self.stable_images
        )

    def _growth_tensor(self):
        return growth_at(
            self.images_seen,
            self.stable_images,
            self.fade_images,
            self.num_levels,
        )

    @property
    def growth(self):
        """The growth state now: `k` when level `k` is the last one and
        stable, `k - 1 + alpha` while level `k` fades in."""
        return float(ops.convert_to_numpy(self._growth_tensor()))

    @property
    def current_resolution(self):
        """The side of the highest level in use (fading in or stable)."""
        return self.resolutions[int(math.ceil(self.growth))]

    @property
    def fade_alpha(self):
        """The weight of the level fading in (1.0 when none is)."""
        growth = self.growth
        return 1.0 if growth == int(growth) else growth - math.floor(growth)

    # -- optimizers ------------------------------------------------------------------

    def default_optimizers(self):
        # Karras et al. (2018), A.1: Adam(0.001, beta_1=0, beta_2=0.99, eps 1e-8).
        return {
            "discriminator": keras.optimizers.Adam(
                1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8
            ),
            "generator": keras.optimizers.Adam(
                1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8
            ),
        }

    # -- training --------------------------------------------------------------------

    def _reals_at(self, x, growth):
        """Real images as the discriminator sees them at `growth`: pooled
        to the active level and, during a fade, blended with the level
        below (the official `process_reals`), repeated up to full size."""
        pyramid = []
        for level in range(self.num_levels):
            factor = 2 ** (self.num_levels - 1 - level)
            pyramid.append(
                upsample_nearest(downsample_average(x, factor), factor)
            )
        pyramid = ops.stack(pyramid)
        top = ops.cast(ops.ceil(growth), "int32")
        fine = ops.take(pyramid, top, axis=0)
        coarse = ops.take(pyramid, ops.maximum(top - 1, 0), axis=0)
        alpha = ops.cast(
            growth - ops.cast(top - 1, "float32"), x.dtype
        )  # 1 when stable
        return coarse + (fine - coarse) * alpha

    def train_step_logic(self, data):
        x, _ = self._unpack_labelled(data)
        x = self.to_model_space(ops.convert_to_tensor(x))
        batch_size = ops.shape(x)[0]
        growth = self._growth_tensor()
        real = self._reals_at(x, growth)

        def critic(images):
            return self.discriminator(images, growth=growth, training=True)

        for _ in range(self.n_critic):
            z = self.random_normal((batch_size, self.latent_dim))
            epsilon = self.random_uniform((batch_size,))

            def d_loss_fn():
                fake = ops.stop_gradient(
                    self.generator(z, growth=growth, training=True)
                )
                real_scores, fake_scores = critic(real), critic(fake)
                loss = adversarial.discriminator_loss(
                    "wasserstein", real_scores, fake_scores
                )
                # WGAN-GP (Gulrajani et al., 2017, eq. 3) and the drift term
                # eps * E[D(x)^2] (Karras et al., 2018, A.1).
                gp = penalties.gradient_penalty(critic, real, fake, epsilon)
                drift = ops.mean(ops.square(ops.cast(real_scores, "float32")))
                total = (
                    loss
                    + self.gradient_penalty_weight * gp
                    + self.drift_weight * drift
                )
                return total, (loss, gp, drift)

            _, (d_loss, gp, drift) = self.optimize_step(
                "discriminator", d_loss_fn
            )

        z = self.random_normal((batch_size, self.latent_dim))

        def g_loss_fn():
            fake = self.generator(z, growth=growth, training=True)
            return adversarial.generator_loss("wasserstein", critic(fake))

        g_loss = self.optimize_step("generator", g_loss_fn)
        self.update_generator_ema()
        self.images_seen.assign(
            self.images_seen + ops.cast(batch_size, "int32")
        )
        self.update_trackers(
            d_loss=d_loss,
            g_loss=g_loss,
            gradient_penalty=gp,
            drift=drift,
            growth=growth,
        )

    # -- sampling ----------------------------------------------------------------------

    def _decode_batch(self, z, labels, use_ema=True):
        return self.sampling_network(use_ema)(
            z, growth=self._growth_tensor(), training=False
        )

    def call(self, inputs, training=False):
        """`model(z)`: samples in `value_range` at the current growth, from
        the sampling generator (the EMA one when there is one)."""
        images = self.sampling_network()(
            inputs, growth=self._growth_tensor(), training=False
        )
        return self.to_data_space(images)

    def get_config(self):
        config = super().get_config()
        config.update(
            data_shape=self.data_shape,
            base_resolution=self.base_resolution,
            latent_dim=self.latent_dim,
            channel_base=self.channel_base,
            channel_max=self.channel_max,
            stable_images=self.stable_images,
            fade_images=self.fade_images,
            gradient_penalty_weight=self.gradient_penalty_weight,
            drift_weight=self.drift_weight,
            n_critic=self.n_critic,
            mbstd_group_size=self.mbstd_group_size,
        )
        return config
