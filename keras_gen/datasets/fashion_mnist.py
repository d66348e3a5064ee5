"""Fashion-MNIST (Xiao et al., 2017), read offline from its IDX gzip files.

The four files come from, in order: the `path` argument, the directory in
`$KERAS_GEN_FASHION_MNIST_DIR`, Debian's package `dataset-fashion-mnist`
(`/usr/share/datasets/fashion-mnist`), Keras' download cache (where
`keras.datasets.fashion_mnist.load_data()` leaves them), and last a download
by `keras.datasets.fashion_mnist.load_data()` when the machine is online.
"""

import gzip
import hashlib
import os
import socket
import struct
import zlib

import numpy as np

from keras_gen.datasets import image_options
from keras_gen.utils import validation

ENV_VAR = "KERAS_GEN_FASHION_MNIST_DIR"
DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
DEBIAN_PACKAGE = "dataset-fashion-mnist"
# Where `keras.datasets.fashion_mnist.load_data()` stores the files, below
# $KERAS_HOME (default ~/.keras, or /tmp/.keras when home is read-only).
KERAS_CACHE_SUBDIR = os.path.join("datasets", "fashion-mnist")
KERAS_FALLBACK_HOME = os.path.join("/tmp", ".keras")
KERAS_DOWNLOAD_HOST = "storage.googleapis.com"

IMAGE_SIZE = 28
NUM_CLASSES = 10
CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip

# (images file, labels file) of each split.
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

# SHA-256 of each file's decompressed IDX bytes. The gzip files themselves
# differ by source only in their header: Debian's (26,421,856 bytes for the
# train images) lack the stored file name and carry another time stamp than
# the upstream Zalando files that Keras downloads (26,421,880 bytes). Put
# back, the header gives the upstream files' published digests (train
# images MD5 8d4fb7e6c68d591d4c3dfef9ec88bf0d, SHA-256 3aede38d61863908...;
# t10k labels MD5 bb300cfdad3c16e7a12a480ee83cd310), so both decompress to
# these same bytes.
SHA256 = {
    "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

# Parsed files, per process: (real path, size, mtime) -> uint8 array.
_CACHE = {}


def read_idx(path, sha256=None, ndim=None):
    """Reads one gzip-compressed IDX file into a `uint8` NumPy array.

    IDX: a big-endian header (magic `0x0000 08 <ndim>`, then `ndim` 32-bit
    sizes) followed by the unsigned bytes in C order.

    Args:
        path: the `.gz` file.
        sha256: the expected SHA-256 of the decompressed bytes, or `None`.
        ndim: the expected number of dimensions (3 for images, 1 for
            labels), or `None`.

    Returns:
        A read-only `uint8` array of the shape the header gives.

    Raises:
        ValueError: naming the file when it is truncated, corrupt, or not
            the expected file.

    Example:

    ```python
    y = keras_gen.datasets.fashion_mnist.read_idx(
        "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz", ndim=1)
    ```
    """
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(
            f"The file {path} is truncated or corrupt ({e}): delete it and "
            f"get it again. Received: path={str(path)!r}"
        ) from e
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(
            f"The file {path} is not the Fashion-MNIST file of that name: "
            f"its decompressed bytes have SHA-256 {hashlib.sha256(data).hexdigest()}, "
            f"expected {sha256} (a damaged or different file): delete it and "
            f"get it again. Received: path={str(path)!r}"
        )
    if len(data) < 4 or data[:3] != b"\x00\x00\x08":
        raise ValueError(
            f"The file {path} is not an IDX file of unsigned bytes: its magic "
            f"number is {data[:4].hex() or 'missing'}, expected 000008xx. "
            f"Received: path={str(path)!r}"
        )
    dims = data[3]
    if ndim is not None and dims != ndim:
        raise ValueError(
            f"The file {path} holds a {dims}-D array, expected {ndim}-D. "
            f"Received: path={str(path)!r}"
        )
    header = 4 + 4 * dims
    if len(data) < header:
        raise ValueError(
            f"The file {path} ends inside its header. Received: path={str(path)!r}"
        )
    shape = struct.unpack(f">{dims}I", data[4:header])
    if len(data) - header != int(np.prod(shape)):
        raise ValueError(
            f"The file {path} holds {len(data) - header} data bytes, its header "
            f"announces {int(np.prod(shape))} for shape {shape}. "
            f"Received: path={str(path)!r}"
        )
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape)


