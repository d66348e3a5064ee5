"""Integrity and safety checks run on a preset before anything is built.

A preset's `config.json` is a serialized Keras object, and deserializing it
imports the modules it names and calls the classes it names. A preset from
the internet is untrusted input, so before `deserialize_keras_object` sees
it the whole nested config is walked and refused if it names:

- a class from a module outside `keras` and `keras_gen` (deserializing would
  import and run that module's code), or a registered object from another
  package;
- a `Lambda` layer or a serialized Python lambda (arbitrary bytecode).

The weights file is checked against the sha256 that `metadata.json`
records, so a corrupted or substituted file is refused before it is read.
"""

import hashlib

# Module prefixes a preset may name: Keras itself and this library.
ALLOWED_PACKAGES = ("keras", "keras_gen")

# Class names that carry code rather than configuration.
_CODE_CLASSES = ("Lambda", "__lambda__")


class UnsafePresetError(ValueError):
    """A preset's config names code that keras_gen refuses to load."""


class PresetIntegrityError(ValueError):
    """A preset's files are missing, malformed or do not match their hash."""


def _allowed_module(module):
    return any(module == p or module.startswith(p + ".") for p in ALLOWED_PACKAGES)


def _walk(obj, path):
    """Yields `(path, dict)` for every dict nested in `obj`."""
    if isinstance(obj, dict):
        yield path, obj
        for key, value in obj.items():
            yield from _walk(value, f"{path}.{key}" if path else str(key))
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from _walk(value, f"{path}[{i}]")


def check_config(config, source="the preset"):
    """Refuses a serialized config that names unsafe code.

    Args:
        config: the parsed `config.json` (a dict from
            `keras.saving.serialize_keras_object`).
        source: how to name the preset in the error.

    Raises:
        UnsafePresetError: naming the offending entry.
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise PresetIntegrityError(
            f"The config of {source} is not a serialized Keras object (a dict "
            f"with a 'class_name'). Received: {type(config).__name__}"
        )
    for path, entry in _walk(config, ""):
        class_name = entry.get("class_name")
        if not isinstance(class_name, str):
            continue
        where = path or "<root>"
        registered = entry.get("registered_name")
        if class_name in _CODE_CLASSES or (
            isinstance(registered, str) and registered.split(">")[-1] in _CODE_CLASSES
        ):
            raise UnsafePresetError(
                f"Refusing to load {source}: its config contains a Lambda layer "
                f"(at {where}), which would run arbitrary code. Rebuild the model "
                "with a registered layer instead."
            )
        module = entry.get("module")
        if module is not None and not (isinstance(module, str) and _allowed_module(module)):
            raise UnsafePresetError(
                f"Refusing to load {source}: its config names the class "
                f"{class_name!r} from the module {module!r} (at {where}); presets "
                f"may only name classes from {' or '.join(ALLOWED_PACKAGES)}."
            )
        if isinstance(registered, str) and ">" in registered:
            package = registered.split(">")[0]
            if not _allowed_module(package):
                raise UnsafePresetError(
                    f"Refusing to load {source}: its config names the registered "
                    f"object {registered!r} (at {where}); presets may only name "
                    f"objects registered by {' or '.join(ALLOWED_PACKAGES)}."
                )


def file_sha256(path):
    """The hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_weights_hash(weights_path, metadata, source="the preset"):
    """Refuses a weights file whose sha256 is not the one in the metadata."""
    expected = metadata.get("weights_sha256")
    if not isinstance(expected, str) or not expected:
        raise PresetIntegrityError(
            f"The metadata of {source} records no `weights_sha256`, so its "
            "weights cannot be verified; refusing to load them. Pass "
            "`load_weights=False` to build the model without them."
        )
    actual = file_sha256(weights_path)
    if actual != expected:
        raise PresetIntegrityError(
            f"The weights file of {source} does not match its metadata "
            f"(sha256 {actual} != {expected}): the file is corrupted or was "
            "replaced. Refusing to load it."
        )
