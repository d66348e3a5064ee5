import re

import keras
import numpy as np
import pytest

from keras_gen.callbacks import NaNGuard, NonFiniteLossError
from keras_gen.models import VAE
from keras_gen.testing.toy_gan import ToyGAN

BATCH, STEPS = 16, 4


class PoisonedBatches(keras.utils.PyDataset):
    """`STEPS` batches per epoch; batch `bad_batch` of epoch `bad_epoch` holds
    a huge (finite, so the data checks let it through) value that overflows
    the networks to NaN (`self.epoch` is set by the `Epochs` callback)."""

    def __init__(self, dim, bad_epoch=1, bad_batch=2):
        super().__init__()
        self.x = (
            np.random.RandomState(0).rand(BATCH * STEPS, dim).astype("float32")
        )
        self.bad_epoch, self.bad_batch, self.epoch = bad_epoch, bad_batch, 0
        self.callback = keras.callbacks.LambdaCallback(
            on_epoch_begin=lambda epoch, logs: setattr(self, "epoch", epoch)
        )

    def __len__(self):
        return STEPS

    def __getitem__(self, i):
        x = self.x[i * BATCH : (i + 1) * BATCH].copy()
        if self.epoch == self.bad_epoch and i == self.bad_batch:
            x[0] = np.float32(3e38) * np.array([1, -1, 1, -1], "float32")
        return x


class OverflowingToyGAN(ToyGAN):
    """A ToyGAN whose critic exponentiates its input: a huge (finite) value
    overflows to inf, then to NaN in the critic's mixed-sign layers."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.critic = keras.Sequential(
            [
                keras.Input((4,)),
                keras.layers.Activation("exponential"),
                keras.layers.Dense(8, activation="tanh"),
                keras.layers.Dense(1),
            ]
        )


def make(kind):
    keras.utils.set_random_seed(0)  # the same initial weights every time
    if kind == "vae":
        model = VAE(
            data_shape=(4,), latent_dim=2, likelihood="gaussian", seed=0
        )
        model.compile(optimizer="adam")
        model(np.zeros((1, 4), "float32"))  # built, so that weights load
        return model, "loss"
    model = OverflowingToyGAN(data_dim=4, seed=0)
    model.compile()
    return model, "c_loss"


def weights(model):
    return [np.array(keras.ops.convert_to_numpy(v)) for v in model.weights]


@pytest.mark.parametrize("kind", ["vae", "multi_optimizer"])
def test_nan_stops_fit_naming_the_loss_and_step_and_keeps_the_checkpoint(
    kind, tmp_path
):
    model, loss_name = make(kind)
    path = str(tmp_path / "last.weights.h5")
    checkpoint = keras.callbacks.ModelCheckpoint(path, save_weights_only=True)
    # No NaNGuard passed: every keras_gen model runs one by default.
    data = PoisonedBatches(4)
    with pytest.raises(
        NonFiniteLossError,
        match=r"loss` became (nan|inf) at epoch 2, batch 3 \(training step 7",
    ) as info:
        model.fit(
            data,
            epochs=3,
            verbose=0,
            shuffle=False,
            callbacks=[data.callback, checkpoint],
        )
    assert (
        f"{loss_name}=nan" in str(info.value)
        or f"{loss_name}=inf" in str(info.value)
        or "_loss=inf" in str(info.value)
    )

    good, _ = make(kind)
    good.load_weights(path)
    saved = weights(good)
    assert all(
        np.isfinite(w).all() for w in saved
    )  # the epoch-1 checkpoint is intact
    # ... and it is epoch 1's: a clean one-epoch run gives the same weights.
    reference, _ = make(kind)
    clean = PoisonedBatches(4, bad_epoch=-1)
    reference.fit(
        clean, epochs=1, verbose=0, shuffle=False, callbacks=[clean.callback]
    )
    for a, b in zip(saved, weights(reference)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_terminate_on_nan_would_overwrite_the_checkpoint(tmp_path):
    # Why NaNGuard raises: Keras' TerminateOnNaN lets the epoch end, and the
    # epoch-end checkpoint then saves the NaN weights.
    model, _ = make("vae")
    path = str(tmp_path / "last.weights.h5")
    data = PoisonedBatches(4)
    model.fit(
        data,
        epochs=3,
        verbose=0,
        shuffle=False,
        callbacks=[
            data.callback,
            keras.callbacks.TerminateOnNaN(),
            keras.callbacks.ModelCheckpoint(path, save_weights_only=True),
        ],
    )
    reloaded, _ = make("vae")
    reloaded.load_weights(path)
    assert not all(np.isfinite(w).all() for w in weights(reloaded))


def test_without_raising_it_stops_and_keeps_the_message():
    model, _ = make("vae")
    guard = NaNGuard(raise_error=False)
    data = PoisonedBatches(4)
    history = model.fit(
        data,
        epochs=3,
        verbose=0,
        shuffle=False,
        callbacks=[data.callback, guard],
    )
    assert len(history.history["loss"]) == 2
    assert re.search(
        r"loss` became (nan|inf) at epoch 2, batch 3", guard.message
    ), guard.message


def test_bad_monitor_is_refused():
    with pytest.raises(ValueError, match="Received: monitor='d_loss'"):
        NaNGuard(monitor="d_loss")
