import json
import os

import keras
import pytest

from keras_gen import presets
from keras_gen.models import VAE
from keras_gen.presets import safety


def tiny_vae():
    return VAE(data_shape=(6,), latent_dim=2, seed=0)


@pytest.fixture
def saved(tmp_path):
    path = str(tmp_path / "vae")
    tiny_vae().save_to_preset(path)
    return path


def _edit_config(path, edit):
    config_path = os.path.join(path, "config.json")
    with open(config_path) as f:
        config = json.load(f)
    edit(config)
    with open(config_path, "w") as f:
        json.dump(config, f)


def _first_layer(config):
    return config["config"]["encoder"]["config"]["layers"][1]


@pytest.fixture
def no_deserialization(monkeypatch):
    """Fails the test if anything is deserialized (the refusal must come first)."""

    def refuse(*args, **kwargs):
        raise AssertionError("deserialize_keras_object was called")

    monkeypatch.setattr(keras.saving, "deserialize_keras_object", refuse)


def test_a_lambda_layer_anywhere_is_refused_before_deserialization(saved, no_deserialization):
    def add_lambda(config):
        _first_layer(config).update(
            {"module": "keras.layers", "class_name": "Lambda", "registered_name": None}
        )

    _edit_config(saved, add_lambda)
    with pytest.raises(presets.UnsafePresetError, match="Lambda layer .*encoder"):
        VAE.from_preset(saved)


def test_a_class_from_another_module_is_refused_before_deserialization(saved, no_deserialization):
    def point_elsewhere(config):
        _first_layer(config)["module"] = "os"

    _edit_config(saved, point_elsewhere)
    with pytest.raises(presets.UnsafePresetError, match="module 'os'"):
        VAE.from_preset(saved)


def test_a_lookalike_package_and_a_foreign_registered_name_are_refused():
    base = {"module": "keras.layers", "class_name": "Dense", "config": {}, "registered_name": None}
    safety.check_config(base)  # a plain Keras layer passes
    with pytest.raises(presets.UnsafePresetError, match="keras_evil"):
        safety.check_config(dict(base, module="keras_evil.layers"))
    with pytest.raises(presets.UnsafePresetError, match="evil>Dense"):
        safety.check_config(dict(base, registered_name="evil>Dense"))
    with pytest.raises(presets.UnsafePresetError, match="Lambda"):
        safety.check_config({"class_name": "__lambda__", "config": {"code": "..."}})


def test_a_weights_file_that_does_not_match_its_hash_is_refused_before_loading(saved, no_deserialization):
    with open(os.path.join(saved, "model.weights.h5"), "ab") as f:
        f.write(b"tampered")
    with pytest.raises(presets.PresetIntegrityError, match="does not match its metadata"):
        VAE.from_preset(saved)


def test_a_hash_mismatch_does_not_stop_loading_the_architecture_alone(saved):
    with open(os.path.join(saved, "model.weights.h5"), "ab") as f:
        f.write(b"tampered")
    model = VAE.from_preset(saved, load_weights=False)
    assert model.latent_dim == 2


def test_a_missing_file_is_named(saved):
    os.remove(os.path.join(saved, "metadata.json"))
    with pytest.raises(presets.PresetIntegrityError, match="metadata.json is missing"):
        VAE.from_preset(saved)
