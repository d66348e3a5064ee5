"""Bits per dimension: a likelihood model's negative log-likelihood per
data dimension, in bits."""

import math

import keras
import numpy as np
from keras import ops

from keras_gen.utils import validation


def _check_scale(scale):
    scale = validation.check_in_range(
        scale, "scale", 0.0, description="a positive number"
    )
    if scale <= 0:
        raise ValueError(
            f"`scale` must be a positive number. Received: scale={scale}"
        )
    return scale


def bits_per_dim(log_prob, num_dims, scale=1.0):
    """`-(log p(x) - D log(scale)) / (D ln 2)`, averaged over samples.

    Args:
        log_prob: per-sample log-likelihoods in nats (`model.log_prob(x)`).
        num_dims: `D`, dimensions per sample (e.g. 8 * 8 * 1).
        scale: the data were divided by `scale` before the model saw them
            (256 for 8-bit images scaled to [0, 1]); the change of variables
            adds `D log(scale)` nats, so the figure is per dimension of the
            original data (the convention of RealNVP, Glow and DDPM tables).

    Returns:
        A float.
    """
    num_dims = validation.check_positive_int(num_dims, "num_dims")
    scale = _check_scale(scale)
    nll = -np.asarray(log_prob, "float64").mean()
    return float(nll / (num_dims * math.log(2.0)) + math.log2(scale))


@keras.saving.register_keras_serializable(package="keras_gen")
class BitsPerDim(keras.metrics.Metric):
    """Running bits per dimension of per-sample log-likelihoods.

    `update_state(log_prob)` takes a batch of log-likelihoods in nats; the
    result is `-(mean log p - D log(scale)) / (D ln 2)` (see `bits_per_dim`).
    Written with `keras.ops`, so it also works as a compiled metric.

    Args:
        num_dims: `D`, dimensions per sample.
        scale: the factor the data were divided by (256 for 8-bit images
            in [0, 1]; 1 for data modelled as they are).
        name: the metric's name.

    Example:

    ```python
    bpd = keras_gen.metrics.BitsPerDim(num_dims=64)
    bpd.update_state(vae.log_prob(x_test))
    float(bpd.result())
    ```
    """

    requires_real = True

    def __init__(self, num_dims, scale=1.0, name="bits_per_dim", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.num_dims = validation.check_positive_int(num_dims, "num_dims")
        self.scale = _check_scale(scale)
        self.total = self.add_variable((), "zeros", "float32", name="total")
        self.count = self.add_variable((), "zeros", "float32", name="count")

    def update_state(self, log_prob, sample_weight=None):
        log_prob = ops.reshape(
            ops.cast(ops.convert_to_tensor(log_prob), "float32"), (-1,)
        )
        if sample_weight is None:
            weight = ops.ones_like(log_prob)
        else:
            weight = ops.reshape(
                ops.cast(ops.convert_to_tensor(sample_weight), "float32"), (-1,)
            )
        self.total.assign(self.total.value - ops.sum(log_prob * weight))
        self.count.assign(self.count.value + ops.sum(weight))

    def result(self):
        nll = self.total.value / ops.maximum(self.count.value, 1e-12)
        return nll / (self.num_dims * math.log(2.0)) + math.log2(self.scale)

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "num_dims": self.num_dims,
            "scale": self.scale,
        }
