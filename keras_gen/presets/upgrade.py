"""Presets saved by keras_gen 0.1.0, upgraded to the current form.

keras_gen 0.1.0 stored every default network serialized whole in
`config.json` (a DDPM's config was 253 KB of `keras.src` module paths) and
kept exponential moving averages as bare networks. Since then a config holds
the hyper-parameters of the default networks (they are rebuilt from them),
and an `ExponentialMovingAverage` layer owns each average. `from_preset`
upgrades an old preset in memory (with a warning); `upgrade_preset` writes
the upgraded preset to a new directory:

    python -m keras_gen.presets.upgrade OLD_PRESET NEW_PRESET
"""

import os
import sys
import warnings

from keras_gen.presets import handles
from keras_gen.presets import weights as weights_lib

LEGACY_VERSIONS = ("0.1.0",)

# Renamed constructor arguments.
_RENAMED_ARGUMENTS = {"image_shape": "data_shape", "data_range": "value_range"}
# 0.1.0 weights that moved (by class): old key -> new key.
_MOVED_WEIGHTS = {"DDPM": {"vars/0": "ema_denoiser/vars/0"}}
# The attributes that held an averaged network in 0.1.0 (now an
# `ExponentialMovingAverage` whose `network` holds it).
_EMA_ATTRIBUTES = ("generator_ema", "ema_denoiser")


def is_legacy(metadata):
    """Whether a preset's metadata says keras_gen 0.1.0 saved it."""
    return (
        isinstance(metadata, dict)
        and metadata.get("keras_gen_version") in LEGACY_VERSIONS
    )


def _layer_classes(network):
    return [
        type(layer).__name__
        for layer in network.layers
        if type(layer).__name__ != "InputLayer"
    ]


def _stored_layer_classes(serialized):
    layers = (serialized.get("config") or {}).get("layers")
    if not isinstance(layers, list):
        return None
    return [
        layer.get("class_name")
        for layer in layers
        if layer.get("class_name") != "InputLayer"
    ]


def upgrade_config(config):
    """The current form of a 0.1.0 `config.json` (a dict).

    Stored networks that are the class's defaults (the same layers as the
    network the class builds from the config's hyper-parameters) are
    dropped, to be rebuilt from those hyper-parameters; others are kept as
    the user's networks. Renamed arguments get their new names.
    """
    from keras_gen.presets import loading

    cls = loading.preset_class(config)
    inner = dict(config.get("config") or {})
    if "data_range" in inner and inner.get("num_bins") is None:
        # RealNVP's 0.1.0 `data_range` only placed discrete levels; the
        # continuous data of a flow without bins get the default range.
        inner.pop("data_range")
    for old, new in _RENAMED_ARGUMENTS.items():
        if old in inner:
            inner[new] = inner.pop(old)
    stored = [
        n
        for n in getattr(cls, "network_args", ())
        if isinstance(inner.get(n), dict)
    ]
    if stored:
        try:
            reference = cls.from_config(
                {k: (None if k in stored else v) for k, v in inner.items()}
            )
        except Exception:  # no defaults for these arguments: keep everything
            reference = None
        for name in stored:
            if reference is None or not reference.uses_default_network(name):
                continue
            kept = inner[name]
            if (
                kept.get("class_name")
                == type(getattr(reference, name)).__name__
            ):
                same = True  # a network class configured by hyper-parameters already
            else:
                same = _stored_layer_classes(kept) == _layer_classes(
                    getattr(reference, name)
                )
            if same:
                inner.pop(name)
    config = dict(config, config=inner)
    config.pop("build_config", None)
    return config


def _key_map(model):
    moved = dict(_MOVED_WEIGHTS.get(type(model).__name__, {}))

    def new_key(old):
        if old in moved:
            return moved[old]
        head, _, rest = old.partition("/")
        if (
            head in _EMA_ATTRIBUTES
            and not rest.startswith("vars/")
            and not rest.startswith("network/")
        ):
            return f"{head}/network/{rest}"
        return old

    return new_key


def load_legacy_weights(model, weights_path):
    """Loads a 0.1.0 weights file into the upgraded `model`.

    Returns:
        `(skipped, unused)` as `keras_gen.presets.weights.load_matching_weights`.
    """
    return weights_lib.load_matching_weights(
        model, weights_path, key_map=_key_map(model)
    )


def upgrade_preset(source, destination):
    """Writes the current form of the 0.1.0 preset `source` to `destination`.

    The model is rebuilt from the upgraded config, given the old weights
    (every one of them must find its place, or the upgrade is refused), and
    saved with `save_to_preset`, keeping the old metadata's description,
    training notes and figures.

    Args:
        source: a preset handle (directory or built-in name).
        destination: the new preset directory.

    Returns:
        The upgraded model.
    """
    from keras_gen.presets import loading, safety, saving

    directory = handles.resolve_handle(source)
    metadata = loading._read_json(
        directory, handles.METADATA_FILE, f"the preset {source!r}"
    )
    config = loading._read_json(
        directory, handles.CONFIG_FILE, f"the preset {source!r}"
    )
    safety.check_config(config, f"the preset {source!r}")
    model = build_legacy(
        config, os.path.join(directory, handles.WEIGHTS_FILE), strict=True
    )
    kept = {
        k: v for k, v in metadata.items() if k not in saving.RESERVED_METADATA
    }
    kept["upgraded_from"] = metadata.get("keras_gen_version")
    saving.save_to_preset(model, destination, metadata=kept)
    return model


def build_legacy(config, weights_path, strict=False):
    """The upgraded model of a 0.1.0 config, with its weights."""
    import keras

    from keras_gen.presets import safety, saving

    upgraded = upgrade_config(config)
    with safety.safe_deserialization():
        model = keras.saving.deserialize_keras_object(upgraded, safe_mode=True)
    saving.ensure_built(model)
    if weights_path is None:
        return model
    skipped, unused = load_legacy_weights(model, weights_path)
    if strict and (unused or [s for s in skipped if s[1] is not None]):
        raise ValueError(
            "The 0.1.0 preset's weights do not all fit the upgraded model: "
            f"{len(skipped)} weight(s) left at their initial values, {len(unused)} unused ({unused[:5]})."
        )
    if skipped:
        untouched = [key for key, shape, _ in skipped if shape is None]
        if untouched:
            warnings.warn(
                f"{len(untouched)} weight(s) of the upgraded model have no 0.1.0 counterpart and keep their "
                f"initial values (e.g. moving-average counters): {untouched[:5]}",
                stacklevel=3,
            )
    return model


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) != 2:
        print(
            "usage: python -m keras_gen.presets.upgrade OLD_PRESET NEW_PRESET",
            file=sys.stderr,
        )
        return 2
    upgrade_preset(argv[0], argv[1])
    print(f"wrote {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
