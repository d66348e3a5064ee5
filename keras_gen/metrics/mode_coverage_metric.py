"""`mode_coverage` as a metric object, for `evaluate` and `MetricsCallback`."""

import keras
import numpy as np

from keras_gen import datasets
from keras_gen.metrics import features as features_lib
from keras_gen.metrics.mode_coverage import mode_coverage
from keras_gen.metrics.sample_metric import FeatureSetMetric
from keras_gen.utils import validation


@keras.saving.register_keras_serializable(package="keras_gen")
class ModeCoverage(FeatureSetMetric):
    """Modes covered, high-quality share and reverse KL of 2-D samples from
    a Gaussian mixture (the PacGAN protocol of `mode_coverage`).

    `update_state(generated)` takes generated points; `result()` returns
    `{"modes": ..., "high_quality": ..., "reverse_kl": ...}` (keys prefixed
    with the metric's name when it is not the default).

    Args:
        centers: a toy name (`"ring8"`, `"grid25"`, `"8gaussians"`) or a
            `(K, 2)` array of mode centres.
        sigma: the modes' standard deviation (taken from the toy when
            `centers` is a name).
        min_count: high-quality samples a mode needs to count as covered
            (20 of 2,500 in PacGAN).
        name: the metric's name.

    Example:

    ```python
    coverage = keras_gen.metrics.ModeCoverage("ring8")
    coverage.update_state(gan.generate(2500))
    coverage.result()  # {"modes": 8, "high_quality": 0.93, "reverse_kl": 0.01}
    ```
    """

    requires_real = False

    def __init__(
        self,
        centers="ring8",
        sigma=None,
        min_count=20,
        name="mode_coverage",
        dtype=None,
    ):
        super().__init__(None, name=name, dtype=dtype)
        if isinstance(centers, str):
            self._centers, toy_sigma = datasets.toy_2d_modes(centers)
            sigma = toy_sigma if sigma is None else sigma
        else:
            self._centers = np.asarray(centers, "float64")
            if self._centers.ndim != 2:
                raise ValueError(
                    f"`centers` must be a toy name or a (K, d) array. Received: centers.shape={self._centers.shape}"
                )
        self.centers = (
            centers if isinstance(centers, str) else self._centers.tolist()
        )
        self.sigma = (
            validation.check_in_range(
                sigma, "sigma", 0.0, description="a positive number"
            )
            if sigma is not None
            else None
        )
        if self.sigma is None:
            raise ValueError(
                "Pass `sigma` with an array of centres. Received: sigma=None"
            )
        self.min_count = validation.check_positive_int(min_count, "min_count")

    def update_state(self, real=None, generated=None, sample_weight=None):
        """Adds generated points: `update_state(generated)` or
        `update_state(real, generated)` (real points are ignored)."""
        if generated is None:
            real, generated = None, real
        if generated is None:
            raise ValueError("Pass generated samples. Received: generated=None")
        super().update_state(None, generated, sample_weight)

    def result(self):
        self._check_count("generated", 1)
        stats = mode_coverage(
            self.features("generated"),
            self._centers,
            self.sigma,
            self.min_count,
        )
        return {
            features_lib.prefixed(self.name, "mode_coverage", k): float(
                stats[k]
            )
            for k in ("modes", "high_quality", "reverse_kl")
        }

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "centers": self.centers,
            "sigma": self.sigma,
            "min_count": self.min_count,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
