import numpy as np
import pytest

from keras_gen.metrics import SHIPPED_CLASSIFIERS, shipped_classifier
from keras_gen.metrics.classifiers import classifier_for_shape
from keras_gen.metrics.shipped_classifier import build_cnn


@pytest.mark.parametrize(
    "shape, name, expected",
    [
        ((8, 8, 1), None, ("digits", 8)),
        ((16, 16, 1), None, ("digits", 16)),
        ((28, 28, 1), None, ("fashion_mnist", 28)),
        ((30, 30, 1), None, ("fashion_mnist", 30)),
        ((32, 32, 1), None, ("digits", 32)),  # the digits loader's 32x32
        ((32, 32, 1), "fashion_mnist", ("fashion_mnist", 32)),
    ],
)
def test_the_classifier_is_chosen_by_shape_or_name(shape, name, expected):
    spec, size = classifier_for_shape(shape, name)
    assert (spec.name, size) == expected


def test_shapes_no_classifier_takes_are_errors():
    with pytest.raises(
        ValueError,
        match="digits classifier.*fashion_mnist classifier.*data_shape=\\(2,\\)",
    ):
        classifier_for_shape((2,))
    with pytest.raises(ValueError, match="data_shape=\\(28, 28, 3\\)"):
        classifier_for_shape((28, 28, 3))
    with pytest.raises(
        ValueError,
        match="multiple of 8.*data_shape=\\(28, 28, 1\\), classifier='digits'",
    ):
        classifier_for_shape((28, 28, 1), "digits")
    with pytest.raises(ValueError, match="classifier='mnist'"):
        shipped_classifier("mnist")


@pytest.mark.parametrize(
    "name, size, num_features", [("digits", 8, 64), ("fashion_mnist", 28, 128)]
)
def test_every_shipped_classifier_gives_probabilities_and_features(
    name, size, num_features
):
    assert name in SHIPPED_CLASSIFIERS
    x = (
        np.random.default_rng(0)
        .uniform(size=(5, size, size, 1))
        .astype("float32")
    )
    p = shipped_classifier(name).predict(x, verbose=0)
    assert p.shape == (5, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    features = shipped_classifier(name, features=True)
    h = features.predict(x, verbose=0)
    assert h.shape == (5, num_features) and h.min() >= 0.0  # ReLU activations
    # Inference is deterministic: dropout is off, there is no batch norm.
    np.testing.assert_array_equal(h, features.predict(x, verbose=0))
    assert not any(
        "batch_norm" in layer.name for layer in shipped_classifier(name).layers
    )


def test_build_cnn_names_the_layers_the_weights_files_use():
    model = build_cnn(28, ((8,), (8, 16)), 12, 0.5, "tiny")
    names = [layer.name for layer in model.layers]
    assert names == [
        "images",
        "conv1",
        "pool1",
        "conv2",
        "conv3",
        "pool2",
        "flatten",
        "features",
        "dropout",
        "probabilities",
    ]
    assert model.get_layer("features").output.shape == (None, 12)
    assert model.output.shape == (None, 10)
