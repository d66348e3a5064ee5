"""A small CNN trained on the embedded digits: an offline feature extractor.

The weights ship with the package (`digits_classifier.weights.h5`, 211 kB)
and are reproduced by `benchmarks/digits_classifier_train.py`; see
`shipped_classifier.py` for the role they play (a Fréchet distance on its
features is a *classifier Fréchet distance*, never FID).
"""

from keras_gen.metrics.shipped_classifier import ShippedClassifier

# Width of the penultimate layer (the features).
NUM_FEATURES = 64


DIGITS = ShippedClassifier(
    "digits",
    image_size=8,
    stages=((32, 32), (64,)),
    num_features=NUM_FEATURES,
    dropout=0.3,
    larger_images="area",
    weights_file="digits_classifier.weights.h5",
    training_script="benchmarks/digits_classifier_train.py",
)
WEIGHTS_PATH = DIGITS.weights_path


def build_digits_classifier():
    """The untrained architecture: 8x8x1 images in [0, 1] -> 10 softmax
    probabilities; the layer named `"features"` gives the 64 penultimate
    ReLU activations. No batch norm and no randomness at inference, so the
    outputs agree across backends to float32 rounding."""
    return DIGITS.build()


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
    return DIGITS.load(features, image_size, weights_path)


def digits_features(image_size=8, weights_path=None):
    """The 64 penultimate activations of the digits classifier
    (`digits_classifier(features=True, ...)`)."""
    return digits_classifier(True, image_size, weights_path)
