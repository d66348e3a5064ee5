"""The `--data` argument of `keras-gen`: embedded data or image folders.

Every loader returns pixels in [0, 1]; the family then maps them to its
model's range (`families.py`).
"""

import dataclasses
import os

import numpy as np

from keras_gen import datasets
from keras_gen.datasets.unpaired import IMAGE_EXTENSIONS
from keras_gen.utils import images as image_utils


class CommandError(Exception):
    """A command-line mistake: printed as `keras-gen <command>: error: ...`."""


@dataclasses.dataclass
class Data:
    """Loaded `--data`.

    Attributes:
        kind: `"images"`, `"points"` (2-D toy) or `"pairs"` (two domains).
        train: the training array (pixels in [0, 1]), or a pair of them.
        test: held-out data of the same kind (may be `None`).
        name: the `--data` value, for messages and metadata.
        toy: the toy's name for `"points"`.
    """

    kind: str
    train: object
    test: object = None
    name: str = ""
    toy: str = None


def _image_files(folder):
    files = []
    for root, _, names in sorted(os.walk(folder)):
        files += [
            os.path.join(root, n)
            for n in sorted(names)
            if n.lower().endswith(IMAGE_EXTENSIONS) and not n.startswith(".")
        ]
    return files


def load_image_folder(folder, image_size, channels=None):
    """Every image under `folder` (sub-folders too), square-resized, in [0, 1].

    Args:
        folder: a directory of image files.
        image_size: side of the returned images.
        channels: 1, 3, or `None`: 1 if every image is greyscale, else 3.

    Returns:
        A float32 array `(n, image_size, image_size, channels)`.
    """
    from PIL import Image

    files = _image_files(folder)
    if not files:
        raise CommandError(
            f"argument --data: no images ({', '.join(IMAGE_EXTENSIONS)}) in the "
            f"folder. Received: --data={folder}"
        )
    if channels is None:
        modes = set()
        for path in files:
            with image_utils.open_image(path, "--data") as image:
                modes.add(image.mode)
        channels = 1 if modes <= {"L", "1", "I", "I;16", "F"} else 3
    images = []
    for path in files:
        with image_utils.open_image(path, "--data") as image:
            image = image.convert("L" if channels == 1 else "RGB")
            image = image.resize((image_size, image_size), Image.BICUBIC)
            images.append(
                np.asarray(image, "float32").reshape(
                    image_size, image_size, channels
                )
            )
    return np.stack(images) / 255.0


def _split(x, test_fraction=0.2, seed=0):
    """A fixed held-out split of a folder (at least one image each side)."""
    order = np.random.RandomState(seed).permutation(len(x))
    n_test = (
        min(len(x) - 1, max(1, int(round(test_fraction * len(x)))))
        if len(x) > 1
        else 0
    )
    return x[order[n_test:]], (x[order[:n_test]] if n_test else x)


def _two_domains(spec, image_size):
    if "," in spec:
        folders = spec.split(",")
        if len(folders) != 2 or not all(os.path.isdir(f) for f in folders):
            raise CommandError(
                "argument --data: two domains are given as two existing folders "
                f"`A_DIR,B_DIR`. Received: --data={spec}"
            )
    elif os.path.isdir(os.path.join(spec, "trainA")) and os.path.isdir(
        os.path.join(spec, "trainB")
    ):
        folders = [os.path.join(spec, "trainA"), os.path.join(spec, "trainB")]
    else:
        raise CommandError(
            "argument --data: cyclegan trains on two unpaired image domains: pass "
            "`photos` (the embedded sample photos), two folders `A_DIR,B_DIR`, or "
            f"a folder holding trainA/ and trainB/. Received: --data={spec}"
        )
    x_a = load_image_folder(folders[0], image_size, channels=3)
    x_b = load_image_folder(folders[1], image_size, channels=3)
    (train_a, test_a), (train_b, test_b) = _split(x_a), _split(x_b)
    return Data("pairs", (train_a, train_b), (test_a, test_b), spec)


# The two Fashion-MNIST classes that serve as CycleGAN's domains: sneakers
# and ankle boots (the same pose, different shapes).
FASHION_MNIST_DOMAINS = (7, 9)


def _fashion_mnist(image_size, pairs):
    size = image_size or 28
    try:
        train = datasets.load_fashion_mnist(
            "train", with_labels=pairs, image_size=size
        )
        test = datasets.load_fashion_mnist(
            "test", with_labels=pairs, image_size=size
        )
    except (OSError, ValueError) as e:
        raise CommandError(
            f"argument --data: {e} Received: --data=fashion_mnist"
        ) from None
    if not pairs:
        return Data("images", train, test, "fashion_mnist")
    a, b = FASHION_MNIST_DOMAINS
    return Data(
        "pairs",
        (train[0][train[1] == a], train[0][train[1] == b]),
        (test[0][test[1] == a], test[0][test[1] == b]),
        "fashion_mnist",
    )


def load_data(spec, image_size=None, pairs=False):
    """Loads `--data` `spec`.

    Args:
        spec: `digits`, `fashion_mnist`, `toy:<name>`, `photos`, a folder,
            or (with `pairs`) `A_DIR,B_DIR`. With `pairs`, `fashion_mnist`
            is two classes, sneakers and ankle boots.
        image_size: side of the images (default: 8 for digits, 28 for
            Fashion-MNIST, 32 otherwise).
        pairs: load two unpaired domains (CycleGAN).

    Returns:
        A `Data`.
    """
    if spec == "fashion_mnist":
        return _fashion_mnist(image_size, pairs)
    if pairs:
        if spec == "photos":
            size = image_size or 32
            train = datasets.load_sample_photos(
                "train", size, value_range=(0.0, 1.0)
            )
            test = datasets.load_sample_photos(
                "test", size, value_range=(0.0, 1.0)
            )
            return Data("pairs", train, test, spec)
        return _two_domains(spec, image_size or 32)
    if spec == "digits":
        size = image_size or 8
        return Data(
            "images",
            datasets.load_digits("train", image_size=size),
            datasets.load_digits("test", image_size=size),
            spec,
        )
    if spec.startswith("toy:"):
        name = spec[len("toy:") :]
        if name not in datasets.TOY_2D_NAMES:
            raise CommandError(
                f"argument --data: unknown toy density {name!r}; expected one of "
                f"{', '.join(datasets.TOY_2D_NAMES)}. Received: --data={spec}"
            )
        return Data(
            "points",
            datasets.toy_2d(name, 20_000, seed=0),
            datasets.toy_2d(name, 2_000, seed=1),
            spec,
            toy=name,
        )
    if spec == "photos":
        raise CommandError(
            "argument --data: `photos` holds two image domains and trains "
            f"cyclegan only. Received: --data={spec}"
        )
    if os.path.isdir(spec):
        train, test = _split(load_image_folder(spec, image_size or 32))
        return Data("images", train, test, spec)
    raise CommandError(
        "argument --data: expected `digits`, `fashion_mnist`, `toy:<name>`, `photos` or an existing "
        f"image folder. Received: --data={spec}"
    )
