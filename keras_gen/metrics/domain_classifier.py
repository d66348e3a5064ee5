"""A small CNN that tells two image domains apart, for judging translations."""

import keras
import numpy as np

from keras_gen.datasets.unpaired import check_domains


class DomainClassifier:
    """A small CNN trained to tell domain A (label 0) from domain B (label 1).

    Used to judge an image-to-image translation: the share of translated
    images it assigns to the target domain (the CycleGAN benchmark asks
    for >= 90 %). Three stride-2 3x3 convolutions (16, 32, 64 filters, ReLU),
    global average pooling and a logistic output, trained with Adam on the
    real images of both domains (balanced by class weights).

    Args:
        x_a, x_b: real training images of each domain, same shape.
        epochs: training epochs.
        seed: seed of the weights and the data order.

    Example:

    ```python
    x_a, x_b = keras_gen.datasets.load_sample_photos("train")
    probe = DomainClassifier(x_a, x_b)
    probe.accuracy(cyclegan.translate_a_to_b(test_a), domain="b")
    ```
    """

    def __init__(self, x_a, x_b, epochs=15, seed=0):
        x_a, x_b = np.asarray(x_a, "float32"), np.asarray(x_b, "float32")
        check_domains(x_a, x_b)
        keras.utils.set_random_seed(seed)
        self.model = keras.Sequential(
            [keras.Input(x_a.shape[1:])]
            + [
                keras.layers.Conv2D(
                    f, 3, strides=2, padding="same", activation="relu"
                )
                for f in (16, 32, 64)
            ]
            + [keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(1)],
            name="domain_classifier",
        )
        self.model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss=keras.losses.BinaryCrossentropy(from_logits=True),
        )
        x = np.concatenate([x_a, x_b])
        y = np.concatenate([np.zeros(len(x_a)), np.ones(len(x_b))]).astype(
            "float32"
        )
        weights = {0: len(x) / (2 * len(x_a)), 1: len(x) / (2 * len(x_b))}
        self.model.fit(
            x,
            y,
            batch_size=32,
            epochs=epochs,
            shuffle=True,
            class_weight=weights,
            verbose=0,
        )

    def predict_b(self, images):
        """Probability that each image belongs to domain B."""
        logits = self.model.predict(
            np.asarray(images, "float32"), batch_size=128, verbose=0
        )
        return 1.0 / (1.0 + np.exp(-logits.reshape(-1)))

    def accuracy(self, images, domain):
        """Share of `images` labelled as `domain` (`"a"` or `"b"`)."""
        if domain not in ("a", "b"):
            raise ValueError(
                f"`domain` must be 'a' or 'b'. Received: domain={domain!r}"
            )
        is_b = self.predict_b(images) >= 0.5
        return float(np.mean(is_b if domain == "b" else ~is_b))
