"""Unpaired two-domain data: a batch stream and a folder loader."""

import math
import os

import keras
import numpy as np

from keras_gen.datasets.sample_photos import _check_value_range
from keras_gen.utils import images as image_utils
from keras_gen.utils import validation

IMAGE_EXTENSIONS = (
    ".jpg",
    ".jpeg",
    ".png",
    ".bmp",
    ".gif",
    ".webp",
    ".tif",
    ".tiff",
)


def check_domains(x_a, x_b):
    """Checks two NumPy domains: non-empty, finite, same image shape."""
    validation.check_array_data(x_a, "x_a", None)
    validation.check_array_data(x_b, "x_b", None)
    if x_a.shape[1:] != x_b.shape[1:]:
        raise ValueError(
            "The two domains must hold images of the same size and number of "
            f"channels. Received: x_a.shape={x_a.shape}, x_b.shape={x_b.shape}"
        )


class UnpairedDataset(keras.utils.PyDataset):
    """Batches `(a, b)` drawn independently from two unpaired domains.

    An epoch visits every image of the larger domain once; the smaller
    domain is cycled through in as many random orders as needed. With
    `shuffle`, both orders are drawn afresh at every epoch, so a given `a` meets
    a different `b` each time (the domains are unpaired). `CycleGAN.fit`
    builds one from `fit((x_a, x_b))`.

    Args:
        x_a: NumPy array of domain-A images `(n_a, height, width, channels)`.
        x_b: NumPy array of domain-B images of the same image shape.
        batch_size: images per domain per batch.
        shuffle: draw new random orders at every epoch.
        seed: int or `None`, seed of the orders.
        **kwargs: passed to `keras.utils.PyDataset` (`workers`, ...).

    Example:

    ```python
    x_a, x_b = keras_gen.datasets.load_sample_photos("train")
    data = keras_gen.datasets.UnpairedDataset(x_a, x_b, batch_size=8, seed=0)
    a, b = data[0]  # two (8, 32, 32, 3) arrays
    ```
    """

    def __init__(
        self, x_a, x_b, batch_size=32, shuffle=True, seed=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.x_a = np.asarray(x_a)
        self.x_b = np.asarray(x_b)
        check_domains(self.x_a, self.x_b)
        self.batch_size = validation.check_positive_int(
            batch_size, "batch_size"
        )
        self.shuffle = bool(shuffle)
        self._rng = np.random.default_rng(seed)
        self._length = max(len(self.x_a), len(self.x_b))
        self._new_orders()

    def _order(self, n):
        reps = math.ceil(self._length / n)
        if not self.shuffle:
            return np.tile(np.arange(n), reps)[: self._length]
        return np.concatenate([self._rng.permutation(n) for _ in range(reps)])[
            : self._length
        ]

    def _new_orders(self):
        self._order_a = self._order(len(self.x_a))
        self._order_b = self._order(len(self.x_b))

    def __len__(self):
        return math.ceil(self._length / self.batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(
                f"Batch index out of range [0, {len(self)}). Received: index={index}"
            )
        rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        a = self.x_a[self._order_a[rows]].astype("float32")
        b = self.x_b[self._order_b[rows]].astype("float32")
        return a, b

    def on_epoch_end(self):
        if self.shuffle:
            self._new_orders()


def _load_folder(folder, image_size, channels):
    from PIL import Image

    files = sorted(
        f
        for f in os.listdir(folder)
        if f.lower().endswith(IMAGE_EXTENSIONS) and not f.startswith(".")
    )
    if not files:
        raise ValueError(
            f"No images ({', '.join(IMAGE_EXTENSIONS)}) in {folder!r}. Received: path={folder!r}"
        )
    mode = {1: "L", 3: "RGB"}[channels]
    images = []
    for name in files:
        with image_utils.open_image(
            os.path.join(folder, name), "path"
        ) as image:
            image = image.convert(mode).resize(
                (image_size, image_size), Image.BICUBIC
            )
            images.append(
                np.asarray(image, dtype="uint8").reshape(
                    image_size, image_size, channels
                )
            )
    return np.stack(images)


def unpaired_image_folders(
    path, image_size=256, split="train", channels=3, value_range=(-1.0, 1.0)
):
    """Loads a CycleGAN-style folder: `trainA/`, `trainB/`, `testA/`, `testB/`.

    The public CycleGAN datasets (horse2zebra, monet2photo, ...) unpack to
    this layout. Every image is resized to `image_size` x `image_size`
    (bicubic) and scaled to `value_range`. The whole split is held in
    memory as float32 (horse2zebra's train split at 256x256: about 1.9 GB;
    pass a smaller `image_size` on a small machine).

    Args:
        path: the dataset folder.
        image_size: side of the returned square images.
        split: `"train"` or `"test"` (reads `<split>A/` and `<split>B/`).
        channels: 3 (RGB) or 1 (grayscale).
        value_range: `(low, high)` the pixel values are mapped to.

    Returns:
        A pair `(x_a, x_b)` of float32 arrays, ready for
        `CycleGAN.fit((x_a, x_b))`.

    Example:

    ```python
    x_a, x_b = keras_gen.datasets.unpaired_image_folders("horse2zebra", 128)
    ```
    """
    image_size = validation.check_positive_int(image_size, "image_size")
    validation.check_choice(split, "split", ("train", "test"))
    validation.check_choice(channels, "channels", (1, 3))
    low, high = _check_value_range(value_range)
    if not os.path.isdir(path):
        raise ValueError(
            f"`path` must be a folder holding {split}A/ and {split}B/. Received: path={path!r}"
        )
    domains = []
    for domain in ("A", "B"):
        folder = os.path.join(path, split + domain)
        if not os.path.isdir(folder):
            found = sorted(
                d
                for d in os.listdir(path)
                if os.path.isdir(os.path.join(path, d))
            )
            raise ValueError(
                f"Expected the folder {split + domain}/ inside {path!r} (the CycleGAN layout "
                f"trainA/, trainB/, testA/, testB/). Received: path={path!r} with sub-folders {found}"
            )
        images = (
            _load_folder(folder, image_size, channels).astype("float32") / 255.0
        )
        domains.append(low + (high - low) * images)
    return tuple(domains)
