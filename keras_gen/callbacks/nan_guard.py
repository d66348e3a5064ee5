"""Stops training at the first NaN or infinite loss, before anything saves it."""

import math

import keras
import numpy as np


class NonFiniteLossError(FloatingPointError):
    """Raised by `NaNGuard` when a logged loss becomes NaN or infinite."""


@keras.saving.register_keras_serializable(package="keras_gen")
class NaNGuard(keras.callbacks.Callback):
    """Stops `fit` with an error naming the loss and the step that went bad.

    After each training batch, every logged value whose name ends in
    `"loss"` (`loss`, `d_loss`, `g_loss`, `kl_loss`, ...) is checked. At the
    first NaN or infinite one, `fit` stops by raising `NonFiniteLossError`,
    whose message names the loss, its value, the epoch, the batch and the
    training step.

    Unlike `keras.callbacks.TerminateOnNaN`, which lets the epoch finish (so
    an epoch-end `ModelCheckpoint` then overwrites the last good checkpoint
    with the broken weights), the error leaves the epoch at once: the
    callbacks after this one, and every epoch-end callback, never see the
    broken weights, so the last checkpoint stays the last good one. Put it
    first in the list (keras_gen models do that themselves: every `fit`
    runs a `NaNGuard` unless one is given).

    The model keeps the weights of the bad step (with NaNs); reload the last
    checkpoint (`model.load_weights(...)`, or `BackupAndRestore`) to go on,
    e.g. with a smaller learning rate.

    Args:
        monitor: `"loss"` (every logged value whose name ends in "loss"),
            or a list of log names to check.
        raise_error: `True` raises `NonFiniteLossError`; `False` only sets
            `model.stop_training` and keeps the message in `self.message`
            (the epoch then finishes, as with `TerminateOnNaN`).

    Example:

    ```python
    gan.fit(x, epochs=10, callbacks=[
        keras_gen.callbacks.NaNGuard(),
        keras.callbacks.ModelCheckpoint("gan.weights.h5", save_weights_only=True),
    ])
    ```
    """

    def __init__(self, monitor="loss", raise_error=True):
        super().__init__()
        if monitor != "loss" and (
            isinstance(monitor, str)
            or not all(isinstance(m, str) for m in monitor)
        ):
            raise ValueError(
                '`monitor` must be "loss" or a list of log names. '
                f"Received: monitor={monitor!r}"
            )
        self.monitor = monitor if monitor == "loss" else list(monitor)
        self.raise_error = bool(raise_error)
        self.message = None
        self._epoch = 0
        self._step = 0

    def _watched(self, logs):
        if self.monitor == "loss":
            return [
                k
                for k in logs
                if k.endswith("loss") and not k.startswith("val_")
            ]
        return [k for k in self.monitor if k in logs]

    def on_train_begin(self, logs=None):
        self.message = None
        self._step = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        logs = logs or {}
        for name in self._watched(logs):
            value = logs[name]
            try:
                value = float(np.asarray(keras.ops.convert_to_numpy(value)))
            except (TypeError, ValueError):
                continue
            if math.isfinite(value):
                continue
            # Keras logs running means over the epoch: the first non-finite
            # mean is the step whose own loss was NaN or infinite.
            self.message = (
                f"Training stopped: the loss `{name}` became {value} at epoch "
                f"{self._epoch + 1}, batch {batch + 1} (training step "
                f"{self._step} of this `fit`). Received: {name}={value}. The "
                "checkpoints written before this step are intact; reload the "
                "last one and resume with a smaller learning rate, or check "
                "the data for NaN values."
            )
            self.model.stop_training = True
            if self.raise_error:
                raise NonFiniteLossError(self.message)
            return

    def get_config(self):
        return {"monitor": self.monitor, "raise_error": self.raise_error}


def with_nan_guard(callbacks):
    """`callbacks` with a `NaNGuard` in front, unless the user chose already.

    keras_gen models call this in `fit`: a list that holds a `NaNGuard` or a
    `keras.callbacks.TerminateOnNaN` is the user's choice and is left as it
    is; a `CallbackList` too.
    """
    if callbacks is None:
        callbacks = []
    if not isinstance(callbacks, (list, tuple)):
        return callbacks
    if any(
        isinstance(c, (NaNGuard, keras.callbacks.TerminateOnNaN))
        for c in callbacks
    ):
        return callbacks
    # First, so that it stops the step before any later callback saves it.
    return [NaNGuard()] + list(callbacks)
