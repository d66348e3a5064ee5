"""Semi-supervised adversarial autoencoder (Makhzani et al., 2016, sec. 5)."""

import keras
import numpy as np
from keras import ops

from keras_gen.models import network as network_lib
from keras_gen.models.aae.aae import AAE
from keras_gen.utils import validation
from keras_gen.utils.data_checks import UNLABELLED


@keras.saving.register_keras_serializable(package="keras_gen")
class SemiSupervisedAAE(AAE):
    """An AAE whose code splits into a class `y` and a style `z`.

    The encoder `q(y, z | x)` gives `num_classes` logits (the class `y`,
    a softmax) and a `latent_dim` style code `z`; the decoder rebuilds `x`
    from `[z, y]`. Each training step has the paper's phases (sec. 5,
    fig. 8):

    1. reconstruction: encoder and decoder on the reconstruction error;
    2. regularisation: two discriminators, one telling one-hot samples of a
       uniform categorical prior from the softmax `y`, one telling the style
       prior (Gaussian by default) from `z`; then the encoder, as the
       generator, against both;
    3. semi-supervised classification: the encoder's class head on the
       cross-entropy of the labelled samples of the batch.

    The categorical adversary pushes `y` towards one-hot vectors with
    balanced classes, so the unlabelled data shape the classes too.

    **Partly labelled data.** Train with `fit(x, y)` where `y[i]` is the
    class of `x[i]`, or -1 (`keras_gen.utils.data_checks.UNLABELLED`) when
    `x[i]` has no label. The classification phase averages over the
    labelled samples of each batch; a batch without any still takes the
    other phases. With few labels (100 of 60,000) most batches would have
    none: repeat the labelled samples so that each batch holds some (see
    `mix_labelled`).

    After training, `classify(x)` gives the predicted classes,
    `class_probabilities(x)` the softmax `y`, `encode(x)` the style codes,
    and `generate(labels=...)` decodes prior styles with the chosen classes
    (the class is the one-hot `y`, so style and class are disentangled).

    Args:
        encoder: `keras.Model` from a sample to `num_classes + latent_dim`
            linear outputs (the class logits first), or None.
        decoder: `keras.Model` from `latent_dim + num_classes` values (the
            style, then the class probabilities) to a sample, or None.
        discriminator: `keras.Model` from a style code to one logit, or None.
        category_discriminator: `keras.Model` from `num_classes`
            probabilities to one logit, or None.
        num_classes: number of classes.
        latent_dim, data_shape, value_range, prior, num_components,
        mixture_radius, mixture_std, reconstruction_loss, hidden_units,
        filters, seed: as in `AAE` (the prior is the style's).

    Phases (`compile(autoencoder_optimizer=..., discriminator_optimizer=...,
    generator_optimizer=..., classifier_optimizer=...)`).

    Example:

    ```python
    x, y = keras_gen.datasets.load_digits("train", with_labels=True)
    y = np.where(np.arange(len(y)) < 100, y, -1)        # 100 labels
    model = keras_gen.models.SemiSupervisedAAE(data_shape=(8, 8, 1), num_classes=10)
    model.compile()
    model.fit(x, y, epochs=20, batch_size=100)
    predicted = model.classify(x_test)
    ```
    """

    optimizer_names = (
        "autoencoder",
        "discriminator",
        "generator",
        "classifier",
    )
    loss_names = (
        "reconstruction_loss",
        "d_loss",
        "g_loss",
        "classification_loss",
    )
    network_args = (
        "encoder",
        "decoder",
        "discriminator",
        "category_discriminator",
    )
    label_policy = "partial"

    def __init__(
        self,
        encoder=None,
        decoder=None,
        discriminator=None,
        category_discriminator=None,
        num_classes=10,
        latent_dim=8,
        data_shape=None,
        value_range="auto",
        prior="gaussian",
        num_components=10,
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
                "SemiSupervisedAAE classifies: pass `num_classes` (an int >= 2). Received: num_classes=None"
            )
        if validation.check_positive_int(num_classes, "num_classes") < 2:
            raise ValueError(
                f"`num_classes` must be at least 2. Received: num_classes={num_classes}"
            )
        super().__init__(
            encoder=encoder,
            decoder=decoder,
            discriminator=discriminator,
            latent_dim=latent_dim,
            data_shape=data_shape,
            value_range=value_range,
            prior=prior,
            num_components=num_components,
            mixture_radius=mixture_radius,
            mixture_std=mixture_std,
            num_classes=num_classes,
            reconstruction_loss=reconstruction_loss,
            hidden_units=hidden_units,
            filters=filters,
            seed=seed,
            **kwargs,
        )
        if not self.uses_default_network("encoder"):
            out = network_lib.symbolic_outputs(
                self.encoder, [(2,) + tuple(self.data_shape)]
            )
            if isinstance(out, (list, tuple)) or tuple(out.shape[1:]) != (
                self.encoder_output_dim,
            ):
                shape = (
                    [tuple(o.shape) for o in out]
                    if isinstance(out, (list, tuple))
                    else tuple(out.shape)
                )
                raise ValueError(
                    f"`encoder` must return num_classes + latent_dim = {self.encoder_output_dim} values per "
                    f"sample (the class logits, then the style). Received: encoder with output shape {shape}"
                )
        self.category_discriminator = self._default_network(
            "category_discriminator",
            category_discriminator,
            lambda: self._code_discriminator(
                self.num_classes, "category_discriminator"
            ),
        )

    @property
    def encoder_output_dim(self):
        return self.num_classes + self.latent_dim

    @property
    def code_discriminators(self):
        return [self.discriminator, self.category_discriminator]

    def default_optimizers(self):
        optimizers = super().default_optimizers()
        optimizers["classifier"] = keras.optimizers.Adam(1e-3, beta_1=0.5)
        return optimizers

    def phase_variables(self):
        variables = super().phase_variables()
        variables["classifier"] = self.encoder.trainable_variables
        return variables

    # -- the two codes -----------------------------------------------------------

    def _split(self, outputs):
        """Encoder outputs -> (class logits, style code)."""
        return outputs[..., : self.num_classes], outputs[
            ..., self.num_classes :
        ]

    def _encode_training(self, x):
        logits, z = self._split(self.encoder(x, training=True))
        return logits, z, ops.softmax(ops.cast(logits, "float32"), axis=-1)

    def _reconstruct(self, x, labels):
        _, z, y = self._encode_training(x)
        # The decoder sees the softmax y of the encoder, labelled or not.
        return self.decoder(
            ops.concatenate([z, ops.cast(y, z.dtype)], axis=-1), training=True
        )

    def _regularized_codes(self, x, labels):
        _, z, y = self._encode_training(x)
        return [z, y]

    def _prior_codes(self, batch_size, labels):
        # Style: the prior p(z); class: one-hot samples of Cat(num_classes).
        classes = keras.random.randint(
            (batch_size,), 0, self.num_classes, seed=self.seed_generator
        )
        return [
            self.sample_prior(batch_size),
            ops.one_hot(classes, self.num_classes),
        ]

    def train_step_logic(self, data):
        x, labels = self._unpack_labelled(data)
        x = self.to_model_space(x)
        logs = self._autoencoder_phases(x, labels)
        labelled = ops.cast(ops.greater_equal(labels, 0), "float32")
        count = ops.sum(labelled)

        def classification_loss():
            logits, _, _ = self._encode_training(x)
            # Cross-entropy of the labelled samples only (-1: no label).
            cross_entropy = keras.losses.sparse_categorical_crossentropy(
                ops.maximum(labels, 0),
                ops.cast(logits, "float32"),
                from_logits=True,
            )
            return ops.sum(cross_entropy * labelled) / ops.maximum(count, 1.0)

        loss = self.optimize_step("classifier", classification_loss)
        self.update_trackers(**logs)
        # The mean over the labelled samples of the epoch.
        self.loss_trackers["classification_loss"].update_state(
            loss, sample_weight=count
        )

    # -- inference ----------------------------------------------------------------

    def class_probabilities(self, x, batch_size=256):
        """The softmax `y = q(y | x)` of `x` (in `value_range`), as NumPy
        `(n, num_classes)`."""
        logits, _ = self._split(self._encoder_outputs(x, batch_size))
        logits = logits - logits.max(axis=-1, keepdims=True)
        p = np.exp(logits.astype("float64"))
        return (p / p.sum(axis=-1, keepdims=True)).astype("float32")

    def classify(self, x, batch_size=256):
        """The predicted classes of `x` (in `value_range`), as int32 NumPy."""
        logits, _ = self._split(self._encoder_outputs(x, batch_size))
        return logits.argmax(axis=-1).astype("int32")

    def encode(self, x, batch_size=256):
        """The style codes `z` of `x`, as NumPy `(n, latent_dim)` (the
        class is `classify(x)`)."""
        return self._split(self._encoder_outputs(x, batch_size))[1]

    def reconstruct(self, x, labels=None, batch_size=256):
        """`decode(encode(x))` with the predicted classes (or `labels`)."""
        labels = self.classify(x, batch_size) if labels is None else labels
        return super().reconstruct(x, labels=labels, batch_size=batch_size)