def _read_cached(path, name):
    stat = os.stat(path)
    key = (os.path.realpath(path), stat.st_size, stat.st_mtime_ns)
    if key not in _CACHE:
        _CACHE[key] = read_idx(
            path, SHA256[name], ndim=3 if "images" in name else 1
        )
    return _CACHE[key]


def keras_cache_dirs():
    """Where `keras.datasets.fashion_mnist.load_data()` keeps its files."""
    home = os.environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras"
    )
    dirs = [os.path.join(home, KERAS_CACHE_SUBDIR)]
    fallback = os.path.join(KERAS_FALLBACK_HOME, KERAS_CACHE_SUBDIR)
    return dirs + ([fallback] if fallback not in dirs else [])


def search_dirs(path=None):
    """The (description, directory) pairs searched, in order (the directory
    is `None` for an unset variable)."""
    places = []
    if path is not None:
        places.append(("the `path` argument", os.fspath(path)))
    places.append((f"${ENV_VAR}", os.environ.get(ENV_VAR) or None))
    places.append((f"Debian's package {DEBIAN_PACKAGE}", DEBIAN_DIR))
    places.extend(("Keras' dataset cache", d) for d in keras_cache_dirs())
    return places


def _online(timeout=3.0):
    try:
        socket.create_connection(
            (KERAS_DOWNLOAD_HOST, 443), timeout=timeout
        ).close()
        return True
    except OSError:
        return False


def _download():
    """Downloads the four files into Keras' cache; `None` or the reason it
    could not."""
    if not _online():
        return f"offline (no connection to {KERAS_DOWNLOAD_HOST})"
    import keras

    try:
        keras.datasets.fashion_mnist.load_data()
    except Exception as e:  # noqa: BLE001 - any failure is reported below
        return f"{type(e).__name__}: {e}"
    return None


def _not_found(split, places, download_note):
    names = " and ".join(FILES[split])
    lines = [f"- {label}: {where or 'not set'}" for label, where in places]
    if download_note is not None:
        lines.append(
            f"- a download by keras.datasets.fashion_mnist.load_data(): {download_note}"
        )
    return FileNotFoundError(
        f"Fashion-MNIST's {split} files ({names}) were not found. Looked in:\n"
        + "\n".join(lines)
        + "\nGet them with one of:\n"
        f"- `apt-get install {DEBIAN_PACKAGE}` (Debian/Ubuntu; installs them in "
        f"{DEBIAN_DIR}; `make install` does it as root),\n"
        '- `python -c "import keras; keras.datasets.fashion_mnist.load_data()"` '
        "on a machine with a network (they land in Keras' cache, "
        f"{keras_cache_dirs()[0]}),\n"
        f"- a copy of the four .gz files in a directory named by ${ENV_VAR} "
        "or passed as `path`."
    )


def _first_holding(places, split):
    for _, where in places:
        if where and all(
            os.path.isfile(os.path.join(where, f)) for f in FILES[split]
        ):
            return where
    return None


def find_fashion_mnist(split="train", path=None, download=True):
    """The directory holding a split's two Fashion-MNIST files.

    Looks in `path`, `$KERAS_GEN_FASHION_MNIST_DIR`, Debian's
    `/usr/share/datasets/fashion-mnist`, then Keras' dataset cache; if none
    holds them and `download` is true and the machine is online,
    `keras.datasets.fashion_mnist.load_data()` fetches them into that cache.

    Args:
        split: `"train"` or `"test"`.
        path: a directory to look in first.
        download: whether to download as the last resort.

    Returns:
        A directory path.

    Raises:
        FileNotFoundError: listing every place searched and how to get the
            files.
    """
    validation.check_choice(split, "split", FILES)
    places = search_dirs(path)
    where = _first_holding(places, split)
    if where is not None:
        return where
    if not download:
        raise _not_found(split, places, "not tried (download=False)")
    download_note = _download()
    where = _first_holding(places, split)
    if where is not None:
        return where
    download_note = download_note or "downloaded, but not found in Keras' cache"
    raise _not_found(split, places, download_note)


