"""The Fashion-MNIST classifier that ships with keras_gen.

Trained on 55,000 of the 60,000 train images by
`benchmarks/train_fashion_classifier.py`, which rewrites
`fashion_mnist_classifier.weights.h5`; what its features are for is said in
`shipped_classifier.py`.
"""

from keras_gen.metrics.shipped_classifier import ShippedClassifier

FASHION_MNIST = ShippedClassifier(
    "fashion_mnist", image_size=28, stages=((32,), (64,), (128,)), num_features=128, dropout=0.4,
    larger_images="crop", weights_file="fashion_mnist_classifier.weights.h5",
    training_script="benchmarks/train_fashion_classifier.py",
)  # fmt: skip


def fashion_mnist_classifier(features=False, image_size=28, weights_path=None):
    """The shipped Fashion-MNIST CNN (92.3 % test accuracy), or its
    128 penultimate activations with `features=True`.

    It takes `(batch, image_size, image_size, 1)` images with values in
    [0, 1], as `keras_gen.datasets.load_fashion_mnist` returns them. For
    `image_size` 30, 32, ... (28 plus an even margin, as
    `load_fashion_mnist(image_size=32)` pads them) it first crops the
    central 28x28 pixels, which undoes that padding exactly. Three 3x3
    convolution stages (32, 64, 128 filters, each max-pooled) and a dense
    ReLU layer of 128 units; dropout is active in training only, and there
    is no batch norm, so every backend gives the same outputs.

    Args:
        features: whether to return the feature extractor (the 128
            activations) rather than the 10-class softmax classifier.
        image_size: the side of the images it will be given.
        weights_path: another `.weights.h5` file, e.g. one written by
            `benchmarks/train_fashion_classifier.py --out`.

    Returns:
        A `keras.Model`.

    Example:

    ```python
    x, y = keras_gen.datasets.load_fashion_mnist("test", with_labels=True)
    accuracy = (keras_gen.metrics.fashion_mnist_classifier().predict(x).argmax(-1) == y).mean()
    extractor = keras_gen.metrics.fashion_mnist_classifier(features=True)
    fd = keras_gen.metrics.FrechetDistance(extractor, name="classifier_frechet_distance")
    ```
    """
    return FASHION_MNIST.load(features, image_size, weights_path)
