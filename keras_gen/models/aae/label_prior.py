"""AAE with label information in the adversarial regularisation
(Makhzani et al., 2016, sec. 2.2)."""

import keras
import numpy as np
from keras import ops

from keras_gen.models.aae.aae import AAE
from keras_gen.utils import validation


@keras.saving.register_keras_serializable(package="keras_gen")
class LabelPriorAAE(AAE):
    """An AAE whose codes of class `k` are pushed to prior component `k`.

    The prior is a mixture of `num_classes` Gaussians (means on a circle of
    radius `mixture_radius` in the first two code dimensions, standard
    deviation `mixture_std`), one component per class. The discriminator
    sees a code together with a one-hot vector of `num_classes + 1` slots
    (sec. 2.2, fig. 3): for a sample of class `k`, the encoder's code and a
    prior sample from component `k` both come with slot `k`; for an
    unlabelled sample (label -1), the code and a prior sample from the
    whole mixture come with the extra slot. So the labelled codes fill
    their class's component, and the unlabelled ones follow the mixture.
    The decoder sees the code alone: the class lives in where the code
    lies, and `generate(labels=k)` decodes samples of component `k`.

    Train with `fit(x, y)`, `y` the classes, with -1 for the samples
    without a label (any share of the data may be unlabelled).

    Args:
        encoder, decoder: as in `AAE` (the decoder takes `latent_dim` values).
        discriminator: `keras.Model` from `latent_dim + num_classes + 1`
            values (the code, then the one-hot label slot) to one logit, or
            None.
        num_classes: number of classes (= mixture components).
        latent_dim: size of the code (>= 2: the means lie on a circle).
        data_shape, value_range, reconstruction_loss, hidden_units,
        filters, seed: as in `AAE`.
        mixture_radius, mixture_std: the mixture prior.

    Example:

    ```python
    x, y = keras_gen.datasets.load_digits("train", with_labels=True)
    y = np.where(np.arange(len(y)) % 2 == 0, y, -1)      # half labelled
    model = keras_gen.models.LabelPriorAAE(data_shape=(8, 8, 1), num_classes=10)
    model.compile()
    model.fit(x, y, epochs=20, batch_size=64)
    sevens = model.generate(8, labels=7)
    ```
    """

    label_policy = "partial"

    def __init__(
        self,
        encoder=None,
        decoder=None,
        discriminator=None,
        num_classes=10,
        latent_dim=2,
        data_shape=None,
        value_range="auto",
        mixture_radius=4.0,
        mixture_std=0.5,
        reconstruction_loss="binary_crossentropy",
        hidden_units=(256, 256),
        filters=(32, 64),
        seed=None,
        **kwargs,
    ):
        if num_classes is None:
            raise ValueError(
                "LabelPriorAAE has one prior component per class: pass `num_classes`. Received: num_classes=None"
            )
        num_classes = validation.check_positive_int(num_classes, "num_classes")
        super().__init__(
            encoder=encoder,
            decoder=decoder,
            discriminator=discriminator,
            latent_dim=latent_dim,
            data_shape=data_shape,
            value_range=value_range,
            prior="mixture",
            num_components=num_classes,
            mixture_radius=mixture_radius,
            mixture_std=mixture_std,
            num_classes=num_classes,
            reconstruction_loss=reconstruction_loss,
            hidden_units=hidden_units,
            filters=filters,
            seed=seed,
            **kwargs,
        )
        if not self.uses_default_network("discriminator"):
            shape = validation.network_input_shape(self.discriminator)
            if tuple(shape) != (self.discriminator_input_dim,):
                raise ValueError(
                    f"`discriminator` must take latent_dim + num_classes + 1 = {self.discriminator_input_dim} "
                    f"values (the code, then the one-hot label). Received: discriminator with input shape "
                    f"{(None,) + tuple(shape)}"
                )

    def _labels_to_decoder(self):
        return False

    @property
    def discriminator_input_dim(self):
        return self.latent_dim + self.num_classes + 1

    def _label_slots(self, labels, dtype):
        """One-hot of `num_classes + 1` slots; the last one for -1."""
        index = ops.where(
            ops.greater_equal(labels, 0), labels, self.num_classes
        )
        return ops.one_hot(index, self.num_classes + 1, dtype=dtype)

    def _regularized_codes(self, x, labels):
        z = self.encoder(x, training=True)
        return [
            ops.concatenate([z, self._label_slots(labels, z.dtype)], axis=-1)
        ]

    def _prior_codes(self, batch_size, labels):
        # Component k for class k; the whole mixture for -1 (sec. 2.2).
        z = self.sample_prior(batch_size, components=labels)
        return [
            ops.concatenate([z, self._label_slots(labels, z.dtype)], axis=-1)
        ]

    # -- sampling ------------------------------------------------------------------

    def sample_latents(
        self, num_samples, *, seed=None, temperature=1.0, labels=None
    ):
        """Codes from the prior, as NumPy: from the components of `labels`
        (one class, or one per code), or from the whole mixture (`None`).
        With labels, `temperature` scales the codes about their component's
        mean; without, about the origin."""
        if labels is None:
            return super().sample_latents(
                num_samples, seed=seed, temperature=temperature
            )
        num_samples = validation.check_positive_int(num_samples, "num_samples")
        temperature = validation.check_non_negative(temperature, "temperature")
        labels = self.labels_for(num_samples, labels)
        z = ops.convert_to_numpy(
            self.sample_prior(
                num_samples, seed=self._sample_seed(seed), components=labels
            )
        )
        means = self._mixture_means[labels]
        return (means + temperature * (z - means)).astype("float32")

    def generate(
        self,
        num_samples,
        *,
        seed=None,
        labels=None,
        batch_size=256,
        temperature=1.0,
    ):
        """Decodes codes drawn from the prior components of `labels`.

        Args:
            num_samples: how many.
            seed: an int for a reproducible draw, or `None` for the model's
                random stream.
            labels: one class or one per sample (default: cycling through
                the classes).
            batch_size: samples per call.
            temperature: scale of the codes about their component's mean.

        Returns:
            A NumPy float32 array `(num_samples, *data_shape)`.
        """
        num_samples = validation.check_positive_int(num_samples, "num_samples")
        batch_size = validation.check_positive_int(batch_size, "batch_size")
        labels = self.labels_for(num_samples, labels)
        generator = self._sample_seed(seed)
        z = self.sample_latents(
            num_samples, seed=generator, temperature=temperature, labels=labels
        )
        return self.decode(
            z, labels=labels, seed=generator, batch_size=batch_size
        )

    def predict_components(self, x, batch_size=256):
        """The nearest mixture component (= class) of the codes of `x`, as
        int32 NumPy: a classifier read off the code space."""
        z = self.encode(x, batch_size)
        distances = ((z[:, None, :] - self._mixture_means[None]) ** 2).sum(
            axis=-1
        )
        return np.argmin(distances, axis=1).astype("int32")

    def get_config(self):
        config = super().get_config()
        # Fixed by the class: a mixture with one component per class.
        config.pop("prior")
        config.pop("num_components")
        return config
