import base64
import json
import os
import pickle
import sys
import textwrap

import keras
import numpy as np
import pytest

from keras_gen import presets
from keras_gen.models import VAE
from keras_gen.presets import handles, safety


def tiny_vae():
    # Networks of the user's own: functional configs in the preset, where a
    # hostile edit can hide a layer (default networks are stored as their
    # hyper-parameters only).
    inputs = keras.Input((6,))
    encoder = keras.Model(
        inputs,
        keras.layers.Dense(4)(keras.layers.Dense(8, activation="relu")(inputs)),
    )
    codes = keras.Input((2,))
    decoder = keras.Model(
        codes,
        keras.layers.Dense(6)(keras.layers.Dense(8, activation="relu")(codes)),
    )
    return VAE(encoder=encoder, decoder=decoder, latent_dim=2, seed=0)


@pytest.fixture
def saved(tmp_path):
    path = str(tmp_path / "vae")
    tiny_vae().save_to_preset(path)
    return path


def _edit_json(path, filename, edit):
    file_path = os.path.join(path, filename)
    with open(file_path) as f:
        value = json.load(f)
    value = edit(value) or value
    with open(file_path, "w") as f:
        json.dump(value, f)


def _edit_config(path, edit):
    _edit_json(path, "config.json", edit)


def _first_layer(config):
    return config["config"]["encoder"]["config"]["layers"][1]


@pytest.fixture
def no_deserialization(monkeypatch):
    """Fails the test if anything is deserialized (the refusal must come first)."""

    def refuse(*args, **kwargs):
        raise AssertionError("deserialize_keras_object was called")

    monkeypatch.setattr(keras.saving, "deserialize_keras_object", refuse)


# A third-party package, as `pip install` would give one: it registers a
# layer and a function with Keras, and records when either runs.
THIRD_PARTY = textwrap.dedent(
    """
    import os
    import keras

    def _record(what):
        with open(os.environ["THIRD_PARTY_MARK"], "a") as f:
            f.write(what + "\\n")

    @keras.saving.register_keras_serializable(package="thirdparty")
    class Hostile(keras.layers.Layer):
        def __init__(self, **kwargs):
            _record("constructed")
            super().__init__(**kwargs)

        def call(self, x):
            return x

    @keras.saving.register_keras_serializable(package="thirdparty")
    def hostile_fn(x):
        _record("called")
        return x

    class Payload:
        def __reduce__(self):
            return (_record, ("unpickled",))
    """
)


@pytest.fixture
def third_party(tmp_path_factory, monkeypatch):
    """Imports the package above; yields the file its code writes to."""
    root = tmp_path_factory.mktemp("site")
    (root / "thirdparty_pkg.py").write_text(THIRD_PARTY)
    mark = root / "ran.txt"
    monkeypatch.setenv("THIRD_PARTY_MARK", str(mark))
    monkeypatch.syspath_prepend(str(root))
    module = __import__("thirdparty_pkg")
    yield mark, module
    registry = keras.saving.get_custom_objects()
    for key in ("thirdparty>Hostile", "thirdparty>hostile_fn"):
        registry.pop(key, None)
    sys.modules.pop("thirdparty_pkg", None)


@pytest.fixture
def unsafe_deserialization_enabled():
    """`keras.config.enable_unsafe_deserialization()`, undone afterwards."""
    from keras.src.backend.common import global_state

    before = global_state.get_global_attribute("safe_mode_saving")
    keras.config.enable_unsafe_deserialization()
    yield
    global_state.set_global_attribute("safe_mode_saving", before)


def _hostile_layer():
    return {"class_name": "thirdparty>Hostile", "config": {"name": "h"}}


def _hostile_function():
    return {"class_name": "function", "config": "thirdparty>hostile_fn"}


def _set(path, value):
    def edit(config):
        target = config
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return edit


ENCODER_LAYER = ["config", "encoder", "config", "layers", 1]
ENCODER_DENSE_CONFIG = ENCODER_LAYER + ["config"]


