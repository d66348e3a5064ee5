import errno
import json
import os

import h5py
import keras
import numpy as np
import pytest

from keras_gen.callbacks import BackupAndRestore, BackupWriteError
from keras_gen.models import GAN, VAE

BATCH, EPOCHS = 16, 3  # 4 steps per epoch, 12 in all


def build(family, steps_per_execution=1):
    keras.utils.set_random_seed(0)
    if family == "vae":
        model = VAE(data_shape=(6,), latent_dim=2, seed=0)
        model.compile(optimizer="adam", steps_per_execution=steps_per_execution)
    else:
        model = GAN(data_shape=(2,), latent_dim=2, seed=0)
        model.compile(steps_per_execution=steps_per_execution)
    return model


def data(family):
    dim = 6 if family == "vae" else 2
    return (np.random.default_rng(0).uniform(size=(64, dim)) > 0.5).astype(
        "float32"
    )


class Interrupt(keras.callbacks.Callback):
    """Stops `fit` with an error after `steps` calls of the training step
    (`steps_per_execution` steps each)."""

    def __init__(self, steps):
        super().__init__()
        self.steps, self.seen = steps, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.steps:
            raise KeyboardInterrupt(f"interrupted after {self.steps} steps")


def fit(model, family, callback, extra=()):
    return model.fit(
        data(family),
        epochs=EPOCHS,
        batch_size=BATCH,
        shuffle=False,
        verbose=0,
        callbacks=[callback, *extra],
    )


def state(model):
    return [
        keras.ops.convert_to_numpy(v)
        for v in model.variables + model.optimizer.variables
    ]


def steps(model):
    return [
        int(keras.ops.convert_to_numpy(v))
        for v in model.optimizer.variables
        if v.path.endswith("iteration")
    ]


def assert_same(model, reference):
    assert steps(model) == steps(reference)
    for a, b, v in zip(
        state(model),
        state(reference),
        model.variables + model.optimizer.variables,
    ):
        np.testing.assert_array_equal(a, b, err_msg=v.path)


def interrupted(family, backup_dir, at, **kwargs):
    model = build(family)
    with pytest.raises(KeyboardInterrupt):
        fit(
            model,
            family,
            BackupAndRestore(backup_dir, **kwargs),
            [Interrupt(at)],
        )


@pytest.mark.parametrize(
    "family, save_freq, at", [("vae", 3, 7), ("vae", "epoch", 6), ("gan", 2, 5)]
)
def test_an_interrupted_fit_resumes_at_its_step(
    tmp_path, family, save_freq, at
):
    reference = build(family)
    history_ref = fit(
        reference,
        family,
        BackupAndRestore(str(tmp_path / "ref"), save_freq=save_freq),
    )
    backup = str(tmp_path / "backup")
    interrupted(family, backup, at, save_freq=save_freq)
    model = build(family)
    history = fit(model, family, BackupAndRestore(backup, save_freq=save_freq))
    assert steps(model) == [EPOCHS * 4] * len(steps(model))
    assert_same(model, reference)
    # The resumed epochs log what the uninterrupted ones did (the running
    # means of the interrupted epoch were backed up too).
    for key, values in history.history.items():
        np.testing.assert_allclose(
            values,
            history_ref.history[key][-len(values) :],
            rtol=1e-6,
            err_msg=key,
        )
    assert not os.path.exists(backup)


def test_the_backup_is_one_weights_file_holding_the_progress(tmp_path):
    backup = str(tmp_path / "backup")
    interrupted("gan", backup, 7, save_freq=3)
    assert os.listdir(backup) == ["backup.weights.h5"]
    path = os.path.join(backup, "backup.weights.h5")
    with h5py.File(path, "r") as f:
        assert json.loads(f["keras_gen_backup"].attrs["progress"]) == {
            "format": 1,
            "epoch": 1,
            "step": 2,
        }
    model = build("gan")
    model.load_weights(
        path
    )  # an ordinary weights file, optimizer state included
    assert steps(model) == [6, 6, 6]


def test_an_injected_full_disk_keeps_the_previous_backup(tmp_path, monkeypatch):
    reference = build("vae")
    fit(reference, "vae", BackupAndRestore(str(tmp_path / "ref"), save_freq=3))
    backup = str(tmp_path / "backup")
    monkeypatch.setenv("KERAS_GEN_FAIL_AT", "backup.during@2")
    with pytest.raises(BackupWriteError) as info:
        fit(build("vae"), "vae", BackupAndRestore(backup, save_freq=3))
    assert info.value.errno == errno.ENOSPC
    message = str(info.value)
    assert "could not write the backup of epoch 2, step 2" in message
    assert "No space left on device" in message
    assert "the previous backup (epoch 1, step 3) is intact" in message
    assert os.listdir(backup) == ["backup.weights.h5"]  # no partial file
    monkeypatch.delenv("KERAS_GEN_FAIL_AT")
    model = build("vae")
    fit(model, "vae", BackupAndRestore(backup, save_freq=3))
    assert_same(model, reference)


