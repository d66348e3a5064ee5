import os

import numpy as np
import pytest
from PIL import Image

from keras_gen.utils import images


def test_make_grid_tiles_and_scales():
    batch = np.stack([np.zeros((2, 2)), np.ones((2, 2)), np.full((2, 2), 0.5)])
    grid = images.make_grid(batch, num_cols=2, value_range=(0, 1), padding=1)
    assert grid.shape == (7, 7) and grid.dtype == np.uint8
    assert grid[1, 1] == 0 and grid[1, 4] == 255 and grid[4, 1] == 128


def test_make_grid_rejects_bad_shapes():
    with pytest.raises(ValueError, match="images.shape"):
        images.make_grid(np.zeros((2, 4, 4, 2)))


def test_save_image_grid_writes_png(tmp_path):
    path = images.save_image_grid(
        np.random.rand(4, 8, 8, 1), str(tmp_path / "grid.png")
    )
    with Image.open(path) as image:
        assert image.size[0] >= 64 * 2


def test_save_loss_curves(tmp_path):
    path = str(tmp_path / "loss.png")
    images.save_loss_curves(
        {"loss": [3.0, 2.0, 1.5], "d_loss": [0.7, 0.69, 0.7]}, path
    )
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"))
    # Both curves are drawn in their own colours.
    colours = {tuple(p) for p in pixels.reshape(-1, 3)}
    assert (31, 119, 180) in colours and (255, 127, 14) in colours
    with pytest.raises(ValueError, match="history"):
        images.save_loss_curves({"loss": [float("nan")]}, path)


def test_interrupted_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = str(tmp_path / "grid.png")
    images.save_image(np.zeros((4, 4), "uint8"), path)
    before = open(path, "rb").read()

    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Image.Image, "save", fail)
    with pytest.raises(KeyboardInterrupt):
        images.save_image(np.full((4, 4), 255, "uint8"), path)
    assert open(path, "rb").read() == before
    assert os.listdir(tmp_path) == ["grid.png"]


def test_a_new_image_gets_the_mode_the_umask_allows(tmp_path):
    saved = os.umask(0o022)
    try:
        path = images.save_image(
            np.zeros((4, 4), "uint8"), str(tmp_path / "a.png")
        )
        assert os.stat(path).st_mode & 0o777 == 0o644
        os.umask(0o002)
        path = images.save_image(
            np.zeros((4, 4), "uint8"), str(tmp_path / "b.png")
        )
        assert os.stat(path).st_mode & 0o777 == 0o664
    finally:
        os.umask(saved)


@pytest.mark.skipif(
    images.atomic.fcntl is None, reason="needs fcntl.flock (POSIX)"
)
def test_the_next_write_removes_what_a_killed_writer_left(tmp_path):
    path = str(tmp_path / "grid.png")
    images.save_image(np.zeros((4, 4), "uint8"), path)
    # What a writer killed mid-save leaves: its (unlocked) temporary file.
    (tmp_path / ".tmp-k1ll3d00-grid.png").write_bytes(b"\x89PNG half")
    images.save_image(np.full((4, 4), 255, "uint8"), path)
    assert os.listdir(tmp_path) == ["grid.png"]
    with Image.open(path) as image:
        assert np.asarray(image).min() == 255
