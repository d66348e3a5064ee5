"""Kernel Inception Distance: unbiased MMD^2 with a cubic polynomial kernel."""

import keras
import numpy as np

from keras_gen.metrics.sample_metric import FeatureSetMetric
from keras_gen.utils import validation


def polynomial_mmd(x, y, degree=3, gamma=None, coef=1.0):
    """Unbiased MMD^2 between feature sets `x` `(m, d)` and `y` `(n, d)` with
    `k(a, b) = (gamma a.b + coef)^degree`, `gamma = 1 / d` by default.

        MMD^2_u = sum_{i != j} k(x_i, x_j) / (m (m-1))
                + sum_{i != j} k(y_i, y_j) / (n (n-1))
                - 2 sum_{i, j} k(x_i, y_j) / (m n)

    (Gretton et al., 2012, eq. 3; Bińkowski et al., 2018, sec. 3.)
    """
    x, y = np.asarray(x, "float64"), np.asarray(y, "float64")
    gamma = 1.0 / x.shape[1] if gamma is None else gamma

    def kernel(a, b):
        base = gamma * a @ b.T + coef
        out = base.copy()
        for _ in range(degree - 1):  # products: much faster than `** degree`
            out *= base
        return out

    kxx, kyy, kxy = kernel(x, x), kernel(y, y), kernel(x, y)
    m, n = len(x), len(y)
    return float(
        (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
        + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
        - 2.0 * kxy.mean()
    )


@keras.saving.register_keras_serializable(package="keras_gen")
class KernelDistance(FeatureSetMetric):
    """Kernel distance (KID with InceptionV3 features; Bińkowski et al., 2018).

    The unbiased estimate of MMD^2 with the cubic polynomial kernel
    `k(x, y) = (x.y / d + 1)^3`, averaged over `num_subsets` random subsets
    of `subset_size` real and `subset_size` generated samples (drawn without
    replacement; all samples when fewer are available). Unlike the Fréchet
    distance it is unbiased, so small sample sets can be compared, and
    values near 0 (even slightly negative) mean "indistinguishable".

    `result()` returns `{name: mean, name + "_std": std}` over the subsets.
    The subsets come from a NumPy generator seeded with `seed`, so every
    backend draws the same subsets and reports the same number.

    Args:
        feature_extractor: a `keras.Model` or callable mapping samples to
            features, or `None` when the inputs are features.
        num_subsets: number of subsets (100 in the paper's code).
        subset_size: samples per subset and set (1,000 in the paper's code).
        degree, gamma, coef: the kernel `(gamma x.y + coef)^degree`;
            `gamma=None` is `1 / d`.
        seed: seed of the subset draws.
        batch_size: samples per call of the extractor.
        name: the metric's name, the key in the logs.

    Example:

    ```python
    kid = keras_gen.metrics.KernelDistance(
        keras_gen.metrics.digits_classifier(features=True),
        name="classifier_kernel_distance")
    kid.update_state(x_test, samples)
    kid.result()  # {"classifier_kernel_distance": ..., "classifier_kernel_distance_std": ...}
    ```
    """

    def __init__(
        self,
        feature_extractor=None,
        num_subsets=100,
        subset_size=1000,
        degree=3,
        gamma=None,
        coef=1.0,
        seed=0,
        batch_size=256,
        name="kernel_distance",
        dtype=None,
    ):
        super().__init__(feature_extractor, batch_size, name=name, dtype=dtype)
        self.num_subsets = validation.check_positive_int(
            num_subsets, "num_subsets"
        )
        self.subset_size = validation.check_positive_int(
            subset_size, "subset_size"
        )
        self.degree = validation.check_positive_int(degree, "degree")
        self.gamma = (
            None
            if gamma is None
            else validation.check_in_range(
                gamma, "gamma", 0.0, description="a positive number"
            )
        )
        self.coef = validation.check_non_negative(coef, "coef")
        self.seed = seed

    def result(self):
        self._check_count("real", 2)
        self._check_count("generated", 2)
        real, generated = self.features("real"), self.features("generated")
        m = min(self.subset_size, len(real), len(generated))
        rng = np.random.default_rng(self.seed)
        values = [
            polynomial_mmd(
                real[rng.choice(len(real), m, replace=False)],
                generated[rng.choice(len(generated), m, replace=False)],
                self.degree,
                self.gamma,
                self.coef,
            )
            for _ in range(self.num_subsets)
        ]
        return {
            self.name: float(np.mean(values)),
            self.name + "_std": float(np.std(values)),
        }

    def get_config(self):
        config = super().get_config()
        config.update(
            num_subsets=self.num_subsets,
            subset_size=self.subset_size,
            degree=self.degree,
            gamma=self.gamma,
            coef=self.coef,
            seed=self.seed,
        )
        return config
