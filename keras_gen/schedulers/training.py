"""Training options of diffusion models: loss weights and noise offsets."""

import keras
from keras import ops

from keras_gen.utils import validation

_PREDICTION_TYPES = ("epsilon", "sample", "v_prediction")


def min_snr_loss_weights(snr, gamma=5.0, prediction_type="epsilon"):
    """Min-SNR-γ loss weights (Hang et al., 2023).

    The x_0 loss ||x̂_0 − x_0||² of a timestep weighted by min(SNR, γ)
    (eq. 8 and section 3.4), written for the target the model learns, since
    each target's squared error is a multiple of the x_0 one
    (ε: ×SNR, v: ×(SNR + 1)):

    - `"epsilon"`: min(SNR, γ) / SNR = min(1, γ / SNR) (1 at SNR = 0);
    - `"sample"`: min(SNR, γ);
    - `"v_prediction"`: min(SNR, γ) / (SNR + 1).

    Args:
        snr: the signal-to-noise ratios ᾱ_t / (1 − ᾱ_t), a tensor.
        gamma: γ > 0 (5 in the paper).
        prediction_type: `"epsilon"`, `"sample"` or `"v_prediction"`.

    Returns:
        The weights, shaped like `snr`.

    Example:

    ```python
    snr = scheduler.table_at("snr", t)
    loss = ops.mean(min_snr_loss_weights(snr, 5.0) * per_sample_mse)
    ```
    """
    gamma = validation.check_in_range(
        gamma, "gamma", 0.0, description="a positive number"
    )
    if gamma == 0:
        raise ValueError(
            f"`gamma` must be a positive number. Received: gamma={gamma}"
        )
    validation.check_choice(
        prediction_type, "prediction_type", _PREDICTION_TYPES
    )
    snr = ops.cast(snr, "float32")
    clipped = ops.minimum(snr, gamma)
    if prediction_type == "epsilon":
        # min(SNR, γ) / SNR without 0 / 0 at a zero terminal SNR.
        return ops.minimum(gamma / ops.maximum(snr, 1e-20), 1.0)
    if prediction_type == "sample":
        return clipped
    return clipped / (snr + 1.0)


def offset_noise(noise, strength=0.1, seed=None, channel_axis=-1):
    """Noise with a random offset per sample and channel (Guttenberg, 2023).

    Returns `noise + strength * δ`, δ ~ N(0, 1) drawn once per sample and
    channel and broadcast over the other axes, so that the model also learns
    to change an image's mean brightness (which noise independent per pixel
    almost never reaches). Use it in place of the training noise ε, both in
    x_t and in the target.

    Args:
        noise: standard normal noise `(batch, ..., channels)`.
        strength: the offset's standard deviation (0.1 in the post).
        seed: a `keras.random.SeedGenerator` (e.g. the model's), an int or
            `None`.
        channel_axis: the channels' axis (`1` for channels-first images).

    Returns:
        A tensor shaped like `noise`.

    Example:

    ```python
    noise = offset_noise(keras.random.normal(x0.shape, seed=gen), 0.1, seed=gen)
    x_t = scheduler.add_noise(x0, noise, t)
    ```
    """
    strength = validation.check_non_negative(strength, "strength")
    ndim = len(noise.shape)
    axis = channel_axis % ndim
    if axis == 0:
        raise ValueError(
            "`channel_axis` must not be the batch axis. Received: "
            f"channel_axis={channel_axis}"
        )
    shape = [1] * ndim
    shape[0] = ops.shape(noise)[0]
    shape[axis] = ops.shape(noise)[axis]
    delta = keras.random.normal(tuple(shape), dtype=noise.dtype, seed=seed)
    return noise + strength * delta
