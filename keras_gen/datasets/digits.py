"""The 8x8 handwritten digits that ship with scikit-learn (no download)."""

import numpy as np

from keras_gen.datasets import image_options
from keras_gen.utils import validation

# The fixed split used by every keras_gen example, test and benchmark.
SPLITS = {
    "train": slice(0, 1000),
    "val": slice(1000, 1350),
    "test": slice(1350, None),
    "all": slice(None),
}


def _sklearn_digits():
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError as e:  # pragma: no cover - depends on the install
        raise ImportError(
            "`keras_gen.datasets.load_digits` reads the digits bundled with "
            "scikit-learn: `pip install keras-gen[data]` (or scikit-learn)."
        ) from e
    bunch = sk_load_digits()
    return bunch.images.astype("float32"), bunch.target.astype("int32")


def load_digits(
    split="train",
    image_size=8,
    binarize=False,
    flatten=False,
    with_labels=False,
):
    """Loads the scikit-learn 8x8 digits, scaled to [0, 1].

    The 1,797 images are split in a fixed order: train [:1000],
    val [1000:1350], test [1350:] (447 images).

    Args:
        split: `"train"`, `"val"`, `"test"` or `"all"`.
        image_size: side of the returned square images; values other than 8
            resize with bilinear interpolation (e.g. 16 or 32 for StyleGAN2
            and the diffusion models).
        binarize: threshold at 0.5 to {0, 1} (for Bernoulli likelihoods).
        flatten: return vectors of `image_size**2` values instead of
            `(image_size, image_size, 1)` images.
        with_labels: also return the integer class labels.

    Returns:
        `x`, a float32 array, or `(x, y)` when `with_labels=True`.

    Example:

    ```python
    x_train = keras_gen.datasets.load_digits("train")  # (1000, 8, 8, 1)
    x_test, y_test = keras_gen.datasets.load_digits("test", with_labels=True)
    ```
    """
    validation.check_choice(split, "split", SPLITS)
    image_size = validation.check_positive_int(image_size, "image_size")
    images, labels = _sklearn_digits()
    images, labels = images[SPLITS[split]], labels[SPLITS[split]]
    images = images / 16.0
    if image_size != 8:
        from PIL import Image

        images = np.stack(
            [
                np.asarray(
                    Image.fromarray(im.astype("float32"), mode="F").resize(
                        (image_size, image_size), Image.BILINEAR
                    )
                )
                for im in images
            ]
        )
        images = np.clip(images, 0.0, 1.0)
    return image_options.finish(
        images.astype("float32")[..., None],
        labels,
        binarize,
        flatten,
        with_labels,
    )
