import numpy as np
import pytest

from keras_gen import datasets
from keras_gen.metrics import FrechetDistance, ModeCoverage, evaluate


class ShiftedNoise:
    """A stand-in generator: Gaussian points around `shift`."""

    def __init__(self, shift):
        self.shift = shift

    def generate(self, num_samples, seed=None):
        return (
            np.random.default_rng(seed).standard_normal((num_samples, 2))
            + self.shift
        )

    def log_prob(self, x):
        return -0.5 * ((x - self.shift) ** 2).sum(1) - np.log(2 * np.pi)


def test_evaluate_returns_a_dict_of_the_requested_metrics():
    data = np.random.default_rng(1).standard_normal((500, 2))
    val = np.random.default_rng(2).standard_normal((100, 2))
    good = evaluate(
        ShiftedNoise(0.0),
        data,
        [
            "frechet_distance",
            "kernel_distance",
            "precision_recall",
            "bits_per_dim",
            "parzen_log_likelihood",
        ],
        validation_data=val,
    )
    bad = evaluate(
        ShiftedNoise(2.0),
        data,
        ["frechet_distance", "precision_recall", "bits_per_dim"],
    )
    assert good["frechet_distance"] < 0.05 < 7.0 < bad["frechet_distance"]
    assert {
        "kernel_distance",
        "kernel_distance_std",
        "precision",
        "recall",
        "parzen_log_likelihood",
        "parzen_standard_error",
        "parzen_bandwidth",
    } <= set(good)
    assert (
        good["recall"] > bad["recall"]
        and bad["bits_per_dim"] > good["bits_per_dim"]
    )
    assert all(isinstance(v, float) for v in good.values())


def test_evaluate_with_digits_classifier_and_objects():
    x_train, x_test = (
        datasets.load_digits("train"),
        datasets.load_digits("test"),
    )
    # Real digits scaled to [-1, 1], as a tanh generator would give them.
    metrics = ["classifier_frechet_distance", "classifier_inception_score"]
    result = evaluate(
        None,
        x_test * 2 - 1,
        metrics,
        samples=x_train[:447] * 2 - 1,
        value_range=(-1, 1),
    )
    noise = np.random.default_rng(0).uniform(-1, 1, size=x_test.shape)
    worse = evaluate(
        None, x_test * 2 - 1, metrics, samples=noise, value_range=(-1, 1)
    )
    assert (
        worse["classifier_frechet_distance"]
        > 10 * result["classifier_frechet_distance"]
    )
    assert worse["classifier_inception_score"] < 4.0
    assert (
        result["classifier_inception_score"] > 8.0
    )  # 10 balanced classes, classified confidently
    ring = ModeCoverage("ring8", min_count=5)
    points = datasets.toy_2d("ring8", 400, seed=0)
    stats = evaluate(
        None, points, [ring, FrechetDistance(name="fd")], samples=points[::-1]
    )
    assert stats["modes"] == 8 and stats["fd"] < 1e-6


def test_evaluate_errors_name_the_problem():
    data = np.zeros((10, 2))
    with pytest.raises(ValueError, match="metric='fid'"):
        evaluate(ShiftedNoise(0.0), data, ["fid"])
    with pytest.raises(
        ValueError, match="digits classifier.*data_shape=\\(2,\\)"
    ):
        evaluate(ShiftedNoise(0.0), data, ["classifier_frechet_distance"])
    with pytest.raises(ValueError, match="validation_data=None"):
        evaluate(ShiftedNoise(0.0), data, ["parzen_log_likelihood"])
    with pytest.raises(
        ValueError, match=r"spans \[0, 1\].*value_range=\(-1, 1\)"
    ):
        evaluate(
            None,
            datasets.load_digits("test"),
            samples=np.zeros((10, 8, 8, 1)),
            value_range=(-1, 1),
        )
    with pytest.raises(ValueError, match="model='nowhere.keras'"):
        evaluate("nowhere.keras", data)


def test_evaluate_takes_fashion_mnist_by_shape_or_by_name():
    from keras_gen.metrics import get_metric

    x = np.random.default_rng(0).uniform(size=(60, 28, 28, 1)).astype("float32")
    assert (
        get_metric(
            "classifier_frechet_distance", x.shape[1:]
        ).feature_extractor.name
        == "fashion_mnist_features"
    )
    # 32x32 is the digits loader's size unless the classifier is named.
    assert (
        get_metric(
            "classifier_kernel_distance", (32, 32, 1)
        ).feature_extractor.name
        == "digits_features_32"
    )
    named = get_metric(
        "classifier_precision_recall", (32, 32, 1), classifier="fashion_mnist"
    )
    assert named.feature_extractor.name == "fashion_mnist_features_32"
    metrics = ["classifier_frechet_distance", "classifier_inception_score"]
    native = evaluate(None, x[:30], metrics, samples=x[30:])
    padded = np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0)))
    cropped = evaluate(
        None,
        padded[:30],
        metrics,
        samples=padded[30:],
        classifier="fashion_mnist",
    )
    assert native["classifier_frechet_distance"] > 0.0
    for key in native:
        np.testing.assert_allclose(cropped[key], native[key], rtol=1e-5)
    with pytest.raises(ValueError, match="classifier='mnist'"):
        evaluate(None, x, samples=x, classifier="mnist")
