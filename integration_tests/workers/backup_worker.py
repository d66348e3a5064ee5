"""A training process for the kill and full-disk tests of
`keras_gen.callbacks.BackupAndRestore` (run as a script).

    python backup_worker.py FAMILY BACKUP_DIR OUT.npz [--save-freq N|epoch]
        [--fill-disk-after-saves K]

trains a tiny FAMILY model (vae, gan, ddpm) for `EPOCHS` epochs of
`STEPS` steps with `BackupAndRestore(BACKUP_DIR)`, then writes its weights
and optimizer state to OUT.npz. Faults come from the environment:
`KERAS_GEN_KILL_AT` SIGKILLs the process at a named point (`backup.*`
inside the callback, `worker.batch_end@N` after the N-th training batch);
`--fill-disk-after-saves K` fills the backup's file system after the K-th
backup, so that the next one finds the disk full: the process then prints
the error and exits with status 3.

The backend is `KERAS_BACKEND`. `build`, `data` and `dump` are imported by
the tests, which run the reference and the resumed training themselves.
"""

import argparse
import os
import sys

import keras
import numpy as np

sys.path.insert(
    0,
    os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ),
)

import keras_gen  # noqa: E402
from keras_gen.utils import atomic  # noqa: E402

BATCH, STEPS, EPOCHS = 16, 4, 3


def data(family):
    rng = np.random.default_rng(0)
    if family == "vae":
        return (rng.uniform(size=(BATCH * STEPS, 6)) > 0.5).astype("float32")
    return keras_gen.datasets.toy_2d(
        "8gaussians", BATCH * STEPS, seed=0
    ).astype("float32")


def build(family):
    keras.utils.set_random_seed(0)  # the same initial weights in every process
    if family == "vae":
        model = keras_gen.models.VAE(data_shape=(6,), latent_dim=2, seed=0)
        model.compile(optimizer="adam")
    elif family == "gan":
        model = keras_gen.models.GAN(data_shape=(2,), latent_dim=2, seed=0)
        model.compile()
    elif family == "ddpm":
        model = keras_gen.models.DDPM(
            data_shape=(2,),
            value_range=None,
            hidden_dim=16,
            num_layers=2,
            ema_decay=0.9,
            seed=0,
        )
        model.compile(optimizer="adam")
    else:
        raise ValueError(f"Unknown family. Received: family={family!r}")
    return model


def fit(model, family, backup_dir, save_freq, callbacks=()):
    # shuffle=False: every run sees the batches in the same order (the
    # models draw their noise from their own, backed-up seed generator).
    return model.fit(
        data(family),
        epochs=EPOCHS,
        batch_size=BATCH,
        shuffle=False,
        verbose=0,
        callbacks=[
            keras_gen.callbacks.BackupAndRestore(
                backup_dir, save_freq=save_freq
            ),
            *callbacks,
        ],
    )


def optimizer_steps(model):
    """The step counter of every optimizer (a GAN's two, and their container)."""
    return [
        int(keras.ops.convert_to_numpy(v))
        for v in model.optimizer.variables
        if v.path.endswith("iteration")
    ]


def dump(model, path):
    arrays = {
        f"w{i}": keras.ops.convert_to_numpy(v)
        for i, v in enumerate(model.variables)
    }
    arrays.update(
        {
            f"o{i}": keras.ops.convert_to_numpy(v)
            for i, v in enumerate(model.optimizer.variables)
        }
    )
    arrays["optimizer_steps"] = np.asarray(optimizer_steps(model))
    np.savez(path, **arrays)


class KillPoints(keras.callbacks.Callback):
    """`worker.batch_end`: a kill point after every training batch."""

    def on_train_batch_end(self, batch, logs=None):
        atomic.kill_point("worker.batch_end")


class FillDisk(keras.callbacks.Callback):
    """Fills the backup's file system once `saves` backups exist."""

    def __init__(self, backup_dir, saves, save_freq):
        super().__init__()
        self.backup_dir, self.saves, self.save_freq = (
            backup_dir,
            saves,
            save_freq,
        )
        self.steps, self.epochs = 0, 0

    def _maybe_fill(self):
        done = (
            self.epochs
            if self.save_freq == "epoch"
            else self.steps // self.save_freq
        )
        if done == self.saves:
            self.saves = -1
            try:
                with open(
                    os.path.join(os.path.dirname(self.backup_dir), "filler"),
                    "wb",
                    buffering=0,
                ) as f:
                    while True:
                        f.write(b"\0" * 65536)
            except OSError:  # full
                pass

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        self._maybe_fill()

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1
        self._maybe_fill()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("family", choices=("vae", "gan", "ddpm"))
    parser.add_argument("backup_dir")
    parser.add_argument("out")
    parser.add_argument("--save-freq", default="epoch")
    parser.add_argument("--fill-disk-after-saves", type=int, default=None)
    args = parser.parse_args()
    save_freq = (
        args.save_freq if args.save_freq == "epoch" else int(args.save_freq)
    )
    model = build(args.family)
    # After BackupAndRestore in the list: its backup of a step is written
    # before these run.
    callbacks = [KillPoints()]
    if args.fill_disk_after_saves is not None:
        callbacks.append(
            FillDisk(args.backup_dir, args.fill_disk_after_saves, save_freq)
        )
    try:
        fit(model, args.family, args.backup_dir, save_freq, callbacks)
    except keras_gen.callbacks.BackupWriteError as e:
        print(f"BackupWriteError: {e}")
        sys.exit(3)
    dump(model, args.out)


if __name__ == "__main__":
    main()
