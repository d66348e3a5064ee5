"""Integrity and safety checks run on a preset before anything is built.

A preset's `config.json` is a serialized Keras object: deserializing it
imports the modules it names, looks names up in Keras' registry of custom
objects and calls the classes it finds. A preset from the internet is
untrusted input, so before `deserialize_keras_object` sees it the whole
nested config (overrides included) is walked, and every entry is resolved
the way Keras itself would resolve it: by `class_name`, `registered_name`
and `module`, `"package>Name"` spellings, `{"class_name": "function",
"config": "package>fn"}` entries, and plain strings that name a registered
object. The preset is refused, naming the entry's path, unless each one is
one of Keras' or keras_gen's own classes or functions:

- a class or function registered by any other package (its constructor
  would run), or named from a module outside `keras` and `keras_gen`;
- a layer that deserializes code or pickles (`Lambda`, a serialized Python
  lambda, `TorchModuleWrapper`, `JaxLayer`/`FlaxLayer`) or loads files
  from outside the preset (`TFSMLayer`, a lookup layer whose vocabulary is
  a file path): refused whatever `keras.config.enable_unsafe_deserialization()`
  says, and the config is then deserialized in Keras' safe mode;
- a Keras class that is not a modeling object (a callback, a saving
  function) and Keras functions outside activations, losses, metrics, ops,
  initializers, regularizers, constraints and random.

A config nested deeper than `MAX_DEPTH` is refused before it can exhaust
Python's stack. The weights file is checked against the sha256 that
`metadata.json` records, so a corrupted or substituted file is refused
before it is read, and weights holding NaN or infinite values are refused.
"""

import contextlib
import hashlib

import keras
import numpy as np

# Module prefixes a preset may name: Keras itself and this library.
ALLOWED_PACKAGES = ("keras", "keras_gen")

# Deeper configs are refused (the built-in presets nest 13 levels).
MAX_DEPTH = 100

# Keras' serialized special entries that carry data, not code.
_DATA_CLASSES = frozenset(
    {
        "__keras_tensor__",
        "__tensor__",
        "__numpy__",
        "__bytes__",
        "__ellipsis__",
        "__slice__",
    }
)

# Layers that deserialize code or pickles, or read files outside the
# preset, with the reason given in the error.
_CODE_LAYERS = {
    "Lambda": "a Lambda layer, which would run arbitrary code",
    "__lambda__": "a serialized Python lambda (a Lambda layer), which would run arbitrary code",
    "TorchModuleWrapper": (
        "a TorchModuleWrapper layer, whose config is a pickled torch module "
        "(unpickling runs arbitrary code)"
    ),
    "JaxLayer": "a JaxLayer, which wraps JAX functions that are not part of Keras",
    "FlaxLayer": "a FlaxLayer, which wraps a Flax module that is not part of Keras",
    "TFSMLayer": "a TFSMLayer, which loads a TensorFlow SavedModel from outside the preset",
}

# Modules whose Keras functions a preset may name (activations, losses...).
_KERAS_FUNCTION_MODULES = tuple(
    f"keras.src.{name}"
    for name in (
        "activations",
        "losses",
        "metrics",
        "ops",
        "initializers",
        "regularizers",
        "constraints",
        "random",
    )
)


class UnsafePresetError(ValueError):
    """A preset's config names code that keras_gen refuses to load."""


class PresetIntegrityError(ValueError):
    """A preset's files are missing, malformed or do not match their hash."""


def _allowed_module(module):
    return isinstance(module, str) and any(
        module == p or module.startswith(p + ".") for p in ALLOWED_PACKAGES
    )


def _code_layers():
    """The Keras classes of `_CODE_LAYERS` that this Keras has."""
    found = []
    for name in _CODE_LAYERS:
        cls = getattr(keras.layers, name, None)
        if isinstance(cls, type):
            found.append((name, cls))
    return found


def _modeling_bases():
    bases = [
        keras.layers.Layer,
        keras.optimizers.Optimizer,
        keras.losses.Loss,
        keras.metrics.Metric,
        keras.initializers.Initializer,
        keras.regularizers.Regularizer,
        keras.constraints.Constraint,
        keras.optimizers.schedules.LearningRateSchedule,
        keras.DTypePolicy,
        keras.random.SeedGenerator,
    ]
    optimizer_map = getattr(keras.optimizers, "OptimizerMap", None)
    if isinstance(optimizer_map, type):
        bases.append(optimizer_map)
    return tuple(bases)


