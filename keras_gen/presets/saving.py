"""`save_to_preset`: a model to a preset directory, atomically."""

import datetime
import json
import os
import shutil
import tempfile
import warnings

import keras

from keras_gen.presets import handles, recovery, reference, safety
from keras_gen.utils import atomic

# Metadata keys that `save_to_preset` computes itself.
RESERVED_METADATA = (
    "class_name",
    "registered_name",
    "keras_gen_version",
    "keras_version",
    "backend",
    "date",
    "weights_sha256",
    "reference_outputs",
)


def _keras_gen_version():
    import keras_gen

    return getattr(keras_gen, "__version__", "unknown")


def _check_target(directory):
    """Refuses to replace anything but a preset (or an empty directory)."""
    if not os.path.exists(directory):
        return
    if not os.path.isdir(directory):
        raise ValueError(
            "`directory` exists and is not a directory. Received: "
            f"directory={directory!r}"
        )
    extra = sorted(set(os.listdir(directory)) - set(handles.PRESET_FILES))
    if extra:
        raise ValueError(
            "`directory` exists and holds files that are not part of a preset "
            f"({', '.join(extra[:5])}); refusing to replace it. Choose a new "
            f"or empty directory. Received: directory={directory!r}"
        )


def _swap_in(staging, directory):
    """Moves the finished `staging` directory to `directory`.

    A rename is atomic: readers see the old preset or the new one, never a
    mix. An existing preset is first renamed aside and only deleted once the
    new one is in place, and renamed back if the move fails. A process
    killed between the two renames leaves the old preset aside; the next
    load or save of `directory` puts it back (see `recovery`).
    """
    parent, base = os.path.split(os.path.abspath(directory))
    if not os.path.exists(directory):
        os.rename(staging, directory)
        atomic.fsync_directory(parent)
        atomic.kill_point("preset.swapped")
        return
    backup = tempfile.mkdtemp(prefix=f".{base}.old-", dir=parent)
    os.rmdir(backup)
    os.rename(directory, backup)
    atomic.kill_point("preset.moved_aside")
    try:
        os.rename(staging, directory)
    except BaseException:
        os.rename(backup, directory)
        raise
    atomic.fsync_directory(parent)
    atomic.kill_point("preset.swapped")
    shutil.rmtree(backup, ignore_errors=True)


def ensure_built(model):
    """Builds a model whose variables all exist but that was never called.

    keras_gen models create their networks in `__init__`, but a model that
    was not trained or called is not marked built, and Keras refuses to
    save (or load) the weights of an unbuilt model.
    """
    if model.built:
        return
    shape = (
        model._expected_data_shape()
        if hasattr(model, "_expected_data_shape")
        else None
    )
    model.build(None if shape is None else (None,) + tuple(shape))


def _write_weights(model, path):
    """`model.save_weights(path)` without the optimizer's state.

    A preset is a starting point for inference and fine-tuning, as in
    keras-hub: Adam's moments would triple the file and belong to a
    training run, not to the model.
    """
    import h5py

    full = os.path.join(os.path.dirname(path), "full.weights.h5")
    model.save_weights(full)
    atomic.kill_point("preset.weights")
    with h5py.File(full, "r") as source, h5py.File(path, "w") as target:
        for key, value in source.attrs.items():
            target.attrs[key] = value
        for key in source.keys():
            if key != "optimizer":
                source.copy(source[key], target, name=key)
    os.remove(full)
    atomic.fsync_file(path)


