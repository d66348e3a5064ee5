"""DPM-Solver++ (Lu et al., 2022), the multistep second-order solver."""

import keras
import numpy as np
from keras import ops

from keras_gen.schedulers.scheduler import Scheduler
from keras_gen.utils import validation


def dpm_solver_timesteps(spacing, num_train_timesteps, num_inference_steps):
    """The timesteps of diffusers' `DPMSolverMultistepScheduler`: n of n + 1
    evenly spaced points (the last, ~0, is replaced by σ = 0)."""
    T, n = num_train_timesteps, num_inference_steps
    if spacing == "linspace":
        timesteps = np.round(np.linspace(0, T - 1, n + 1))[::-1][:-1]
    elif spacing == "leading":
        timesteps = np.round(np.arange(n + 1) * (T // (n + 1)))[::-1][:-1]
    else:
        timesteps = np.round(T - np.arange(n) * (T / n)) - 1
    return timesteps.astype("int64")


@keras.saving.register_keras_serializable(package="keras_gen")
class DPMSolverMultistepScheduler(Scheduler):
    """DPM-Solver++(2M): the multistep second-order data-prediction solver of
    Lu et al. (2022, algorithm 2; diffusers' `DPMSolverMultistepScheduler`
    with `algorithm_type="dpmsolver++"`, `solver_type="midpoint"`).

    In the VP notation x_t = α_t x_0 + σ_t ε, with λ_t = log(α_t / σ_t)
    and h_i = λ_{t_i} − λ_{t_{i−1}}, each step (one evaluation) is

        x_{t_i} = (σ_{t_i} / σ_{t_{i−1}}) x_{t_{i−1}} − α_{t_i} (e^{−h_i} − 1) D_i,
        D_i = (1 + 1 / (2 r_i)) x̂_0(t_{i−1}) − 1 / (2 r_i) x̂_0(t_{i−2}),
        r_i = h_{i−1} / h_i,

    with x̂_0 the model's data prediction (clipped or thresholded as
    configured). The first step, and the last (to σ = 0, the clean data),
    are first order: D_i = x̂_0(t_{i−1}) (DPM-Solver++(1) = DDIM). The state
    carries the previous x̂_0. The coefficients are computed per step in
    float64 when the timesteps are set.

    Args:
        solver_order: 2 (2M) or 1 (first order throughout).
        **kwargs: the forward process, see `keras_gen.schedulers.Scheduler`
            (`timestep_spacing` defaults to `"linspace"` here, as diffusers).

    Example:

    ```python
    scheduler = keras_gen.schedulers.DPMSolverMultistepScheduler()
    scheduler.set_timesteps(20)
    x = keras.random.normal((4, 8, 8, 1))
    state = scheduler.initial_state(x)
    for i, t in enumerate(scheduler.timesteps):
        eps = denoiser([x, ops.full((4,), t)])
        x, state = scheduler.step(eps, i, x, None, state)
    ```
    """

    def __init__(self, solver_order=2, **kwargs):
        kwargs.setdefault("timestep_spacing", "linspace")
        self.solver_order = validation.check_choice(
            solver_order, "solver_order", (1, 2)
        )
        super().__init__(**kwargs)

    def set_timesteps(self, num_inference_steps):
        """Chooses `num_inference_steps` steps (one evaluation each).

        Returns:
            `self.timesteps`, int32.
        """
        super().set_timesteps(num_inference_steps)
        n = self.num_inference_steps
        timesteps = dpm_solver_timesteps(
            self.timestep_spacing, self.num_train_timesteps, n
        )
        # σ̃ = σ_t / α_t of the steps, then 0 (the data): e^{−h} = σ̃_t / σ̃_s.
        sigmas = np.append(self.sigmas_np[timesteps], 0.0)
        alpha = 1.0 / np.sqrt(sigmas**2 + 1.0)
        sigma_vp = sigmas * alpha
        i = np.arange(n)
        # e^{−h_i} and r_i (h_{i−1} / h_i), with λ = −log σ̃.
        exp_neg_h = sigmas[i + 1] / sigmas[i]
        log_sigmas = np.log(np.maximum(sigmas, 1e-300))
        h = log_sigmas[i] - log_sigmas[i + 1]
        h_prev = np.append(np.inf, h[:-1])
        # Second order except on the first and last steps (and, should
        # rounding repeat a timestep, next to a zero-length step).
        second = (
            (i > 0)
            & (i < n - 1)
            & (self.solver_order == 2)
            & (h > 0)
            & (h_prev > 0)
        )
        r = np.where(second, h_prev, 1.0) / np.where(second, h, 1.0)
        self.timesteps = timesteps.astype("int32")
        self.sigmas = sigmas
        self.step_alpha = alpha[:-1]
        self.step_sigma = sigma_vp[:-1]
        # x_{t_i} = c_x x + c_0 x̂_0 + c_1 (x̂_0 − x̂_0,prev)  (algorithm 2;
        # D_i = x̂_0 + (x̂_0 − x̂_0,prev) / (2 r_i)).
        self.coef_sample = np.where(
            sigmas[i + 1] > 0, sigma_vp[i + 1] / sigma_vp[i], 0.0
        )
        self.coef_x0 = -alpha[i + 1] * (exp_neg_h - 1.0)
        self.coef_diff = np.where(second, 0.5 * self.coef_x0 / r, 0.0)
        return self.timesteps

    def initial_state(self, sample):
        """`(x̂_0 of the previous step,)`, zeros at the start."""
        return (ops.zeros_like(sample),)

    def data_prediction(self, model_output, step_index, sample):
        """x̂_0 from the model's output at step `step_index` (Lu et al.,
        section 3.1), clipped or thresholded as configured."""
        alpha = self._gather(self.step_alpha, step_index)
        sigma = self._gather(self.step_sigma, step_index)
        if self.prediction_type == "epsilon":
            x0 = (sample - sigma * model_output) / alpha
        elif self.prediction_type == "sample":
            x0 = model_output
        else:
            x0 = alpha * sample - sigma * model_output
        return self._clip(x0)

    def step(self, model_output, step_index, sample, noise, state=None):
        """One DPM-Solver++ step; returns `(x_{t_i}, (x̂_0,))`."""
        (previous_x0,) = self._require_state(state)
        x0 = self.data_prediction(model_output, step_index, sample)
        coef = lambda table: self._gather(table, step_index)  # noqa: E731
        # Lu et al., algorithm 2 (multistep, midpoint form of D_i).
        new_sample = (
            coef(self.coef_sample) * sample
            + coef(self.coef_x0) * x0
            + coef(self.coef_diff) * (x0 - previous_x0)
        )
        return new_sample, (x0,)

    def get_config(self):
        config = super().get_config()
        config["solver_order"] = self.solver_order
        return config
