import numpy as np
import pytest

from keras_gen import metrics
from keras_gen.metrics import disentanglement


def _factors(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, 4, n), rng.integers(0, 8, n)], axis=1)


def test_mig_of_a_code_copying_each_factor_is_one():
    factors = _factors()
    noise = np.random.default_rng(1).normal(size=(len(factors), 1))
    codes = np.concatenate([factors[:, ::-1] * 1.0, noise], axis=1)
    result = metrics.mutual_information_gap(codes, factors)
    assert result["mig"] == pytest.approx(1.0, abs=0.02)
    assert result["mutual_information"].shape == (3, 2)


def test_mig_of_a_rotated_code_is_low():
    factors = _factors()
    c, s = np.cos(np.pi / 4), np.sin(np.pi / 4)
    codes = (factors - factors.mean(0)) / factors.std(0) @ [[c, -s], [s, c]]
    assert metrics.mutual_information_gap(codes, factors)["mig"] < 0.2


def test_mutual_information_of_independent_and_equal_sequences():
    a = np.arange(1000) % 4
    b = (np.arange(1000) // 4) % 5
    assert disentanglement.discrete_mutual_information(a, a) == pytest.approx(
        np.log(4)
    )
    assert disentanglement.discrete_mutual_information(a, b) < 1e-2


def test_mig_rejects_one_dimensional_codes():
    with pytest.raises(ValueError, match="codes.shape"):
        metrics.mutual_information_gap(np.zeros((10, 1)), np.zeros((10, 1)))
