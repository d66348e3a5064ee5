"""Generative adversarial networks: GAN, DCGAN and conditional GAN."""

import keras
from keras import ops

from keras_gen.layers import upsampling as upsampling_lib
from keras_gen.losses import adversarial
from keras_gen.models.adversarial_model import AdversarialModel
from keras_gen.models.gan import networks, packing
from keras_gen.utils import validation


@keras.saving.register_keras_serializable(package="keras_gen")
class GAN(AdversarialModel):
    """A generative adversarial network (Goodfellow et al., 2014).

    Each training step makes `d_steps` discriminator updates, then one
    generator update, on the same batch of real data with fresh noise. The
    discriminator phase sees the generator's output through `stop_gradient`
    and only moves the discriminator; the generator phase only moves the
    generator.

    With `num_classes`, the GAN is conditional (Mirza & Osindero, 2014):
    train with `fit(x, labels)` and ask for classes with
    `generate(labels=[...])`.

    The default networks are DCGAN's for images (`GANGenerator`, ending in
    tanh, and `GANDiscriminator`) and MLPs for vectors. Your own networks
    work too (see "Bring your own networks" in the README): the generator
    maps `z` of shape `(batch, latent_dim)` (or `[z, labels]`) to a sample
    in [-1, 1] (end it in tanh: keras_gen maps [-1, 1] to `value_range`),
    the discriminator maps a sample in [-1, 1] (or `[sample, labels]`) to
    one logit per sample (no final sigmoid). Both are checked when the
    model is built.

    Args:
        generator: a `keras.Model`, or `None` for the default.
        discriminator: a `keras.Model`, or `None` for the default.
        latent_dim: size of `z`.
        data_shape: shape of one sample (needed for the default networks).
        value_range: `(low, high)` of the data and of the samples;
            `"auto"`: (-1, 1) for images (DCGAN's tanh range), `None`
            (unbounded) for vectors.
        num_classes: number of classes of a conditional GAN, or `None`.
        conditioning: how the default discriminator uses labels: `"concat"`
            or `"projection"` (Miyato & Koyama, 2018).
        loss: `"non_saturating"` (default), `"minimax"`, `"least_squares"`,
            `"hinge"` or `"wasserstein"` (see `keras_gen.losses`).
        d_steps: discriminator updates per generator update.
        label_smoothing: one-sided label smoothing of the real target
            (Salimans et al., 2016), for the cross-entropy losses.
        feature_matching_weight: weight of the feature-matching term
            `||E f(x) - E f(G(z))||^2` added to the generator loss, where `f`
            is the discriminator layer named `"features"` (Salimans et al.,
            2016, sec. 3.1).
        spectral_norm: spectral normalisation in the default discriminator
            (Miyato et al., 2018).
        minibatch_stddev: a minibatch standard-deviation feature in the
            default discriminator (Karras et al., 2018).
        pack: PacGAN's packing degree m (Lin et al., 2018): the
            discriminator judges m samples at once, concatenated along the
            last axis (a vector of d features becomes m * d, an image's C
            channels m * C), which penalises mode collapse. A discriminator
            you pass must take that packed shape. A batch that is not a
            multiple of m completes its last pack with its first rows.
            Unconditional models only.
        ema_decay: if set (e.g. 0.999), keep an exponential moving average
            of the generator's weights, which `generate` uses.
        hidden_units, generator_filters, discriminator_filters: the
            default networks' sizes (see `GANGenerator`, `GANDiscriminator`).
        upsampling: how the default generator upsamples images:
            `"resize_conv"` (default), `"depth_to_space"` or `"transposed"`
            (DCGAN's transposed convolutions; see `GANGenerator`). Configs
            saved before this argument existed load as `"transposed"`.
        seed: seed of the model's random stream.

    Example:

    ```python
    x = keras_gen.datasets.load_digits("train") * 2 - 1   # images in [-1, 1]
    gan = keras_gen.models.GAN(data_shape=(8, 8, 1), latent_dim=32)
    gan.compile()   # Adam(2e-4, beta_1=0.5) for both networks (DCGAN)
    gan.fit(x, epochs=2, batch_size=64)
    images = gan.generate(16, seed=0)
    ```
    """

    optimizer_names = ("discriminator", "generator")
    network_args = ("generator", "discriminator")

    def __init__(
        self,
        generator=None,
        discriminator=None,
        latent_dim=64,
        data_shape=None,
        value_range="auto",
        num_classes=None,
        conditioning="concat",
        loss="non_saturating",
        d_steps=1,
        label_smoothing=0.0,
        feature_matching_weight=0.0,
        spectral_norm=False,
        minibatch_stddev=False,
        pack=1,
        ema_decay=None,
        hidden_units=(256, 256),
        generator_filters=(128, 64),
        discriminator_filters=(64, 128),
        upsampling="resize_conv",
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.latent_dim = validation.check_positive_int(
            latent_dim, "latent_dim"
        )
        self.conditioning = validation.check_choice(
            conditioning, "conditioning", networks.CONDITIONINGS
        )
        self.loss = validation.check_choice(loss, "loss", adversarial.LOSSES)
        self.d_steps = validation.check_positive_int(d_steps, "d_steps")
        self.label_smoothing = validation.check_in_range(
            label_smoothing, "label_smoothing", 0.0, 0.5
        )
        self.feature_matching_weight = validation.check_non_negative(
            feature_matching_weight, "feature_matching_weight"
        )
        self.spectral_norm = bool(spectral_norm)
        self.minibatch_stddev = bool(minibatch_stddev)
        self.pack = validation.check_positive_int(pack, "pack")
        self.hidden_units = validation.check_int_sequence(
            hidden_units, "hidden_units"
        )
        self.generator_filters = validation.check_int_sequence(
            generator_filters, "generator_filters"
        )
        self.discriminator_filters = validation.check_int_sequence(
            discriminator_filters, "discriminator_filters"
        )
        self.upsampling = upsampling_lib.check_network_upsampling(upsampling)
        if (generator is None or discriminator is None) and data_shape is None:
            raise ValueError(
                "Pass `data_shape` (the shape of one sample) to build the "
                "default networks, or pass both `generator` and `discriminator`. "
                f"Received: data_shape=None, generator={generator!r}, discriminator={discriminator!r}"
            )
        if data_shape is None:
            data_shape = packing.unpacked_shape(
                validation.network_input_shape(discriminator), self.pack
            )
        self._set_data_contract(data_shape, value_range, num_classes)
        if self.pack > 1 and self.num_classes is not None:
            raise ValueError(
                "`pack` > 1 (PacGAN) is for unconditional models: a pack mixes "
                f"samples of different classes. Received: pack={pack!r} with "
                f"num_classes={num_classes!r}"
            )
        self.generator = self._default_network(
            "generator",
            generator,
            lambda: self.build_default_generator(self.data_shape),
        )
        self.discriminator = self._default_network(
            "discriminator",
            discriminator,
            lambda: self.build_default_discriminator(
                packing.packed_shape(self.data_shape, self.pack)
            ),
        )
        packed = packing.unpacked_shape(
            validation.network_input_shape(self.discriminator), self.pack
        )
        if tuple(packed) != self.data_shape:
            raise ValueError(
                f"`discriminator` must take samples of shape {self.data_shape}"
                + (f" packed by {self.pack}" if self.pack > 1 else "")
                + f". Received: discriminator with input shape {validation.network_input_shape(self.discriminator)}"
            )
        self._check_generator_contract(self.latent_dim, self.data_shape)
        self._init_ema(ema_decay)
        self._features = None
        if self.feature_matching_weight:
            try:
                features = self.discriminator.get_layer("features").output
            except ValueError as e:
                raise ValueError(
                    "`feature_matching_weight` needs a functional discriminator "
                    "with a layer named 'features'. Received: discriminator="
                    f"{self.discriminator.name!r} without one."
                ) from e
            self._features = keras.Model(self.discriminator.inputs, features)

    # -- networks ------------------------------------------------------------

    def build_default_generator(self, data_shape):
        return networks.GANGenerator(
            self.latent_dim,
            data_shape,
            self.num_classes,
            self.hidden_units,
            self.generator_filters,
            upsampling=self.upsampling,
        )

    def build_default_discriminator(self, data_shape):
        return networks.GANDiscriminator(
            data_shape,
            num_classes=self.num_classes,
            conditioning=self.conditioning,
            spectral_norm=self.spectral_norm,
            minibatch_stddev=self.minibatch_stddev,
            hidden_units=self.hidden_units,
            filters=self.discriminator_filters,
        )

    @property
    def loss_names(self):
        names = ["d_loss", "g_loss"]
        names += list(self.regularizer_names)
        return tuple(names)

    # Extra discriminator terms logged by subclasses (e.g. the penalty).
    regularizer_names = ()

    # -- calls -----------------------------------------------------------------

    def _generate(self, z, labels, training):
        return self.generator(
            self._network_inputs(z, labels), training=training
        )

    def _discriminate(self, x, labels, training, packed=False):
        """One logit per sample (per pack of `pack` samples, which `x`
        holds already packed when `packed`)."""
        if not packed:
            x = packing.pack_samples(x, self.pack)
        inputs = x if self.num_classes is None else [x, labels]
        return ops.reshape(self.discriminator(inputs, training=training), (-1,))

    # -- training ----------------------------------------------------------------

    def discriminator_regularizers(self, x, fake, labels):
        """Extra discriminator terms, as a dict name -> weighted value.

        `x` and `fake` are the discriminator's inputs: packed already when
        `pack` > 1 (call `_discriminate(..., packed=True)` on them)."""
        return {}

    def after_discriminator_step(self):
        """Hook run after each discriminator update (e.g. weight clipping)."""

    def train_step_logic(self, data):
        x, labels = self._unpack_labelled(data)
        x = self.to_model_space(x)
        batch_size = ops.shape(x)[0]
        # Packed once: the losses and the regularizers see the same packs.
        real = packing.pack_samples(x, self.pack)
        for _ in range(self.d_steps):
            z = self.random_normal((batch_size, self.latent_dim))

            def d_loss_fn():
                fake = ops.stop_gradient(
                    self._generate(z, labels, training=True)
                )
                fake = packing.pack_samples(fake, self.pack)
                real_logits = self._discriminate(
                    real, labels, training=True, packed=True
                )
                fake_logits = self._discriminate(
                    fake, labels, training=True, packed=True
                )
                loss = adversarial.discriminator_loss(
                    self.loss, real_logits, fake_logits, self.label_smoothing
                )
                terms = self.discriminator_regularizers(real, fake, labels)
                total = loss + sum(terms.values()) if terms else loss
                return total, (loss, terms)

            _, (d_loss, terms) = self.optimize_step("discriminator", d_loss_fn)
            self.after_discriminator_step()

        z = self.random_normal((batch_size, self.latent_dim))

        def g_loss_fn():
            fake = self._generate(z, labels, training=True)
            loss = adversarial.generator_loss(
                self.loss, self._discriminate(fake, labels, training=True)
            )
            if self._features is not None:
                loss = (
                    loss
                    + self.feature_matching_weight
                    * self._feature_matching(x, fake, labels)
                )
            return loss

        g_loss = self.optimize_step("generator", g_loss_fn)
        self.update_generator_ema()
        self.update_trackers(d_loss=d_loss, g_loss=g_loss, **terms)

    def _feature_matching(self, x, fake, labels):
        def features(t):
            t = packing.pack_samples(t, self.pack)
            inputs = t if self.num_classes is None else [t, labels]
            f = self._features(inputs, training=True)
            return ops.mean(ops.reshape(f, (ops.shape(f)[0], -1)), axis=0)

        return ops.sum(
            ops.square(ops.stop_gradient(features(x)) - features(fake))
        )

    def _shared_config(self):
        """The arguments `GAN` and its subclasses (WGAN-GP) all take."""
        config = AdversarialModel.get_config(self)
        config.update(
            latent_dim=self.latent_dim,
            data_shape=self.data_shape,
            num_classes=self.num_classes,
            conditioning=self.conditioning,
            pack=self.pack,
        )
        if self.uses_default_network("generator") or self.uses_default_network(
            "discriminator"
        ):
            config.update(
                hidden_units=self.hidden_units,
                generator_filters=self.generator_filters,
                discriminator_filters=self.discriminator_filters,
                upsampling=self.upsampling,
            )
        return config

    @classmethod
    def from_config(cls, config):
        return super().from_config(
            upsampling_lib.with_legacy_upsampling(config)
        )

    def get_config(self):
        config = self._shared_config()
        config.update(
            loss=self.loss,
            d_steps=self.d_steps,
            label_smoothing=self.label_smoothing,
            feature_matching_weight=self.feature_matching_weight,
            spectral_norm=self.spectral_norm,
            minibatch_stddev=self.minibatch_stddev,
        )
        return config
