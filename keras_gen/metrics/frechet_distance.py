"""Fréchet distance between two feature distributions (FID's formula)."""

import keras
import numpy as np
from keras import ops

from keras_gen.metrics import features as features_lib
from keras_gen.utils import validation


def _sqrtm_psd(matrix):
    """Square root of a symmetric positive semi-definite matrix through its
    eigendecomposition; tiny negative eigenvalues (rounding) are clipped."""
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    return (
        eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))
    ) @ eigenvectors.T


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """Fréchet (2-Wasserstein) distance between two Gaussians, in float64.

        d^2 = ||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2)

    (Dowson & Landau, 1982; Heusel et al., 2017, eq. 6 with
    `tr((S1 S2)^1/2) = tr((S1^1/2 S2 S1^1/2)^1/2)`: the matrix under the root
    is symmetric positive semi-definite, so both roots come from symmetric
    eigendecompositions and no complex `sqrtm` artefacts arise.)

    Args:
        mu1, mu2: `(d,)` means.
        sigma1, sigma2: `(d, d)` covariances.

    Returns:
        A float.
    """
    mu1, mu2 = np.asarray(mu1, "float64"), np.asarray(mu2, "float64")
    sigma1, sigma2 = (
        np.asarray(sigma1, "float64"),
        np.asarray(sigma2, "float64"),
    )
    root1 = _sqrtm_psd(sigma1)
    middle = root1 @ sigma2 @ root1
    middle = 0.5 * (middle + middle.T)  # symmetric up to rounding
    trace_root = np.sqrt(np.clip(np.linalg.eigvalsh(middle), 0.0, None)).sum()
    diff = mu1 - mu2
    return float(
        diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_root
    )