def _custom_objects():
    """The registry Keras' deserialization searches: the thread's
    `custom_object_scope` and the global registered objects."""
    from keras.src.backend.common import global_state

    scoped = (
        global_state.get_global_attribute("custom_objects_scope_dict", {}) or {}
    )
    return {**scoped, **keras.saving.get_custom_objects()}


def _resolve(name, registered_name, module, obj_type, entry, custom_objects):
    """What `deserialize_keras_object` would retrieve for an entry (Keras'
    own lookup: the registry first, then Keras' public API). It only looks
    names up and imports Keras modules, never runs a preset's code."""
    from keras.src.saving import serialization_lib

    return serialization_lib._retrieve_class_or_fn(
        name,
        registered_name,
        module,
        obj_type=obj_type,
        full_config=entry,
        custom_objects=custom_objects,
    )


def _short_name(name):
    return name.split(">")[-1].split(".")[-1]


def _object_refusal(obj, entry):
    """Why the object `obj` (what an entry resolves to) may not load, or None."""
    module = getattr(obj, "__module__", None) or ""
    qualname = (
        getattr(obj, "__qualname__", None)
        or getattr(obj, "__name__", None)
        or repr(obj)
    )
    if not _allowed_module(module) or module.rsplit(".", 1)[-1].endswith(
        "_test"
    ):
        return (
            f"resolves to `{module}.{qualname}`, which is neither part of Keras nor of "
            "keras_gen (deserializing it would run that package's code)"
        )
    if isinstance(obj, type):
        for name, cls in _code_layers():
            if issubclass(obj, cls):
                return f"is {_CODE_LAYERS[name]}" + (
                    ""
                    if obj is cls
                    else f" (`{module}.{qualname}` subclasses it)"
                )
        if module.startswith("keras.") and not issubclass(
            obj, _modeling_bases()
        ):
            return f"resolves to `{module}.{qualname}`, which is not a Keras modeling class"
        inner = entry.get("config") if isinstance(entry, dict) else None
        if isinstance(inner, dict) and isinstance(inner.get("vocabulary"), str):
            return (
                f"is a `{qualname}` whose vocabulary is the file {inner['vocabulary']!r}, "
                "outside the preset"
            )
        return None
    if callable(obj):
        if module.startswith("keras.") and not module.startswith(
            _KERAS_FUNCTION_MODULES
        ):
            return (
                f"resolves to the function `{module}.{qualname}`, which is not an "
                "activation, loss, metric or op"
            )
        return None
    return f"resolves to {obj!r}, which is neither a class nor a function"


def _entry_refusal(entry, custom_objects):
    """Why a dict with a `class_name` may not load, or None."""
    class_name = entry["class_name"]
    if not isinstance(class_name, str):
        return f"has a `class_name` that is not a string ({type(class_name).__name__})"
    registered = entry.get("registered_name", class_name)
    module = entry.get("module")
    for name in (class_name, registered):
        if isinstance(name, str) and _short_name(name) in _CODE_LAYERS:
            return f"is {_CODE_LAYERS[_short_name(name)]}"
    if class_name in _DATA_CLASSES:
        return None
    if class_name.startswith("__") and class_name.endswith("__"):
        return f"is a `{class_name}` entry, which presets may not hold"
    # Keras spells its own functions `"module": "builtins"` (resolved below).
    builtin_function = class_name == "function" and module == "builtins"
    if (
        module is not None
        and not _allowed_module(module)
        and not builtin_function
    ):
        return (
            f"names the class {class_name!r} from the module {module!r}; presets may "
            f"only name classes from {' or '.join(ALLOWED_PACKAGES)}"
        )
    for name in (class_name, registered):
        if (
            isinstance(name, str)
            and ">" in name
            and not _allowed_module(name.split(">")[0])
        ):
            return (
                f"names the registered object {name!r}; presets may only name objects "
                f"registered by {' or '.join(ALLOWED_PACKAGES)}"
            )
    if class_name == "function":
        name, obj_type = entry.get("config"), "function"
        if not isinstance(name, str):
            return "is a function entry whose `config` is not a function name"
    else:
        name, obj_type = class_name, "class"
    try:
        obj = _resolve(
            name, registered, module, obj_type, entry, custom_objects
        )
    except Exception as e:  # unknown, or refused by Keras itself
        return (
            f"names the {obj_type} {name!r}, which is neither a Keras nor a keras_gen "
            f"{obj_type} ({type(e).__name__}: {str(e).splitlines()[0][:200]})"
        )
    refusal = _object_refusal(obj, entry)
    return (
        None
        if refusal is None
        else f"names the {obj_type} {name!r}, which {refusal}"
    )


