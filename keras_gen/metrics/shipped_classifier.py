"""A classifier whose weights ship with the package: an offline feature
extractor for the sample metrics.

Each shipped classifier (the 8x8 digits CNN, the Fashion-MNIST CNN) plays,
for its data, the role InceptionV3 plays for photographs: its penultimate
activations (the layer named `"features"`) feed `FrechetDistance`,
`KernelDistance` and `PrecisionRecall`, its class probabilities feed
`InceptionScore`. A Fréchet distance on these features is a *classifier
Fréchet distance*: it is not comparable to (and must never be reported as)
FID.
"""

import dataclasses
import os

import keras

from keras_gen.utils import validation

_HERE = os.path.dirname(__file__)

# How a classifier sees images larger than those it was trained on.
LARGER_IMAGES = {
    # Averages `image_size // native` square blocks: an area resize, the same
    # on every backend (the digits loader's 16x16 and 32x32 images).
    "area": "a multiple of {size}",
    # Crops the centre: images padded with background (Fashion-MNIST at 32).
    "crop": "{size} plus an even margin",
}


def build_cnn(image_size, stages, num_features, dropout, name, num_classes=10):
    """A small CNN classifier of `(image_size, image_size, 1)` images.

    Each stage is a list of 3x3 "same" ReLU convolutions followed by a 2x2
    max pooling; then a dense ReLU layer named `"features"` (the
    penultimate activations), dropout (active in training only) and a
    softmax layer named `"probabilities"`. Layers are named `conv1`,
    `conv2`, ..., `pool1`, ... in order, the names the weights files use.

    Args:
        image_size: side of the input images.
        stages: the convolution widths of each stage, e.g. `((32, 32), (64,))`.
        num_features: width of the `"features"` layer.
        dropout: dropout rate after the features.
        name: the model's name.
        num_classes: number of classes.

    Returns:
        An untrained `keras.Model`.
    """
    x = keras.Input((image_size, image_size, 1), name="images")
    h, num_convs = x, 0
    for stage, widths in enumerate(stages, start=1):
        for width in widths:
            num_convs += 1
            h = keras.layers.Conv2D(
                width,
                3,
                padding="same",
                activation="relu",
                name=f"conv{num_convs}",
            )(h)
        h = keras.layers.MaxPooling2D(2, name=f"pool{stage}")(h)
    h = keras.layers.Flatten(name="flatten")(h)
    h = keras.layers.Dense(num_features, activation="relu", name="features")(h)
    h = keras.layers.Dropout(dropout, name="dropout")(h)
    y = keras.layers.Dense(
        num_classes, activation="softmax", name="probabilities"
    )(h)
    return keras.Model(x, y, name=name)


@dataclasses.dataclass(frozen=True)
class ShippedClassifier:
    """A classifier shipped in `keras_gen/metrics/`: its architecture, its
    weights file, and the data it was trained on.

    Args:
        name: the name of its data (`"digits"`, `"fashion_mnist"`): the
            `classifier` argument of `evaluate` and `real_data_floor`, and
            `keras_gen.datasets.load_<name>` loads the real images.
        image_size: the side of the images it was trained on.
        stages, num_features, dropout: its architecture (`build_cnn`).
        larger_images: `"area"` (sides that are multiples of `image_size`
            are averaged over blocks) or `"crop"` (larger sides with an even
            margin are cropped to the centre).
        weights_file: the `.weights.h5` file in `keras_gen/metrics/`.
        training_script: the script that writes `weights_file`.
    """

    name: str
    image_size: int
    stages: tuple
    num_features: int
    dropout: float
    larger_images: str
    weights_file: str
    training_script: str

    def __post_init__(self):
        validation.check_choice(
            self.larger_images, "larger_images", LARGER_IMAGES
        )

    @property
    def weights_path(self):
        return os.path.join(_HERE, self.weights_file)

    def build(self):
        """The untrained classifier (`build_cnn`), named `<name>_classifier`."""
        return build_cnn(
            self.image_size,
            self.stages,
            self.num_features,
            self.dropout,
            f"{self.name}_classifier",
        )

    def load_data(self, split, image_size=None):
        """The real `(x, y)` of the `"train"` or `"test"` split, in [0, 1]."""
        from keras_gen import datasets

        loader = getattr(datasets, f"load_{self.name}")
        return loader(
            split, image_size=image_size or self.image_size, with_labels=True
        )

    def accepts(self, image_size):
        """Whether square images of side `image_size` can be classified."""
        if self.larger_images == "area":
            return image_size > 0 and image_size % self.image_size == 0
        return (
            image_size >= self.image_size
            and (image_size - self.image_size) % 2 == 0
        )

    def sizes_text(self):
        return LARGER_IMAGES[self.larger_images].format(size=self.image_size)

    def check_image_size(self, image_size):
        image_size = validation.check_positive_int(image_size, "image_size")
        if not self.accepts(image_size):
            raise ValueError(
                f"`image_size` must be {self.sizes_text()} (the {self.name} "
                f"classifier sees {self.image_size}x{self.image_size} images). "
                f"Received: image_size={image_size}"
            )
        return image_size

    def load(self, features=False, image_size=None, weights_path=None):
        """The classifier with its shipped weights, or its feature extractor.

        Args:
            features: `False` returns the classifier (class probabilities);
                `True` the extractor of the penultimate activations.
            image_size: side of the input images (default: the native one).
            weights_path: a `.weights.h5` file to load instead of the shipped
                one (e.g. one written by the training script).

        Returns:
            A `keras.Model` on `(batch, image_size, image_size, 1)` images
            in [0, 1].
        """
        image_size = self.check_image_size(image_size or self.image_size)
        weights_path = weights_path or self.weights_path
        if not os.path.exists(weights_path):
            raise FileNotFoundError(
                f"The {self.name} classifier weights were not found (a package "
                "install without its data files?). Received: weights_path="
                f"{weights_path!r}. Recreate them with `python {self.training_script}`."
            )
        classifier = self.build()
        classifier.load_weights(weights_path)
        classifier.trainable = False
        if features:
            classifier = keras.Model(
                classifier.inputs,
                classifier.get_layer("features").output,
                name=f"{self.name}_features",
            )
        if image_size == self.image_size:
            return classifier
        images = keras.Input((image_size, image_size, 1), name="images")
        if self.larger_images == "area":
            native = keras.layers.AveragePooling2D(
                image_size // self.image_size, name="area_resize"
            )(images)
        else:
            native = keras.layers.Cropping2D(
                (image_size - self.image_size) // 2, name="center_crop"
            )(images)
        return keras.Model(
            images, classifier(native), name=f"{classifier.name}_{image_size}"
        )
