"""Euler's method on the probability-flow ODE in the σ space."""

import keras
import numpy as np

from keras_gen.schedulers.sigma_scheduler import SigmaScheduler


@keras.saving.register_keras_serializable(package="keras_gen")
class EulerScheduler(SigmaScheduler):
    """Euler sampler on Karras sigmas (Karras et al., 2022, algorithm 1 with
    Euler steps; diffusers' `EulerDiscreteScheduler`).

    With N levels σ_0 > ... > σ_{N−1} (eq. 5, ρ = 7) and σ_N = 0, each step
    is one evaluation:

        d_i = (x̃_i − D(x̃_i; σ_i)) / σ_i,   x̃_{i+1} = x̃_i + (σ_{i+1} − σ_i) d_i

    (the probability-flow ODE dx̃/dσ = (x̃ − D(x̃; σ)) / σ, eq. 3, Euler
    steps). The sample lives in the σ space: start from noise scaled by
    `init_noise_sigma`; the last step lands at σ = 0 on the data. See
    `SigmaScheduler` for the conversion of a VP-trained ε, x_0 or v model.

    Args:
        **kwargs: `use_karras_sigmas=True`, `rho=7.0`, `sigma_min`,
            `sigma_max` and the forward process
            (see `keras_gen.schedulers.Scheduler`).

    Example:

    ```python
    scheduler = keras_gen.schedulers.EulerScheduler()
    scheduler.set_timesteps(30)  # float timesteps
    x = keras.random.normal((4, 8, 8, 1)) * scheduler.init_noise_sigma
    state = scheduler.initial_state(x)
    for i, t in enumerate(scheduler.timesteps):
        eps = denoiser([scheduler.scale_model_input(x, i), ops.full((4,), t)])
        x, state = scheduler.step(eps, i, x, None, state)
    ```
    """

    def set_timesteps(self, num_inference_steps):
        """Chooses `num_inference_steps` noise levels (one evaluation each).

        Returns:
            `self.timesteps`, float32 (fractional times of the levels).
        """
        super().set_timesteps(num_inference_steps)
        sigmas, timesteps = self.noise_levels(num_inference_steps)
        self.sigmas = np.append(sigmas, 0.0)
        self._set_evaluations(sigmas, timesteps)
        return self.timesteps

    def step(self, model_output, step_index, sample, noise, state=None):
        """One Euler step from σ_i to σ_{i+1}; returns `(x̃_{i+1}, state)`."""
        state = self._require_state(state)
        sigma = self._gather(self.sigmas[:-1], step_index)
        sigma_next = self._gather(self.sigmas[1:], step_index)
        # d_i = (x̃_i − D(x̃_i; σ_i)) / σ_i (Karras et al., eq. 3, alg. 1 line 5).
        derivative = (
            sample - self.denoised(model_output, sample, sigma)
        ) / sigma
        return sample + (sigma_next - sigma) * derivative, state
