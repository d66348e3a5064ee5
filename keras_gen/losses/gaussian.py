"""Gaussian terms of diffusion variational bounds: the KL between two
diagonal Gaussians and the (discretised) Gaussian decoder likelihood."""

import math

from keras import ops


def sum_per_sample(values):
    """The sum of `values` over every axis but the first (the batch)."""
    return ops.sum(ops.reshape(values, (ops.shape(values)[0], -1)), axis=-1)


def gaussian_kl(mean_1, log_variance_1, mean_2, log_variance_2):
    """KL(N(mean_1, exp(log_variance_1)) || N(mean_2, exp(log_variance_2)))
    per element, in nats.

    The terms L_{t−1} of the diffusion bound compare two Gaussians in closed
    form (Ho et al., 2020, eq. 5; Nichol & Dhariwal, 2021, eq. 6):

        ½ (log σ_2² − log σ_1² + σ_1² / σ_2² + (μ_1 − μ_2)² / σ_2² − 1).

    Args:
        mean_1, log_variance_1: the first Gaussian (e.g. the posterior q).
        mean_2, log_variance_2: the second (e.g. the model p_θ).

    Returns:
        The KL per element (broadcast shape of the arguments).

    Example:

    ```python
    kl = gaussian_kl(mean_q, log_var_q, mean_p, log_var_p)
    per_sample = keras_gen.losses.sum_per_sample(kl)
    ```
    """
    return 0.5 * (
        log_variance_2
        - log_variance_1
        + ops.exp(log_variance_1 - log_variance_2)
        + ops.square(mean_1 - mean_2) * ops.exp(-log_variance_2)
        - 1.0
    )


def _normal_cdf(z):
    return 0.5 * (1.0 + ops.erf(z / math.sqrt(2.0)))


def gaussian_log_likelihood(x, mean, log_variance, num_bins=None):
    """log p(x) per element under N(mean, exp(log_variance)), in nats.

    With `num_bins`, the data are `num_bins` equal levels over [-1, 1] and
    the Gaussian is discretised into bins of width 2 / (num_bins − 1) around
    them, the first and last bins reaching to ∓∞: the decoder
    p_θ(x_0 | x_1) of Ho et al. (2020, eq. 13). Without, the density.

    Args:
        x: the data in [-1, 1] (for `num_bins`).
        mean, log_variance: the Gaussian.
        num_bins: the number of levels (256 for 8-bit images), or `None`.

    Returns:
        The log-likelihood per element.

    Example:

    ```python
    decoder = sum_per_sample(gaussian_log_likelihood(x0, mean, log_var, 256))
    ```
    """
    if num_bins is None:
        return -0.5 * (
            ops.square(x - mean) * ops.exp(-log_variance)
            + log_variance
            + math.log(2 * math.pi)
        )
    inv_std = ops.exp(-0.5 * log_variance)
    half_bin = 1.0 / (num_bins - 1)
    upper = ops.where(
        x > 1.0 - half_bin, 1.0, _normal_cdf((x + half_bin - mean) * inv_std)
    )
    lower = ops.where(
        x < -1.0 + half_bin, 0.0, _normal_cdf((x - half_bin - mean) * inv_std)
    )
    return ops.log(ops.maximum(upper - lower, 1e-12))
