import numpy as np
import pytest

import keras_gen
from keras_gen.datasets import fashion_mnist
from keras_gen.metrics import requested_class_accuracy


def test_real_digits_read_as_their_class_and_wrong_labels_do_not():
    x, y = keras_gen.datasets.load_digits("test", with_labels=True)
    right = requested_class_accuracy(x, y)
    wrong = requested_class_accuracy(x, (y + 1) % 10)
    assert right["accuracy"] > 0.9
    assert wrong["accuracy"] < 0.1
    assert len(right["per_class"]) == 10 and min(right["per_class"]) > 0.7


def test_value_range_maps_tanh_samples():
    x, y = keras_gen.datasets.load_digits("test", with_labels=True)
    direct = requested_class_accuracy(x, y)["accuracy"]
    tanh = requested_class_accuracy(x * 2 - 1, y, value_range=(-1, 1))
    assert tanh["accuracy"] == pytest.approx(direct)


def test_classes_not_requested_are_nan():
    x, y = keras_gen.datasets.load_digits("test", with_labels=True)
    stats = requested_class_accuracy(x[y == 3], y[y == 3])
    assert not np.isnan(stats["per_class"][3])
    assert np.isnan(stats["per_class"][0])


@pytest.mark.skipif(
    not fashion_mnist.is_available(),
    reason="the Fashion-MNIST files are not installed (apt-get install dataset-fashion-mnist)",
)
def test_fashion_mnist_test_images_read_as_their_class():
    x, y = keras_gen.datasets.load_fashion_mnist(
        "test", with_labels=True, num_samples=500
    )
    assert requested_class_accuracy(x, y)["accuracy"] > 0.85


@pytest.mark.parametrize(
    "labels, match",
    [
        (np.zeros((4, 1), "int32"), "`labels` must hold one integer class"),
        (np.full(4, 0.5), "`labels` must hold one integer class"),
        (np.full(4, 10), r"`labels` must be classes in \[0, 10\)"),
    ],
)
def test_bad_labels_are_named(labels, match):
    x = np.zeros((4, 8, 8, 1), "float32")
    with pytest.raises(ValueError, match=match):
        requested_class_accuracy(x, labels)


def test_bad_images_are_named():
    with pytest.raises(ValueError, match="`images` must be a non-empty"):
        requested_class_accuracy(np.zeros((4, 8, 8)), np.zeros(4, "int32"))