def is_available(path=None):
    """Whether both splits' files are found without a download (e.g. to
    skip what needs them)."""
    places = search_dirs(path)
    return all(_first_holding(places, split) is not None for split in FILES)


def load_fashion_mnist(
    split="train",
    with_labels=False,
    path=None,
    num_samples=None,
    image_size=IMAGE_SIZE,
    binarize=False,
    flatten=False,
    download=True,
):
    """Loads Fashion-MNIST: 28x28 grey images of 10 kinds of clothing, in [0, 1].

    60,000 train and 10,000 test images, in the files' order (classes are
    shuffled, so the first `num_samples` hold all ten). The files are found
    by `find_fashion_mnist` (no download when they are installed, e.g. by
    `apt-get install dataset-fashion-mnist`), checked against their known
    SHA-256, and parsed once per process.

    Args:
        split: `"train"` or `"test"`.
        with_labels: also return the int32 labels (0 T-shirt/top, 1 Trouser,
            2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag,
            9 Ankle boot; `CLASS_NAMES`).
        path: a directory holding the four `.gz` files, searched first.
        num_samples: only the first `num_samples` images of the split (e.g. a
            small subset for tests); `None` for all of them.
        image_size: 28, or a larger size with an even margin (e.g. 32 for
            networks that halve the size five times): the images are padded
            with background (0) on every side, so they are unchanged at the
            centre; `keras_gen.metrics.fashion_mnist_classifier(image_size=32)`
            crops them back.
        binarize: threshold at 0.5 to {0, 1} (for Bernoulli likelihoods).
        flatten: return vectors of `image_size**2` values instead of
            `(image_size, image_size, 1)` images.
        download: download with `keras.datasets.fashion_mnist.load_data()`
            when no local copy exists and the machine is online.

    Returns:
        `x`, a float32 array `(n, image_size, image_size, 1)`, or `(x, y)`
        when `with_labels=True`.

    Example:

    ```python
    x_train = keras_gen.datasets.load_fashion_mnist("train")  # (60000, 28, 28, 1)
    x_test, y_test = keras_gen.datasets.load_fashion_mnist(
        "test", with_labels=True, num_samples=1000)
    ```
    """
    validation.check_choice(split, "split", FILES)
    image_size = check_image_size(image_size)
    directory = find_fashion_mnist(split, path, download)
    images_file, labels_file = FILES[split]
    images = _read_cached(os.path.join(directory, images_file), images_file)
    labels = _read_cached(os.path.join(directory, labels_file), labels_file)
    if images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE) or len(images) != len(
        labels
    ):
        raise ValueError(  # only a hand-edited SHA256 table gets here
            f"{directory} holds {images.shape} images and {labels.shape} labels. "
            f"Received: path={directory!r}"
        )
    if num_samples is not None:
        num_samples = validation.check_positive_int(num_samples, "num_samples")
        if num_samples > len(images):
            raise ValueError(
                f"`num_samples` must be at most {len(images)}, the size of the "
                f"{split} split. Received: num_samples={num_samples}"
            )
        images, labels = images[:num_samples], labels[:num_samples]
    x = images.astype("float32") / 255.0
    margin = (image_size - IMAGE_SIZE) // 2
    if margin:
        x = np.pad(x, ((0, 0), (margin, margin), (margin, margin)))
    return image_options.finish(
        x[..., None], labels.astype("int32"), binarize, flatten, with_labels
    )


def check_image_size(image_size):
    """`image_size` if Fashion-MNIST images can be padded to it (28 plus an
    even margin), else a ValueError naming it."""
    image_size = validation.check_positive_int(image_size, "image_size")
    if image_size < IMAGE_SIZE or (image_size - IMAGE_SIZE) % 2:
        raise ValueError(
            "`image_size` must be 28 or 28 plus an even margin (30, 32, ...): "
            "Fashion-MNIST's 28x28 images are padded, never resized. "
            f"Received: image_size={image_size}"
        )
    return image_size
