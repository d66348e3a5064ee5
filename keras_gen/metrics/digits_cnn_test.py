import numpy as np
import pytest

from keras_gen import datasets
from keras_gen.metrics import (
    FrechetDistance,
    digits_classifier,
    digits_features,
)


def test_shipped_classifier_reaches_97_percent_on_the_test_split():
    x, y = datasets.load_digits("test", with_labels=True)
    p = digits_classifier().predict(x, verbose=0)
    assert p.shape == (447, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    assert (p.argmax(-1) == y).mean() >= 0.97


def test_same_features_on_every_backend():
    # Measured with the shipped weights on JAX; TensorFlow and PyTorch agree
    # to float32 rounding (no batch norm, no randomness at inference).
    x = datasets.load_digits("test")[:4]
    h = digits_features().predict(x, verbose=0)
    assert h.shape == (4, 64)
    np.testing.assert_allclose(
        h.sum(axis=1), [118.63335, 85.08832, 108.09703, 106.47243], rtol=1e-5
    )
    np.testing.assert_allclose(
        h[[0, 2, 3], :3],
        [
            [3.820134, 0.0, 0.0],
            [3.3406672, 5.818446, 3.921063],
            [3.6115623, 5.6842537, 4.49408],
        ],
        rtol=1e-5,
        atol=1e-5,
    )


def test_larger_images_are_area_resized():
    x, y = datasets.load_digits("test", image_size=16, with_labels=True)
    p = digits_classifier(image_size=16).predict(x, verbose=0)
    assert (p.argmax(-1) == y).mean() >= 0.97
    with pytest.raises(ValueError, match="image_size=12"):
        digits_classifier(image_size=12)
    with pytest.raises(
        FileNotFoundError, match="weights_path='nowhere.weights.h5'"
    ):
        digits_classifier(weights_path="nowhere.weights.h5")


def test_classifier_frechet_distance_separates_real_digits_from_noise():
    x_train, x_test = (
        datasets.load_digits("train"),
        datasets.load_digits("test"),
    )
    noise = (
        np.random.default_rng(0).uniform(size=x_test.shape).astype("float32")
    )
    values = []
    for fake in (x_test, noise):
        metric = FrechetDistance(
            digits_features(), name="classifier_frechet_distance"
        )
        metric.update_state(x_train, fake)
        values.append(metric.result())
    assert values[1] > 20 * values[0]
