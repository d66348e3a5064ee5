"""`from_preset`: a model from a preset handle, checked before it is built."""

import importlib
import json
import os

import keras

from keras_gen.presets import handles
from keras_gen.presets import safety
from keras_gen.presets import saving
from keras_gen.presets import weights as weights_lib


def _read_json(directory, filename, source):
    """The JSON object (a dict) in `directory/filename`, or a named error."""
    path = os.path.join(directory, filename)
    if not os.path.isfile(path):
        raise safety.PresetIntegrityError(
            f"{source} is not a complete preset: {filename} is missing from "
            f"{directory!r} (a preset holds {', '.join(handles.PRESET_FILES)})."
        )
    try:
        with open(path) as f:
            value = json.load(f)
    except ValueError as e:
        raise safety.PresetIntegrityError(f"{filename} of {source} is not valid JSON: {e}") from e
    except RecursionError as e:
        raise safety.PresetIntegrityError(
            f"{filename} of {source} nests too deeply to be read (more than "
            f"{safety.MAX_DEPTH} levels are refused anyway); refusing to load it."
        ) from e
    if not isinstance(value, dict):
        raise safety.PresetIntegrityError(
            f"{filename} of {source} must hold a JSON object. Received: "
            f"{'null' if value is None else type(value).__name__}"
        )
    return value


def load_metadata(handle):
    """The `metadata.json` of a preset, as a dict.

    Example:

    ```python
    keras_gen.presets.load_metadata("vae_digits")["metrics"]
    ```
    """
    directory = handles.resolve_handle(handle)
    return _read_json(directory, handles.METADATA_FILE, f"The preset {handle!r}")


def load_config(handle):
    """The `config.json` of a preset, checked by `safety.check_config`."""
    directory = handles.resolve_handle(handle)
    source = f"the preset {handle!r}"
    config = _read_json(directory, handles.CONFIG_FILE, source)
    safety.check_config(config, source)
    return config


def preset_class(config):
    """The class a (checked) preset config names."""
    import keras_gen.models  # noqa: F401  registers every keras_gen class

    registered = config.get("registered_name")
    if isinstance(registered, str):
        cls = keras.saving.get_registered_object(registered)
        if isinstance(cls, type):
            return cls
    module, name = config.get("module"), config.get("class_name")
    if module and name:
        # The module is keras or keras_gen (checked): importing it is safe.
        cls = getattr(importlib.import_module(module), name, None)
        if isinstance(cls, type):
            return cls
    if name == "Functional":
        return keras.Model
    raise safety.PresetIntegrityError(
        f"Cannot find the class of the preset's config (class_name={name!r}, "
        f"module={module!r}, registered_name={registered!r})."
    )


def _canonical(config):
    """A config with every layer or model name replaced by a placeholder, so
    that two builds of one architecture compare equal."""
    names = set()

    def collect(obj):
        if isinstance(obj, dict):
            if isinstance(obj.get("name"), str):
                names.add(obj["name"])
            for value in obj.values():
                collect(value)
        elif isinstance(obj, (list, tuple)):
            for value in obj:
                collect(value)

    def strip(obj):
        if isinstance(obj, dict):
            return {k: strip(v) for k, v in obj.items() if k != "name"}
        if isinstance(obj, (list, tuple)):
            return [strip(v) for v in obj]
        if isinstance(obj, str) and obj in names:
            return "<name>"
        return obj

    collect(config)
    return strip(json.loads(json.dumps(config)))


def _default_networks(cls, inner):
    """Names of the stored sub-networks that are the class's defaults.

    The model is built once with its stored networks left out, so that it
    creates its default networks from its own arguments; a stored network
    that has the same architecture was built that way.
    """
    stored = [name for name in getattr(cls, "network_args", ()) if inner.get(name) is not None]
    if not stored:
        return []
    try:
        reference = cls.from_config({k: (None if k in stored else v) for k, v in inner.items()})
    except Exception:
        return []  # the class cannot build defaults from this config
    return [
        name
        for name in stored
        if _canonical(keras.saving.serialize_keras_object(getattr(reference, name)))
        == _canonical(inner[name])
    ]


