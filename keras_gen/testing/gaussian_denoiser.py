"""Exact denoisers of Gaussian data, for testing samplers without training.

For data x_0 ~ N(m, s² I), x_t = √ᾱ x_0 + √(1 − ᾱ) ε is N(√ᾱ m, v I) with
v = ᾱ s² + 1 − ᾱ, and the optimal predictions are

    E[ε | x_t] = √(1 − ᾱ) (x_t − √ᾱ m) / v,
    E[x_0 | x_t] = m + √ᾱ s² (x_t − √ᾱ m) / v.

For a mixture of such Gaussians (one per class), the unconditional
prediction weighs the classes' by their posterior probabilities given x_t.
A sampler driven by these denoisers must produce N(m, s² I) (or the
mixture), up to its discretisation error.
"""

import numpy as np
from keras import ops


def _alpha_cumprod(scheduler, t):
    """ᾱ at (possibly fractional) timesteps `t`, `(batch, 1)`: log σ
    interpolated between training timesteps, the convention of the σ-space
    samplers (exact at integer t)."""
    T = scheduler.num_train_timesteps
    log_sigmas = ops.convert_to_tensor(
        np.log(scheduler.sigmas_np).astype("float32")
    )
    t = ops.reshape(ops.cast(t, "float32"), (-1, 1))
    low = ops.clip(ops.floor(t), 0, T - 2)
    w = t - low
    low = ops.cast(low, "int32")
    log_sigma = (1.0 - w) * ops.take(log_sigmas, low) + w * ops.take(
        log_sigmas, low + 1
    )
    return 1.0 / (ops.exp(2.0 * log_sigma) + 1.0)


def _output(scheduler, a, x, eps, x0):
    if scheduler.prediction_type == "epsilon":
        return eps
    if scheduler.prediction_type == "sample":
        return x0
    return ops.sqrt(a) * eps - ops.sqrt(1.0 - a) * x0


def _moments(a, x, mean, variance):
    v = a * variance + 1.0 - a
    eps = ops.sqrt(1.0 - a) * (x - ops.sqrt(a) * mean) / v
    x0 = mean + ops.sqrt(a) * variance * (x - ops.sqrt(a) * mean) / v
    return eps, x0, v


def gaussian_denoiser(scheduler, mean, std):
    """`denoise(x_t, t)` of data N(mean, std²) per dimension, for vectors
    `(batch, dims)`, in `scheduler`'s prediction type."""
    mean = ops.convert_to_tensor(np.asarray(mean, "float32"))
    variance = ops.convert_to_tensor(np.asarray(std, "float32") ** 2)

    def denoise(x, t):
        a = _alpha_cumprod(scheduler, t)
        eps, x0, _ = _moments(a, x, mean, variance)
        return _output(scheduler, a, x, eps, x0)

    return denoise


def mixture_denoiser(scheduler, means, std, labels=None, guidance_scale=1.0):
    """`denoise(x_t, t)` of an equal mixture of N(means[c], std² I).

    With `labels`, the conditional prediction of each sample's class,
    guided as ε̃ = ε_∅ + s (ε_c − ε_∅) (Ho & Salimans, 2022) with the
    mixture's ε_∅; without, the mixture's.
    """
    means = ops.convert_to_tensor(
        np.asarray(means, "float32")
    )  # (classes, dims)
    variance = float(std) ** 2

    def denoise(x, t):
        a = _alpha_cumprod(scheduler, t)[:, :, None]  # (batch, 1, 1)
        eps, x0, v = _moments(
            a, x[:, None, :], means[None], variance
        )  # (batch, classes, dims)
        # Posterior over the classes: p(c | x_t) ∝ N(x_t; √ᾱ m_c, v I).
        logits = -ops.sum(
            ops.square(x[:, None, :] - ops.sqrt(a) * means[None]), axis=-1
        ) / (2.0 * v[:, :, 0])
        weights = ops.softmax(logits, axis=-1)[:, :, None]
        eps_null = ops.sum(weights * eps, axis=1)
        x0_null = ops.sum(weights * x0, axis=1)
        a = a[:, :, 0]
        if labels is None:
            return _output(scheduler, a, x, eps_null, x0_null)
        index = ops.convert_to_tensor(np.asarray(labels, "int32"))[
            :, None, None
        ]
        eps_c = ops.take_along_axis(eps, index, axis=1)[:, 0]
        eps_guided = eps_null + guidance_scale * (eps_c - eps_null)
        x0_guided = (x - ops.sqrt(1.0 - a) * eps_guided) / ops.sqrt(a)
        return _output(scheduler, a, x, eps_guided, x0_guided)

    return denoise
