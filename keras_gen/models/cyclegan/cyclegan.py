"""CycleGAN: unpaired image-to-image translation."""

import keras
import numpy as np
from keras import ops

from keras_gen.datasets.unpaired import UnpairedDataset, check_domains
from keras_gen.layers import upsampling as upsampling_lib
from keras_gen.layers.image_pool import ImagePool
from keras_gen.losses import adversarial
from keras_gen.models import network as network_lib
from keras_gen.models.cyclegan import networks
from keras_gen.models.multi_optimizer_model import MultiOptimizerModel
from keras_gen.optimizers.schedules import ConstantThenLinearDecay
from keras_gen.utils import data_checks, validation


@keras.saving.register_keras_serializable(package="keras_gen")
class CycleGAN(MultiOptimizerModel):
    """Unpaired image-to-image translation (Zhu et al., 2017).

    Two generators, `G: A -> B` (`generator_ab`) and `F: B -> A`
    (`generator_ba`), and two discriminators, `D_A` on domain A and `D_B` on
    domain B, trained with (eq. 3 of the paper, least-squares GAN losses as
    in sec. 4):

        L_G = (D_B(G(a)) - 1)^2 + (D_A(F(b)) - 1)^2                 (adversarial)
              + lambda * (|F(G(a)) - a|_1 + |G(F(b)) - b|_1)        (cycle, eq. 2)
              + identity_weight * lambda * (|G(b) - b|_1 + |F(a) - a|_1)  (identity, sec. 5.2)
        L_D_A = ((D_A(a) - 1)^2 + D_A(F(b)_pool)^2) / 2, and likewise L_D_B

    with batch means. The discriminators see generated images through a
    history pool of `pool_size` images per domain (`keras_gen.layers.ImagePool`,
    sec. 4); their objective is halved, "which slows down the rate at which D
    learns relative to G" (sec. 7.1).

    Each training step updates both generators together (phase
    `"generators"`), then both discriminators on the pooled images of that
    step (phase `"discriminators"`), as the authors' code does. Adam(2e-4,
    beta_1=0.5) for both; with `lr_decay_steps` the rate is constant for
    `lr_constant_steps` steps then decays linearly to zero
    (`keras_gen.optimizers.ConstantThenLinearDecay`; the paper: 100 epochs
    each, batch size 1).

    Data: images in [-1, 1] (the generators end in tanh), both domains of
    the same shape. Train with `fit((x_a, x_b))` on two NumPy arrays of any
    lengths (re-paired at random every epoch, see
    `keras_gen.datasets.UnpairedDataset`), or with a `tf.data.Dataset`,
    `keras.utils.PyDataset` or torch `DataLoader` that yields `(a, b)`
    batches. `keras_gen.datasets.unpaired_image_folders` reads the
    `trainA/`, `trainB/` folders of the public CycleGAN datasets.

    Args:
        generator_ab, generator_ba: `keras.Model`s mapping images to images
            of the same shape, or `None` for the ResNet generator.
        discriminator_a, discriminator_b: `keras.Model`s mapping images to
            logits of any shape (one per patch), or `None` for the PatchGAN.
        data_shape: `(height, width, channels)` of both domains (needed for
            the default networks).
        value_range: `(low, high)` of the images of both domains (default
            (-1, 1), the generators' tanh range).
        generator_filters: width of the generators' first layer (64).
        num_residual_blocks: residual blocks per generator (`None`: 6 below
            256x256 images, 9 from 256x256, as in the paper).
        num_downsampling: stride-2 stages of the generators (2).
        discriminator_filters: width of the discriminators' first layer (64).
        discriminator_layers: stride-2 layers of the PatchGAN (3: 70x70
            patches; use 2 for 16x16 images).
        cycle_weight: lambda, the weight of the cycle-consistency loss (10).
        identity_weight: weight of the identity loss relative to lambda (0.5;
            0 disables it and saves two generator calls).
        pool_size: generated images kept per domain for the discriminators
            (50; 0 disables the pool).
        lr_constant_steps, lr_decay_steps: the default optimizers' schedule,
            in training steps (`lr_decay_steps=None`: a constant rate).
        upsampling: how the default generators upsample: `"resize_conv"`
            (default), `"depth_to_space"` or `"transposed"` (the paper's
            transposed convolutions; see `ResNetGenerator`). Configs saved
            before this argument existed load as `"transposed"`.
        seed: seed of the model's random stream (the pools' coin flips).

    Example:

    ```python
    x_a, x_b = keras_gen.datasets.load_sample_photos("train", image_size=32)
    cyclegan = keras_gen.models.CycleGAN(
        data_shape=(32, 32, 3), generator_filters=16, num_residual_blocks=2,
        discriminator_filters=16, seed=0,
    )
    cyclegan.compile()
    cyclegan.fit((x_a, x_b), epochs=1, batch_size=8)
    x_b_fake = cyclegan.translate_a_to_b(x_a[:4])
    ```
    """

    optimizer_names = ("generator", "discriminator")
    model_range = (-1.0, 1.0)
    default_value_range = (-1.0, 1.0)
    # Phase names used by keras_gen 0.1.0.
    renamed_phases = {
        "generators": "generator",
        "discriminators": "discriminator",
    }
    loss_names = (
        "g_loss",
        "adversarial_loss",
        "cycle_loss",
        "identity_loss",
        "d_a_loss",
        "d_b_loss",
    )
    network_args = (
        "generator_ab",
        "generator_ba",
        "discriminator_a",
        "discriminator_b",
    )

    def __init__(
        self,
        generator_ab=None,
        generator_ba=None,
        discriminator_a=None,
        discriminator_b=None,
        data_shape=None,
        value_range=(-1.0, 1.0),
        generator_filters=64,
        num_residual_blocks=None,
        num_downsampling=2,
        discriminator_filters=64,
        discriminator_layers=3,
        cycle_weight=10.0,
        identity_weight=0.5,
        pool_size=50,
        lr_constant_steps=0,
        lr_decay_steps=None,
        upsampling="resize_conv",
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.generator_filters = validation.check_positive_int(
            generator_filters, "generator_filters"
        )
        self.num_residual_blocks = (
            None
            if num_residual_blocks is None
            else validation.check_positive_int(
                num_residual_blocks, "num_residual_blocks", allow_zero=True
            )
        )
        self.num_downsampling = validation.check_positive_int(
            num_downsampling, "num_downsampling", allow_zero=True
        )
        self.discriminator_filters = validation.check_positive_int(
            discriminator_filters, "discriminator_filters"
        )
        self.upsampling = upsampling_lib.check_network_upsampling(upsampling)
        self.discriminator_layers = validation.check_positive_int(
            discriminator_layers, "discriminator_layers"
        )
        self.cycle_weight = validation.check_non_negative(
            cycle_weight, "cycle_weight"
        )
        self.identity_weight = validation.check_non_negative(
            identity_weight, "identity_weight"
        )
        self.pool_size = validation.check_positive_int(
            pool_size, "pool_size", allow_zero=True
        )
        self.lr_constant_steps = validation.check_positive_int(
            lr_constant_steps, "lr_constant_steps", allow_zero=True
        )
        self.lr_decay_steps = (
            None
            if lr_decay_steps is None
            else validation.check_positive_int(lr_decay_steps, "lr_decay_steps")
        )
        given = (generator_ab, generator_ba, discriminator_a, discriminator_b)
        if any(net is None for net in given) and data_shape is None:
            raise ValueError(
                "Pass `data_shape` (height, width, channels) to build the default "
                "networks, or pass all four networks. Received: data_shape=None"
            )
        if data_shape is None:
            data_shape = validation.network_input_shape(generator_ab)
        data_shape = validation.check_data_shape(data_shape)
        if len(data_shape) != 3:
            raise ValueError(
                f"`data_shape` must be (height, width, channels). Received: data_shape={data_shape}"
            )
        self._set_data_contract(data_shape, value_range, None)
        for name, net in zip(self.network_args, given):
            build = (
                self._default_generator
                if name.startswith("generator")
                else self._default_discriminator
            )
            setattr(
                self,
                name,
                self._default_network(
                    name, net, lambda b=build, n=name: b(self.data_shape, n)
                ),
            )
        self._check_networks()
        # One history per domain; its coin flips follow the model's seed.
        pool_seed = None if seed is None else int(seed)
        self.pool_a = ImagePool(self.pool_size, seed=pool_seed, name="pool_a")
        self.pool_b = ImagePool(
            self.pool_size,
            seed=None if seed is None else pool_seed + 1,
            name="pool_b",
        )
        self.pool_a.build((None,) + self.data_shape)
        self.pool_b.build((None,) + self.data_shape)

    # -- networks ------------------------------------------------------------

    def _default_generator(self, data_shape, name):
        blocks = self.num_residual_blocks
        if blocks is None:
            blocks = networks.default_num_residual_blocks(min(data_shape[:2]))
        return networks.ResNetGenerator(
            data_shape,
            self.generator_filters,
            blocks,
            self.num_downsampling,
            upsampling=self.upsampling,
            name=name,
        )

    def _default_discriminator(self, data_shape, name):
        return networks.PatchGANDiscriminator(
            data_shape,
            self.discriminator_filters,
            self.discriminator_layers,
            name=name,
        )

    def _check_networks(self):
        shapes = {
            name: validation.network_input_shape(getattr(self, name))
            for name in self.network_args
        }
        for name in ("generator_ab", "generator_ba"):
            out = tuple(getattr(self, name).output_shape[1:])
            if out != shapes[name]:
                raise ValueError(
                    f"`{name}` must return images of its input shape {shapes[name]}. "
                    f"Received: {name} with output shape {out}"
                )
        for name, shape in shapes.items():
            if tuple(shape) != self.data_shape:
                raise ValueError(
                    "Both domains must have the same image shape: every network must take "
                    f"images of shape {self.data_shape}. Received: {name} with input shape {shape}"
                )
        for name in ("generator_ab", "generator_ba"):
            if not self.uses_default_network(name):
                network_lib.refuse_final_activation(
                    getattr(self, name),
                    name,
                    ("sigmoid", "relu"),
                    "images in [-1, 1] (end in tanh)",
                )
        for name in ("discriminator_a", "discriminator_b"):
            if not self.uses_default_network(name):
                network_lib.refuse_final_activation(
                    getattr(self, name), name, ("sigmoid",), "logits"
                )

    def default_optimizers(self):
        # Zhu et al. (2017), sec. 7.1: Adam, lr 2e-4, beta_1 0.5, constant
        # then linearly decayed to zero.
        def adam():
            rate = 2e-4
            if self.lr_decay_steps is not None:
                rate = ConstantThenLinearDecay(
                    rate, self.lr_constant_steps, self.lr_decay_steps
                )
            return keras.optimizers.Adam(rate, beta_1=0.5)

        return {"generator": adam(), "discriminator": adam()}

    def phase_variables(self):
        return {
            "generator": self.generator_ab.trainable_variables
            + self.generator_ba.trainable_variables,
            "discriminator": self.discriminator_a.trainable_variables
            + self.discriminator_b.trainable_variables,
        }

    # -- losses ----------------------------------------------------------------

    @staticmethod
    def _l1(x, y):
        # float32 under a mixed policy too (TF does not promote).
        return ops.mean(
            ops.abs(ops.cast(x, "float32") - ops.cast(y, "float32"))
        )

    def generator_losses(self, real_a, real_b, training=False):
        """The generators' loss terms on a batch of each domain.

        Returns:
            `(terms, (fake_a, fake_b))`: a dict with the weighted
            `adversarial_loss`, `cycle_loss` and `identity_loss` (their sum is
            the generators' loss), and the translated images `F(b)`, `G(a)`.
        """
        real_a, real_b = (
            ops.convert_to_tensor(real_a),
            ops.convert_to_tensor(real_b),
        )
        fake_b = self.generator_ab(real_a, training=training)
        fake_a = self.generator_ba(real_b, training=training)
        # Least squares (Mao et al., 2017) as in the paper's code: the
        # generator minimises (D(G(a)) - 1)^2, twice keras_gen's
        # `generator_loss("least_squares")`, which carries Mao et al.'s 1/2.
        adversarial_loss = 2.0 * (
            adversarial.generator_loss(
                "least_squares", self.discriminator_b(fake_b, training=training)
            )
            + adversarial.generator_loss(
                "least_squares", self.discriminator_a(fake_a, training=training)
            )
        )
        # Eq. 2: forward (a -> G(a) -> F(G(a)) ~ a) and backward cycles.
        reconstructed_a = self.generator_ba(fake_b, training=training)
        reconstructed_b = self.generator_ab(fake_a, training=training)
        cycle_loss = self.cycle_weight * (
            self._l1(reconstructed_a, real_a)
            + self._l1(reconstructed_b, real_b)
        )
        terms = {"adversarial_loss": adversarial_loss, "cycle_loss": cycle_loss}
        if self.identity_weight:
            # Sec. 5.2 (after Taigman et al., 2017): G(b) ~ b and F(a) ~ a,
            # weighted 0.5 * lambda in the paper.
            same_b = self.generator_ab(real_b, training=training)
            same_a = self.generator_ba(real_a, training=training)
            weight = self.identity_weight * self.cycle_weight
            terms["identity_loss"] = weight * (
                self._l1(same_b, real_b) + self._l1(same_a, real_a)
            )
        else:
            terms["identity_loss"] = ops.zeros(())
        return terms, (fake_a, fake_b)

    def discriminator_losses(
        self, real_a, real_b, fake_a, fake_b, training=False
    ):
        """`(d_a_loss, d_b_loss)`: each `((D(real) - 1)^2 + D(fake)^2) / 2`."""
        real_a, real_b, fake_a, fake_b = (
            ops.convert_to_tensor(t) for t in (real_a, real_b, fake_a, fake_b)
        )
        d_a = adversarial.discriminator_loss(
            "least_squares",
            self.discriminator_a(real_a, training=training),
            self.discriminator_a(fake_a, training=training),
        )
        d_b = adversarial.discriminator_loss(
            "least_squares",
            self.discriminator_b(real_b, training=training),
            self.discriminator_b(fake_b, training=training),
        )
        return d_a, d_b

    # -- training ----------------------------------------------------------------

    def _unpack_domains(self, data):
        a, b, _ = keras.utils.unpack_x_y_sample_weight(data)
        if b is None and isinstance(a, (tuple, list)) and len(a) == 2:
            a, b = a
        if b is None or isinstance(a, (tuple, list, dict)):
            raise ValueError(
                "CycleGAN trains on pairs of unpaired batches `(a, b)`: call "
                "`fit((x_a, x_b))` with two arrays, or pass a dataset that yields "
                f"`(a, b)`. Received a batch of type {type(data).__name__} without a domain-B part"
            )
        self._check_batch(a, "x_a")
        self._check_batch(b, "x_b")
        return self.to_model_space(a), self.to_model_space(b)

    def train_step_logic(self, data):
        real_a, real_b = self._unpack_domains(data)

        def g_loss_fn():
            terms, fakes = self.generator_losses(real_a, real_b, training=True)
            return sum(terms.values()), (terms, fakes)

        g_loss, (terms, (fake_a, fake_b)) = self.optimize_step(
            "generator", g_loss_fn
        )
        # The discriminators see this step's translations mixed with earlier
        # ones (the history pool, sec. 4); `optimize_step` already stopped
        # their gradients.
        pooled_a = self.pool_a(fake_a)
        pooled_b = self.pool_b(fake_b)

        def d_loss_fn():
            d_a, d_b = self.discriminator_losses(
                real_a, real_b, pooled_a, pooled_b, training=True
            )
            return d_a + d_b, (d_a, d_b)

        _, (d_a, d_b) = self.optimize_step("discriminator", d_loss_fn)
        self.update_trackers(g_loss=g_loss, d_a_loss=d_a, d_b_loss=d_b, **terms)

    label_policy = "free"  # `y` is domain B

    def _prepare_fit(self, arguments):
        """Two unpaired domains: `fit((x_a, x_b))`, `fit(x_a, x_b)`, or a
        dataset yielding `(a, b)` batches. Arrays are re-paired at random
        every epoch (`shuffle`, default True) in batches of `batch_size`
        images per domain (default 32; the paper uses 1); an epoch covers
        the larger domain once."""
        x, y = arguments.get("x"), arguments.get("y")
        pair = None
        if isinstance(x, (tuple, list)) and len(x) == 2 and y is None:
            pair = x
        elif isinstance(x, np.ndarray) and isinstance(y, np.ndarray):
            pair = (x, y)
        elif isinstance(x, np.ndarray) and y is None:
            raise ValueError(
                "CycleGAN trains on two unpaired domains: call `fit((x_a, x_b))`. "
                f"Received: one array x.shape={x.shape}"
            )
        if arguments.get("validation_data") is not None:
            raise ValueError(
                "CycleGAN has no evaluation step: pass no `validation_data`."
            )
        checker = data_checks.DomainPairChecker(self.data_checker())
        if pair is None:
            validation.check_dataset_not_empty(x, "x")
            arguments["x"], arguments["y"] = data_checks.checked_data(
                x, y, checker
            )
            return
        x_a, x_b = (np.asarray(d) for d in pair)
        check_domains(x_a, x_b)
        checker.check_pair(x_a, x_b, whole=True)
        seed = None
        if self.seed is not None:
            # A new pairing per `fit` call, reproducible after a reload.
            done = (
                0
                if self.optimizer is None
                else int(ops.convert_to_numpy(self.optimizer.iterations))
            )
            seed = self.seed + done
        shuffle = arguments.get("shuffle", True)
        arguments["x"] = UnpairedDataset(
            x_a,
            x_b,
            batch_size=arguments.get("batch_size") or 32,
            shuffle=bool(shuffle),
            seed=seed,
        )
        # The dataset shuffles itself (from the model's seed); Keras' own
        # batch shuffling of a PyDataset would use Python's global random.
        arguments["y"], arguments["batch_size"], arguments["shuffle"] = (
            None,
            None,
            False,
        )

    # -- translation -------------------------------------------------------------

    def _translate(self, network, x, name, batch_size):
        x = np.asarray(x, dtype="float32")
        if x.ndim != 4:
            raise ValueError(
                f"`{name}` must be a batch of images. Received: {name}.shape={x.shape}"
            )
        self.data_checker(x_name=name).check_x(x, whole=True)
        out = self.map_batches(
            lambda t: network(self.to_model_space(t), training=False),
            x,
            batch_size=batch_size,
        )
        return self._finish_samples(out)

    def translate_a_to_b(self, x, batch_size=64):
        """`G(x)`: domain-A images (NumPy, batched) to domain B, as NumPy."""
        return self._translate(self.generator_ab, x, "x", batch_size)

    def translate_b_to_a(self, x, batch_size=64):
        """`F(x)`: domain-B images (NumPy, batched) to domain A, as NumPy."""
        return self._translate(self.generator_ba, x, "x", batch_size)

    def generate(
        self,
        num_samples,
        *,
        seed=None,
        labels=None,
        batch_size=64,
        inputs=None,
        direction="a_to_b",
    ):
        """Translates `num_samples` images: CycleGAN generates from images,
        not from noise.

        Args:
            num_samples: how many of `inputs` to translate (the first ones).
            seed: unused (the translation is deterministic); accepted for
                the family contract.
            labels: must be `None`.
            batch_size: images per call.
            inputs: the images to translate, in `value_range` (required).
            direction: `"a_to_b"` (G) or `"b_to_a"` (F).

        Returns:
            A NumPy float32 array `(num_samples, *data_shape)`.
        """
        num_samples = validation.check_positive_int(num_samples, "num_samples")
        self.labels_for(num_samples, labels)
        validation.check_choice(direction, "direction", ("a_to_b", "b_to_a"))
        if inputs is None:
            raise ValueError(
                "CycleGAN translates images: pass the images to translate, e.g. "
                "`generate(n, inputs=x_a)`. Received: inputs=None"
            )
        inputs = np.asarray(inputs)
        if len(inputs) < num_samples:
            raise ValueError(
                f"`inputs` holds fewer images than `num_samples` ({num_samples}). Received: inputs.shape={inputs.shape}"
            )
        network = (
            self.generator_ab if direction == "a_to_b" else self.generator_ba
        )
        return self._translate(
            network, inputs[:num_samples], "inputs", batch_size
        )

    def reference_probe(self, num=4):
        """`G` on fixed images."""
        return "translate_a_to_b", self.translate_a_to_b(
            self._fixed_samples(num)
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            data_shape=self.data_shape,
            generator_filters=self.generator_filters,
            num_residual_blocks=self.num_residual_blocks,
            num_downsampling=self.num_downsampling,
            discriminator_filters=self.discriminator_filters,
            discriminator_layers=self.discriminator_layers,
            cycle_weight=self.cycle_weight,
            identity_weight=self.identity_weight,
            pool_size=self.pool_size,
            lr_constant_steps=self.lr_constant_steps,
            lr_decay_steps=self.lr_decay_steps,
            upsampling=self.upsampling,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = upsampling_lib.with_legacy_upsampling(config)
        if "image_shape" in config:  # keras_gen 0.1.0
            config["data_shape"] = config.pop("image_shape")
        return super().from_config(config)
