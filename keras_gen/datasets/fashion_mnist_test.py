import gzip
import hashlib
import os
import struct

import numpy as np
import pytest

from keras_gen import datasets
from keras_gen.datasets import fashion_mnist as fm


def write_idx(path, array):
    """Writes `array` (uint8) as a gzip-compressed IDX file; returns the
    SHA-256 of the decompressed bytes."""
    data = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    data += np.asarray(array, np.uint8).tobytes()
    with gzip.open(path, "wb") as f:
        f.write(data)
    return hashlib.sha256(data).hexdigest()


def write_fashion_files(directory, num=6, seed=0):
    """Four small files with the Fashion-MNIST names; returns their hashes."""
    os.makedirs(directory, exist_ok=True)
    rng = np.random.default_rng(seed)
    hashes = {}
    for images, labels in fm.FILES.values():
        hashes[images] = write_idx(
            os.path.join(directory, images), rng.integers(0, 256, (num, 28, 28))
        )
        hashes[labels] = write_idx(
            os.path.join(directory, labels), np.arange(num) % 10
        )
    return hashes


REAL_DOWNLOAD = fm._download


def _no_download():
    raise AssertionError("a test tried to download Fashion-MNIST")


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Every searched place moved into `tmp_path`, empty; no download."""
    dirs = {
        "path": str(tmp_path / "path"),
        "env": str(tmp_path / "env"),
        "debian": str(tmp_path / "debian"),
        "keras": str(tmp_path / "keras_home" / fm.KERAS_CACHE_SUBDIR),
    }
    monkeypatch.setenv(fm.ENV_VAR, dirs["env"])
    monkeypatch.setattr(fm, "DEBIAN_DIR", dirs["debian"])
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setattr(fm, "KERAS_FALLBACK_HOME", str(tmp_path / "tmp_keras"))
    monkeypatch.setattr(fm, "_download", _no_download)
    return dirs


needs_real_files = pytest.mark.skipif(
    not fm.is_available(),
    reason="the Fashion-MNIST files are not installed (apt-get install dataset-fashion-mnist)",
)


def test_read_idx_parses_images_and_labels(tmp_path):
    images = (
        np.random.default_rng(0).integers(0, 256, (3, 28, 28)).astype(np.uint8)
    )
    digest = write_idx(tmp_path / "x.gz", images)
    np.testing.assert_array_equal(
        fm.read_idx(tmp_path / "x.gz", digest, ndim=3), images
    )
    write_idx(tmp_path / "y.gz", np.array([9, 0, 3]))
    y = fm.read_idx(tmp_path / "y.gz", ndim=1)
    assert y.dtype == np.uint8 and y.tolist() == [9, 0, 3]
    with pytest.raises(ValueError, match="holds a 1-D array, expected 3-D"):
        fm.read_idx(tmp_path / "y.gz", ndim=3)


def test_truncated_and_corrupt_files_are_errors_naming_the_file(tmp_path):
    write_idx(
        tmp_path / "good.gz",
        np.random.default_rng(0).integers(0, 256, (20, 28, 28)),
    )
    raw = (tmp_path / "good.gz").read_bytes()
    (tmp_path / "truncated.gz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(
        ValueError, match="truncated.gz is truncated or corrupt"
    ):
        fm.read_idx(tmp_path / "truncated.gz")
    corrupt = bytearray(raw)
    corrupt[len(raw) // 2] ^= (
        0xFF  # inside the deflate stream: CRC or stream error
    )
    (tmp_path / "corrupt.gz").write_bytes(bytes(corrupt))
    with pytest.raises(ValueError, match="corrupt.gz is truncated or corrupt"):
        fm.read_idx(tmp_path / "corrupt.gz")
    # A well-formed gzip file whose header promises more bytes than it holds.
    with gzip.open(tmp_path / "short.gz", "wb") as f:
        f.write(struct.pack(">IIII", 0x0803, 20, 28, 28) + bytes(100))
    with pytest.raises(
        ValueError,
        match="short.gz holds 100 data bytes, its header announces 15680",
    ):
        fm.read_idx(tmp_path / "short.gz")
    with gzip.open(tmp_path / "magic.gz", "wb") as f:
        f.write(struct.pack(">I", 0x0D03) + bytes(10))
    with pytest.raises(
        ValueError, match="magic.gz is not an IDX file.*00000d03"
    ):
        fm.read_idx(tmp_path / "magic.gz")


def test_a_file_with_other_content_fails_its_checksum(places, monkeypatch):
    monkeypatch.setattr(fm, "SHA256", write_fashion_files(places["path"]))
    write_fashion_files(
        places["debian"], seed=1
    )  # same names and shapes, other pixels
    assert datasets.load_fashion_mnist("test", path=places["path"]).shape == (
        6,
        28,
        28,
        1,
    )
    with pytest.raises(
        ValueError,
        match="t10k-images-idx3-ubyte.gz is not the Fashion-MNIST file",
    ):
        datasets.load_fashion_mnist("test")


def test_search_order_path_env_debian_keras_cache(places):
    for name in ("keras", "debian", "env", "path"):
        write_fashion_files(places[name])
        expected = places[name]
        found = fm.find_fashion_mnist(
            "test", path=places["path"] if name == "path" else None
        )
        assert found == expected
    # Without the variable, the Debian directory comes next.
    os.environ.pop(fm.ENV_VAR)
    assert fm.find_fashion_mnist("train") == places["debian"]


def test_keras_fallback_cache_and_split_specific_files(places):
    assert not fm.is_available()
    fallback = os.path.join(fm.KERAS_FALLBACK_HOME, fm.KERAS_CACHE_SUBDIR)
    write_fashion_files(fallback)
    assert fm.is_available() and fm.find_fashion_mnist("train") == fallback
    # A directory with only the test files serves the test split only.
    write_fashion_files(places["env"])
    for name in fm.FILES["train"]:
        os.remove(os.path.join(places["env"], name))
    assert fm.find_fashion_mnist("test") == places["env"]
    assert fm.find_fashion_mnist("train") == fallback


def test_download_is_the_last_resort(places, monkeypatch):
    calls = []

    def fake_download():
        calls.append(1)
        write_fashion_files(places["keras"])

    monkeypatch.setattr(fm, "_download", fake_download)
    hashes = write_fashion_files(places["keras"] + "_elsewhere")
    monkeypatch.setattr(fm, "SHA256", hashes)
    x, y = datasets.load_fashion_mnist("test", with_labels=True)
    assert (
        calls == [1]
        and x.shape == (6, 28, 28, 1)
        and y.tolist() == [0, 1, 2, 3, 4, 5]
    )
    datasets.load_fashion_mnist(
        "test"
    )  # now in Keras' cache: no second download
    assert calls == [1]


def test_not_found_lists_every_place_and_how_to_get_the_files(
    places, monkeypatch
):
    import keras

    # The real last step, on a machine that is offline: Keras is not called.
    monkeypatch.setattr(fm, "_download", REAL_DOWNLOAD)
    monkeypatch.setattr(fm, "_online", lambda: False)
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", _no_download)
    with pytest.raises(FileNotFoundError) as info:
        datasets.load_fashion_mnist("train", path=places["path"])
    message = str(info.value)
    for where in places.values():
        assert where in message
    assert (
        os.path.join(fm.KERAS_FALLBACK_HOME, fm.KERAS_CACHE_SUBDIR) in message
    )
    assert "offline (no connection to storage.googleapis.com)" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "keras.datasets.fashion_mnist.load_data()" in message
    assert f"${fm.ENV_VAR}" in message
    with pytest.raises(
        FileNotFoundError, match="not tried \\(download=False\\)"
    ):
        datasets.load_fashion_mnist("test", download=False)


def test_a_failed_download_is_reported(places, monkeypatch):
    import keras

    def offline_keras():
        raise OSError("URL fetch failure")

    monkeypatch.setattr(fm, "_download", REAL_DOWNLOAD)
    monkeypatch.setattr(fm, "_online", lambda: True)
    monkeypatch.setattr(
        keras.datasets.fashion_mnist, "load_data", offline_keras
    )
    with pytest.raises(
        FileNotFoundError, match="load_data\\(\\): OSError: URL fetch failure"
    ):
        datasets.load_fashion_mnist("test")


def test_parsed_files_are_cached_per_process(places, monkeypatch):
    monkeypatch.setattr(
        fm, "SHA256", write_fashion_files(places["path"], num=12)
    )
    reads = []
    read_idx = fm.read_idx
    monkeypatch.setattr(
        fm, "read_idx", lambda *a, **k: reads.append(a[0]) or read_idx(*a, **k)
    )
    a = datasets.load_fashion_mnist("train", path=places["path"])
    b = datasets.load_fashion_mnist(
        "train", path=places["path"], num_samples=5, flatten=True
    )
    assert len(reads) == 2  # images and labels, once
    assert a.shape == (12, 28, 28, 1) and b.shape == (5, 784)
    np.testing.assert_array_equal(a[:5].reshape(5, -1), b)


def test_options_subset_padding_binarize(places, monkeypatch):
    monkeypatch.setattr(
        fm, "SHA256", write_fashion_files(places["path"], num=8)
    )
    x = datasets.load_fashion_mnist(
        "test", path=places["path"], num_samples=3, image_size=32
    )
    core = datasets.load_fashion_mnist(
        "test", path=places["path"], num_samples=3
    )
    assert x.shape == (3, 32, 32, 1) and x.dtype == np.float32
    np.testing.assert_array_equal(x[:, 2:30, 2:30], core)
    assert x[:, :2].max() == 0 and x[:, :, 30:].max() == 0
    assert 0.0 <= core.min() and core.max() <= 1.0
    b = datasets.load_fashion_mnist("test", path=places["path"], binarize=True)
    assert set(np.unique(b)) == {0.0, 1.0}
    with pytest.raises(ValueError, match="num_samples=9"):
        datasets.load_fashion_mnist("test", path=places["path"], num_samples=9)
    with pytest.raises(ValueError, match="image_size=31"):
        datasets.load_fashion_mnist("test", image_size=31)
    with pytest.raises(ValueError, match="split='val'"):
        datasets.load_fashion_mnist("val")


@needs_real_files
def test_real_files_pass_their_checksums_and_have_balanced_classes():
    x, y = datasets.load_fashion_mnist("test", with_labels=True, download=False)
    assert x.shape == (10000, 28, 28, 1) and x.dtype == np.float32
    assert y.dtype == np.int32 and np.bincount(y).tolist() == [1000] * 10
    assert x.min() == 0.0 and x.max() == 1.0
    x_train, y_train = datasets.load_fashion_mnist(
        "train", with_labels=True, num_samples=2000, download=False
    )
    assert x_train.shape == (2000, 28, 28, 1) and set(y_train.tolist()) == set(
        range(10)
    )
    # Every image has a dark background border and a bright object.
    assert np.median(x[:, 0, :, 0]) == 0.0 and np.all(
        x.reshape(len(x), -1).max(axis=1) > 0.3
    )
