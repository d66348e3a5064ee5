"""The base of the GAN families: a generator against a discriminator."""

import keras

from keras_gen.layers.ema import ExponentialMovingAverage
from keras_gen.models import network as network_lib
from keras_gen.models.multi_optimizer_model import MultiOptimizerModel
from keras_gen.utils import validation


@keras.saving.register_keras_serializable(package="keras_gen")
class AdversarialModel(MultiOptimizerModel):
    """A generator trained against a discriminator, with an EMA generator.

    The shared skeleton of `GAN`, `WGANGP` and `StyleGAN2`: the two phases
    `"discriminator"` and `"generator"` (`compile(discriminator_optimizer=...,
    generator_optimizer=...)`), an optional exponential moving average of
    the generator (`generator_ema`, which sampling uses), and the latent
    interface: `z ~ N(0, I)` of `latent_shape`, `decode(z)`, `generate`,
    `interpolate`, and `model(z)` / `model.predict(z)` (`[z, labels]` when
    conditional) for samples in `value_range`.

    The networks work in [-1, 1] (`model_range`, a tanh generator): data in
    `value_range` are mapped there for the discriminator, and samples back.

    Subclasses create `self.generator` and `self.discriminator`, call
    `_init_ema(ema_decay)`, set `latent_dim`, and write
    `train_step_logic`, calling `update_generator_ema()` after the
    generator's step.
    """

    optimizer_names = ("discriminator", "generator")
    network_args = ("generator", "discriminator")
    model_range = (-1.0, 1.0)
    default_value_range = (-1.0, 1.0)
    # Phase names used by keras_gen 0.1.0 (CycleGAN's plurals).
    renamed_phases = {
        "discriminators": "discriminator",
        "generators": "generator",
    }

    def _init_ema(self, ema_decay):
        self.ema_decay = (
            None
            if ema_decay is None
            else validation.check_in_range(ema_decay, "ema_decay", 0.0, 1.0)
        )
        self.generator_ema = (
            ExponentialMovingAverage(
                self.generator, self.ema_decay, name="generator_ema"
            )
            if self.ema_decay is not None
            else None
        )

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

    def update_generator_ema(self):
        """Moves the EMA generator toward the generator (after its step)."""
        if self.generator_ema is not None:
            self.generator_ema.update(self.generator)

    def sampling_network(self, use_ema=True):
        """The generator sampling uses: the EMA copy when there is one."""
        if use_ema and self.generator_ema is not None:
            return self.generator_ema.network
        return self.generator

    def _check_generator_contract(self, latent_dim, data_shape):
        """A user's generator maps `latent_dim` (and labels) to a sample of
        `data_shape` in [-1, 1]; a user's discriminator gives logits."""
        if not self.uses_default_network("generator"):
            inputs = [(2, latent_dim)] + (
                [(2,)] if self.num_classes is not None else []
            )
            dtypes = ["float32"] + (
                ["int32"] if self.num_classes is not None else []
            )
            try:
                out = network_lib.symbolic_outputs(
                    self.generator, inputs, dtypes
                )
            except Exception as e:
                raise ValueError(
                    f"`generator` must map latent codes `z` of shape (batch, {latent_dim})"
                    + (
                        " and labels (batch,)"
                        if self.num_classes is not None
                        else ""
                    )
                    + f" to samples. Calling it on them failed: {e}. Received: generator={self.generator.name!r}"
                ) from e
            if isinstance(out, (list, tuple)) or tuple(out.shape[1:]) != tuple(
                data_shape
            ):
                shape = (
                    [tuple(o.shape) for o in out]
                    if isinstance(out, (list, tuple))
                    else tuple(out.shape)
                )
                raise ValueError(
                    f"`generator` must return one sample of shape {tuple(data_shape)} per code. "
                    f"Received: generator with output shape {shape}"
                )
            network_lib.refuse_final_activation(
                self.generator,
                "generator",
                ("sigmoid", "relu", "softplus"),
                "samples in [-1, 1] (end in tanh; keras_gen maps [-1, 1] to `value_range`)",
            )
        self._check_discriminator_contract()

    def _check_discriminator_contract(self):
        if not self.uses_default_network("discriminator"):
            network_lib.refuse_final_activation(
                self.discriminator,
                "discriminator",
                ("sigmoid", "softmax"),
                "one logit per sample",
            )

    # -- the latent interface --------------------------------------------------

    @property
    def latent_shape(self):
        return (self.latent_dim,)

    def _network_inputs(self, z, labels):
        return z if self.num_classes is None else [z, labels]

    def _decode_batch(self, z, labels, use_ema=True):
        network = self.sampling_network(use_ema)
        return network(self._network_inputs(z, labels), training=False)

    def call(self, inputs, training=False):
        """`model(z)` (or `model([z, labels])`): samples in `value_range`
        from the sampling generator (the EMA one when there is one)."""
        return self.to_data_space(
            self.sampling_network()(inputs, training=False)
        )

    def generate(
        self,
        num_samples,
        *,
        seed=None,
        labels=None,
        batch_size=256,
        use_ema=True,
    ):
        """Draws samples: `z ~ N(0, I)` through the generator.

        Args:
            num_samples: how many.
            seed: an int for a reproducible draw, or `None` for the model's
                random stream.
            labels: for a conditional model, one class or `num_samples`
                classes (default: cycling through the classes).
            batch_size: samples per call.
            use_ema: use the EMA generator when there is one.

        Returns:
            A NumPy float32 array `(num_samples, *data_shape)` in
            `value_range`.
        """
        return super().generate(
            num_samples,
            seed=seed,
            labels=labels,
            batch_size=batch_size,
            use_ema=use_ema,
        )

    def get_config(self):
        config = super().get_config()
        config["ema_decay"] = self.ema_decay
        return config
