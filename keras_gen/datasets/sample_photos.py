"""Two image domains cut from scikit-learn's two sample photographs."""

import numpy as np

from keras_gen.utils import validation

SPLITS = ("train", "test", "all")

# Each patch shows a 64x64-pixel square of the 427x640 photographs, whatever
# `image_size` is: the photo is resized by `image_size / 64` first.
PATCH_SOURCE_PIXELS = 64


def _sklearn_photos():
    try:
        from sklearn.datasets import load_sample_images
    except ImportError as e:  # pragma: no cover - depends on the install
        raise ImportError(
            "`keras_gen.datasets.load_sample_photos` reads the two photographs "
            "bundled with scikit-learn: `pip install keras-gen[data]` (or "
            "scikit-learn)."
        ) from e
    bunch = load_sample_images()
    names = [
        path.replace("\\", "/").rsplit("/", 1)[-1] for path in bunch.filenames
    ]
    return dict(zip(names, bunch.images))


def _is_test_cell(row, col):
    # One cell in four, spread over the photo, so that both splits see sky,
    # temple, trees and water (china) and petals and background (flower).
    return (2 * row + col) % 4 == 1


def _patches(photo, image_size, split):
    from PIL import Image

    height, width = photo.shape[:2]
    scale = image_size / PATCH_SOURCE_PIXELS
    size = (
        max(image_size, round(width * scale)),
        max(image_size, round(height * scale)),
    )
    photo = np.asarray(Image.fromarray(photo).resize(size, Image.BICUBIC))
    # The photo is cut into cells of 2x2 patches; a patch lies inside one cell,
    # so no train patch overlaps a test patch.
    cell = 2 * image_size
    stride = max(1, image_size // 4)
    out = []
    for row in range(photo.shape[0] // cell):
        for col in range(photo.shape[1] // cell):
            if split != "all" and _is_test_cell(row, col) != (split == "test"):
                continue
            for top in range(
                row * cell, (row + 1) * cell - image_size + 1, stride
            ):
                for left in range(
                    col * cell, (col + 1) * cell - image_size + 1, stride
                ):
                    out.append(
                        photo[top : top + image_size, left : left + image_size]
                    )
    return np.stack(out)


def load_sample_photos(split="train", image_size=32, value_range=(-1.0, 1.0)):
    """Unpaired image domains: patches of two photographs (no download).

    Domain A holds patches of scikit-learn's `china.jpg` (a temple, trees,
    sky and a lake), domain B patches of `flower.jpg` (an orange dahlia on a
    dark green background): a small two-domain set for CycleGAN that ships
    with scikit-learn.

    Each patch shows a 64x64-pixel square of the 427x640 photo, resized to
    `image_size` (so the content is the same at every `image_size`). Patches
    are taken every `image_size // 4` pixels inside cells of 2x2 patches;
    one cell in four forms the test split, so train and test patches never
    overlap. At every size: 300 train and 75 test patches per domain.

    Args:
        split: `"train"`, `"test"` or `"all"`.
        image_size: side of the square RGB patches (at least 4).
        value_range: `(low, high)` the pixel values are mapped to; the
            default `(-1, 1)` matches the generators' tanh output.

    Returns:
        A pair `(x_a, x_b)` of float32 arrays `(n, image_size, image_size, 3)`.

    Example:

    ```python
    x_a, x_b = keras_gen.datasets.load_sample_photos("train", image_size=32)
    cyclegan.fit((x_a, x_b), epochs=10, batch_size=8)
    ```
    """
    validation.check_choice(split, "split", SPLITS)
    image_size = validation.check_positive_int(image_size, "image_size")
    if image_size < 4:
        raise ValueError(
            f"`image_size` must be at least 4. Received: image_size={image_size}"
        )
    low, high = _check_value_range(value_range)
    photos = _sklearn_photos()
    domains = []
    for name in ("china.jpg", "flower.jpg"):
        patches = (
            _patches(photos[name], image_size, split).astype("float32") / 255.0
        )
        domains.append(low + (high - low) * patches)
    return tuple(domains)


def _check_value_range(value_range):
    try:
        low, high = (float(v) for v in value_range)
        ok = low < high
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(
            "`value_range` must be a pair (low, high) with low < high. "
            f"Received: value_range={value_range!r}"
        )
    return low, high
