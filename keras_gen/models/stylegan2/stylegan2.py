"""StyleGAN2 (Karras et al., 2020) trained with `model.fit`."""

import keras
import numpy as np
from keras import ops

from keras_gen.layers.adaptive_augment import AdaptiveAugment
from keras_gen.layers.diff_augment import DiffAugment
from keras_gen.losses import adversarial, penalties
from keras_gen.losses.path_length import path_length_penalty
from keras_gen.models.adversarial_model import AdversarialModel
from keras_gen.models.generative_model import GenerativeModel
from keras_gen.models.stylegan2.discriminator import StyleGAN2Discriminator
from keras_gen.models.stylegan2.generator import StyleGAN2Generator
from keras_gen.models.stylegan2.synthesis_layers import check_noise_mode
from keras_gen.utils import validation


@keras.saving.register_keras_serializable(package="keras_gen")
class StyleGAN2(AdversarialModel):
    """StyleGAN2: style-based generator with weight demodulation.

    The generator maps `z` to `w` with an 8-layer MLP (learning rate x0.01)
    and keeps a running average of `w` for the truncation trick. The
    synthesis network starts from a learned 4x4 constant (7x7 for 28x28
    images: 7 -> 14 -> 28, no padding); each layer is a
    modulated 3x3 convolution with weight demodulation (eq. 1-3), per-pixel
    noise with a learned strength, and the toRGB outputs of all resolutions
    are summed (skip generator). The discriminator is residual, with a
    minibatch standard-deviation layer. Every layer has an equalised
    learning rate.

    Training (sec. 2-3 and appendix B of the paper, and the official code):
    non-saturating logistic loss; style mixing regularisation (with
    probability `style_mixing_prob` two latents are drawn and the layers
    from a random crossover point on use the second); R1 on real images
    every `r1_interval` steps, weighted `r1_gamma / 2 * r1_interval`; path
    length regularisation every `pl_interval` steps, weighted
    `pl_weight * pl_interval`, with the running mean `a` kept as model
    state; an exponential moving average of the generator that `generate`
    uses. The lazy schedules are decided inside the compiled step from the
    optimizer's iteration counter (`ops.cond`), so skipped steps do not
    compute the regularisers, on every backend. With `diff_augment`, real
    and generated images pass through `keras_gen.layers.DiffAugment` before
    the discriminator (Zhao et al., 2020), for small datasets. With
    `augment="ada"` each of those ops is applied per image with a
    probability `p` tuned during training by ADA's overfitting heuristic
    (Karras et al., 2020b, sec. 3; `keras_gen.layers.AdaptiveAugment`):
    `p` is model state, saved with the model, logged as `augment_p`, and
    read with `model.augment_probability`.

    Differences from the official code, for speed and backend neutrality:
    the lazy terms are added to that step's main loss (one optimizer step)
    instead of taking a separate optimizer step; the path-length term uses
    the full batch with the synthesis network's fixed noise inputs
    (officially half the batch with fresh noise); upsampling is bilinear
    ([1, 3, 3, 1]) followed by a 3x3 convolution instead of a transposed
    convolution and blur; the default minibatch-stddev group is the batch.

    Data: images `(resolution, resolution, image_channels)` in
    `value_range` (default [-1, 1]); `data_shape=(r, r, c)` is the same as
    `resolution=r, image_channels=c`.

    On TensorFlow, `compile(jit_compile=True)` fails from 16x16 up (XLA
    refuses the second derivative inside the lazy-R1 `cond`:
    "InvertPermutation: 0 is duplicated in the input"); the default
    (`"auto"`) trains there without XLA.

    Args:
        generator: a `StyleGAN2Generator`, or `None` to build one from the
            arguments below.
        discriminator: a `keras.Model` from images to one logit per image,
            or `None` for `StyleGAN2Discriminator`.
        data_shape: `(resolution, resolution, image_channels)`, or `None`
            to use the two arguments below.
        value_range: `(low, high)` of the images (default (-1, 1)).
        resolution: image side, 4 to 7 times a power of two (16, 28 for
            Fashion-MNIST, 32...): the synthesis starts from a constant of
            side 4 to 7 and doubles.
        image_channels: image channels.
        latent_dim: size of `z`.
        w_dim: size of `w`.
        mapping_layers: layers of the mapping network (8).
        mapping_lr_multiplier: learning-rate multiplier of the mapping (0.01).
        channel_base, channel_max: feature maps at resolution `r` are
            `min(channel_base // r, channel_max)` (powers of two). The
            defaults are small, for 16x16 digits on a CPU; the paper's
            1024x1024 networks use 32768 and 512.
        style_mixing_prob: probability of style mixing in training (0.9).
        r1_gamma: R1 weight gamma (the paper: 10 for FFHQ 1024; small
            images need far less, the official auto-config uses
            `0.0002 * resolution^2 / batch_size`).
        r1_interval: R1 every this many steps (16); `r1_gamma=0` disables R1.
        pl_weight: path-length weight (2); 0 disables it.
        pl_interval: path-length regularisation every this many steps (4);
            `pl_weight=0` disables it.
        pl_decay: step of the path-length running mean (0.01).
        ema_decay: decay of the generator's moving average, or `None`.
        w_avg_beta: decay of the running mean of `w` (0.995).
        diff_augment: a DiffAugment policy such as
            `"color,translation,cutout"`, or `None`. Without `augment`, the
            ops are applied to every image.
        augment: `None` or `"ada"`: adaptive discriminator augmentation,
            the `diff_augment` ops (default `"color,translation,cutout"`)
            each applied with an adaptive probability `p`, starting at 0.
        ada_target: ADA's target for `r_t = E[sign(D(x_real))]` (0.6).
        ada_speed: images for `p` to go from 0 to 1. The paper's 500k
            images is about 2 % of its runs; the default 10,000 (ten passes
            over the 1,000 embedded digits, ~300 steps of 32) lets `p`
            respond within a CPU-sized run of 30k-60k images.
        ada_interval: adjust `p` every this many steps (N = 4).
        mbstd_group_size: minibatch-stddev group of the default
            discriminator (`None`: the whole batch).
        seed: seed of the model's random stream.

    Example:

    ```python
    x = keras_gen.datasets.load_digits("train", image_size=16) * 2 - 1
    model = keras_gen.models.StyleGAN2(resolution=16, latent_dim=32, w_dim=32,
                                       channel_base=256, channel_max=32)
    model.compile()
    model.fit(x, epochs=1, batch_size=32)
    images = model.generate(16, seed=0, truncation_psi=0.7)
    ```
    """

    # Model parallelism: the equalised and modulated layers by name (the
    # mapping network's `dense_*` match the shared Keras-layer rules).
    layout_rules = AdversarialModel.layout_rules + (
        (r".*/conv/kernel", (None, None, None, "model")),  # modulated convs
        (
            r".*/(from_rgb|b\d+_conv\d*|b\d+_skip)/kernel",
            (None, None, None, "model"),
        ),
        (r".*/(affine|b\d+_fc|b\d+_out)/kernel", (None, "model")),
    )
    loss_names = ("d_loss", "g_loss", "r1_penalty", "pl_penalty")

    def __init__(
        self,
        generator=None,
        discriminator=None,
        data_shape=None,
        value_range=(-1.0, 1.0),
        resolution=16,
        image_channels=1,
        latent_dim=128,
        w_dim=128,
        mapping_layers=8,
        mapping_lr_multiplier=0.01,
        channel_base=1024,
        channel_max=128,
        style_mixing_prob=0.9,
        r1_gamma=10.0,
        r1_interval=16,
        pl_weight=2.0,
        pl_interval=4,
        pl_decay=0.01,
        ema_decay=0.999,
        w_avg_beta=0.995,
        diff_augment=None,
        augment=None,
        ada_target=0.6,
        ada_speed=10_000,
        ada_interval=4,
        mbstd_group_size=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.style_mixing_prob = validation.check_probability(
            style_mixing_prob, "style_mixing_prob"
        )
        self.r1_gamma = validation.check_non_negative(r1_gamma, "r1_gamma")
        # 0 would never be due: R1 is turned off with `r1_gamma=0` instead.
        self.r1_interval = validation.check_positive_int(
            r1_interval, "r1_interval"
        )
        self.pl_weight = validation.check_non_negative(pl_weight, "pl_weight")
        self.pl_interval = validation.check_positive_int(
            pl_interval, "pl_interval"
        )
        self.pl_decay = validation.check_probability(pl_decay, "pl_decay")
        if data_shape is not None:
            data_shape = validation.check_data_shape(data_shape)
            if len(data_shape) != 3 or data_shape[0] != data_shape[1]:
                raise ValueError(
                    "StyleGAN2 generates square images: `data_shape` must be (resolution, resolution, "
                    f"channels). Received: data_shape={data_shape}"
                )
            resolution, image_channels = data_shape[0], data_shape[2]
        if generator is None:
            generator = self._default_network(
                "generator",
                None,
                lambda: StyleGAN2Generator(
                    latent_dim=latent_dim,
                    w_dim=w_dim,
                    mapping_layers=mapping_layers,
                    mapping_lr_multiplier=mapping_lr_multiplier,
                    w_avg_beta=w_avg_beta,
                    resolution=resolution,
                    image_channels=image_channels,
                    channel_base=channel_base,
                    channel_max=channel_max,
                    name="generator",
                ),
            )
        elif not isinstance(generator, StyleGAN2Generator):
            raise ValueError(
                "`generator` must be a `StyleGAN2Generator` (or None for the "
                f"default). Received: generator={generator!r}"
            )
        self.generator = generator
        self._set_data_contract(
            (
                generator.resolution,
                generator.resolution,
                generator.image_channels,
            ),
            value_range,
            None,
        )
        self.discriminator = self._default_network(
            "discriminator",
            discriminator,
            lambda: StyleGAN2Discriminator(
                resolution=generator.resolution,
                image_channels=generator.image_channels,
                channel_base=channel_base,
                channel_max=channel_max,
                mbstd_group_size=mbstd_group_size,
                name="discriminator",
            ),
        )
        # The generator is a `StyleGAN2Generator` (checked above).
        self._check_discriminator_contract()
        self.mbstd_group_size = mbstd_group_size
        self.channel_base, self.channel_max = channel_base, channel_max
        self.diff_augment = diff_augment
        self.augment = validation.check_choice(
            augment, "augment", (None, "ada")
        )
        self.ada_target = validation.check_in_range(
            ada_target, "ada_target", -1.0, 1.0
        )
        self.ada_speed = validation.check_in_range(
            ada_speed, "ada_speed", 1e-12, description="a finite number > 0"
        )
        self.ada_interval = validation.check_positive_int(
            ada_interval, "ada_interval"
        )
        augment_seed = None if seed is None else seed + 1
        self.augmenter = None
        if augment == "ada":
            self.augmenter = AdaptiveAugment(
                diff_augment or "color,translation,cutout",
                target=self.ada_target,
                speed=self.ada_speed,
                interval=self.ada_interval,
                seed=augment_seed,
                name="adaptive_augment",
            )
            self.loss_trackers["augment_p"] = keras.metrics.Mean(
                name="augment_p"
            )
        elif diff_augment:
            self.augmenter = DiffAugment(
                diff_augment, seed=augment_seed, name="diff_augment"
            )
        if self.augmenter is not None:
            self.diff_augment = self.augmenter.policy
        self._init_ema(ema_decay)
        # The running mean `a` of the path lengths (eq. 4), model state.
        self.pl_mean = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="pl_mean"
        )

    # -- properties ------------------------------------------------------------

    latent_dim = property(lambda self: self.generator.latent_dim)
    w_dim = property(lambda self: self.generator.w_dim)
    num_ws = property(lambda self: self.generator.num_ws)
    resolution = property(lambda self: self.generator.resolution)
    image_channels = property(lambda self: self.generator.image_channels)

    @property
    def augment_probability(self):
        """The probability that an augmentation op is applied to an image:
        ADA's current `p`, 1 with plain `diff_augment`, 0 without."""
        if isinstance(self.augmenter, AdaptiveAugment):
            return float(ops.convert_to_numpy(self.augmenter.probability))
        return 1.0 if self.augmenter is not None else 0.0

    # -- optimizers ----------------------------------------------------------------

    @staticmethod
    def _adam(interval):
        # Adam(0.002, 0, 0.99, eps 1e-8) of the paper; with lazy
        # regularisation every k steps the official code scales the rate by
        # c = k / (k + 1) and beta_2 to beta_2^c (appendix B).
        c = interval / (interval + 1.0) if interval else 1.0
        return keras.optimizers.Adam(
            0.002 * c, beta_1=0.0, beta_2=0.99**c, epsilon=1e-8
        )

    def default_optimizers(self):
        return {
            "discriminator": self._adam(
                self.r1_interval if self.r1_gamma else 0
            ),
            "generator": self._adam(self.pl_interval if self.pl_weight else 0),
        }

    def phase_variables(self):
        return {
            "discriminator": self.discriminator.trainable_variables,
            "generator": self.generator.trainable_variables,
        }

    # -- training ------------------------------------------------------------------

    def _augment(self, images):
        return (
            images
            if self.augmenter is None
            else self.augmenter(images, training=True)
        )

    def _discriminate(self, images):
        return ops.reshape(
            self.discriminator(self._augment(images), training=True), (-1,)
        )

    def _training_ws(self, batch_size):
        """Per-layer latents with style mixing regularisation (sec. 3.1 of
        Karras et al., 2019): with probability `style_mixing_prob` the
        layers from a random crossover point on take a second latent."""
        mapping = self.generator.mapping
        if not self.style_mixing_prob or self.num_ws < 2:
            w = mapping(
                self.random_normal((batch_size, self.latent_dim)), training=True
            )
            return self.generator.broadcast(w), w
        z = self.random_normal((2 * batch_size, self.latent_dim))
        w = mapping(z, training=True)
        w1, w2 = w[:batch_size], w[batch_size:]
        crossover = keras.random.randint(
            (), 1, self.num_ws, dtype="int32", seed=self.seed_generator
        )
        mix = self.random_uniform(()) < self.style_mixing_prob
        cutoff = ops.where(mix, crossover, self.num_ws)
        layers = ops.arange(self.num_ws, dtype="int32")[None, :, None]
        ws = ops.where(
            layers < cutoff,
            self.generator.broadcast(w1),
            self.generator.broadcast(w2),
        )
        return ws, w1

    def _synthesize(self, ws):
        return self.generator.synthesis(
            ws, noise_mode="random", seed=self.seed_generator, training=True
        )

    @staticmethod
    def _due(interval, step):
        """A boolean tensor: is this a step of a lazy regulariser?"""
        return ops.equal(ops.mod(step, interval), 0)

    def train_step_logic(self, data):
        x, _ = self._unpack_labelled(data)
        x = self.to_model_space(ops.convert_to_tensor(x))
        batch_size = ops.shape(x)[0]
        step = ops.cast(
            ops.convert_to_tensor(self.optimizer.iterations), "int32"
        )
        zero = ops.zeros((), dtype="float32")

        # Discriminator: logistic loss, plus lazy R1 on the real images.
        ws, _ = self._training_ws(batch_size)
        fake = ops.stop_gradient(self._synthesize(ws))
        use_r1 = bool(self.r1_gamma and self.r1_interval)
        due_r1 = (
            self._due(self.r1_interval, step)
            if use_r1
            else ops.convert_to_tensor(False)
        )

        def d_loss_fn():
            real_logits = self._discriminate(x)
            fake_logits = self._discriminate(fake)
            loss = adversarial.discriminator_loss(
                "non_saturating", real_logits, fake_logits
            )
            if not use_r1:
                return loss, (loss, zero, real_logits)
            real = self._augment(x)

            def r1():
                critic = lambda t: ops.reshape(
                    self.discriminator(t, training=True), (-1,)
                )  # noqa: E731
                return penalties.r1_penalty(critic, real)

            # Lazy R1 (Karras et al., 2020, sec. 4 / appendix B): computed
            # only on due steps, weighted gamma / 2 (Mescheder et al., 2018,
            # eq. 9) times the interval.
            r1_value = ops.cond(due_r1, r1, lambda: zero)
            total = loss + (0.5 * self.r1_gamma * self.r1_interval) * r1_value
            return total, (loss, r1_value, real_logits)

        _, (d_loss, r1_value, real_logits) = self.optimize_step(
            "discriminator", d_loss_fn
        )
        if isinstance(self.augmenter, AdaptiveAugment):
            # ADA's heuristic r_t reads the logits of the augmented reals.
            self.augmenter.update(real_logits)
            self.loss_trackers["augment_p"].update_state(
                self.augmenter.probability
            )

        # Generator: non-saturating loss, plus lazy path-length penalty.
        use_pl = bool(self.pl_weight and self.pl_interval)
        due_pl = (
            self._due(self.pl_interval, step)
            if use_pl
            else ops.convert_to_tensor(False)
        )
        shape = (
            batch_size,
            self.resolution,
            self.resolution,
            self.image_channels,
        )
        pl_noise = self.random_normal(shape) if use_pl else None
        pl_mean = ops.convert_to_tensor(self.pl_mean)

        def g_loss_fn():
            ws, w = self._training_ws(batch_size)
            fake = self._synthesize(ws)
            loss = adversarial.generator_loss(
                "non_saturating", self._discriminate(fake)
            )
            if not use_pl:
                return loss, (loss, zero, pl_mean, w)

            def path_length():
                # Fixed noise (the image draw `y` is the random part); the
                # seed stream must not advance inside `ops.cond`.
                synthesis = lambda t: self.generator.synthesis(
                    t, noise_mode="const", training=True
                )  # noqa: E731
                return path_length_penalty(
                    synthesis, ws, pl_noise, pl_mean, self.pl_decay
                )

            pl_value, new_mean = ops.cond(
                due_pl, path_length, lambda: (zero, pl_mean)
            )
            total = loss + (self.pl_weight * self.pl_interval) * pl_value
            return total, (loss, pl_value, new_mean, w)

        _, (g_loss, pl_value, new_mean, w) = self.optimize_step(
            "generator", g_loss_fn
        )
        self.pl_mean.assign(new_mean)
        self.generator.mapping.track(w)
        self.update_generator_ema()
        if self.generator_ema is not None:
            # The tracked average of w is a statistic, not a weight: copy it.
            self.generator_ema.network.mapping.w_avg.assign(
                self.generator.mapping.w_avg
            )
        self.update_trackers(d_loss=d_loss, g_loss=g_loss)
        self.loss_trackers["r1_penalty"].update_state(
            r1_value, sample_weight=ops.cast(due_r1, "float32")
        )
        self.loss_trackers["pl_penalty"].update_state(
            pl_value, sample_weight=ops.cast(due_pl, "float32")
        )

    # -- sampling ------------------------------------------------------------------

    def _decode(
        self,
        z,
        labels,
        seed,
        batch_size,
        truncation_psi=1.0,
        truncation_cutoff=None,
        z_mix=None,
        mixing_cutoff=None,
        noise_mode="const",
        use_ema=True,
    ):
        check_noise_mode(noise_mode)
        validation.check_in_range(truncation_psi, "truncation_psi", -np.inf)
        if truncation_cutoff is not None:
            validation.check_positive_int(
                truncation_cutoff, "truncation_cutoff", allow_zero=True
            )
        if z_mix is not None:
            z_mix = np.asarray(z_mix, dtype="float32")
            if z_mix.shape != z.shape:
                raise ValueError(
                    f"`z_mix` must have the shape of `z` {z.shape}. Received: z_mix.shape={z_mix.shape}"
                )
            if (
                mixing_cutoff is None
                or not 0 <= int(mixing_cutoff) <= self.num_ws
            ):
                raise ValueError(
                    f"Style mixing needs `mixing_cutoff` in [0, {self.num_ws}]. Received: mixing_cutoff={mixing_cutoff!r}"
                )
        network = self.sampling_network(use_ema)

        def decode_batch(zb, zmb):
            ws = network.map(zb, truncation_psi, truncation_cutoff)
            if zmb is not None:
                ws_mix = network.map(zmb, truncation_psi, truncation_cutoff)
                layers = ops.arange(self.num_ws)[None, :, None]
                ws = ops.where(layers < int(mixing_cutoff), ws, ws_mix)
            return network.synthesis(
                ws,
                noise_mode=noise_mode,
                seed=seed if noise_mode == "random" else None,
            )

        return self.map_batches(decode_batch, z, z_mix, batch_size=batch_size)

    def decode(
        self,
        z,
        *,
        labels=None,
        seed=None,
        batch_size=256,
        truncation_psi=1.0,
        truncation_cutoff=None,
        z_mix=None,
        mixing_cutoff=None,
        noise_mode="const",
        use_ema=True,
    ):
        """Maps latent vectors `z` to images in `value_range`, as NumPy.

        Args:
            z: `(n, latent_dim)` latents.
            labels: must be `None` (StyleGAN2 is unconditional).
            seed: the seed of random noise (`noise_mode="random"`).
            batch_size: images per call.
            truncation_psi: truncation `psi` (1: none, 0: the average image).
            truncation_cutoff: truncate only the layers before this index.
            z_mix: optional `(n, latent_dim)` second latents for style
                mixing: layers `>= mixing_cutoff` use their styles.
            mixing_cutoff: the crossover layer, in `[0, num_ws]` (small:
                coarse styles from `z_mix`; large: only fine ones).
            noise_mode: `"const"` (deterministic), `"random"` or `"none"`.
            use_ema: use the moving-average generator when there is one.
        """
        return super().decode(
            z,
            labels=labels,
            seed=seed,
            batch_size=batch_size,
            truncation_psi=truncation_psi,
            truncation_cutoff=truncation_cutoff,
            z_mix=z_mix,
            mixing_cutoff=mixing_cutoff,
            noise_mode=noise_mode,
            use_ema=use_ema,
        )

    def generate(
        self,
        num_samples,
        *,
        seed=None,
        labels=None,
        batch_size=256,
        truncation_psi=1.0,
        truncation_cutoff=None,
        noise_mode="const",
        use_ema=True,
    ):
        """Draws images.

        Args:
            num_samples: how many.
            seed: an int for a reproducible draw, or `None` for the model's
                random stream.
            labels: must be `None` (StyleGAN2 is unconditional).
            batch_size: images per call.
            truncation_psi: the truncation trick's `psi`: 1 keeps the full
                distribution, smaller values trade variety for typical
                images, 0 gives the image of the average `w`.
            truncation_cutoff: truncate only the layers before this one.
            noise_mode: `"const"` (default, deterministic given `seed`),
                `"random"` or `"none"`.
            use_ema: use the moving-average generator when there is one.

        Returns:
            A NumPy array `(num_samples, resolution, resolution, channels)`
            in `value_range`.
        """
        return GenerativeModel.generate(
            self,
            num_samples,
            seed=seed,
            labels=labels,
            batch_size=batch_size,
            truncation_psi=truncation_psi,
            truncation_cutoff=truncation_cutoff,
            noise_mode=noise_mode,
            use_ema=use_ema,
        )

    def get_config(self):
        config = super().get_config()
        g = self.generator
        if self.uses_default_network("generator"):
            config.update(
                data_shape=self.data_shape,
                latent_dim=g.latent_dim,
                w_dim=g.w_dim,
                mapping_layers=g.mapping.num_layers,
                mapping_lr_multiplier=g.mapping.lr_multiplier,
                w_avg_beta=g.mapping.w_avg_beta,
            )
        config.update(
            channel_base=self.channel_base,
            channel_max=self.channel_max,
            style_mixing_prob=self.style_mixing_prob,
            r1_gamma=self.r1_gamma,
            r1_interval=self.r1_interval,
            pl_weight=self.pl_weight,
            pl_interval=self.pl_interval,
            pl_decay=self.pl_decay,
            diff_augment=self.diff_augment,
            augment=self.augment,
            ada_target=self.ada_target,
            ada_speed=self.ada_speed,
            ada_interval=self.ada_interval,
            mbstd_group_size=self.mbstd_group_size,
        )
        return config
