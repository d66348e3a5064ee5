"""A GAN training process for the workflow tests (run as a script).

    python gan_worker.py resume BACKUP_DIR OUT.npz [--kill-at-step K]
        trains 3 epochs with `BackupAndRestore(BACKUP_DIR)`; with
        `--kill-at-step`, the process SIGKILLs itself after that many steps.
    python gan_worker.py save MODEL.keras OUT.npz
        trains one epoch and saves the `.keras` file.
    python gan_worker.py continue MODEL.keras OUT.npz
        loads the `.keras` file (saved on any backend) and trains one more
        epoch.

Every mode writes the model's weights and both optimizers' iteration counts
to OUT.npz. The backend is `KERAS_BACKEND`.
"""

import argparse
import os
import signal
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

BATCH, STEPS_PER_EPOCH = 32, 6


def data():
    return keras_gen.datasets.toy_2d(
        "8gaussians", BATCH * STEPS_PER_EPOCH, seed=0
    )


def new_gan():
    keras.utils.set_random_seed(0)  # the same initial weights in every process
    gan = keras_gen.models.GAN(data_shape=(2,), latent_dim=2, seed=0)
    gan.compile()
    return gan


def dump(gan, path, **extra):
    arrays = {
        f"w{i}": keras.ops.convert_to_numpy(v)
        for i, v in enumerate(gan.weights)
    }
    for name in gan.optimizer_names:
        opt = gan.get_optimizer(name)
        arrays[f"iterations_{name}"] = np.asarray(
            keras.ops.convert_to_numpy(opt.iterations)
        )
        arrays[f"slots_{name}"] = np.concatenate(
            [
                keras.ops.convert_to_numpy(v).ravel()
                for v in opt.variables
                if v.name not in ("iteration", "learning_rate")
            ]
        )
    np.savez(path, **arrays, **extra)


class KillAt(keras.callbacks.Callback):
    """SIGKILLs this process after `step` training steps (no clean-up at all)."""

    def __init__(self, step):
        super().__init__()
        self.step, self.seen = step, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.step:
            os.kill(os.getpid(), signal.SIGKILL)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("resume", "save", "continue"))
    parser.add_argument("path")
    parser.add_argument("out")
    parser.add_argument("--kill-at-step", type=int, default=None)
    args = parser.parse_args()
    x = data()
    if args.mode == "resume":
        gan = new_gan()
        callbacks = [keras.callbacks.BackupAndRestore(args.path)]
        if args.kill_at_step:
            callbacks.append(KillAt(args.kill_at_step))
        # shuffle=False: a resumed epoch sees the batches an uninterrupted one
        # would (the model's noise comes from its saved seed generator).
        gan.fit(
            x,
            epochs=3,
            batch_size=BATCH,
            shuffle=False,
            verbose=0,
            callbacks=callbacks,
        )
        dump(gan, args.out)
    elif args.mode == "save":
        gan = new_gan()
        gan.fit(x, epochs=1, batch_size=BATCH, verbose=0)
        gan.save(args.path)
        dump(gan, args.out)
    else:
        gan = keras.saving.load_model(args.path)
        before = os.path.splitext(args.out)[0] + "_loaded.npz"
        dump(gan, before)
        history = gan.fit(x, epochs=1, batch_size=BATCH, verbose=0)
        dump(
            gan,
            args.out,
            d_loss=np.asarray(history.history["d_loss"]),
            g_loss=np.asarray(history.history["g_loss"]),
        )


if __name__ == "__main__":
    main()
