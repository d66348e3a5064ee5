"""Feature extraction and accumulator dtype shared by the sample metrics."""

import warnings

import keras
import numpy as np
from keras import ops


def extract_features(feature_extractor, x, batch_size=256):
    """`feature_extractor` over `x` in batches, as a float32 `(n, d)` array.

    Args:
        feature_extractor: a `keras.Model` (run with `predict`, so no
            gradients are recorded and the call is compiled), any callable
            mapping a batch to features, or `None` (the inputs, flattened,
            are the features: 2-D points, or pixels).
        x: array-like samples; a backend tensor is converted to NumPy.
        batch_size: samples per call of the extractor.
    """
    x = np.asarray(
        ops.convert_to_numpy(x) if not isinstance(x, np.ndarray) else x
    )
    if feature_extractor is None:
        features = x
    elif isinstance(feature_extractor, keras.Model):
        features = feature_extractor.predict(
            x.astype("float32"), batch_size=batch_size, verbose=0
        )
    else:
        features = (
            np.concatenate(
                [
                    ops.convert_to_numpy(
                        feature_extractor(
                            ops.convert_to_tensor(
                                x[i : i + batch_size], "float32"
                            )
                        )
                    )
                    for i in range(0, len(x), batch_size)
                ]
            )
            if len(x)
            else np.zeros((0,), "float32")
        )
    return np.asarray(features, dtype="float32").reshape(len(x), -1)


def widest_float():
    """`"float64"` where the backend stores it (TensorFlow, PyTorch, JAX
    with `jax_enable_x64`), otherwise `"float32"` (JAX by default)."""
    with warnings.catch_warnings():  # JAX warns that it truncates to float32
        warnings.simplefilter("ignore")
        probe = ops.convert_to_tensor(np.zeros((), "float64"), dtype="float64")
    return keras.backend.standardize_dtype(probe.dtype)


def check_features(features, name, num_features=None):
    if features.ndim != 2 or (
        num_features is not None and features.shape[1] != num_features
    ):
        raise ValueError(
            f"`{name}` gives features of shape {features.shape}; expected "
            f"(n, {num_features}) like the previous batches. Received: "
            f"{name} with features.shape={features.shape}"
        )
    if not np.all(np.isfinite(features)):
        raise ValueError(
            f"`{name}` gives NaN or infinite features. Received: {name} with "
            f"{int((~np.isfinite(features)).sum())} non-finite feature values"
        )
    return features


def prefixed(name, default, key):
    """Key of one entry of a dict result, so two instances do not collide in
    the logs: `key` for the default metric name, `<prefix>key` for a name
    `<prefix><default>` (`classifier_precision_recall` gives
    `classifier_precision`), `name_key` otherwise."""
    if name.endswith(default):
        return name[: len(name) - len(default)] + key
    return f"{name}_{key}"


def feature_metric_config(metric):
    """The config of a metric with a `feature_extractor` and `batch_size`;
    a Keras model extractor is serialized whole (a function is not)."""
    extractor = metric.feature_extractor
    return {
        "name": metric.name,
        "dtype": metric.dtype,
        "batch_size": metric.batch_size,
        "feature_extractor": keras.saving.serialize_keras_object(extractor)
        if isinstance(extractor, keras.Model)
        else None,
    }


def restore_feature_extractor(config):
    """`config` with its serialized feature extractor rebuilt."""
    config = dict(config)
    if config.get("feature_extractor") is not None:
        config["feature_extractor"] = keras.saving.deserialize_keras_object(
            config["feature_extractor"]
        )
    return config
