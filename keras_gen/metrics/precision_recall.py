"""Improved precision and recall (Kynkäänniemi et al., 2019)."""

import keras
import numpy as np

from keras_gen.metrics import features as features_lib
from keras_gen.metrics.sample_metric import FeatureSetMetric
from keras_gen.utils import validation


def _squared_distances(a, b):
    return np.maximum(
        (a**2).sum(1)[:, None] + (b**2).sum(1)[None] - 2.0 * a @ b.T, 0.0
    )


def knn_radii(x, k=3, chunk=1024):
    """Distance from each row of `x` to its k-th nearest other row."""
    radii = []
    for start in range(0, len(x), chunk):
        d = _squared_distances(x[start : start + chunk], x)
        # Column k of the sorted row: column 0 is the point itself.
        radii.append(np.sqrt(np.partition(d, k, axis=1)[:, k]))
    return np.concatenate(radii)


def manifold_coverage(manifold, radii, queries, chunk=1024):
    """Share of `queries` inside at least one ball `(manifold_i, radii_i)`."""
    inside = []
    for start in range(0, len(queries), chunk):
        d = np.sqrt(
            _squared_distances(queries[start : start + chunk], manifold)
        )
        inside.append((d <= radii[None]).any(axis=1))
    return float(np.concatenate(inside).mean())


@keras.saving.register_keras_serializable(package="keras_gen")
class PrecisionRecall(FeatureSetMetric):
    """Precision and recall of generated samples (Kynkäänniemi et al., 2019).

    Each set's manifold is the union of balls centred on its feature
    vectors, with radius the distance to the `k`-th nearest neighbour in
    the same set (eq. 1-2). *Precision* is the share of generated samples
    inside the real manifold (are samples realistic?); *recall* the share of
    real samples inside the generated manifold (is the data covered?). A
    mode-collapsed generator has high precision and low recall.

    `result()` returns `{"precision": ..., "recall": ...}` (keys prefixed
    with the metric's name when it is not the default).

    Args:
        feature_extractor: a `keras.Model` or callable mapping samples to
            features, or `None` when the inputs are features.
        k: neighbourhood size (3 in the paper).
        batch_size: samples per call of the extractor.
        name: the metric's name.

    Example:

    ```python
    pr = keras_gen.metrics.PrecisionRecall(keras_gen.metrics.digits_classifier(features=True))
    pr.update_state(x_test, samples)
    pr.result()  # {"precision": ..., "recall": ...}
    ```
    """

    def __init__(
        self,
        feature_extractor=None,
        k=3,
        batch_size=256,
        name="precision_recall",
        dtype=None,
    ):
        super().__init__(feature_extractor, batch_size, name=name, dtype=dtype)
        self.k = validation.check_positive_int(k, "k")

    def result(self):
        self._check_count("real", self.k + 1)
        self._check_count("generated", self.k + 1)
        real, generated = self.features("real"), self.features("generated")
        precision = manifold_coverage(real, knn_radii(real, self.k), generated)
        recall = manifold_coverage(
            generated, knn_radii(generated, self.k), real
        )
        key = lambda k: features_lib.prefixed(self.name, "precision_recall", k)  # noqa: E731
        return {key("precision"): precision, key("recall"): recall}

    def get_config(self):
        config = super().get_config()
        config["k"] = self.k
        return config