def _write_file(path, text):
    with open(path, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def _reference_or_none(model):
    # A fingerprint that cannot be computed (a custom model without a
    # probe, an unbuilt network) must not stop the save.
    try:
        return reference.reference_outputs(model)
    except Exception:
        return None


def save_to_preset(model, directory, metadata=None):
    """Saves `model` as a preset directory (keras-hub's layout).

    The directory receives `config.json` (the model serialized with
    `keras.saving.serialize_keras_object`), `model.weights.h5`
    (`model.save_weights`, without the optimizer's state) and
    `metadata.json`: the keras_gen and Keras
    versions, the backend, the date, the sha256 of the weights file, the
    outputs of the model on fixed inputs (see `reference_outputs`) and
    whatever `metadata` adds (e.g. `training_data`, `metrics`,
    `description`).

    The files are written (and `fsync`ed) to a temporary sibling directory
    which is then renamed into place, so an interrupted save (even a
    SIGKILL) leaves the previous preset or the new one, never a half-written
    one: if the process died between moving the old preset aside and
    moving the new one in, the next load or save of `directory` puts the
    old one back, and it deletes the temporary directories of killed saves.
    Saving to a bare name that is also a built-in preset's warns: load it
    back with `"./name"`.

    Args:
        model: a built `keras.Model` (any keras_gen model, or a Keras model).
        directory: the preset directory to create or replace. An existing
            directory is only replaced if it holds nothing but preset files.
        metadata: optional dict of JSON-serializable entries for
            `metadata.json`.

    Returns:
        The path of the preset directory.

    Example:

    ```python
    vae.save_to_preset("my_vae")   # or keras_gen.presets.save_to_preset(vae, "my_vae")
    same = keras_gen.models.VAE.from_preset("my_vae")
    ```
    """
    if not isinstance(model, keras.Model):
        raise ValueError(
            f"`model` must be a `keras.Model`. Received: model={model!r}"
        )
    if isinstance(directory, os.PathLike):
        directory = os.fspath(directory)
    if not isinstance(directory, str) or not directory:
        raise ValueError(
            f"`directory` must be a path. Received: directory={directory!r}"
        )
    metadata = dict(metadata or {})
    reserved = sorted(set(metadata) & set(RESERVED_METADATA))
    if reserved:
        raise ValueError(
            f"`metadata` may not set {reserved}: save_to_preset computes them. "
            f"Received: metadata keys {sorted(metadata)}"
        )
    if handles.is_builtin_name(directory):
        warnings.warn(
            f"{directory!r} is also the name of a built-in preset: "
            f"`from_preset({directory!r})` loads the built-in one. Load this "
            f"preset back with `from_preset({'./' + directory!r})`.",
            stacklevel=3,
        )
    ensure_built(model)
    config = keras.saving.serialize_keras_object(model)
    # Like the optimizer's state, the compile settings belong to a training
    # run: a preset loads uncompiled, ready for `compile()` and fine-tuning.
    config.pop("compile_config", None)
    # A preset that could not be loaded back is refused now, not later.
    safety.check_config(config, source=f"the model {model.name!r}")
    config_text = json.dumps(config, indent=2)
    metadata_text = json.dumps(metadata)  # fails early on non-JSON values

    parent = os.path.dirname(os.path.abspath(directory))
    os.makedirs(parent, exist_ok=True)
    # One save or recovery at a time in `parent` (see `recovery`).
    with recovery.parent_lock(directory):
        recovery.recover(directory, locked=True)
        _check_target(directory)
        staging = tempfile.mkdtemp(
            prefix=f".{os.path.basename(os.path.abspath(directory))}.tmp-",
            dir=parent,
        )
        try:
            # `mkdtemp` makes a private (0700) directory; a preset is shared
            # like any directory the user creates.
            os.chmod(staging, atomic.new_file_mode(directory, directory=True))
            _write_file(os.path.join(staging, handles.CONFIG_FILE), config_text)
            weights_path = os.path.join(staging, handles.WEIGHTS_FILE)
            _write_weights(model, weights_path)
            full = {
                "class_name": config.get("class_name"),
                "registered_name": config.get("registered_name"),
                "keras_gen_version": _keras_gen_version(),
                "keras_version": keras.__version__,
                "backend": keras.backend.backend(),
                "date": datetime.datetime.now(datetime.UTC).isoformat(
                    timespec="seconds"
                ),
                "weights_sha256": safety.file_sha256(weights_path),
                "reference_outputs": _reference_or_none(model),
            }
            full.update(json.loads(metadata_text))
            _write_file(
                os.path.join(staging, handles.METADATA_FILE),
                json.dumps(full, indent=2),
            )
            atomic.fsync_directory(staging)
            atomic.kill_point("preset.staged")
            _swap_in(staging, directory)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return directory
