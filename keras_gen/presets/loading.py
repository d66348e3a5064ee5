"""`from_preset`: a model from a preset handle, checked before it is built."""

import copy
import importlib
import json
import os
import warnings

import keras

from keras_gen import backend
from keras_gen.presets import handles, safety, saving, upgrade
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
        raise safety.PresetIntegrityError(
            f"{filename} of {source} is not valid JSON: {e}"
        ) from e
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
    return _read_json(
        directory, handles.METADATA_FILE, f"The preset {handle!r}"
    )


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


def _apply_overrides(cls, config, overrides, source):
    if "config" not in config or not isinstance(config["config"], dict):
        raise safety.PresetIntegrityError(
            f"The config of {source} has no 'config' entry."
        )
    if not issubclass(cls, _generative_model()):
        raise ValueError(
            f"Config overrides apply to keras_gen model presets; {source} holds "
            f"a {cls.__name__}. Received: {sorted(overrides)}"
        )
    return _with_overrides(config, overrides)


def _normalized(value):
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return value


def check_overrides_applied(model, overrides, source):
    """Every override must show in the built model's config: one that a
    preset cannot take (a hyper-parameter of a default network the preset
    replaced with a network of its own, say) is refused by name."""
    config = model.get_config()
    for key, value in overrides.items():
        if isinstance(value, keras.layers.Layer):
            continue  # a network: it replaced the stored one
        if key not in config or _normalized(config[key]) != _normalized(value):
            hint = ""
            custom = [
                n
                for n in getattr(model, "network_args", ())
                if not model.uses_default_network(n)
            ]
            if custom:
                hint = (
                    f" The preset's {', '.join(custom)} {'is a network' if len(custom) == 1 else 'are networks'} "
                    "of its own, which the model's hyper-parameters do not configure; pass a new network instead."
                )
            raise ValueError(
                f"The override `{key}` has no effect on {source} (the model built from it has "
                f"{key}={config.get(key)!r}).{hint} Received: {key}={value!r}"
            )


def _with_overrides(config, overrides):
    """`config` with the overrides in its inner config, networks serialized."""
    inner = (
        dict(config.get("config") or {})
        if isinstance(config.get("config"), dict)
        else {}
    )
    for key, value in overrides.items():
        inner[key] = (
            keras.saving.serialize_keras_object(value)
            if isinstance(value, keras.Model)
            else value
        )
    return dict(config, config=inner)


def _generative_model():
    from keras_gen.models.generative_model import GenerativeModel

    return GenerativeModel


def from_preset(
    handle, load_weights=True, model_class=None, **config_overrides
):
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
            Each takes effect or is refused with a named error. Default
            networks are rebuilt from the new arguments (a new `data_shape`,
            `num_classes` or width); the weights are then loaded by
            structure and shape, and those that do not fit (e.g. a label
            embedding for a new `num_classes`) keep their initial values.
            They are listed in a warning and in the model's
            `skipped_weights` attribute. A network passed as an override
            (e.g. `encoder=my_encoder`) replaces the stored one and receives
            the preset's weights where they fit.

    A preset saved by keras_gen 0.1.0 is upgraded in memory (with a
    warning); `keras_gen.presets.upgrade_preset` writes the upgraded form.

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
    metadata = (
        _read_json(directory, handles.METADATA_FILE, source)
        if (
            load_weights
            or os.path.isfile(os.path.join(directory, handles.METADATA_FILE))
        )
        else {}
    )
    if upgrade.is_legacy(metadata):
        warnings.warn(
            f"{source} was saved by keras_gen {metadata.get('keras_gen_version')}; it is upgraded in memory. "
            "Write the upgraded preset once with `keras_gen.presets.upgrade_preset(old, new)`.",
            stacklevel=3,
        )
        config = upgrade.upgrade_config(config)
    if load_weights:
        if not os.path.isfile(weights_path):
            raise safety.PresetIntegrityError(
                f"{source} has no {handles.WEIGHTS_FILE} in {directory!r}."
            )
        safety.check_weights_hash(weights_path, metadata, source)
        # A preset whose training diverged would only give NaN samples.
        safety.check_weights_finite(weights_path, source)
    if config_overrides:
        # Overrides reach deserialization too (`encoder={...}`, "pkg>Name"):
        # checked before anything is built, and again once merged.
        safety.check_config(
            _with_overrides(config, config_overrides),
            source,
            overrides=tuple(config_overrides),
        )
    legacy = upgrade.is_legacy(metadata)
    # Sized draws: most of a JAX build's time is compiling the initialisers'
    # draws, whose values the weights then replace (see `sized_draws`).
    with backend.sized_draws():
        with safety.safe_deserialization():
            # (Deserialisation consumes the dicts it is given: copies.)
            stored = keras.saving.deserialize_keras_object(
                copy.deepcopy(config), safe_mode=True
            )
            model = stored
            if config_overrides:
                config = _apply_overrides(cls, config, config_overrides, source)
                safety.check_config(
                    config, source, overrides=tuple(config_overrides)
                )
                model = keras.saving.deserialize_keras_object(
                    copy.deepcopy(config), safe_mode=True
                )
        saving.ensure_built(stored)
        saving.ensure_built(model)
    if config_overrides:
        check_overrides_applied(model, config_overrides, source)
    skipped = ()
    if load_weights:
        if legacy:
            found, unused = upgrade.load_legacy_weights(stored, weights_path)
            # New state (moving-average counters) has no 0.1.0 counterpart.
            weights_lib.report_skipped(
                source, [s for s in found if s[1] is not None], unused
            )
        else:
            stored.load_weights(weights_path)
        if model is not stored:
            # The overridden model takes the stored weights that still fit,
            # matched by network, layer and name (see `transfer_weights`).
            found, unused = weights_lib.transfer_weights(stored, model)
            weights_lib.report_skipped(source, found, unused)
            skipped = tuple(key for key, _, _ in found)
    model.skipped_weights = skipped
    return model
