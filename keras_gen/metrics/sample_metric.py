"""Base of the metrics that keep every feature vector (KID, precision and
recall, Inception score, mode coverage)."""

import keras
import numpy as np

from keras_gen.metrics import features as features_lib
from keras_gen.utils import validation


class FeatureSetMetric(keras.metrics.Metric):
    """A `keras.metrics.Metric` whose state is the features of the real and
    generated samples seen since the last `reset_state()`, kept as float32
    NumPy arrays on the host (these metrics need all pairwise kernel values
    or distances, not running sums). `result()` runs eagerly in float64.

    Subclasses set `requires_real` and implement `result()`. `get_config`
    stores a `keras.Model` extractor's architecture, not its weights: rebuild
    metrics on trained extractors (e.g. `digits_classifier`) in code.
    """

    requires_real = True

    def __init__(
        self, feature_extractor=None, batch_size=256, name=None, dtype=None
    ):
        super().__init__(name=name, dtype=dtype)
        self.feature_extractor = feature_extractor
        self.batch_size = validation.check_positive_int(
            batch_size, "batch_size"
        )
        self.reset_state()

    def reset_state(self):
        self._features = {"real": [], "generated": []}

    def _add(self, key, x):
        f = features_lib.extract_features(
            self.feature_extractor, x, self.batch_size
        )
        seen = self._features["real"] + self._features["generated"]
        features_lib.check_features(f, key, seen[0].shape[1] if seen else None)
        self._features[key].append(f)

    def update_state(self, real=None, generated=None, sample_weight=None):
        """Adds a batch of real samples, generated samples, or both."""
        if sample_weight is not None:
            raise ValueError(
                f"{self.__class__.__name__} does not take sample weights. Received: sample_weight={sample_weight!r}"
            )
        if real is None and generated is None:
            raise ValueError(
                "Pass `real`, `generated` or both. Received: real=None, generated=None"
            )
        for key, x in (("real", real), ("generated", generated)):
            if x is not None:
                self._add(key, x)

    def features(self, key):
        """All `"real"` or `"generated"` features seen, `(n, d)` float64."""
        parts = self._features[key]
        if not parts:
            return np.zeros((0, 0))
        return np.concatenate(parts).astype("float64")

    def _check_count(self, key, minimum):
        n = sum(len(f) for f in self._features[key])
        if n < minimum:
            raise ValueError(
                f"{self.name} needs at least {minimum} {key} samples before "
                f"`result()`. Received: {n} {key} samples"
            )

    def get_config(self):
        return features_lib.feature_metric_config(self)

    @classmethod
    def from_config(cls, config):
        return cls(**features_lib.restore_feature_extractor(config))
