"""Generative adversarial networks: GAN, DCGAN and conditional GAN."""

import keras
import numpy as np
from keras import ops

from keras_gen.layers import ema as ema_lib
from keras_gen.losses import adversarial
from keras_gen.models.gan import networks
from keras_gen.models.gan import packing
from keras_gen.models.multi_optimizer_model import MultiOptimizerModel
from keras_gen.utils import latent as latent_utils
from keras_gen.utils import validation


@keras.saving.register_keras_serializable(package="keras_gen")
class GAN(MultiOptimizerModel):
    """A generative adversarial network (Goodfellow et al., 2014).

    Each training step makes `d_steps` discriminator updates, then one
    generator update, on the same batch of real data with fresh noise. The
    discriminator phase sees the generator's output through `stop_gradient`
    and only moves the discriminator; the generator phase only moves the
    generator.

    With `num_classes`, the GAN is conditional (Mirza & Osindero, 2014):
    train with `fit(x, labels)` and ask for classes with
    `generate(labels=[...])`.

    The default networks are DCGAN's for images (data in [-1, 1], tanh
    output) and MLPs for vectors. Any `keras.Model`s work: the generator maps
    `z` (or `[z, labels]`) to a sample, the discriminator maps a sample (or
    `[sample, labels]`) to one logit per sample.

    Args:
        generator: a `keras.Model`, or `None` for the default.
        discriminator: a `keras.Model`, or `None` for the default.
        latent_dim: size of `z`.
        data_shape: shape of one sample (needed for the default networks).
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
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.latent_dim = validation.check_positive_int(latent_dim, "latent_dim")
        self.num_classes = (
            None if num_classes is None else validation.check_positive_int(num_classes, "num_classes")
        )
        self.conditioning = validation.check_choice(conditioning, "conditioning", networks.CONDITIONINGS)
        self.loss = validation.check_choice(loss, "loss", adversarial.LOSSES)
        self.d_steps = validation.check_positive_int(d_steps, "d_steps")
        self.label_smoothing = validation.check_in_range(label_smoothing, "label_smoothing", 0.0, 0.5)
        self.feature_matching_weight = validation.check_non_negative(
            feature_matching_weight, "feature_matching_weight"
        )
        self.spectral_norm = bool(spectral_norm)
        self.minibatch_stddev = bool(minibatch_stddev)
        self.pack = validation.check_positive_int(pack, "pack")
        if self.pack > 1 and self.num_classes is not None:
            raise ValueError(
                "`pack` > 1 (PacGAN) is for unconditional models: a pack mixes "
                f"samples of different classes. Received: pack={pack!r} with "
                f"num_classes={num_classes!r}"
            )
        self.ema_decay = None if ema_decay is None else validation.check_in_range(
            ema_decay, "ema_decay", 0.0, 1.0
        )
        if (generator is None or discriminator is None) and data_shape is None:
            raise ValueError(
                "Pass `data_shape` (the shape of one sample) to build the "
                "default networks, or pass both `generator` and `discriminator`. "
                f"Received: data_shape=None, generator={generator!r}, discriminator={discriminator!r}"
            )
        if generator is None:
            generator = self.build_default_generator(data_shape)
        if discriminator is None:
            discriminator = self.build_default_discriminator(packing.packed_shape(data_shape, self.pack))
        self.generator = generator
        self.discriminator = discriminator
        self.data_shape = packing.unpacked_shape(validation.network_input_shape(discriminator), self.pack)
        self.generator_ema = (
            ema_lib.clone_network(generator, name="generator_ema") if self.ema_decay else None
        )
        self._features = None
        if self.feature_matching_weight:
            try:
                features = discriminator.get_layer("features").output
            except ValueError as e:
                raise ValueError(
                    "`feature_matching_weight` needs a functional discriminator "
                    "with a layer named 'features'. Received: discriminator="
                    f"{discriminator.name!r} without one."
                ) from e
            self._features = keras.Model(discriminator.inputs, features)

    # -- networks ------------------------------------------------------------

    def build_default_generator(self, data_shape):
        return networks.build_generator(self.latent_dim, data_shape, num_classes=self.num_classes)

    def build_default_discriminator(self, data_shape):
        return networks.build_discriminator(
            data_shape,
            num_classes=self.num_classes,
            conditioning=self.conditioning,
            spectral_norm=self.spectral_norm,
            minibatch_stddev=self.minibatch_stddev,
        )

    def _expected_data_shape(self):
        return self.data_shape

    def default_optimizers(self):
        # DCGAN (Radford et al., 2016, sec. 4): Adam, lr 2e-4, beta_1 0.5.
        return {
            "discriminator": keras.optimizers.Adam(2e-4, beta_1=0.5),
            "generator": keras.optimizers.Adam(2e-4, beta_1=0.5),
        }

    def phase_variables(self):
        return {
            "discriminator": self.discriminator.trainable_variables,
            "generator": self.generator.trainable_variables,
        }

    @property
    def loss_names(self):
        names = ["d_loss", "g_loss"]
        names += list(self.regularizer_names)
        return tuple(names)

    # Extra discriminator terms logged by subclasses (e.g. the penalty).
    regularizer_names = ()

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Configures training.

        Args:
            d_optimizer: the discriminator's optimizer (default: the paper's).
            g_optimizer: the generator's optimizer (default: the paper's).
            **kwargs: `run_eagerly`, `jit_compile`, `steps_per_execution`.
        """
        super().compile(
            optimizers={"discriminator": d_optimizer, "generator": g_optimizer}, **kwargs
        )

    # -- calls -----------------------------------------------------------------

    def _generate(self, z, labels, training, network=None):
        network = network or self.generator
        inputs = z if self.num_classes is None else [z, labels]
        return network(inputs, training=training)

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
        batch_size = ops.shape(x)[0]
        # Packed once: the losses and the regularizers see the same packs.
        real = packing.pack_samples(x, self.pack)
        for _ in range(self.d_steps):
            z = self.random_normal((batch_size, self.latent_dim))

            def d_loss_fn():
                fake = ops.stop_gradient(self._generate(z, labels, training=True))
                fake = packing.pack_samples(fake, self.pack)
                real_logits = self._discriminate(real, labels, training=True, packed=True)
                fake_logits = self._discriminate(fake, labels, training=True, packed=True)
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
            loss = adversarial.generator_loss(self.loss, self._discriminate(fake, labels, training=True))
            if self._features is not None:
                loss = loss + self.feature_matching_weight * self._feature_matching(x, fake, labels)
            return loss

        g_loss = self.optimize_step("generator", g_loss_fn)
        if self.generator_ema is not None:
            # The generator optimizer has counted this step: n - 1 earlier
            # updates of the average (restarted by a new `compile`).
            updates = self.get_optimizer("generator").iterations - 1
            ema_lib.update_ema(self.generator_ema, self.generator, self.ema_decay, num_updates=updates)
        self.update_trackers(d_loss=d_loss, g_loss=g_loss, **terms)

    def _feature_matching(self, x, fake, labels):
        def features(t):
            t = packing.pack_samples(t, self.pack)
            inputs = t if self.num_classes is None else [t, labels]
            f = self._features(inputs, training=True)
            return ops.mean(ops.reshape(f, (ops.shape(f)[0], -1)), axis=0)

        return ops.sum(ops.square(ops.stop_gradient(features(x)) - features(fake)))

    # -- sampling ----------------------------------------------------------------

    def _sampling_network(self, use_ema):
        return self.generator_ema if (use_ema and self.generator_ema is not None) else self.generator

    def decode(self, z, labels=None, use_ema=True, batch_size=256):
        """Maps latent vectors `z` (and labels) to samples, as a NumPy array."""
        z = np.asarray(z, dtype="float32")
        labels = self.labels_for(len(z), labels)
        network = self._sampling_network(use_ema)
        return self.map_batches(
            lambda zb, lb: self._generate(zb, lb, training=False, network=network),
            z,
            labels,
            batch_size=batch_size,
        )

    def generate(self, num_samples, seed=None, labels=None, use_ema=True):
        """Draws samples.

        Args:
            num_samples: how many.
            seed: an int for a reproducible draw, or `None` for the model's
                random stream.
            labels: for a conditional GAN, one class or `num_samples`
                classes (default: cycling through the classes).
            use_ema: use the EMA generator when there is one.

        Returns:
            A NumPy array `(num_samples, *data_shape)`.
        """
        num_samples = validation.check_positive_int(num_samples, "num_samples")
        labels = self.labels_for(num_samples, labels)
        z = keras.random.normal((num_samples, self.latent_dim), seed=self._sample_seed(seed))
        return self.decode(ops.convert_to_numpy(z), labels, use_ema)

    def interpolate(self, num_steps=8, seed=None, method="slerp", labels=None, use_ema=True):
        """Samples along a path between two random latent vectors.

        Returns:
            A NumPy array `(num_steps, *data_shape)`.
        """
        z = ops.convert_to_numpy(
            keras.random.normal((2, self.latent_dim), seed=self._sample_seed(seed))
        )
        path = latent_utils.interpolate(z[0], z[1], num_steps, method)
        if labels is not None:
            labels = np.repeat(np.atleast_1d(labels)[:1], num_steps)
        return self.decode(path, labels, use_ema)

    def get_config(self):
        config = super().get_config()
        config.update(
            latent_dim=self.latent_dim,
            data_shape=self.data_shape,
            num_classes=self.num_classes,
            conditioning=self.conditioning,
            loss=self.loss,
            d_steps=self.d_steps,
            label_smoothing=self.label_smoothing,
            feature_matching_weight=self.feature_matching_weight,
            spectral_norm=self.spectral_norm,
            minibatch_stddev=self.minibatch_stddev,
            pack=self.pack,
            ema_decay=self.ema_decay,
        )
        return config
