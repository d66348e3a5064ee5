"""`evaluate(model, data, metrics)`: a generative model's scores in a dict."""

import os

import keras
import numpy as np

from keras_gen.metrics import classifiers
from keras_gen.metrics.bits_per_dim import BitsPerDim
from keras_gen.metrics.frechet_distance import FrechetDistance
from keras_gen.metrics.inception_score import InceptionScore
from keras_gen.metrics.kernel_distance import KernelDistance
from keras_gen.metrics.parzen import parzen_log_likelihood
from keras_gen.metrics.precision_recall import PrecisionRecall
from keras_gen.utils import validation

# Metrics on a shipped classifier's features carry the `classifier_` prefix:
# a Fréchet distance on them is a classifier Fréchet distance, never FID.
_FEATURE_METRICS = {
    "frechet_distance": FrechetDistance,
    "kernel_distance": KernelDistance,
    "precision_recall": PrecisionRecall,
}
METRIC_NAMES = (
    tuple(_FEATURE_METRICS)
    + tuple("classifier_" + name for name in _FEATURE_METRICS)
    + ("classifier_inception_score", "bits_per_dim", "parzen_log_likelihood")
)


def get_metric(identifier, data_shape=None, classifier=None):
    """A metric object from a name in `METRIC_NAMES`, or the object itself.

    Names starting with `classifier_` use a shipped classifier as feature
    extractor (`shipped_classifier`): `classifier`, or the one that fits
    `data_shape` (8x8 and multiples of 8: digits; 28x28: Fashion-MNIST); the
    others use the samples themselves (flattened) as features, e.g. for 2-D
    points. `"parzen_log_likelihood"` is returned as the string (it is a
    function).

    Args:
        identifier: a name or a metric object.
        data_shape: the shape of one sample (picks the classifier and its
            input size, and the `num_dims` of `bits_per_dim`).
        classifier: `"digits"`, `"fashion_mnist"` or `None` (chosen by
            `data_shape`; 32x32 Fashion-MNIST must name it).
    """
    if not isinstance(identifier, str):
        if not hasattr(identifier, "update_state") or not hasattr(
            identifier, "result"
        ):
            raise ValueError(
                "Each metric must be a name in keras_gen.metrics.METRIC_NAMES "
                f"or a metric object. Received: metric={identifier!r}"
            )
        return identifier
    validation.check_choice(identifier, "metric", set(METRIC_NAMES))
    if identifier in _FEATURE_METRICS:
        return _FEATURE_METRICS[identifier]()
    if identifier.startswith("classifier_"):
        spec, size = classifiers.classifier_for_shape(
            data_shape, classifier, identifier
        )
        if identifier == "classifier_inception_score":
            return InceptionScore(spec.load(image_size=size), name=identifier)
        cls = _FEATURE_METRICS[identifier[len("classifier_") :]]
        return cls(spec.load(features=True, image_size=size), name=identifier)
    if identifier == "bits_per_dim":
        if data_shape is None:
            raise ValueError(
                "`bits_per_dim` needs the data shape. Received: data_shape=None"
            )
        return BitsPerDim(num_dims=int(np.prod(data_shape)))
    return identifier  # parzen_log_likelihood


def _rescale(x, value_range, name=None):
    """Maps `x` from `value_range` to [0, 1]. For real data (`name` given),
    checks that the data span most of the range: data left in [0, 1] with
    `value_range=(-1, 1)` would otherwise be compared silently as [0.5, 1]."""
    x = np.asarray(x, "float32")
    if value_range is None:
        return x
    low, high = (float(v) for v in value_range)
    if not high > low:
        raise ValueError(
            f"`value_range` must be (low, high) with low < high. Received: value_range={value_range!r}"
        )
    quarter = 0.25 * (high - low)
    if name is not None and (
        x.min() > low + quarter or x.max() < high - quarter
    ):
        raise ValueError(
            f"`{name}` must be in the same range as the samples, `value_range` "
            f"{value_range}, but it spans [{x.min():.3g}, {x.max():.3g}] (e.g. "
            "digits in [0, 1] with a tanh generator: pass `x * 2 - 1`, or map "
            "the samples yourself and use value_range=None). Received: "
            f"value_range={value_range!r}"
        )
    return (x - low) / (high - low)


def check_data_range(data, value_range, name="data"):
    """Raises if `data` do not span `value_range` (see `evaluate`)."""
    if value_range is not None:
        _rescale(data, value_range, name)


def _as_dict(name, value):
    if isinstance(value, dict):
        return {k: float(v) for k, v in value.items()}
    return {name: float(keras.ops.convert_to_numpy(value))}


def _load(model):
    if isinstance(model, (str, os.PathLike)):
        if str(model).endswith(".keras") and os.path.isfile(model):
            return keras.saving.load_model(model)
        raise ValueError(
            "`model` must be a model with `generate(num_samples, seed=...)` or "
            f"the path of a saved `.keras` model. Received: model={model!r}"
        )
    return model


