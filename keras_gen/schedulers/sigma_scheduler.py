"""Base of the samplers that integrate in the σ space of Karras et al. (2022)."""

import numpy as np
from keras import ops

from keras_gen.schedulers.scheduler import Scheduler
from keras_gen.utils import validation


def karras_sigmas(sigma_min, sigma_max, num_steps, rho=7.0):
    """σ_i = (σ_max^{1/ρ} + i / (N − 1) (σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ,
    i = 0..N−1 (Karras et al., 2022, eq. 5), float64 NumPy."""
    ramp = np.linspace(0.0, 1.0, num_steps)
    max_inv_rho = sigma_max ** (1.0 / rho)
    min_inv_rho = sigma_min ** (1.0 / rho)
    return (max_inv_rho + ramp * (min_inv_rho - max_inv_rho)) ** rho


def sigma_to_timestep(sigmas, log_sigmas):
    """Fractional timesteps of `sigmas`: log σ interpolated linearly between
    the training timesteps' log σ (increasing with t), as diffusers does.

    With a zero terminal SNR, diffusers replaces only ᾱ_T = 0 by 2⁻²⁴, which
    leaves σ non-monotonic near T (σ_{T−1} ≈ 15,000 > σ_T = 4,096) and
    starts its Karras schedule at t ≈ 995.3; here ᾱ is floored at 2⁻²⁴
    (σ monotonic) and σ_max maps to T − 1."""
    log_sigma = np.log(np.maximum(np.asarray(sigmas, "float64"), 1e-10))
    dists = log_sigma[None, :] - log_sigmas[:, None]
    low = (
        np.cumsum(dists >= 0, axis=0)
        .argmax(axis=0)
        .clip(max=len(log_sigmas) - 2)
    )
    high = low + 1
    span = log_sigmas[low] - log_sigmas[high]
    # A tie (the top of a zero-terminal-SNR schedule, where ᾱ is floored)
    # maps to its last timestep.
    w = np.where(
        span != 0,
        (log_sigmas[low] - log_sigma) / np.where(span != 0, span, 1.0),
        1.0,
    )
    w = np.clip(w, 0.0, 1.0)
    return (1.0 - w) * low + w * high


class SigmaScheduler(Scheduler):
    """A sampler of the VP-trained denoiser in the σ space.

    The VP sample x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε is, divided by √ᾱ_t, the
    VE sample x̃ = x_0 + σ ε with σ_t = √((1 − ᾱ_t) / ᾱ_t) (Karras et al.,
    2022, table 1). These samplers move x̃ from σ_max down to 0, feed the
    denoiser x̃ / √(σ² + 1) (= x_t) at the fractional timestep whose log σ
    interpolates the training ones, and read its output as the denoised
    D(x̃; σ) = x̂_0 (clipped or thresholded as configured):
    ε: x̃ − σ ε̂; x_0: the output; v: x̃ / (σ² + 1) − σ v̂ / √(σ² + 1).

    Args:
        use_karras_sigmas: the noise levels of Karras et al. (eq. 5,
            `rho`); otherwise σ at the spaced timesteps, linearly
            interpolated (diffusers' default).
        rho: ρ of eq. 5 (7 in the paper).
        sigma_min, sigma_max: the range of eq. 5; default: σ at the first
            and last spaced timesteps.
        **kwargs: the forward process, see `keras_gen.schedulers.Scheduler`
            (`timestep_spacing` defaults to `"linspace"` here, as diffusers).
    """

    def __init__(
        self,
        use_karras_sigmas=True,
        rho=7.0,
        sigma_min=None,
        sigma_max=None,
        **kwargs,
    ):
        kwargs.setdefault("timestep_spacing", "linspace")
        self.use_karras_sigmas = bool(use_karras_sigmas)
        self.rho = validation.check_in_range(
            rho, "rho", 0.0, description="a positive number"
        )
        if self.rho == 0:
            raise ValueError(
                f"`rho` must be a positive number. Received: rho={rho}"
            )
        self.sigma_min = (
            None
            if sigma_min is None
            else validation.check_in_range(
                sigma_min, "sigma_min", 0.0, description="a positive number"
            )
        )
        self.sigma_max = (
            None
            if sigma_max is None
            else validation.check_in_range(
                sigma_max, "sigma_max", 0.0, description="a positive number"
            )
        )
        super().__init__(**kwargs)

    def noise_levels(self, num_inference_steps):
        """`(sigmas, timesteps)` of `num_inference_steps` levels, float64,
        σ decreasing, without the final σ = 0."""
        n = self._check_num_inference_steps(num_inference_steps)
        T = self.num_train_timesteps
        if self.timestep_spacing == "linspace":
            timesteps = np.linspace(0, T - 1, n)[::-1]
        elif self.timestep_spacing == "leading":
            timesteps = (np.arange(n) * (T // n))[::-1].astype("float64")
        else:
            timesteps = np.round(T - np.arange(n) * (T / n)) - 1
        all_sigmas = self.sigmas_np
        sigmas = np.interp(timesteps, np.arange(T), all_sigmas)
        if self.use_karras_sigmas:
            sigma_min = (
                self.sigma_min if self.sigma_min is not None else sigmas[-1]
            )
            sigma_max = (
                self.sigma_max if self.sigma_max is not None else sigmas[0]
            )
            sigmas = karras_sigmas(sigma_min, sigma_max, n, self.rho)
            timesteps = sigma_to_timestep(sigmas, np.log(all_sigmas))
        return sigmas, timesteps

    def _set_evaluations(self, sigmas, timesteps):
        """Stores the per-evaluation σ of the model input and the times."""
        self.model_sigmas = np.asarray(sigmas, "float64")
        self.timesteps = np.asarray(timesteps, "float32")
        # x_T ~ N(0, I) in the VP space is N(0, (σ_max² + 1) I) in the σ space.
        self.init_noise_sigma = float(
            np.sqrt(np.max(self.model_sigmas) ** 2 + 1.0)
        )

    def scale_model_input(self, sample, step_index):
        """x̃ / √(σ² + 1), the VP x_t the denoiser was trained on."""
        sigma = self._gather(self.model_sigmas, step_index)
        return sample / ops.sqrt(ops.square(sigma) + 1.0)

    def denoised(self, model_output, sample, sigma):
        """D(x̃; σ) = x̂_0 from the denoiser's output at x̃ = `sample`."""
        if self.prediction_type == "epsilon":
            x0 = sample - sigma * model_output
        elif self.prediction_type == "sample":
            x0 = model_output
        else:
            scale = ops.square(sigma) + 1.0
            x0 = sample / scale - sigma / ops.sqrt(scale) * model_output
        return self._clip(x0)

    def get_config(self):
        config = super().get_config()
        config.update(
            use_karras_sigmas=self.use_karras_sigmas,
            rho=self.rho,
            sigma_min=self.sigma_min,
            sigma_max=self.sigma_max,
        )
        return config
