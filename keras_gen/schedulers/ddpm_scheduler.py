"""The ancestral sampler of Ho et al. (2020), with the learned variance of
Nichol & Dhariwal (2021)."""

import keras
from keras import ops

from keras_gen.losses.gaussian import (
    gaussian_kl,
    gaussian_log_likelihood,
    sum_per_sample,
)
from keras_gen.schedulers.scheduler import Scheduler
from keras_gen.utils import validation

VARIANCE_TYPES = ("fixed_small", "fixed_large", "learned_range")


@keras.saving.register_keras_serializable(package="keras_gen")
class DDPMScheduler(Scheduler):
    """Denoising diffusion probabilistic model sampler (Ho et al., 2020).

    Each `step` draws x_{t−1} ~ p(x_{t−1} | x_t) = N(μ̃(x_t, x̂_0), σ_t² I),
    with the posterior mean of eq. 7 evaluated at the predicted x̂_0 (which
    equals eq. 11 for ε-prediction without clipping) and σ_t² either the
    posterior variance β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t
    (`"fixed_small"`) or β_t (`"fixed_large"`), the two choices of section
    3.2. With fewer inference steps than training steps the chain is
    respaced (Nichol & Dhariwal, 2021, section 4): β_t becomes
    1 − ᾱ_t / ᾱ_{t'} between consecutive visited timesteps t' < t.

    `"learned_range"` is the learned variance of Nichol & Dhariwal (2021,
    eq. 15): the denoiser outputs twice the data's channels (last axis),
    the prediction and v, and σ_t² = exp(v' log β_t + (1 − v') log β̃_t)
    with v' = (v + 1) / 2 (their code's and diffusers' `learned_range`:
    v in [-1, 1] spans the range; it is not clipped). Train such a
    denoiser with the hybrid loss (`keras_gen.models.DDPM`); the other
    samplers use the prediction only (`split_model_output`).

    The step uses x̂_0 and x_t only (no separate ε), so clipping x̂_0 keeps
    it self-consistent, with or without guidance.

    Args:
        variance_type: `"fixed_small"`, `"fixed_large"` or
            `"learned_range"`.
        **kwargs: the forward process, see `keras_gen.schedulers.Scheduler`
            (`num_train_timesteps=1000`, `beta_schedule="linear"`,
            `beta_start=1e-4`, `beta_end=0.02`, `prediction_type="epsilon"`,
            `clip_sample=True`, `timestep_spacing="leading"`, ...).

    Example:

    ```python
    scheduler = keras_gen.schedulers.DDPMScheduler(num_train_timesteps=1000)
    scheduler.set_timesteps(50)
    x = keras.random.normal((4, 8, 8, 1))
    state = scheduler.initial_state(x)
    for i, t in enumerate(scheduler.timesteps):
        eps = denoiser([x, ops.full((4,), t)])
        x, state = scheduler.step(eps, i, x, keras.random.normal(x.shape), state)
    ```
    """

    def __init__(self, variance_type="fixed_small", **kwargs):
        super().__init__(**kwargs)
        self.variance_type = validation.check_choice(
            variance_type, "variance_type", VARIANCE_TYPES
        )

    @property
    def learned_variance(self):
        """Whether the denoiser's output carries the variance (v)."""
        return self.variance_type == "learned_range"

    def split_model_output(self, model_output):
        """`(prediction, v)`: the denoiser's output split on the last axis
        when the variance is learned, else `(model_output, None)`."""
        if not self.learned_variance:
            return model_output, None
        channels = model_output.shape[-1] // 2
        return model_output[..., :channels], model_output[..., channels:]

    def step_coefficients(self, timestep, ndim=1):
        """`(coef_x0, coef_xt, variance)` of the step from `timestep`.

        μ̃ = coef_x0 · x̂_0 + coef_xt · x_t (Ho et al., eq. 7) and the
        variance σ_t² of the chosen type, for the (respaced) chain (for
        `"learned_range"`, β̃_t: the learned one is `model_log_variance`).
        """
        coef_x0 = self.table_at("posterior_mean_coef_x0", timestep)
        coef_xt = self.table_at("posterior_mean_coef_xt", timestep)
        if self.variance_type == "fixed_large":
            variance = self.table_at("step_beta", timestep)
        else:
            variance = self.table_at("posterior_variance", timestep)
        return tuple(
            self._broadcast(c, ndim) for c in (coef_x0, coef_xt, variance)
        )

    def model_log_variance(self, timestep, ndim, v=None):
        """log σ_t² of the reverse step p_θ(x_{t'} | x_t) from `timestep`.

        `"fixed_small"`: log β̃_t, and log β_t at the first step (where
        β̃ = 0: Ho et al.'s decoder variance σ_1² = β_1); `"fixed_large"`:
        log β_t; `"learned_range"`: Nichol & Dhariwal's eq. 15 with
        v' = (v + 1) / 2, from the denoiser's `v` (shaped like the sample).
        """
        log_beta = self._broadcast(
            self.table_at("log_step_beta", timestep), ndim
        )
        if self.variance_type == "fixed_large":
            return log_beta
        log_posterior = self._broadcast(
            self.table_at("posterior_log_variance_clipped", timestep), ndim
        )
        if self.variance_type == "fixed_small":
            first = self._broadcast(
                ops.cast(self.previous_timestep(timestep) < 0, "float32"),
                ndim,
            )
            return first * log_beta + (1.0 - first) * log_posterior
        if v is None:
            raise ValueError(
                "A learned variance needs the denoiser's variance output. "
                "Received: v=None"
            )
        # Eq. 15: Σ_θ = exp(v log β_t + (1 − v) log β̃_t).
        fraction = (ops.cast(v, "float32") + 1.0) / 2.0
        return fraction * log_beta + (1.0 - fraction) * log_posterior

    def variational_bound_terms(
        self, x0, sample, timesteps, model_output, num_bins=None
    ):
        """The terms L_t of the variational bound per sample, in nats.

        At x_t = `sample` (Ho et al., eq. 5; Nichol & Dhariwal, eqs. 4-6):
        for t ≥ 1, KL(q(x_{t−1} | x_t, x_0) || p_θ(x_{t−1} | x_t)); at
        t = 0 (the paper's t = 1), the decoder's −log p_θ(x_0 | x_1), a
        Gaussian discretised into `num_bins` levels over [-1, 1] (eq. 13),
        or a density (`num_bins=None`). The model's mean uses the predicted
        x̂_0 unclipped. This scheduler's timesteps must be the full chain
        (`set_timesteps(num_train_timesteps)`, the default).

        Args:
            x0: the clean data (model space).
            sample: x_t.
            timesteps: int timesteps `(batch,)`.
            model_output: the denoiser's output at `(sample, timesteps)`
                (with v when the variance is learned).
            num_bins: the levels of the data, or `None`.

        Returns:
            `(batch,)` float32: the KL or, where t = 0, the decoder's NLL.

        Example:

        ```python
        x_t = scheduler.add_noise(x0, noise, t)
        nats = scheduler.variational_bound_terms(x0, x_t, t, denoiser([x_t, t]), 256)
        ```
        """
        ndim = len(sample.shape)
        prediction, v = self.split_model_output(model_output)
        x0_pred, _ = self.split_prediction(
            ops.cast(prediction, "float32"), timesteps, sample
        )
        coef_x0, coef_xt, _ = self.step_coefficients(timesteps, ndim)
        log_var_p = self.model_log_variance(timesteps, ndim, v)
        mean_p = coef_x0 * x0_pred + coef_xt * sample
        # The posterior q(x_{t−1} | x_t, x_0) (Ho et al., eqs. 6-7).
        mean_q = coef_x0 * x0 + coef_xt * sample
        log_var_q = self._broadcast(
            self.table_at("posterior_log_variance_clipped", timesteps), ndim
        )
        kl = sum_per_sample(gaussian_kl(mean_q, log_var_q, mean_p, log_var_p))
        decoder = -sum_per_sample(
            gaussian_log_likelihood(x0, mean_p, log_var_p, num_bins)
        )
        return ops.where(ops.cast(timesteps, "int32") == 0, decoder, kl)

    def step(self, model_output, step_index, sample, noise, state=None):
        """One ancestral step, at evaluation `step_index` (returns
        `(x_{t'}, state)`), or without `state` at the timestep given as
        second argument (returns x_{t'} only)."""
        if state is None:
            return self._step_at(model_output, step_index, sample, noise)
        return self._step_at(
            model_output, self.timestep_at(step_index), sample, noise
        ), tuple(state)

    def _step_at(self, model_output, timestep, sample, noise):
        model_output, v = self.split_model_output(model_output)
        x0, _ = self.split_prediction(model_output, timestep, sample)
        x0 = self._clip(x0)
        ndim = len(sample.shape)
        coef_x0, coef_xt, variance = self.step_coefficients(timestep, ndim)
        # μ̃(x_t, x̂_0) (Ho et al., eq. 7).
        mean = coef_x0 * x0 + coef_xt * sample
        if v is None:
            std = ops.sqrt(variance)
        else:
            std = ops.exp(0.5 * self.model_log_variance(timestep, ndim, v))
        # No noise is added on the last step (t = 1 in the paper's indexing).
        has_noise = ops.cast(
            self.previous_timestep(timestep) >= 0, sample.dtype
        )
        return mean + has_noise * std * noise

    def get_config(self):
        config = super().get_config()
        config["variance_type"] = self.variance_type
        return config