def evaluate(
    model,
    data,
    metrics=("classifier_frechet_distance",),
    num_samples=None,
    seed=0,
    value_range=None,
    validation_data=None,
    samples=None,
    generate_kwargs=None,
    classifier=None,
):
    """Scores a generative model against real data; returns a dict.

    Draws `num_samples` samples with `model.generate(num_samples, seed=seed)`
    and compares them with `data` under each metric, after mapping both
    from `value_range` to [0, 1] when it is given (the shipped classifiers
    expect [0, 1]; a GAN with a tanh output has `value_range=(-1, 1)`).
    `bits_per_dim` instead scores `model.log_prob(data)` on the data as
    they are.

    Args:
        model: a keras_gen model (anything with `generate(n, seed=...)`), or
            the path of a saved `.keras` model.
        data: real samples, a NumPy array `(n, ...)` (e.g. the test split).
        metrics: names from `keras_gen.metrics.METRIC_NAMES` and/or metric
            objects (`FrechetDistance(...)`, `ModeCoverage("ring8")`, ...).
        num_samples: generated samples (default: `len(data)`).
        seed: seed of `generate`, so repeated evaluations see the same
            latents.
        value_range: `(low, high)` of the samples and of `data`, mapped to
            [0, 1] (default: the model's `value_range`); data that do not
            span most of the range raise an error.
        validation_data: data to choose the Parzen bandwidth.
        samples: already generated samples to score instead of calling
            `generate` (then `model` may be `None` unless `bits_per_dim`).
        generate_kwargs: extra arguments of `model.generate`.
        classifier: the shipped classifier of the `classifier_*` metrics,
            `"digits"` or `"fashion_mnist"`; `None` chooses it by the data's
            shape (8x8 and multiples of 8: digits, 28x28: Fashion-MNIST), so
            Fashion-MNIST padded to 32x32 must name it.

    Returns:
        A dict of floats, e.g. `{"classifier_frechet_distance": 3.1}`; KID and
        Inception score add `<name>_std`; precision/recall give `precision`
        and `recall` (`classifier_precision` and `classifier_recall` for
        `classifier_precision_recall`); Parzen gives `parzen_log_likelihood`,
        `parzen_standard_error` and `parzen_bandwidth`.

    Example:

    ```python
    x_test = keras_gen.datasets.load_digits("test")   # in [0, 1], the GAN's value_range
    keras_gen.metrics.evaluate(
        gan, x_test, ["classifier_frechet_distance", "classifier_precision_recall"], num_samples=1000)
    x_fashion = keras_gen.datasets.load_fashion_mnist("test", image_size=32)
    keras_gen.metrics.evaluate(  # 32x32 is the digits classifier's unless named
        gan32, x_fashion, ["classifier_frechet_distance"], classifier="fashion_mnist")
    ```

    Print each figure beside `keras_gen.metrics.real_data_floor`, what real
    held-out images score with the same metric and number of samples.
    """
    if classifier is not None:
        classifiers.get_classifier(classifier)
    model = _load(model)
    if value_range is None and model is not None:
        value_range = getattr(model, "value_range", None)
    data = np.asarray(data)
    if data.ndim < 2 or len(data) == 0:
        raise ValueError(
            f"`data` must be a non-empty array of samples. Received: data.shape={data.shape}"
        )
    metrics = metrics if isinstance(metrics, (list, tuple)) else [metrics]
    metrics = [get_metric(m, data.shape[1:], classifier) for m in metrics]
    need_samples = any(not isinstance(m, BitsPerDim) for m in metrics)
    if need_samples and samples is None:
        if not hasattr(model, "generate"):
            raise ValueError(
                f"`model` has no `generate` method and no `samples` were given. Received: model={model!r}"
            )
        n = validation.check_positive_int(
            num_samples or len(data), "num_samples"
        )
        samples = model.generate(n, seed=seed, **dict(generate_kwargs or {}))
    real = _rescale(data, value_range, "data")
    fake = None if samples is None else _rescale(samples, value_range)
    results = {}
    for metric in metrics:
        if metric == "parzen_log_likelihood":
            if validation_data is None:
                raise ValueError(
                    "`parzen_log_likelihood` chooses its bandwidth on "
                    "`validation_data`. Received: validation_data=None"
                )
            stats = parzen_log_likelihood(
                fake,
                real,
                _rescale(validation_data, value_range, "validation_data"),
            )
            results.update({"parzen_" + k: v for k, v in stats.items()})
            continue
        metric.reset_state()
        if isinstance(metric, BitsPerDim):
            if not hasattr(model, "log_prob"):
                raise ValueError(
                    f"`bits_per_dim` needs a model with `log_prob(x)`. Received: model={model!r}"
                )
            metric.update_state(model.log_prob(data))
        else:
            metric.update_state(
                real if getattr(metric, "requires_real", True) else None, fake
            )
        results.update(_as_dict(metric.name, metric.result()))
    return results
