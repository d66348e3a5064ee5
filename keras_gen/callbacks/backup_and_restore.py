"""`BackupAndRestore`: training that resumes exactly where it was killed."""

import io
import json
import os
import shutil
import warnings

import keras
import numpy as np

from keras_gen import backend
from keras_gen.utils import atomic

BACKUP_FILE = "backup.weights.h5"
PREVIOUS_FILE = "previous.weights.h5"
# Files of `keras.callbacks.BackupAndRestore` (a directory holding them
# is refused: their epoch may not match their weights).
KERAS_FILES = ("latest.weights.h5", "training_metadata.json")
# The HDF5 group of a backup that holds what `save_weights` leaves out.
_GROUP = "keras_gen_backup"
_FORMAT = 1


class BackupWriteError(OSError):
    """A backup could not be written (e.g. the disk is full); the previous
    backup is intact."""


def _weights_bytes(model):
    """`model.save_weights(...)` (weights, optimizer state, keras_gen seed
    generators) as the bytes of a `.weights.h5` file, built in memory so
    that the HDF5 library never writes to a disk that may fill up."""
    try:
        from keras.src.saving import saving_lib

        buffer = io.BytesIO()
        store = saving_lib.H5IOStore(buffer, mode="w")
        saving_lib._save_state(
            model,
            weights_store=store,
            assets_store=None,
            inner_path="",
            visited_saveables=set(),
        )
        store.close()
        return buffer.getvalue()
    except (
        ImportError,
        AttributeError,
        TypeError,
    ):  # another Keras: the public route
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "state.weights.h5")
            model.save_weights(path)
            with open(path, "rb") as f:
                return f.read()


def _to_numpy(variable):
    value = np.asarray(keras.ops.convert_to_numpy(variable))
    if value.dtype.name == "bfloat16":
        return value.view("uint16"), "bfloat16"
    return value, None


def _store_variables(group, variables):
    for i, variable in enumerate(variables):
        value, dtype = _to_numpy(variable)
        dataset = group.create_dataset(str(i), data=value)
        dataset.attrs["path"] = variable.path
        if dtype:
            dataset.attrs["dtype"] = dtype


def _load_variables(group, variables):
    """Assigns the stored values; False if they do not match `variables`.

    Matched by position and shape, as `load_weights` does: the paths hold
    auto-generated layer names, which differ between two builds of one
    model in a process."""
    if group is None or len(group) != len(variables):
        return False
    values = []
    for i, variable in enumerate(variables):
        dataset = group[str(i)]
        if tuple(dataset.shape) != tuple(variable.shape):
            return False
        value = dataset[()]
        if dataset.attrs.get("dtype") == "bfloat16":
            import ml_dtypes

            value = value.view(ml_dtypes.bfloat16)
        values.append(value)
    for variable, value in zip(variables, values):
        variable.assign(value)
    return True


