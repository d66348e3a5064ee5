import numpy as np
import pytest

from keras_gen import datasets
from keras_gen.datasets import fashion_mnist
from keras_gen.metrics import evaluate, floor, real_data_floor


def test_digits_floor_shrinks_with_more_samples_and_is_cached(monkeypatch):
    small = real_data_floor("digits", num_samples=100)
    full = real_data_floor("digits")  # the whole test split, 447 digits
    noise = np.random.default_rng(0).uniform(size=(447, 8, 8, 1))
    noise_fd = evaluate(None, datasets.load_digits("test"), samples=noise)[
        "classifier_frechet_distance"
    ]
    # The Fréchet distance is biased upwards for small sets.
    assert (
        small["classifier_frechet_distance"]
        > full["classifier_frechet_distance"]
    )
    assert noise_fd > 10 * full["classifier_frechet_distance"]
    calls = []
    monkeypatch.setattr(floor, "evaluate", lambda *a, **k: calls.append(1))
    assert real_data_floor("digits", num_samples=100) == small and not calls


def test_floor_arguments_are_checked():
    with pytest.raises(ValueError, match="at most 447.*num_samples=448"):
        real_data_floor("digits", num_samples=448)
    with pytest.raises(ValueError, match="classifier='mnist'"):
        real_data_floor("mnist")
    with pytest.raises(ValueError, match="image_size=12"):
        real_data_floor("digits", image_size=12)


@pytest.mark.skipif(
    not fashion_mnist.is_available(),
    reason="the Fashion-MNIST files are not installed",
)
def test_fashion_mnist_floor_is_far_below_noise_and_padding_free():
    metrics = ["classifier_frechet_distance", "classifier_precision_recall"]
    result = real_data_floor("fashion_mnist", metrics, num_samples=300)
    padded = real_data_floor(
        "fashion_mnist", metrics, num_samples=300, image_size=32
    )
    for key in result:
        np.testing.assert_allclose(padded[key], result[key], rtol=1e-5)
    assert (
        result["classifier_precision"] > 0.5
        and result["classifier_recall"] > 0.5
    )
    x_test = datasets.load_fashion_mnist(
        "test", num_samples=300, download=False
    )
    noise = np.random.default_rng(0).uniform(size=x_test.shape)
    worse = evaluate(None, x_test, metrics, samples=noise)
    assert (
        worse["classifier_frechet_distance"]
        > 20 * result["classifier_frechet_distance"]
    )
    assert worse["classifier_precision"] < 0.1