@pytest.mark.parametrize(
    "path, value, where",
    [
        # The class named only in `class_name` as "pkg>Name".
        (
            ENCODER_LAYER,
            _hostile_layer(),
            r"config\.encoder\.config\.layers\[1\]",
        ),
        # A registered function, which `generate` would call.
        (
            ENCODER_DENSE_CONFIG + ["activation"],
            _hostile_function(),
            r"layers\[1\]\.config\.activation",
        ),
        # The same function by its bare name: Keras' legacy lookup finds
        # "thirdparty>hostile_fn" from "hostile_fn".
        (
            ENCODER_DENSE_CONFIG + ["activation"],
            {
                "class_name": "function",
                "module": "builtins",
                "config": "hostile_fn",
                "registered_name": "hostile_fn",
            },
            r"activation",
        ),
        # A plain string that Keras' `initializers.get` looks up in the registry.
        (
            ENCODER_DENSE_CONFIG + ["kernel_initializer"],
            "thirdparty>Hostile",
            r"kernel_initializer",
        ),
        # `registered_name` and `module` pointing at the package.
        (
            ENCODER_LAYER,
            {
                "class_name": "Dense",
                "module": "thirdparty_pkg",
                "registered_name": "thirdparty>Hostile",
                "config": {},
            },
            r"module 'thirdparty_pkg'",
        ),
        # Deep in a nested structure, as a shared object.
        (
            ["config", "extra"],
            [{"deep": {"inner": [dict(_hostile_layer(), shared_object_id=7)]}}],
            r"config\.extra\[0\]\.deep\.inner\[0\]",
        ),
    ],
)
def test_third_party_objects_are_refused_however_they_are_spelled(
    saved, third_party, no_deserialization, path, value, where
):
    mark, _ = third_party
    _edit_config(saved, _set(path, value))
    with pytest.raises(presets.UnsafePresetError, match=where):
        VAE.from_preset(saved)
    assert not mark.exists()


def test_third_party_objects_are_refused_in_overrides(
    saved, third_party, no_deserialization
):
    mark, _ = third_party
    with pytest.raises(
        presets.UnsafePresetError, match=r"config\.encoder.*override `encoder`"
    ):
        VAE.from_preset(saved, encoder=_hostile_layer())
    with pytest.raises(
        presets.UnsafePresetError,
        match=r"override `decoder`.*thirdparty>Hostile",
    ):
        VAE.from_preset(saved, decoder="thirdparty>Hostile")
    with pytest.raises(presets.UnsafePresetError, match=r"override `beta`"):
        presets.from_preset(
            saved,
            beta={"class_name": "function", "config": "thirdparty>hostile_fn"},
        )
    assert not mark.exists()


def test_a_torch_module_wrapper_is_refused_even_with_unsafe_deserialization(
    saved, third_party, unsafe_deserialization_enabled
):
    mark, module = third_party
    payload = base64.b64encode(pickle.dumps(module.Payload())).decode("ascii")

    def add_wrapper(config):
        config["config"]["encoder"]["config"]["layers"][1] = {
            "module": "keras.layers",
            "class_name": "TorchModuleWrapper",
            "config": {"name": "w", "module": payload, "output_shape": None},
            "registered_name": None,
        }

    _edit_config(saved, add_wrapper)
    with pytest.raises(
        presets.UnsafePresetError,
        match=r"layers\[1\] is a TorchModuleWrapper layer.*pickled",
    ):
        VAE.from_preset(saved)
    assert not mark.exists()


@pytest.mark.parametrize(
    "entry, reason",
    [
        (
            {
                "module": "keras.layers",
                "class_name": "Lambda",
                "config": {},
                "registered_name": None,
            },
            "Lambda layer",
        ),
        (
            {"class_name": "__lambda__", "config": {"value": "..."}},
            "Python lambda",
        ),
        (
            {
                "module": "keras.layers",
                "class_name": "JaxLayer",
                "config": {},
                "registered_name": None,
            },
            "JaxLayer",
        ),
        (
            {
                "module": "keras.layers",
                "class_name": "FlaxLayer",
                "config": {},
                "registered_name": None,
            },
            "FlaxLayer",
        ),
        (
            {
                "module": "keras.layers",
                "class_name": "TFSMLayer",
                "config": {},
                "registered_name": None,
            },
            "SavedModel",
        ),
        (
            {
                "module": "keras.layers",
                "class_name": "StringLookup",
                "config": {"vocabulary": "/etc/passwd"},
            },
            "vocabulary is the file '/etc/passwd'",
        ),
        (
            {
                "module": "keras.callbacks",
                "class_name": "TensorBoard",
                "config": {},
            },
            "not a Keras modeling class",
        ),
        (
            {
                "class_name": "function",
                "module": "keras.utils",
                "config": "get_file",
            },
            "neither a Keras nor a keras_gen",
        ),
        (
            {
                "class_name": "function",
                "module": "keras.config",
                "config": "enable_unsafe_deserialization",
            },
            "function",
        ),
        (
            {"class_name": "__typespec__", "config": [], "spec_name": "X"},
            "__typespec__",
        ),
        (
            {
                "module": "keras.layers",
                "class_name": "NoSuchLayer",
                "config": {},
            },
            "NoSuchLayer",
        ),
    ],
)
def test_code_and_file_loading_layers_are_refused_before_deserialization(
    saved, no_deserialization, unsafe_deserialization_enabled, entry, reason
):
    _edit_config(saved, _set(ENCODER_LAYER, entry))
    with pytest.raises(
        presets.UnsafePresetError,
        match=r"config\.encoder\.config\.layers\[1\].*" + reason,
    ):
        VAE.from_preset(saved)


