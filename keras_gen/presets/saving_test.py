import json
import os

import numpy as np
import pytest

from keras_gen import presets
from keras_gen.models import VAE
from keras_gen.presets import handles


def tiny_vae(seed=0):
    return VAE(data_shape=(6,), latent_dim=2, seed=seed)


def _siblings(tmp_path):
    return sorted(p.name for p in tmp_path.iterdir())


def test_layout_and_metadata(tmp_path):
    path = tiny_vae().save_to_preset(str(tmp_path / "vae"), metadata={"metrics": {"nll": 1.5}})
    assert sorted(os.listdir(path)) == sorted(handles.PRESET_FILES)
    with open(os.path.join(path, "metadata.json")) as f:
        metadata = json.load(f)
    assert metadata["class_name"] == "VAE"
    assert metadata["metrics"] == {"nll": 1.5}
    assert metadata["weights_sha256"] == presets.safety.file_sha256(os.path.join(path, "model.weights.h5"))
    for key in ("keras_gen_version", "keras_version", "backend", "date"):
        assert metadata[key]
    assert metadata["reference_outputs"]["probe"] == "decode"


@pytest.fixture
def failing_weights(monkeypatch):
    """`save_weights` writes half a file, then the process "dies"."""

    def fail(self, path, *args, **kwargs):
        with open(path, "wb") as f:
            f.write(b"half a file")
        raise KeyboardInterrupt("interrupted mid-save")

    monkeypatch.setattr(VAE, "save_weights", fail)


def test_an_interrupted_save_leaves_no_preset(tmp_path, failing_weights):
    with pytest.raises(KeyboardInterrupt):
        tiny_vae().save_to_preset(str(tmp_path / "vae"))
    assert _siblings(tmp_path) == []  # neither the preset nor a temporary directory


def test_an_interrupted_save_keeps_the_existing_preset(tmp_path, monkeypatch):
    path = str(tmp_path / "vae")
    original = tiny_vae(seed=0)
    original.save_to_preset(path)
    before = {name: open(os.path.join(path, name), "rb").read() for name in handles.PRESET_FILES}

    def fail(self, path, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(VAE, "save_weights", fail)
    with pytest.raises(OSError, match="disk full"):
        tiny_vae(seed=1).save_to_preset(path)
    assert _siblings(tmp_path) == ["vae"]
    after = {name: open(os.path.join(path, name), "rb").read() for name in handles.PRESET_FILES}
    assert after == before
    monkeypatch.undo()
    VAE.from_preset(path)  # still a valid preset


def test_a_save_replaces_an_existing_preset(tmp_path):
    path = str(tmp_path / "vae")
    tiny_vae(seed=0).save_to_preset(path)
    second = tiny_vae(seed=1)
    second.save_to_preset(path)
    assert _siblings(tmp_path) == ["vae"]
    loaded = VAE.from_preset(path)
    assert loaded.seed == 1


def test_a_directory_with_other_files_is_not_replaced(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="notes.txt"):
        tiny_vae().save_to_preset(str(tmp_path))
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_reserved_metadata_keys_are_refused(tmp_path):
    with pytest.raises(ValueError, match="weights_sha256"):
        tiny_vae().save_to_preset(str(tmp_path / "vae"), metadata={"weights_sha256": "0"})


def test_the_optimizer_state_is_left_out(tmp_path):
    import h5py

    from keras_gen.models import GAN

    model = GAN(data_shape=(2,), latent_dim=2, seed=0)
    model.compile()  # builds both Adam optimizers
    path = model.save_to_preset(str(tmp_path / "gan"))
    with h5py.File(os.path.join(path, "model.weights.h5"), "r") as f:
        assert "optimizer" not in f and "generator" in f
    loaded = GAN.from_preset(path)
    loaded.compile()  # a fresh optimizer for fine-tuning
    np.testing.assert_allclose(loaded.generate(3, seed=0), model.generate(3, seed=0), atol=1e-6)


def test_the_preset_directory_is_not_private(tmp_path):
    path = tiny_vae().save_to_preset(str(tmp_path / "vae"))
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o777 & ~umask
