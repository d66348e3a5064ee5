import numpy as np
import pytest

from keras_gen import datasets
from keras_gen.datasets import fashion_mnist
from keras_gen.metrics import FrechetDistance, fashion_mnist_classifier

needs_data = pytest.mark.skipif(
    not fashion_mnist.is_available(),
    reason="the Fashion-MNIST files are not installed (apt-get install dataset-fashion-mnist)",
)


def fixed_images():
    """Inputs that need no data: four smooth blobs of different shapes."""
    yy, xx = np.mgrid[0:28, 0:28] / 27.0
    images = [
        np.exp(
            -((xx - 0.5) ** 2 / 0.05 + (yy - 0.5) ** 2 / 0.2)
        ),  # tall: trousers-like
        np.exp(
            -((xx - 0.5) ** 2 / 0.2 + (yy - 0.6) ** 2 / 0.03)
        ),  # wide: shoe-like
        ((np.abs(xx - 0.5) < 0.35) & (np.abs(yy - 0.5) < 0.4))
        * 0.8,  # a box: bag-like
        np.random.default_rng(0).uniform(size=(28, 28)),
    ]
    return np.stack(images).astype("float32")[..., None]


@needs_data
def test_shipped_classifier_is_accurate_on_a_test_subset():
    x, y = datasets.load_fashion_mnist(
        "test", with_labels=True, num_samples=1000, download=False
    )
    p = fashion_mnist_classifier().predict(x, verbose=0)
    assert p.shape == (1000, 10)
    assert (p.argmax(-1) == y).mean() >= 0.90


def test_same_features_on_every_backend():
    # Measured with the shipped weights on JAX; TensorFlow and PyTorch agree
    # to float32 rounding (no batch norm, no randomness at inference).
    h = fashion_mnist_classifier(features=True).predict(
        fixed_images(), verbose=0
    )
    assert h.shape == (4, 128)
    np.testing.assert_allclose(
        h.sum(axis=1), [23.821665, 58.568787, 45.939117, 51.081898], rtol=1e-5
    )
    np.testing.assert_allclose(
        h[:, [10, 30, 33]],
        [
            [0.7328172, 0.7499225, 1.3695209],
            [3.9637756, 2.9105277, 3.416566],
            [1.1655707, 1.4646091, 0.550531],
            [0.55430233, 2.4452188, 0.87491935],
        ],
        rtol=1e-5,
    )


def test_padded_images_are_cropped_back_exactly():
    x = fixed_images()
    padded = np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0)))
    np.testing.assert_array_equal(
        fashion_mnist_classifier(image_size=32).predict(padded, verbose=0),
        fashion_mnist_classifier().predict(x, verbose=0),
    )
    with pytest.raises(ValueError, match="image_size=31"):
        fashion_mnist_classifier(image_size=31)
    with pytest.raises(
        FileNotFoundError, match="weights_path='nowhere.weights.h5'"
    ):
        fashion_mnist_classifier(
            features=True, weights_path="nowhere.weights.h5"
        )


@needs_data
def test_classifier_frechet_distance_is_small_for_real_and_large_for_noise():
    x_train = datasets.load_fashion_mnist(
        "train", num_samples=1000, download=False
    )
    x_test = datasets.load_fashion_mnist(
        "test", num_samples=1000, download=False
    )
    noise = (
        np.random.default_rng(0).uniform(size=x_test.shape).astype("float32")
    )
    values = []
    for fake in (x_test, noise):
        metric = FrechetDistance(
            fashion_mnist_classifier(features=True),
            name="classifier_frechet_distance",
        )
        metric.update_state(x_train, fake)
        values.append(float(metric.result()))
    assert values[1] > 20 * values[0]
