"""Heun's second-order method on the probability-flow ODE in the σ space."""

import keras
import numpy as np
from keras import ops

from keras_gen.schedulers.sigma_scheduler import SigmaScheduler


@keras.saving.register_keras_serializable(package="keras_gen")
class HeunScheduler(SigmaScheduler):
    """Heun sampler on Karras sigmas (Karras et al., 2022, algorithm 1, the
    deterministic sampler; diffusers' `HeunDiscreteScheduler`).

    With N levels σ_0 > ... > σ_{N−1} (eq. 5, ρ = 7) and σ_N = 0, step i
    takes an Euler step, then corrects it with the derivative at its end
    (the trapezoidal rule), except for the last step to σ = 0:

        d_i  = (x̃_i − D(x̃_i; σ_i)) / σ_i,         x̃' = x̃_i + (σ_{i+1} − σ_i) d_i
        d'_i = (x̃' − D(x̃'; σ_{i+1})) / σ_{i+1},   x̃_{i+1} = x̃_i + (σ_{i+1} − σ_i) (d_i + d'_i) / 2

    so 2N − 1 evaluations: `timesteps` repeats each time after the first.
    The state carries d_i and x̃_i from the first stage to the second.

    Args:
        **kwargs: `use_karras_sigmas=True`, `rho=7.0`, `sigma_min`,
            `sigma_max` and the forward process
            (see `keras_gen.schedulers.Scheduler`).

    Example:

    ```python
    scheduler = keras_gen.schedulers.HeunScheduler()
    scheduler.set_timesteps(15)  # 29 evaluations
    x = keras.random.normal((4, 8, 8, 1)) * scheduler.init_noise_sigma
    state = scheduler.initial_state(x)
    for i, t in enumerate(scheduler.timesteps):
        eps = denoiser([scheduler.scale_model_input(x, i), ops.full((4,), t)])
        x, state = scheduler.step(eps, i, x, None, state)
    ```
    """

    def set_timesteps(self, num_inference_steps):
        """Chooses `num_inference_steps` noise levels (2N − 1 evaluations).

        Returns:
            `self.timesteps`, float32 (fractional times, repeated).
        """
        super().set_timesteps(num_inference_steps)
        sigmas, timesteps = self.noise_levels(num_inference_steps)
        self.sigmas = np.append(sigmas, 0.0)
        n = len(sigmas)
        # Evaluation 0: first stage at σ_0; then, per level j ≥ 1, the
        # second stage of step j − 1 and the first stage of step j, both
        # at σ_j.
        level = np.concatenate([[0], np.repeat(np.arange(1, n), 2)])
        second = np.concatenate([[False], np.tile([True, False], n - 1)])
        step_of = level - second  # the step each evaluation belongs to
        self.is_second_stage = second
        self.step_sigma_from = self.sigmas[step_of]
        self.step_sigma_to = self.sigmas[step_of + 1]
        self._set_evaluations(sigmas[level], timesteps[level])
        return self.timesteps

    def initial_state(self, sample):
        """`(d_i, x̃_i)` of the pending first stage (zeros at the start)."""
        return (ops.zeros_like(sample), ops.zeros_like(sample))

    def step(self, model_output, step_index, sample, noise, state=None):
        """One stage of a Heun step; returns `(sample, state)`."""
        derivative_first, sample_first = self._require_state(state)
        sigma = self._gather(self.model_sigmas, step_index)
        sigma_from = self._gather(self.step_sigma_from, step_index)
        sigma_to = self._gather(self.step_sigma_to, step_index)
        second = ops.take(
            ops.convert_to_tensor(self.is_second_stage), step_index
        )
        dt = sigma_to - sigma_from
        # The derivative at this evaluation (eq. 3): d_i on a first stage,
        # d'_i on a second (alg. 1, lines 5 and 9).
        derivative = (
            sample - self.denoised(model_output, sample, sigma)
        ) / sigma
        # First stage: an Euler step (line 6). Second: the trapezoidal
        # correction from x̃_i (line 10).
        euler = sample + dt * derivative
        trapezoid = sample_first + dt * 0.5 * (derivative_first + derivative)
        new_sample = ops.where(second, trapezoid, euler)
        return new_sample, (derivative, sample)
