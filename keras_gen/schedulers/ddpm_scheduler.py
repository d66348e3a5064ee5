"""The ancestral sampler of Ho et al. (2020)."""

import keras
from keras import ops

from keras_gen.schedulers.scheduler import Scheduler
from keras_gen.utils import validation

VARIANCE_TYPES = ("fixed_small", "fixed_large")


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

    The step uses x̂_0 and x_t only (no separate ε), so clipping x̂_0 keeps
    it self-consistent, with or without guidance.

    Args:
        variance_type: `"fixed_small"` or `"fixed_large"`.
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

    def step_coefficients(self, timestep, ndim=1):
        """`(coef_x0, coef_xt, variance)` of the step from `timestep`.

        μ̃ = coef_x0 · x̂_0 + coef_xt · x_t (Ho et al., eq. 7) and the
        variance σ_t² of the chosen type, for the (respaced) chain.
        """
        coef_x0 = self.table_at("posterior_mean_coef_x0", timestep)
        coef_xt = self.table_at("posterior_mean_coef_xt", timestep)
        if self.variance_type == "fixed_small":
            variance = self.table_at("posterior_variance", timestep)
        else:
            variance = self.table_at("step_beta", timestep)
        return tuple(
            self._broadcast(c, ndim) for c in (coef_x0, coef_xt, variance)
        )

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
        x0, _ = self.split_prediction(model_output, timestep, sample)
        x0 = self._clip(x0)
        coef_x0, coef_xt, variance = self.step_coefficients(
            timestep, len(sample.shape)
        )
        # μ̃(x_t, x̂_0) (Ho et al., eq. 7).
        mean = coef_x0 * x0 + coef_xt * sample
        # No noise is added on the last step (t = 1 in the paper's indexing).
        has_noise = ops.cast(
            self.previous_timestep(timestep) >= 0, sample.dtype
        )
        return mean + has_noise * ops.sqrt(variance) * noise

    def get_config(self):
        config = super().get_config()
        config["variance_type"] = self.variance_type
        return config
