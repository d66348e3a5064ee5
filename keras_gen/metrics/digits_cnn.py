"""A small CNN trained on the embedded digits: an offline feature extractor.

The weights ship with the package (`digits_classifier.weights.h5`, 211 kB)
and are reproduced by `benchmarks/digits_classifier_train.py`. The
classifier plays, for the 8x8 digits, the role that InceptionV3 plays for
photographs: its penultimate activations feed `FrechetDistance`,
`KernelDistance` and `PrecisionRecall`, its class probabilities feed
`InceptionScore`. A Fréchet distance on these features is a *classifier
Fréchet distance*; it is not comparable to (and must never be reported as)
FID.
"""

import os

import keras

from keras_gen.utils import validation

WEIGHTS_PATH = os.path.join(os.path.dirname(__file__), "digits_classifier.weights.h5")

# Width of the penultimate layer (the features).
NUM_FEATURES = 64


def build_digits_classifier():
    """The untrained architecture: 8x8x1 images in [0, 1] -> 10 softmax
    probabilities; the layer named `"features"` gives the 64 penultimate
    ReLU activations. No batch norm and no randomness at inference, so the
    outputs agree across backends to float32 rounding."""
    x = keras.Input((8, 8, 1), name="images")
    h = keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="conv1")(x)
    h = keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2")(h)
    h = keras.layers.MaxPooling2D(2, name="pool1")(h)  # 4x4
    h = keras.layers.Conv2D(64, 3, padding="same", activation="relu", name="conv3")(h)
    h = keras.layers.MaxPooling2D(2, name="pool2")(h)  # 2x2
    h = keras.layers.Flatten(name="flatten")(h)
    h = keras.layers.Dense(NUM_FEATURES, activation="relu", name="features")(h)
    h = keras.layers.Dropout(0.3, name="dropout")(h)
    y = keras.layers.Dense(10, activation="softmax", name="probabilities")(h)
    return keras.Model(x, y, name="digits_classifier")


def digits_classifier(features=False, image_size=8, weights_path=None):
    """The shipped digits classifier (98.0 % test accuracy), or its features.

    Inputs are digits images `(batch, image_size, image_size, 1)` with values
    in [0, 1], as returned by `keras_gen.datasets.load_digits`. Images larger
    than 8x8 (`image_size` a multiple of 8, e.g. 16 or 32 for the diffusion
    models and StyleGAN2) are first averaged over `image_size // 8` square
    blocks, an area resize that is exactly the same on every backend (the
    classifier was trained to expect the slight blur this gives: 97.3 % test
    accuracy on the loader's 16x16 and 32x32 digits).

    Args:
        features: `False` returns the classifier (10 class probabilities);
            `True` returns the extractor of the 64 penultimate activations.
        image_size: side of the input images, a multiple of 8.
        weights_path: a `.weights.h5` file to load instead of the shipped
            one (e.g. one written by `benchmarks/digits_classifier_train.py`).

    Returns:
        A `keras.Model`.

    Example:

    ```python
    x_test, y_test = keras_gen.datasets.load_digits("test", with_labels=True)
    classifier = keras_gen.metrics.digits_classifier()
    accuracy = (classifier.predict(x_test).argmax(-1) == y_test).mean()
    fd = keras_gen.metrics.FrechetDistance(
        keras_gen.metrics.digits_classifier(features=True),
        name="classifier_frechet_distance")
    ```
    """
    image_size = validation.check_positive_int(image_size, "image_size")
    if image_size % 8:
        raise ValueError(
            "`image_size` must be a multiple of 8 (the classifier sees 8x8 "
            f"digits). Received: image_size={image_size}"
        )
    weights_path = weights_path or WEIGHTS_PATH
    if not os.path.exists(weights_path):
        raise FileNotFoundError(
            "The digits classifier weights were not found (a package install "
            "without its data files?). Received: weights_path="
            f"{weights_path!r}. Recreate them with "
            "`python benchmarks/digits_classifier_train.py`."
        )
    classifier = build_digits_classifier()
    classifier.load_weights(weights_path)
    classifier.trainable = False
    if features:
        classifier = keras.Model(
            classifier.inputs,
            classifier.get_layer("features").output,
            name="digits_features",
        )
    if image_size == 8:
        return classifier
    images = keras.Input((image_size, image_size, 1), name="images")
    small = keras.layers.AveragePooling2D(image_size // 8, name="area_resize")(images)
    return keras.Model(images, classifier(small), name=f"{classifier.name}_{image_size}")


def digits_features(image_size=8, weights_path=None):
    """The 64 penultimate activations of the digits classifier
    (`digits_classifier(features=True, ...)`)."""
    return digits_classifier(True, image_size, weights_path)