@keras.saving.register_keras_serializable(package="keras_gen")
class FrechetDistance(keras.metrics.Metric):
    """Fréchet distance between real and generated feature distributions.

    With InceptionV3 pool-3 features (`inception_v3_features`) this is FID
    (Heusel et al., 2017); with the digits classifier
    (`digits_classifier(features=True)`) it is a *classifier Fréchet
    distance*, a different scale that must not be reported as FID.

    `update_state(real, generated)` takes a batch of real samples, of
    generated samples, or both (either may be `None`), so the two sets can
    come in separately and in any number of batches. The metric keeps, per
    set, the count, the feature sum and the sum of outer products, taken
    about a shift (the mean of the set's first batch) to avoid the
    cancellation of `E[xx^T] - mu mu^T`. The accumulators are float64 where
    the backend stores float64 (TensorFlow, PyTorch, JAX with
    `jax_enable_x64`); on JAX by default they are float32 with compensated
    (Kahan) summation, which keeps the error of a sum independent of the
    number of batches. `result()` runs eagerly in NumPy float64 (covariances
    with the unbiased `n - 1` normalisation, as `numpy.cov` and pytorch-fid).
    Both run eagerly, outside compiled steps: use the metric in a loop, a
    callback (`keras_gen.callbacks.MetricsCallback`) or
    `keras_gen.metrics.evaluate`, not in `compile(metrics=...)`.

    The estimate is biased upwards for small sets: two samples of the same
    distribution give about `tr(S) * d / n`-sized values, so compare
    distances computed with the same numbers of samples.

    Args:
        feature_extractor: a `keras.Model` or callable mapping a batch of
            samples to features, or `None` when the inputs already are
            features (e.g. 2-D points).
            `get_config` stores a `keras.Model` extractor's architecture,
            not its weights.
        batch_size: samples per call of the extractor.
        name: the metric's name, the key in the logs.
        dtype: unused (the accumulators use the widest float available).

    Example:

    ```python
    fd = keras_gen.metrics.FrechetDistance(
        keras_gen.metrics.digits_classifier(features=True),
        name="classifier_frechet_distance")
    fd.update_state(x_test, gan.generate(len(x_test)) * 0.5 + 0.5)
    fd.result()  # a float; near 0 when the two sets are alike
    ```
    """

    requires_real = True

    def __init__(
        self,
        feature_extractor=None,
        batch_size=256,
        name="frechet_distance",
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        self.feature_extractor = feature_extractor
        self.batch_size = validation.check_positive_int(
            batch_size, "batch_size"
        )
        self.accumulator_dtype = features_lib.widest_float()
        self.num_features = None
        self._sets = {}

    def _build(self, num_features):
        self.num_features = num_features
        for key in ("real", "generated"):
            shapes = {
                "count": (),
                "shift": (num_features,),
                "sum": (num_features,),
                "outer": (num_features, num_features),
            }
            if self.accumulator_dtype == "float32":
                # Kahan compensation terms of the two sums.
                shapes.update(
                    sum_c=(num_features,), outer_c=(num_features, num_features)
                )
            self._sets[key] = {
                part: self.add_variable(
                    shape, "zeros", self.accumulator_dtype, name=f"{key}_{part}"
                )
                for part, shape in shapes.items()
            }

    def _accumulate(self, state, x):
        x = ops.convert_to_tensor(x, self.accumulator_dtype)
        n = ops.cast(ops.shape(x)[0], self.accumulator_dtype)
        first = ops.equal(state["count"].value, 0)
        state["shift"].assign(
            ops.where(first, ops.mean(x, axis=0), state["shift"].value)
        )
        centered = x - state["shift"].value
        updates = {
            "sum": ops.sum(centered, axis=0),
            # einsum, not matmul: Keras' torch `matmul` returns float32 for
            # float64 inputs (Keras 3.15).
            "outer": ops.einsum("ni,nj->ij", centered, centered),
        }
        for part, update in updates.items():
            total = state[part].value
            if "sum_c" in state:
                # Kahan: carry the rounding error of each addition forward.
                y = update - state[part + "_c"].value
                t = total + y
                state[part + "_c"].assign((t - total) - y)
                state[part].assign(t)
            else:
                state[part].assign(total + update)
        state["count"].assign(state["count"].value + n)

    def update_state(self, real=None, generated=None, sample_weight=None):
        """Adds a batch of real samples, generated samples, or both.

        Args:
            real: samples of the reference distribution, or `None`.
            generated: samples of the model, or `None`.
            sample_weight: not supported (must be `None`).
        """
        if sample_weight is not None:
            raise ValueError(
                f"{self.__class__.__name__} does not take sample weights. Received: sample_weight={sample_weight!r}"
            )
        if real is None and generated is None:
            raise ValueError(
                "Pass `real`, `generated` or both. Received: real=None, generated=None"
            )
        for key, x in (("real", real), ("generated", generated)):
            if x is None:
                continue
            f = features_lib.extract_features(
                self.feature_extractor, x, self.batch_size
            )
            if len(f) == 0:
                continue
            if self.num_features is None:
                self._build(f.shape[1])
            features_lib.check_features(f, key, self.num_features)
            self._accumulate(self._sets[key], f)

    def statistics(self, key):
        """`(mean, covariance)` of the `"real"` or `"generated"` features
        seen so far, as float64 NumPy arrays."""
        validation.check_choice(key, "key", {"real", "generated"})
        state = self._sets.get(key)
        count = (
            0 if state is None else float(ops.convert_to_numpy(state["count"]))
        )
        if count < 2:
            raise ValueError(
                f"{self.name} needs at least 2 {key} samples before `result()`. "
                f"Received: {int(count)} {key} samples"
            )
        value = {
            part: ops.convert_to_numpy(v).astype("float64")
            for part, v in state.items()
        }
        if "sum_c" in value:
            value["sum"] -= value["sum_c"]
            value["outer"] -= value["outer_c"]
        mean = value["sum"] / count
        covariance = (value["outer"] - count * np.outer(mean, mean)) / (
            count - 1
        )
        return value["shift"] + mean, 0.5 * (covariance + covariance.T)

    def result(self):
        mu1, sigma1 = self.statistics("real")
        mu2, sigma2 = self.statistics("generated")
        return frechet_distance(mu1, sigma1, mu2, sigma2)

    def get_config(self):
        return features_lib.feature_metric_config(self)

    @classmethod
    def from_config(cls, config):
        return cls(**features_lib.restore_feature_extractor(config))
