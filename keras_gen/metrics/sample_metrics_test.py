"""Inception score, precision/recall, bits per dim, Parzen, mode coverage."""

import math

import keras
import numpy as np
import pytest

from keras_gen import datasets
from keras_gen.metrics import (
    BitsPerDim,
    InceptionScore,
    ModeCoverage,
    PrecisionRecall,
    bits_per_dim,
    mode_coverage,
    parzen_log_likelihood,
    parzen_log_prob,
)


def test_inception_score_is_num_classes_for_confident_balanced_samples_and_one_for_collapse():
    balanced = np.eye(10)[np.arange(1000) % 10]
    score = InceptionScore(num_splits=10)
    score.update_state(balanced)
    np.testing.assert_allclose(
        score.result()["inception_score"], 10.0, rtol=1e-9
    )
    score.reset_state()
    score.update_state(np.eye(10)[np.zeros(1000, int)])
    np.testing.assert_allclose(
        score.result()["inception_score"], 1.0, rtol=1e-9
    )


def test_inception_score_from_logits_matches_probabilities():
    logits = np.random.default_rng(0).standard_normal((200, 5)) * 3
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    a, b = (
        InceptionScore(num_splits=2),
        InceptionScore(num_splits=2, from_logits=True),
    )
    a.update_state(p)
    b.update_state(None, logits)
    np.testing.assert_allclose(
        a.result()["inception_score"], b.result()["inception_score"], rtol=1e-5
    )
    # exp(mean KL(p(y|x) || p(y))) written out, per split of 100.
    scores = [
        np.exp((q * (np.log(q) - np.log(q.mean(0)))).sum(1).mean())
        for q in (p[:100], p[100:])
    ]
    np.testing.assert_allclose(
        a.result()["inception_score"], np.mean(scores), rtol=1e-7
    )
    np.testing.assert_allclose(
        a.result()["inception_score_std"], np.std(scores), rtol=1e-6
    )
    with pytest.raises(ValueError, match="from_logits=True"):
        c = InceptionScore(num_splits=1)
        c.update_state(logits)
        c.result()


def brute_force_precision_recall(real, fake, k):
    def radii(x):
        d = np.linalg.norm(x[:, None] - x[None], axis=-1)
        return np.sort(d, axis=1)[:, k]

    def inside(centres, r, q):
        return (
            (np.linalg.norm(q[:, None] - centres[None], axis=-1) <= r[None])
            .any(1)
            .mean()
        )

    return inside(real, radii(real), fake), inside(fake, radii(fake), real)


def test_precision_recall_matches_brute_force_and_detects_collapse():
    rng = np.random.default_rng(1)
    real = rng.standard_normal((300, 2))
    fake = rng.standard_normal((250, 2)) * 0.8 + 0.5
    metric = PrecisionRecall()
    metric.update_state(real, fake)
    result = metric.result()
    expected = brute_force_precision_recall(
        real.astype("float32").astype("float64"),
        fake.astype("float32").astype("float64"),
        3,
    )
    np.testing.assert_allclose(
        [result["precision"], result["recall"]], expected
    )
    # A generator that only produces one corner of the data: realistic
    # samples (high precision) that miss most of it (low recall).
    metric.reset_state()
    metric.update_state(real, rng.standard_normal((300, 2)) * 0.2 + 1.0)
    collapsed = metric.result()
    assert collapsed["precision"] > 0.9 and collapsed["recall"] < 0.3
    named = PrecisionRecall(name="pr")
    named.update_state(real, fake)
    assert set(named.result()) == {"pr_precision", "pr_recall"}


def test_bits_per_dim_of_a_standard_normal():
    # log N(0; 0, 1) per dimension = -0.5 ln(2 pi); 64 dimensions.
    log_prob = np.full((10,), -0.5 * math.log(2 * math.pi) * 64)
    expected = 0.5 * math.log(2 * math.pi) / math.log(2)
    np.testing.assert_allclose(bits_per_dim(log_prob, 64), expected, rtol=1e-9)
    # Data divided by 256 before modelling: + log2(256) = 8 bits per dimension.
    np.testing.assert_allclose(
        bits_per_dim(log_prob, 64, scale=256), expected + 8, rtol=1e-9
    )
    metric = BitsPerDim(num_dims=64, scale=256)
    metric.update_state(log_prob[:4])
    metric.update_state(keras.ops.convert_to_tensor(log_prob[4:]))
    np.testing.assert_allclose(float(metric.result()), expected + 8, rtol=1e-6)
    metric.reset_state()
    metric.update_state(
        log_prob - 64 * math.log(2)
    )  # one bit per dimension worse
    np.testing.assert_allclose(float(metric.result()), expected + 9, rtol=1e-6)
    with pytest.raises(ValueError, match="num_dims=0"):
        BitsPerDim(num_dims=0)
    with pytest.raises(ValueError, match="scale=0"):
        bits_per_dim(log_prob, 64, scale=0)


def test_parzen_matches_a_gaussian_and_picks_the_bandwidth_on_validation():
    # One kernel centre: the density is N(x; s, sigma^2 I).
    x = np.array([[0.3, -0.2]])
    expected = -0.5 * (0.3**2 + 0.2**2) / 0.25 - math.log(2 * math.pi * 0.25)
    np.testing.assert_allclose(
        parzen_log_prob(np.zeros((1, 2)), x, 0.5), [expected]
    )
    rng = np.random.default_rng(2)
    samples = rng.standard_normal((2000, 2)) * 0.3
    val, test = (
        rng.standard_normal((200, 2)) * 0.3,
        rng.standard_normal((200, 2)) * 0.3,
    )
    result = parzen_log_likelihood(samples, test, validation_data=val)
    assert (
        0.05 < result["bandwidth"] < 0.3
    )  # about the data's scale (0.3), not the extremes
    # Near the true entropy bound: -log N(0, 0.3^2 I) averages -(1 + ln(2 pi 0.09)).
    assert (
        abs(result["log_likelihood"] - (-(1 + math.log(2 * math.pi * 0.09))))
        < 0.15
    )
    assert result["standard_error"] > 0
    with pytest.raises(ValueError, match="validation_data=None"):
        parzen_log_likelihood(samples, test)


def test_mode_coverage_metric_equals_the_function():
    centers, sigma = datasets.toy_2d_modes("ring8")
    points = datasets.toy_2d("ring8", 1000, seed=0)[:600]
    metric = ModeCoverage("ring8")
    metric.update_state(points[:300])
    metric.update_state(None, points[300:])
    stats = mode_coverage(points, centers, sigma)
    assert metric.result() == {
        k: float(stats[k]) for k in ("modes", "high_quality", "reverse_kl")
    }
    assert ModeCoverage.from_config(metric.get_config()).sigma == sigma
    with pytest.raises(ValueError, match="name='ring9'"):
        ModeCoverage("ring9")