def test_a_corrupted_backup_falls_back_to_the_previous_one_or_is_named(
    tmp_path,
):
    reference = build("vae")
    fit(reference, "vae", BackupAndRestore(str(tmp_path / "ref"), save_freq=2))
    backup = str(tmp_path / "backup")
    interrupted("vae", backup, 7, save_freq=2, double_checkpoint=True)
    assert sorted(os.listdir(backup)) == [
        "backup.weights.h5",
        "previous.weights.h5",
    ]
    latest = os.path.join(backup, "backup.weights.h5")
    with open(latest, "r+b") as f:  # damaged behind our back (a bad disk)
        f.truncate(100)
    model = build("vae")
    fit(
        model,
        "vae",
        BackupAndRestore(backup, save_freq=2, double_checkpoint=True),
    )
    assert_same(model, reference)  # resumed exactly from the previous backup

    interrupted("vae", backup, 3, save_freq=2)
    with open(latest, "r+b") as f:
        f.truncate(100)
    with pytest.raises(
        ValueError,
        match="found a backup but could not load it .*backup.weights.h5",
    ):
        fit(build("vae"), "vae", BackupAndRestore(backup, save_freq=2))


def test_leftovers_of_killed_writes_are_removed(tmp_path):
    backup = tmp_path / "backup"
    interrupted("vae", str(backup), 5, save_freq=2)
    (backup / ".tmp-k1ll3d00-backup.weights.h5").write_bytes(b"half a backup")
    model = build("vae")
    fit(
        model,
        "vae",
        BackupAndRestore(str(backup), save_freq=2, delete_checkpoint=False),
    )
    assert os.listdir(backup) == ["backup.weights.h5"]


def test_a_backup_of_keras_own_callback_is_refused(tmp_path):
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "training_metadata.json").write_text('{"epoch": 1, "batch": 0}')
    with pytest.raises(
        ValueError,
        match=r"keras.callbacks.BackupAndRestore` \(training_metadata.json\)",
    ):
        fit(build("vae"), "vae", BackupAndRestore(str(backup)))


@pytest.mark.parametrize(
    "kwargs, received",
    [
        ({"backup_dir": ""}, "backup_dir=''"),
        ({"backup_dir": "b", "save_freq": 0}, "save_freq=0"),
        ({"backup_dir": "b", "save_freq": True}, "save_freq=True"),
        ({"backup_dir": "b", "save_freq": "batch"}, "save_freq='batch'"),
    ],
)
def test_arguments_are_checked(kwargs, received):
    with pytest.raises(ValueError, match=f"Received: {received}"):
        BackupAndRestore(**kwargs)


@pytest.mark.skipif(
    keras.backend.backend() == "torch",
    reason="Keras 3.15 refuses steps_per_execution > 1 on torch",
)
def test_resume_with_several_steps_per_execution(tmp_path):
    reference = build("gan", steps_per_execution=2)
    fit(reference, "gan", BackupAndRestore(str(tmp_path / "ref"), save_freq=2))
    backup = str(tmp_path / "backup")
    model = build("gan", steps_per_execution=2)
    with pytest.raises(KeyboardInterrupt):  # after 4 executions of 2 steps
        fit(model, "gan", BackupAndRestore(backup, save_freq=2), [Interrupt(4)])
    model = build("gan", steps_per_execution=2)
    fit(model, "gan", BackupAndRestore(backup, save_freq=2))
    assert_same(model, reference)


def build_with_dropout():
    keras.utils.set_random_seed(0)
    encoder = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(8),
            keras.layers.Dropout(0.5, seed=1),
            keras.layers.Dense(4),
        ]
    )
    decoder = keras.Sequential([keras.Input((2,)), keras.layers.Dense(6)])
    model = VAE(encoder=encoder, decoder=decoder, latent_dim=2, seed=0)
    model.compile(optimizer="adam")
    return model


def test_the_seed_of_a_dropout_layer_is_restored_too(tmp_path):
    # `save_weights` leaves out the seed generators of layers: without them
    # the resumed run would draw other dropout masks.
    reference = build_with_dropout()
    fit(reference, "vae", BackupAndRestore(str(tmp_path / "ref"), save_freq=3))
    backup = str(tmp_path / "backup")
    model = build_with_dropout()
    with pytest.raises(KeyboardInterrupt):
        fit(model, "vae", BackupAndRestore(backup, save_freq=3), [Interrupt(7)])
    model = build_with_dropout()
    fit(
        model,
        "vae",
        BackupAndRestore(backup, save_freq=3, delete_checkpoint=False),
    )
    assert_same(model, reference)

    # A backup whose extra variables do not fit the model says so.
    with h5py.File(os.path.join(backup, "backup.weights.h5"), "r+") as f:
        del f["keras_gen_backup/variables/0"]
    with pytest.warns(
        UserWarning, match="holds other variables than the model"
    ):
        fit(build_with_dropout(), "vae", BackupAndRestore(backup, save_freq=3))