def check_config(config, source="the preset", overrides=()):
    """Refuses a serialized config that names unsafe or unknown code.

    Args:
        config: the parsed `config.json` (a dict from
            `keras.saving.serialize_keras_object`), possibly with overrides
            applied.
        source: how to name the preset in the error.
        overrides: names of the constructor arguments that were overridden
            (named in the error when the refused entry comes from one).

    Raises:
        UnsafePresetError: naming the offending entry by its path in the
            config (e.g. `config.encoder.config.layers[1]`).
        PresetIntegrityError: if the config is not a serialized object or
            nests deeper than `MAX_DEPTH` levels.
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise PresetIntegrityError(
            f"The config of {source} is not a serialized Keras object (a dict "
            f"with a 'class_name'). Received: {type(config).__name__}"
        )
    custom_objects = _custom_objects()
    stack = [(config, "", 0)]
    while stack:
        obj, path, depth = stack.pop()
        where = path or "<root>"
        if depth > MAX_DEPTH:
            raise PresetIntegrityError(
                f"The config of {source} nests deeper than {MAX_DEPTH} levels (at "
                f"{where[:200]}{'...' if len(where) > 200 else ''}); refusing to load it."
            )
        refusal = None
        if isinstance(obj, dict):
            if "class_name" in obj:
                refusal = _entry_refusal(obj, custom_objects)
            children = [
                (v, f"{path}.{k}" if path else str(k)) for k, v in obj.items()
            ]
        elif isinstance(obj, (list, tuple)):
            children = [(v, f"{path}[{i}]") for i, v in enumerate(obj)]
        else:
            children = []
            if isinstance(obj, str) and obj in custom_objects:
                # `"pkg>Name"` anywhere: Keras' `get` functions
                # (initializers, losses, ...) look strings up in the registry.
                why = _object_refusal(custom_objects[obj], None)
                if why is not None:
                    refusal = (
                        f"names the registered object {obj!r}, which {why}"
                    )
        if refusal is not None:
            top = path.split(".")[1] if path.startswith("config.") else None
            origin = f", from the override `{top}`" if top in overrides else ""
            raise UnsafePresetError(
                f"Refusing to load {source}: the entry at {where}{origin} {refusal}. "
                "Presets may only hold Keras' and keras_gen's own classes and functions."
            )
        stack.extend(
            (child, child_path, depth + 1)
            for child, child_path in reversed(children)
        )


@contextlib.contextmanager
def safe_deserialization():
    """Keras' safe mode for the block, even after
    `keras.config.enable_unsafe_deserialization()` (a second line of defence
    behind `check_config`)."""
    from keras.src.saving import serialization_lib

    with serialization_lib.SafeModeScope(True):
        yield


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


def check_weights_finite(weights_path, source="the preset"):
    """Refuses a weights file that holds NaN or infinite values.

    Such a preset was saved after training diverged; its samples would be
    NaN. The error names the weights (their keys in the file).
    """
    import h5py

    bad = []

    def visit(name, obj):
        if not isinstance(obj, h5py.Dataset) or obj.dtype.kind != "f":
            return
        values = obj[()]
        if not np.all(np.isfinite(values)):
            bad.append(
                f"{name} ({int(np.size(values) - np.isfinite(values).sum())} of {np.size(values)} values)"
            )

    try:
        with h5py.File(weights_path, "r") as f:
            f.visititems(visit)
    except OSError as e:
        raise PresetIntegrityError(
            f"The weights file of {source} cannot be read as HDF5: {e}"
        ) from e
    if bad:
        raise PresetIntegrityError(
            f"The weights of {source} hold NaN or infinite values: {', '.join(bad[:5])}"
            f"{', ...' if len(bad) > 5 else ''}. It was saved after training "
            "diverged; refusing to load it. Pass `load_weights=False` to build "
            "the model without them."
        )
