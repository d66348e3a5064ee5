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
    path = tiny_vae().save_to_preset(
        str(tmp_path / "vae"), metadata={"metrics": {"nll": 1.5}}
    )
    assert sorted(os.listdir(path)) == sorted(handles.PRESET_FILES)
    with open(os.path.join(path, "metadata.json")) as f:
        metadata = json.load(f)
    assert metadata["class_name"] == "VAE"
    assert metadata["metrics"] == {"nll": 1.5}
    assert metadata["weights_sha256"] == presets.safety.file_sha256(
        os.path.join(path, "model.weights.h5")
    )
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
    assert (
        _siblings(tmp_path) == []
    )  # neither the preset nor a temporary directory


def test_an_interrupted_save_keeps_the_existing_preset(tmp_path, monkeypatch):
    path = str(tmp_path / "vae")
    original = tiny_vae(seed=0)
    original.save_to_preset(path)
    before = {
        name: open(os.path.join(path, name), "rb").read()
        for name in handles.PRESET_FILES
    }

    def fail(self, path, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(VAE, "save_weights", fail)
    with pytest.raises(OSError, match="disk full"):
        tiny_vae(seed=1).save_to_preset(path)
    assert _siblings(tmp_path) == ["vae"]
    after = {
        name: open(os.path.join(path, name), "rb").read()
        for name in handles.PRESET_FILES
    }
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
        tiny_vae().save_to_preset(
            str(tmp_path / "vae"), metadata={"weights_sha256": "0"}
        )


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
    np.testing.assert_allclose(
        loaded.generate(3, seed=0), model.generate(3, seed=0), atol=1e-6
    )


def test_the_preset_directory_is_not_private(tmp_path):
    path = tiny_vae().save_to_preset(str(tmp_path / "vae"))
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o777 & ~umask


def _interrupted_swap(path, staging_files=("config.json",)):
    """What a save killed between its two renames leaves: the old preset
    renamed aside and the complete (or partial) new one in staging."""
    parent, base = os.path.split(path)
    os.rename(path, os.path.join(parent, f".{base}.old-abcd1234"))
    staging = os.path.join(parent, f".{base}.tmp-efgh5678")
    os.mkdir(staging)
    for name in staging_files:
        with open(os.path.join(staging, name), "w") as f:
            f.write("{}")


def test_a_save_killed_between_its_renames_is_undone_by_the_next_load(tmp_path):
    path = str(tmp_path / "vae")
    tiny_vae(seed=3).save_to_preset(path)
    _interrupted_swap(path)
    assert _siblings(tmp_path) == [".vae.old-abcd1234", ".vae.tmp-efgh5678"]
    with pytest.warns(
        UserWarning,
        match="interrupted between its two renames; the previous preset was put back",
    ):
        loaded = VAE.from_preset(path)
    assert loaded.seed == 3
    assert _siblings(tmp_path) == ["vae"]


def test_the_next_save_undoes_an_interrupted_one_and_removes_staging_leftovers(
    tmp_path,
):
    path = str(tmp_path / "vae")
    tiny_vae(seed=3).save_to_preset(path)
    _interrupted_swap(path)
    for i in range(12):  # twelve killed saves left their staging directories
        os.mkdir(tmp_path / f".vae.tmp-dead{i:04d}")
    with pytest.warns(UserWarning, match="previous preset was put back"):
        tiny_vae(seed=4).save_to_preset(path)
    assert _siblings(tmp_path) == ["vae"]
    assert VAE.from_preset(path).seed == 4


def test_leftovers_beside_an_intact_preset_are_removed_by_a_load(tmp_path):
    path = str(tmp_path / "vae")
    tiny_vae(seed=3).save_to_preset(path)
    os.mkdir(tmp_path / ".vae.tmp-dead0001")
    os.mkdir(tmp_path / ".vae.old-dead0002")
    (tmp_path / ".other.tmp-dead0003").mkdir()  # another preset's: kept
    assert VAE.from_preset(path).seed == 3
    assert _siblings(tmp_path) == [".other.tmp-dead0003", "vae"]


def test_files_are_synced_before_the_swap(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(
        os,
        "fsync",
        lambda fd: synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        or real_fsync(fd),
    )
    if not os.path.exists("/proc/self/fd"):
        pytest.skip("needs /proc to name the synced files")
    tiny_vae().save_to_preset(str(tmp_path / "vae"))
    names = {os.path.basename(p) for p in synced}
    assert {"config.json", "model.weights.h5", "metadata.json"} <= names
    assert str(tmp_path) in synced  # the rename itself
