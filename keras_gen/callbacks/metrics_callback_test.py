import keras
import numpy as np
import pytest
from keras import ops

from keras_gen.callbacks import MetricsCallback


class LinearGenerator(keras.Model):
    """Maps noise to points; `fit(noise, data)` with MSE pulls its output to
    the data's mean, enough to see a metric move between epochs."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(2)

    def call(self, z):
        return self.dense(z)

    def generate(self, num_samples, seed=None):
        z = (
            np.random.default_rng(seed)
            .standard_normal((num_samples, 2))
            .astype("float32")
        )
        return ops.convert_to_numpy(self(z))


def test_callback_puts_the_metric_into_history_every_n_epochs():
    rng = np.random.default_rng(0)
    data = (rng.standard_normal((256, 2)) * 0.1 + 3.0).astype("float32")
    model = LinearGenerator()
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss="mse")
    callback = MetricsCallback(
        data, ["frechet_distance", "precision_recall"], every=2, num_samples=200
    )
    csv = keras.callbacks.CSVLogger("/dev/null")
    history = model.fit(
        rng.standard_normal((256, 2)).astype("float32"),
        data,
        epochs=5,
        batch_size=64,
        verbose=0,
        callbacks=[callback, csv],
    )
    # Epochs 2, 4 and the last one (5).
    assert sorted(callback.history) == [2, 4, 5]
    values = history.history["frechet_distance"]
    assert len(values) == 3 and len(history.history["recall"]) == 3
    assert values == [
        callback.history[e]["frechet_distance"] for e in (2, 4, 5)
    ]
    # The generator moves toward the data's mean (3, 3): the distance falls.
    assert values[-1] < values[0]


def test_data_outside_the_value_range_fail_before_training():
    data = np.random.default_rng(0).uniform(size=(20, 8, 8, 1))  # [0, 1]
    with pytest.raises(ValueError, match=r"value_range=\(-1, 1\)"):
        MetricsCallback(data, ["frechet_distance"], value_range=(-1, 1))


def test_the_classifier_can_be_named_for_an_ambiguous_shape():
    data = np.zeros((4, 32, 32, 1), "float32")
    default = MetricsCallback(data, ["classifier_frechet_distance"])
    named = MetricsCallback(
        data, ["classifier_frechet_distance"], classifier="fashion_mnist"
    )
    assert default.metrics[0].feature_extractor.name == "digits_features_32"
    assert (
        named.metrics[0].feature_extractor.name == "fashion_mnist_features_32"
    )