class BackupAndRestore(keras.callbacks.Callback):
    """Backs up training so that a killed `fit` resumes exactly.

    A drop-in for `keras.callbacks.BackupAndRestore` (same arguments) that
    closes its gaps:

    - **One atomic unit.** Each backup is one file,
      `backup_dir/backup.weights.h5`: the model's weights, every
      optimizer's state (for a GAN, all of them: they live in
      `model.optimizer`), keras_gen's seed generators, every other model
      variable (dropout seed states), the metrics' running totals, and the
      progress (epoch and step within the epoch). It is built in memory,
      written to a temporary file beside the backup, `fsync`ed, and renamed
      over the previous backup only once complete: a process killed at any
      point, or a full disk, leaves the last complete backup loadable.
      Keras' own callback writes the weights and the epoch in two files,
      so a kill between them repeats (or skips) an epoch, and a kill during
      the weights write leaves a file that cannot be opened.
    - **Step granularity.** A resumed `fit` restarts at the epoch *and*
      the step of the backup: the batches of that epoch already trained on
      are read and skipped without a training step (other callbacks see
      them with the restored metrics in `logs`). When the data come in the
      same order in every epoch and run (`shuffle=False`, or a seeded
      pipeline) and the model draws its noise from its own seed generator
      (as every keras_gen model does), the resumed run takes the same
      number of optimizer steps and ends with the same weights, bit for
      bit, as one that was never interrupted.
    - **A full disk** stops `fit` with `BackupWriteError` (an `OSError`)
      that says so; the previous backup is kept and still loadable.

    Leftover temporary files of killed writes are deleted at the next
    `fit`. As with Keras' callback, `backup_dir` belongs to this callback
    alone and is deleted when `fit` completes (`delete_checkpoint=True`);
    a directory holding a backup of `keras.callbacks.BackupAndRestore` is
    refused, since its epoch may not match its weights.

    Args:
        backup_dir: the directory of the backup.
        save_freq: `"epoch"` (a backup at the end of each epoch) or an
            integer: a backup every `save_freq` training steps (batches).
        double_checkpoint: also keep the previous backup
            (`previous.weights.h5`), tried if the latest cannot be read.
        delete_checkpoint: delete `backup_dir` once `fit` completes.

    Example:

    ```python
    gan.fit(x, epochs=20, shuffle=False, callbacks=[
        keras_gen.callbacks.BackupAndRestore("backup", save_freq=100),
    ])
    # Killed? The same call resumes at the step of the last backup.
    ```
    """

    def __init__(
        self,
        backup_dir,
        save_freq="epoch",
        double_checkpoint=False,
        delete_checkpoint=True,
    ):
        super().__init__()
        if isinstance(backup_dir, os.PathLike):
            backup_dir = os.fspath(backup_dir)
        if not isinstance(backup_dir, str) or not backup_dir:
            raise ValueError(
                f"`backup_dir` must be a non-empty path. Received: backup_dir={backup_dir!r}"
            )
        if save_freq != "epoch" and (
            isinstance(save_freq, bool)
            or not isinstance(save_freq, (int, np.integer))
            or save_freq < 1
        ):
            raise ValueError(
                '`save_freq` must be "epoch" or a positive number of steps. '
                f"Received: save_freq={save_freq!r}"
            )
        self.backup_dir = backup_dir
        self.save_freq = save_freq if save_freq == "epoch" else int(save_freq)
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self._path = os.path.join(backup_dir, BACKUP_FILE)
        self._previous_path = os.path.join(backup_dir, PREVIOUS_FILE)
        self._reset_progress()

    def _reset_progress(self):
        self._epoch = 0
        self._begin = 0  # first step of the batch(es) being trained
        self._steps_since_save = 0
        self._resume = None  # (epoch, step, progress) of a restored backup
        self._skip_next = False
        self._train_function = None  # the trainer's, while skipping

    # -- writing -----------------------------------------------------------

    def _serialize(self, model, progress):
        import h5py

        buffer = io.BytesIO(_weights_bytes(model))
        with h5py.File(buffer, "r+") as f:
            group = f.create_group(_GROUP)
            group.attrs["progress"] = json.dumps(progress)
            _store_variables(group.create_group("variables"), model.variables)
            _store_variables(
                group.create_group("metrics"), model.metrics_variables
            )
        return buffer.getvalue()

    def _save(self, epoch, step):
        """Writes the backup of `step` steps into epoch `epoch` (0-based)."""
        model = self.model  # on JAX, this puts the trainer's state back
        atomic.kill_point("backup.before_write")
        progress = {"format": _FORMAT, "epoch": int(epoch), "step": int(step)}
        data = self._serialize(model, progress)
        try:
            os.makedirs(self.backup_dir, exist_ok=True)
            if self.double_checkpoint and os.path.exists(self._path):
                with open(self._path, "rb") as f:
                    atomic.write_bytes(
                        self._previous_path, f.read(), label="backup_previous"
                    )
            atomic.write_bytes(self._path, data, label="backup")
        except OSError as e:
            last = _read_progress(self._path)
            kept = (
                f"the previous backup ({_describe(last)}) is intact and will be resumed from"
                if last
                else "there is no earlier backup"
            )
            raise BackupWriteError(
                e.errno,
                f"BackupAndRestore could not write the backup of {_describe(progress)} to "
                f"{self._path!r} ({e.strerror or e}); {kept}. Training stopped here: free "
                "some disk space (or pass another `backup_dir`) and run `fit` again.",
            ) from e

    # -- reading -----------------------------------------------------------

    def _restore(self, model):
        """Loads the latest readable backup; returns its progress or None."""
        for path in (self._path, self._previous_path):
            atomic.remove_leftovers(path)
        candidates = [
            p for p in (self._path, self._previous_path) if os.path.exists(p)
        ]
        if not candidates:
            found = [
                f
                for f in KERAS_FILES
                if os.path.exists(os.path.join(self.backup_dir, f))
            ]
            if found:
                raise ValueError(
                    f"`backup_dir` holds a backup of `keras.callbacks.BackupAndRestore` "
                    f"({', '.join(found)}), whose weights and epoch are saved apart and may "
                    "not match. Resume it with that callback, or delete the directory to "
                    f"start over. Received: backup_dir={self.backup_dir!r}"
                )
            return None
        if not model.built:
            # keras_gen models know their input shape (TensorFlow's trainer
            # builds them only at the first step).
            from keras_gen.presets.saving import ensure_built

            try:
                ensure_built(model)
            except Exception as e:
                raise ValueError(
                    "To resume from a backup, the model must be built before `fit()` "
                    f"(call it on a batch). Received: an unbuilt {model.__class__.__name__}"
                ) from e
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        errors = []
        for path in candidates:
            try:
                return self._load(model, path)
            except Exception as e:  # unreadable: try the previous backup
                errors.append(f"{path}: {type(e).__name__}: {e}")
        raise ValueError(
            "BackupAndRestore found a backup but could not load it ("
            + "; ".join(errors)
            + "). "
            "Its model must be the one being trained; delete `backup_dir` to start over. "
            f"Received: backup_dir={self.backup_dir!r}"
        )

    def _load(self, model, path):
        import h5py

        with h5py.File(path, "r") as f:
            group = f[_GROUP]
            progress = json.loads(group.attrs["progress"])
            if progress.get("format") != _FORMAT:
                raise ValueError(
                    f"unknown backup format {progress.get('format')!r}"
                )
            model.load_weights(path)
            # Variables `save_weights` leaves out (a dropout layer's seed).
            if not _load_variables(group.get("variables"), model.variables):
                warnings.warn(
                    f"The backup {path!r} holds other variables than the model "
                    f"({len(group.get('variables', ()))} stored, {len(model.variables)} "
                    "in the model): the weights and optimizer state are restored, "
                    "but not the seed generators of its layers, so the resumed run "
                    "may not match an uninterrupted one exactly.",
                    stacklevel=2,
                )
            metrics = group.get("metrics", {})
            metrics = {str(i): metrics[str(i)][()] for i in range(len(metrics))}
        return dict(progress, metrics=metrics)

    # -- callback hooks ----------------------------------------------------

    def on_train_begin(self, logs=None):
        model = self.model
        self._reset_progress()
        progress = self._restore(model)
        if progress is None:
            return
        epoch, step = int(progress["epoch"]), int(progress["step"])
        # Keras' trainers start from `model._initial_epoch` (as with Keras'
        # own BackupAndRestore); the steps are skipped below.
        model._initial_epoch = epoch
        self._resume = (epoch, step, progress)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._begin = 0
        self._model._initial_epoch = None  # read by the trainer already
        if self._resume is None:
            return
        resume_epoch, step, progress = self._resume
        if epoch != resume_epoch or step == 0:
            self._resume = None
            return
        model = self.model
        # The running means of the interrupted epoch, so that its logs are
        # those of an uninterrupted one (`reset_metrics` ran just before).
        restored = self._restore_metrics(model, progress)
        skip_logs = {}
        if restored:
            skip_logs = {
                k: float(np.asarray(keras.ops.convert_to_numpy(v)))
                for k, v in model.get_metrics_result().items()
                if np.size(keras.ops.convert_to_numpy(v)) == 1
            }
        self._train_function = model.train_function
        model.train_function = backend.skipping_train_function(
            model,
            self._train_function,
            self._take_skip,
            lambda: dict(skip_logs),
        )

    def _take_skip(self):
        """Whether the trainer's next call skips (the flag is used once, so
        a skipping function left on the model by an error passes through)."""
        skip, self._skip_next = self._skip_next, False
        return skip

    def _restore_metrics(self, model, progress):
        variables = model.metrics_variables
        values = progress.get("metrics", {})
        if len(values) != len(variables) or any(
            np.shape(values[str(i)]) != tuple(v.shape)
            for i, v in enumerate(variables)
        ):
            return False
        for i, variable in enumerate(variables):
            variable.assign(values[str(i)])
        return True

    def on_train_batch_begin(self, batch, logs=None):
        self._begin = batch
        self._skip_next = False
        if self._train_function is None:
            return
        resume_epoch, step, _ = self._resume
        if self._epoch == resume_epoch and batch < step:
            self._skip_next = True  # trained on before the backup
            return
        # Past the restored step: the trainer's own function again.
        self._model.train_function = self._train_function
        self._train_function = None
        self._resume = None

    def on_train_batch_end(self, batch, logs=None):
        if self._train_function is not None:
            return  # a skipped batch
        if self.save_freq == "epoch":
            return
        self._steps_since_save += batch - self._begin + 1
        if self._steps_since_save >= self.save_freq:
            self._steps_since_save = 0
            self._save(self._epoch, batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        if self._train_function is not None:  # every batch was skipped
            self._model.train_function = self._train_function
            self._train_function = None
        self._resume = None
        if self.save_freq == "epoch":
            self._save(epoch + 1, 0)

    def on_train_end(self, logs=None):
        if self._train_function is not None:
            self._model.train_function = self._train_function
            self._train_function = None
        self._model._initial_epoch = None
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir, ignore_errors=True)

    def get_config(self):
        return {
            "backup_dir": self.backup_dir,
            "save_freq": self.save_freq,
            "double_checkpoint": self.double_checkpoint,
            "delete_checkpoint": self.delete_checkpoint,
        }


def _read_progress(path):
    """The progress recorded in a backup file, or None."""
    try:
        import h5py

        with h5py.File(path, "r") as f:
            return json.loads(f[_GROUP].attrs["progress"])
    except Exception:
        return None


def _describe(progress):
    return (
        f"epoch {progress['epoch'] + 1}, step {progress['step']}"
        if progress["step"]
        else (
            f"the end of epoch {progress['epoch']}"
            if progress["epoch"]
            else "the start of training"
        )
    )
