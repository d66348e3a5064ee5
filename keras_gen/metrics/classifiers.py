"""The shipped classifiers by name, and which one fits a sample shape."""

from keras_gen.metrics.digits_cnn import DIGITS
from keras_gen.metrics.fashion_mnist_cnn import FASHION_MNIST
from keras_gen.utils import validation

# In the order `classifier_for_shape` tries them after the native sizes:
# 32x32 images go to the digits classifier unless `classifier` says otherwise.
CLASSIFIERS = {spec.name: spec for spec in (DIGITS, FASHION_MNIST)}
SHIPPED_CLASSIFIERS = tuple(CLASSIFIERS)


def shipped_classifier(
    name, features=False, image_size=None, weights_path=None
):
    """A classifier shipped with keras_gen, or its feature extractor.

    `"digits"` (8x8 scikit-learn digits, `digits_classifier`) or
    `"fashion_mnist"` (28x28 Fashion-MNIST, `fashion_mnist_classifier`).
    Their penultimate activations are the offline features of the
    `classifier_*` metrics; a Fréchet distance on them is a classifier
    Fréchet distance, never FID.

    Args:
        name: one of `keras_gen.metrics.SHIPPED_CLASSIFIERS`.
        features: `True` for the penultimate activations instead of the
            class probabilities.
        image_size: side of the input images (default: the native one;
            larger digits are area-resized, larger Fashion-MNIST images
            centre-cropped).
        weights_path: weights to load instead of the shipped file.

    Returns:
        A `keras.Model` on `(batch, image_size, image_size, 1)` images in
        [0, 1].

    Example:

    ```python
    extractor = keras_gen.metrics.shipped_classifier("fashion_mnist", features=True)
    extractor.predict(keras_gen.datasets.load_fashion_mnist("test", num_samples=10)).shape
    # (10, 128)
    ```
    """
    return get_classifier(name).load(features, image_size, weights_path)


def get_classifier(name):
    """The `ShippedClassifier` named `name`."""
    validation.check_choice(name, "classifier", CLASSIFIERS)
    return CLASSIFIERS[name]


def _square_side(data_shape):
    ok = (
        data_shape is not None
        and len(data_shape) == 3
        and data_shape[0] == data_shape[1]
    )
    return int(data_shape[0]) if ok and data_shape[2] == 1 else None


def classifier_for_shape(data_shape, name=None, metric="metric"):
    """The shipped classifier for samples of shape `data_shape`, and the
    image size to build it for.

    With `name=None` the classifier is chosen by shape: the one whose native
    size it is (8: digits, 28: Fashion-MNIST), else the first that accepts
    it (digits for multiples of 8, so 32x32 Fashion-MNIST needs
    `name="fashion_mnist"`).

    Args:
        data_shape: the shape of one sample, e.g. `(28, 28, 1)`.
        name: a name in `SHIPPED_CLASSIFIERS`, or `None` to choose by shape.
        metric: the metric's name, for the error message.

    Returns:
        `(spec, image_size)`.
    """
    side = _square_side(data_shape)
    if name is not None:
        spec = get_classifier(name)
        if side is None or not spec.accepts(side):
            raise ValueError(
                f"`{metric}` uses the {spec.name} classifier, which takes square "
                f"1-channel images whose side is {spec.sizes_text()}. Received: "
                f"data_shape={data_shape}, classifier={name!r}"
            )
        return spec, side
    if side is not None:
        for spec in CLASSIFIERS.values():
            if spec.image_size == side:
                return spec, side
        for spec in CLASSIFIERS.values():
            if spec.accepts(side):
                return spec, side
    kinds = "; ".join(
        f"the {spec.name} classifier takes square 1-channel images whose side is {spec.sizes_text()}"
        for spec in CLASSIFIERS.values()
    )
    raise ValueError(
        f"`{metric}` needs a shipped classifier: {kinds}. Received: data_shape={data_shape}"
    )
