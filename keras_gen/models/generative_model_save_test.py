"""`GenerativeModel.save` writes `.keras` files atomically."""

import os
import zipfile

import keras
import pytest

from keras_gen.models import VAE


def tiny_vae(seed=0):
    model = VAE(data_shape=(6,), latent_dim=2, seed=seed)
    model.build((None, 6))
    return model


def test_an_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = str(tmp_path / "vae.keras")
    tiny_vae(seed=1).save(path)
    before = open(path, "rb").read()

    def fail(*args, **kwargs):
        raise KeyboardInterrupt("interrupted while writing the weights")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", fail)
    with pytest.raises(KeyboardInterrupt):
        tiny_vae(seed=2).save(path)
    monkeypatch.undo()
    assert open(path, "rb").read() == before
    assert os.listdir(tmp_path) == ["vae.keras"]
    assert keras.saving.load_model(path).seed == 1


def test_a_new_file_gets_the_umask_mode_and_errors_name_the_path(tmp_path):
    saved = os.umask(0o022)
    try:
        path = str(tmp_path / "vae.keras")
        tiny_vae().save(path)
        assert os.stat(path).st_mode & 0o777 == 0o644
    finally:
        os.umask(saved)
    with pytest.raises(ValueError, match="vae.txt"):
        tiny_vae().save(str(tmp_path / "vae.txt"))
    assert sorted(os.listdir(tmp_path)) == ["vae.keras"]