def mix_labelled(x, labels, labelled_share=0.1, seed=0):
    """Partly labelled data with the labelled samples repeated.

    With a few labels among many samples (100 of 60,000), a random batch
    rarely holds one. This repeats the labelled samples (those with a label
    other than -1) until they make about `labelled_share` of the data, and
    shuffles: every epoch then shows the unlabelled samples once and the
    labelled ones many times, as the paper's separate labelled mini-batches
    do.

    Args:
        x: the samples `(n, ...)`.
        labels: `(n,)` classes, -1 for the unlabelled samples.
        labelled_share: the share of labelled samples wanted, in (0, 1).
        seed: seed of the shuffle.

    Returns:
        `(x, labels)`, NumPy, with the labelled samples repeated.

    Example:

    ```python
    y = np.full(len(x), -1)
    y[keep] = true_labels[keep]                      # 100 labels
    x_mixed, y_mixed = mix_labelled(x, y, labelled_share=0.1)
    model.fit(x_mixed, y_mixed, batch_size=100)      # ~10 labels a batch
    ```
    """
    x, labels = np.asarray(x), np.asarray(labels).reshape(-1)
    if len(x) != len(labels):
        raise ValueError(
            f"Pass one label per sample ({len(x)}). Received: labels.shape={labels.shape}"
        )
    labelled_share = validation.check_in_range(
        labelled_share, "labelled_share", 0.0, 1.0
    )
    if not 0.0 < labelled_share < 1.0:
        raise ValueError(
            f"`labelled_share` must be in (0, 1). Received: labelled_share={labelled_share}"
        )
    is_labelled = labels != UNLABELLED
    num_labelled, num_unlabelled = (
        int(is_labelled.sum()),
        int((~is_labelled).sum()),
    )
    if num_labelled == 0:
        raise ValueError(
            f"`labels` has no labelled sample (all are {UNLABELLED}). Received: labels={labels!r}"
        )
    wanted = labelled_share * num_unlabelled / (1.0 - labelled_share)
    repeats = max(1, int(round(wanted / num_labelled)))
    index = np.concatenate(
        [
            np.flatnonzero(~is_labelled),
            np.tile(np.flatnonzero(is_labelled), repeats),
        ]
    )
    np.random.default_rng(seed).shuffle(index)
    return x[index], labels[index]