def _apply_overrides(cls, config, overrides, source):
    if "config" not in config or not isinstance(config["config"], dict):
        raise safety.PresetIntegrityError(f"The config of {source} has no 'config' entry.")
    network_args = tuple(getattr(cls, "network_args", ()))
    if not network_args and not issubclass(cls, _generative_model()):
        raise ValueError(
            f"Config overrides apply to keras_gen model presets; {source} holds "
            f"a {cls.__name__}. Received: {sorted(overrides)}"
        )
    inner = dict(config["config"])
    # Default networks are rebuilt from the overridden arguments (a new
    # `num_classes` gives a new label embedding); custom networks are kept.
    rebuilt = [n for n in _default_networks(cls, inner) if n not in overrides]
    for name in rebuilt:
        inner[name] = None
    for key, value in overrides.items():
        if key in network_args and isinstance(value, keras.Model):
            value = keras.saving.serialize_keras_object(value)
        inner[key] = value
    return dict(config, config=inner)


def _with_overrides(config, overrides):
    """`config` with the overrides in its inner config, networks serialized."""
    inner = dict(config.get("config") or {}) if isinstance(config.get("config"), dict) else {}
    for key, value in overrides.items():
        inner[key] = keras.saving.serialize_keras_object(value) if isinstance(value, keras.Model) else value
    return dict(config, config=inner)


def _generative_model():
    from keras_gen.models.generative_model import GenerativeModel

    return GenerativeModel


def from_preset(handle, load_weights=True, model_class=None, **config_overrides):
    """Builds a model from a preset, with its weights.

    Before anything is built the config is checked (no class from outside
    keras and keras_gen, no Lambda layer) and, with `load_weights`, the
    weights file's sha256 is compared with the metadata's.

    Args:
        handle: a built-in name (see `list_presets()`), a local directory,
            `"hf://owner/repo"` or `"kaggle://owner/model/framework/variation"`.
        load_weights: load the preset's weights (`False`: the architecture
            with fresh weights).
        model_class: the class the preset must hold (or subclass); `None`
            accepts any model.
        **config_overrides: constructor arguments replacing the preset's.
            Sub-networks that the model built by default are rebuilt from
            the new arguments; the weights are then loaded by structure and
            shape, and those that do not fit (e.g. a label embedding for a
            new `num_classes`) keep their initial values. They are listed in
            a warning and in the model's `skipped_weights` attribute. A
            sub-network passed as an override (e.g. `encoder=my_encoder`)
            replaces the stored architecture (it is rebuilt from its
            config) and receives the preset's weights where they fit.

    Returns:
        The model (`keras.Model`), uncompiled.

    Example:

    ```python
    vae = keras_gen.presets.from_preset("vae_digits")
    images = vae.generate(16, seed=0)
    ```
    """
    source = f"the preset {handle!r}"
    directory = handles.resolve_handle(handle)
    config = _read_json(directory, handles.CONFIG_FILE, source)
    safety.check_config(config, source)
    cls = preset_class(config)
    wanted = model_class or keras.Model
    if not issubclass(cls, wanted):
        if issubclass(cls, _generative_model()):
            hint = f" Load it with `keras_gen.models.{cls.__name__}.from_preset({handle!r})`."
        else:
            hint = f" Load it with `keras_gen.presets.from_preset({handle!r})`."
        raise ValueError(
            f"{source} holds a {cls.__name__}, which is not a "
            f"{wanted.__name__}.{hint}"
        )
    weights_path = os.path.join(directory, handles.WEIGHTS_FILE)
    if load_weights:
        metadata = _read_json(directory, handles.METADATA_FILE, source)
        if not os.path.isfile(weights_path):
            raise safety.PresetIntegrityError(f"{source} has no {handles.WEIGHTS_FILE} in {directory!r}.")
        safety.check_weights_hash(weights_path, metadata, source)
        # A preset whose training diverged would only give NaN samples.
        safety.check_weights_finite(weights_path, source)
    if config_overrides:
        # Overrides reach deserialization too (`encoder={...}`, "pkg>Name"):
        # checked before anything is built, and again once merged.
        safety.check_config(_with_overrides(config, config_overrides), source, overrides=tuple(config_overrides))
    with safety.safe_deserialization():
        if config_overrides:
            config = _apply_overrides(cls, config, config_overrides, source)
            safety.check_config(config, source, overrides=tuple(config_overrides))
        model = keras.saving.deserialize_keras_object(config, safe_mode=True)
    saving.ensure_built(model)
    skipped = ()
    if load_weights:
        if config_overrides:
            skipped, unused = weights_lib.load_matching_weights(model, weights_path)
            weights_lib.report_skipped(source, skipped, unused)
            skipped = tuple(key for key, _, _ in skipped)
        else:
            model.load_weights(weights_path)
    model.skipped_weights = skipped
    return model
