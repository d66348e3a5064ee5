import time

import keras
import numpy as np
import pytest

import keras_gen


def _model():
    vae = keras_gen.models.registry.get("vae").build("tiny")
    vae.compile()
    return vae


def test_training_stops_after_the_budget():
    vae = _model()
    x = np.random.default_rng(0).random((64,) + vae.data_shape, "float32")

    vae.fit(x, epochs=1, batch_size=8, verbose=0)  # compiles the step

    class Slow(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            time.sleep(0.05)

    limit = keras_gen.callbacks.TimeLimit(0.2)
    history = vae.fit(
        x, epochs=50, batch_size=8, verbose=0, callbacks=[Slow(), limit]
    )
    # 8 steps per epoch of at least 50 ms each: the budget ends in epoch 1,
    # at the first step past 0.2 s (the 4th on an idle machine).
    assert len(history.history["loss"]) == 1
    assert 1 <= limit.stopped_at_step <= 5
    assert 0.2 <= limit.elapsed < 5.0


def test_an_infinite_budget_only_counts_steps():
    vae = _model()
    x = np.zeros((24,) + vae.data_shape, "float32")
    limit = keras_gen.callbacks.TimeLimit(float("inf"))
    history = vae.fit(x, epochs=2, batch_size=8, verbose=0, callbacks=[limit])
    assert len(history.epoch) == 2
    assert limit.steps == 6 and limit.stopped_at_step is None


@pytest.mark.parametrize("seconds", [0, -1, float("nan"), "10", True])
def test_a_bad_budget_is_refused_by_name(seconds):
    with pytest.raises(
        ValueError, match="`seconds` must be a number > 0. Received: seconds="
    ):
        keras_gen.callbacks.TimeLimit(seconds)
