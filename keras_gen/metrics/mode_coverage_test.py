import numpy as np
import pytest

from keras_gen import datasets
from keras_gen.metrics import mode_coverage


def test_real_samples_cover_every_mode():
    centers, sigma = datasets.toy_2d_modes("grid25")
    stats = mode_coverage(
        datasets.toy_2d("grid25", 2500, seed=0), centers, sigma
    )
    assert stats["modes"] == 25 and stats["high_quality"] > 0.98
    assert stats["reverse_kl"] < 0.02


def test_a_collapsed_generator_scores_badly():
    centers, sigma = datasets.toy_2d_modes("ring8")
    collapsed = centers[[0, 3]].repeat(
        1250, axis=0
    ) + sigma * np.random.RandomState(0).randn(2500, 2)
    stats = mode_coverage(collapsed, centers, sigma)
    assert stats["modes"] == 2
    np.testing.assert_allclose(
        stats["reverse_kl"], np.log(4), rtol=1e-3
    )  # 2 of 8 modes


def test_blurry_samples_are_not_high_quality():
    centers, sigma = datasets.toy_2d_modes("ring8")
    blurry = datasets.toy_2d(
        "ring8", 2500, seed=0
    ) + 0.2 * np.random.RandomState(1).randn(2500, 2)
    assert mode_coverage(blurry, centers, sigma)["high_quality"] < 0.2


def test_shape_error_names_the_argument():
    centers, sigma = datasets.toy_2d_modes("ring8")
    with pytest.raises(ValueError, match=r"samples.shape=\(10, 3\)"):
        mode_coverage(np.zeros((10, 3)), centers, sigma)


def test_mmd_is_near_zero_for_one_distribution_and_grows_with_a_shift():
    from keras_gen.metrics import gaussian_mmd

    rng = np.random.RandomState(0)
    a, b = rng.randn(400, 2), rng.randn(400, 2)
    same = gaussian_mmd(a, b)
    shifted = [gaussian_mmd(a, b + s) for s in (0.5, 1.0, 2.0)]
    assert abs(same) < 0.01
    assert same < shifted[0] < shifted[1] < shifted[2]


def test_digits_probe_reads_real_digits():
    from keras_gen.metrics import DigitsProbe

    probe = DigitsProbe()
    assert probe.test_accuracy > 0.93
    x, y = datasets.load_digits("test", with_labels=True)
    stats = probe.evaluate(x, labels=y)
    assert stats["classes"] == 10 and stats["label_accuracy"] > 0.93
    noise = np.random.RandomState(0).rand(200, 8, 8, 1)
    assert probe.evaluate(noise)["confident"] < stats["confident"]


def test_digits_probe_report_includes_the_classifier_frechet_distance():
    from keras_gen.metrics import DigitsProbe

    val = datasets.load_digits("val")
    distance, floor = DigitsProbe.frechet_distance(val)
    noise_distance, _ = DigitsProbe.frechet_distance(
        np.random.RandomState(0).rand(300, 16, 16, 1)
    )
    # Real held-out digits sit near the floor; noise far above it.
    assert floor < distance < 3 * floor < noise_distance
    assert "classifier Frechet distance" in DigitsProbe().report(val[:50])
