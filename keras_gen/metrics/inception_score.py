"""Inception score: how confidently and how diversely a classifier labels
the samples."""

import keras
import numpy as np

from keras_gen.metrics.sample_metric import FeatureSetMetric
from keras_gen.utils import validation


def inception_score(probabilities, num_splits=10):
    """`exp(E_x KL(p(y|x) || p(y)))` (Salimans et al., 2016, sec. 4), with
    `p(y)` the mean prediction, over `num_splits` consecutive splits.

    Returns:
        `(mean, std)` over the splits; the score lies in [1, num_classes].
    """
    p = np.asarray(probabilities, "float64")
    scores = []
    for part in np.array_split(p, num_splits):
        marginal = part.mean(axis=0, keepdims=True)
        # 0 log 0 = 0: classes with zero probability add nothing.
        kl = np.where(
            part > 0,
            part
            * (
                np.log(np.where(part > 0, part, 1.0))
                - np.log(np.where(marginal > 0, marginal, 1.0))
            ),
            0.0,
        )
        scores.append(np.exp(kl.sum(axis=1).mean()))
    return float(np.mean(scores)), float(np.std(scores))


@keras.saving.register_keras_serializable(package="keras_gen")
class InceptionScore(FeatureSetMetric):
    """Inception score of generated samples under a classifier.

    High when each sample is classified confidently and the classes are
    used evenly: a perfect generator of `K` balanced classes scores `K`, a
    collapsed one 1. With the digits classifier (`digits_classifier()`)
    report it as a *classifier* score (the evaluation names it
    `classifier_inception_score`), not as the Inception score of the paper.

    `update_state(generated)` (or `update_state(None, generated)`) takes
    generated samples only. `result()` returns `{name: mean, name + "_std":
    std}` over `num_splits` consecutive splits (10 in Salimans et al.).

    Args:
        classifier: a `keras.Model` or callable mapping samples to class
            probabilities (or logits, with `from_logits=True`), or `None`
            when the inputs already are probabilities.
        num_splits: number of splits.
        from_logits: whether the classifier outputs logits.
        batch_size: samples per call of the classifier.
        name: the metric's name, the key in the logs.

    Example:

    ```python
    score = keras_gen.metrics.InceptionScore(keras_gen.metrics.digits_classifier())
    score.update_state(gan.generate(1000) * 0.5 + 0.5)
    score.result()  # {"inception_score": ..., "inception_score_std": ...}
    ```
    """

    requires_real = False

    def __init__(
        self,
        classifier=None,
        num_splits=10,
        from_logits=False,
        batch_size=256,
        name="inception_score",
        dtype=None,
    ):
        super().__init__(classifier, batch_size, name=name, dtype=dtype)
        self.num_splits = validation.check_positive_int(
            num_splits, "num_splits"
        )
        self.from_logits = bool(from_logits)

    @property
    def classifier(self):
        return self.feature_extractor

    def update_state(self, real=None, generated=None, sample_weight=None):
        """Adds generated samples: `update_state(generated)` or
        `update_state(real, generated)` (real samples are ignored)."""
        if generated is None:
            real, generated = None, real
        if generated is None:
            raise ValueError("Pass generated samples. Received: generated=None")
        super().update_state(None, generated, sample_weight)

    def result(self):
        self._check_count("generated", self.num_splits)
        p = self.features("generated")
        if self.from_logits:
            p = np.exp(p - p.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
        elif (p < -1e-6).any() or np.abs(p.sum(axis=1) - 1.0).max() > 1e-3:
            raise ValueError(
                "The classifier must output probabilities (rows summing to 1); "
                "pass `from_logits=True` for logits. Received: rows summing to "
                f"{p.sum(axis=1).min():.4g}..{p.sum(axis=1).max():.4g}"
            )
        mean, std = inception_score(p, self.num_splits)
        return {self.name: mean, self.name + "_std": std}

    def get_config(self):
        config = super().get_config()
        config["classifier"] = config.pop("feature_extractor")
        config.update(num_splits=self.num_splits, from_logits=self.from_logits)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("classifier") is not None:
            config["classifier"] = keras.saving.deserialize_keras_object(
                config["classifier"]
            )
        return cls(**config)
