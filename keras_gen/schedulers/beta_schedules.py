"""Noise (β) schedules of the diffusion forward process."""

import math

import numpy as np

BETA_SCHEDULES = ("linear", "cosine")


def make_betas(
    schedule,
    num_train_timesteps,
    beta_start=1e-4,
    beta_end=0.02,
    max_beta=0.999,
):
    """The variances β_1..β_T of the forward process, as float64 NumPy.

    - `"linear"`: β rises linearly from `beta_start` to `beta_end`
      (Ho et al., 2020, section 4: 1e-4 to 0.02 for T = 1000).
    - `"cosine"`: ᾱ_t = f(t) / f(0) with f(t) = cos²((t/T + s) / (1 + s) · π/2),
      s = 0.008, and β_t = 1 − ᾱ_t / ᾱ_{t−1} clipped to `max_beta`
      (Nichol & Dhariwal, 2021, eq. 17).

    Computed once in float64 so that ᾱ_t, a product of up to thousands of
    factors, carries no float32 rounding into the model.
    """
    if schedule == "linear":
        return np.linspace(
            beta_start, beta_end, num_train_timesteps, dtype="float64"
        )
    if schedule == "cosine":
        s = 0.008
        steps = (
            np.arange(num_train_timesteps + 1, dtype="float64")
            / num_train_timesteps
        )
        f = np.cos((steps + s) / (1.0 + s) * math.pi / 2.0) ** 2
        alphas_cumprod = f / f[0]
        betas = 1.0 - alphas_cumprod[1:] / alphas_cumprod[:-1]
        return np.clip(betas, 0.0, max_beta)
    raise ValueError(
        f"`beta_schedule` must be one of {BETA_SCHEDULES}. Received: beta_schedule={schedule!r}"
    )


def rescale_zero_terminal_snr(betas):
    """β rescaled so that the terminal signal-to-noise ratio is exactly 0.

    Lin et al. (2024), algorithm 1: √ᾱ_t is shifted so that √ᾱ_T = 0 and
    scaled so that √ᾱ_1 is unchanged, then β is recovered from the new ᾱ.
    Common schedules leave ᾱ_T > 0 (4e-5 for the linear one), so a model
    never sees pure noise in training but starts from it when sampling.

    Args:
        betas: the β_1..β_T, float64 NumPy.

    Returns:
        The rescaled β (float64 NumPy), with β_T = 1 (ᾱ_T = 0).

    Example:

    ```python
    betas = rescale_zero_terminal_snr(make_betas("linear", 1000))
    assert np.cumprod(1 - betas)[-1] == 0
    ```
    """
    alphas_bar_sqrt = np.sqrt(np.cumprod(1.0 - np.asarray(betas, "float64")))
    first, last = alphas_bar_sqrt[0], alphas_bar_sqrt[-1]
    # Shift so the last is zero, scale so the first keeps its value.
    alphas_bar_sqrt = (alphas_bar_sqrt - last) * first / (first - last)
    alphas_bar = alphas_bar_sqrt**2
    alphas = np.concatenate([alphas_bar[:1], alphas_bar[1:] / alphas_bar[:-1]])
    return 1.0 - alphas