def test_a_lookalike_package_and_a_foreign_registered_name_are_refused():
    base = {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {},
        "registered_name": None,
    }
    safety.check_config(base)  # a plain Keras layer passes
    with pytest.raises(presets.UnsafePresetError, match="keras_evil"):
        safety.check_config(dict(base, module="keras_evil.layers"))
    with pytest.raises(presets.UnsafePresetError, match="evil>Dense"):
        safety.check_config(dict(base, registered_name="evil>Dense"))


def test_keras_and_keras_gen_objects_pass():
    model = tiny_vae()
    safety.check_config(keras.saving.serialize_keras_object(model))
    layer = keras.layers.Dense(
        3, activation=keras.activations.gelu, kernel_regularizer="l2"
    )
    safety.check_config(keras.saving.serialize_keras_object(layer))
    safety.check_config(
        {
            "class_name": "function",
            "module": "builtins",
            "config": "relu",
            "registered_name": "relu",
        }
    )
    for name in handles.builtin_names():  # every built-in preset
        presets.load_config(name)


def test_a_config_nested_too_deeply_gets_a_named_error(saved):
    def nest(config, depth):
        deep = []
        for _ in range(depth):
            deep = [deep]
        config["config"]["extra"] = deep

    _edit_config(saved, lambda config: nest(config, 150))
    with pytest.raises(
        presets.PresetIntegrityError, match="nests deeper than 100 levels"
    ):
        VAE.from_preset(saved)
    with open(os.path.join(saved, "config.json"), "w") as f:
        f.write(
            '{"class_name": "VAE", "config": '
            + "[" * 100_000
            + "]" * 100_000
            + "}"
        )
    with pytest.raises(
        presets.PresetIntegrityError, match="config.json .* nests too deeply"
    ):
        VAE.from_preset(saved)


@pytest.mark.parametrize(
    "value, name", [([], "list"), (None, "null"), ("text", "str")]
)
def test_metadata_that_is_not_an_object_gets_a_named_error(saved, value, name):
    with open(os.path.join(saved, "metadata.json"), "w") as f:
        json.dump(value, f)
    with pytest.raises(
        presets.PresetIntegrityError,
        match=f"metadata.json of .* must hold a JSON object. Received: {name}",
    ):
        VAE.from_preset(saved)
    with pytest.raises(
        presets.PresetIntegrityError, match="must hold a JSON object"
    ):
        presets.load_metadata(saved)


def test_weights_holding_nan_or_inf_are_refused(saved):
    import h5py

    weights = os.path.join(saved, "model.weights.h5")
    with h5py.File(weights, "r+") as f:
        kernel = f["encoder/layers/dense/vars/0"]
        values = kernel[()]
        values[0, 0], values[1, 1] = np.nan, np.inf
        kernel[...] = values
    # Hash recomputed: a preset saved after training diverged.
    _edit_json(
        saved,
        "metadata.json",
        _set(["weights_sha256"], safety.file_sha256(weights)),
    )
    with pytest.raises(
        presets.PresetIntegrityError,
        match=r"NaN or infinite values: encoder/layers/dense/vars/0 \(2 of",
    ):
        VAE.from_preset(saved)
    assert VAE.from_preset(saved, load_weights=False).latent_dim == 2


def test_a_weights_file_that_does_not_match_its_hash_is_refused_before_loading(
    saved, no_deserialization
):
    with open(os.path.join(saved, "model.weights.h5"), "ab") as f:
        f.write(b"tampered")
    with pytest.raises(
        presets.PresetIntegrityError, match="does not match its metadata"
    ):
        VAE.from_preset(saved)


def test_a_hash_mismatch_does_not_stop_loading_the_architecture_alone(saved):
    with open(os.path.join(saved, "model.weights.h5"), "ab") as f:
        f.write(b"tampered")
    model = VAE.from_preset(saved, load_weights=False)
    assert model.latent_dim == 2


def test_a_missing_file_is_named(saved):
    os.remove(os.path.join(saved, "metadata.json"))
    with pytest.raises(
        presets.PresetIntegrityError, match="metadata.json is missing"
    ):
        VAE.from_preset(saved)
