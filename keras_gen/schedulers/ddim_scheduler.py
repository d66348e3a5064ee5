"""The implicit sampler of Song et al. (2021)."""

import keras
from keras import ops

from keras_gen.schedulers.scheduler import Scheduler
from keras_gen.utils import validation


@keras.saving.register_keras_serializable(package="keras_gen")
class DDIMScheduler(Scheduler):
    """Denoising diffusion implicit model sampler (Song et al., 2021).

    Each `step` computes (eq. 12)

        x_{t−1} = √ᾱ_{t−1} x̂_0 + √(1 − ᾱ_{t−1} − σ_t²) ε̂ + σ_t z,
        σ_t = η √((1 − ᾱ_{t−1}) / (1 − ᾱ_t)) √(1 − ᾱ_t / ᾱ_{t−1})   (eq. 16),

    over a subsequence of the training timesteps. η = 0 is deterministic
    (DDIM); η = 1 gives the DDPM posterior variance. A model trained for the
    DDPM objective samples with either scheduler.

    Args:
        eta: η, the default stochasticity of `step`.
        **kwargs: the forward process, see `keras_gen.schedulers.Scheduler`.

    Example:

    ```python
    scheduler = keras_gen.schedulers.DDIMScheduler()
    x = keras.random.normal((4, 8, 8, 1))
    for t in scheduler.set_timesteps(50):
        eps = denoiser([x, ops.full((4,), t)])
        x = scheduler.step(eps, t, x, keras.random.normal(x.shape))
    ```
    """

    def __init__(self, eta=0.0, **kwargs):
        super().__init__(**kwargs)
        self.eta = validation.check_non_negative(eta, "eta")

    def step(self, model_output, timestep, sample, noise, eta=None):
        eta = self.eta if eta is None else eta
        ndim = len(sample.shape)
        x0, eps = self.split_prediction(model_output, timestep, sample)
        x0 = self._clip(x0)
        table = lambda name: self._broadcast(self.table_at(name, timestep), ndim)  # noqa: E731
        one_minus_a_prev = table("one_minus_alpha_cumprod_prev")
        one_minus_a_t = ops.square(table("sqrt_one_minus_alpha_cumprod"))
        sigma = eta * ops.sqrt(one_minus_a_prev / one_minus_a_t * table("step_beta"))
        direction = ops.sqrt(ops.maximum(one_minus_a_prev - ops.square(sigma), 0.0)) * eps
        return table("sqrt_alpha_cumprod_prev") * x0 + direction + sigma * noise

    def get_config(self):
        config = super().get_config()
        config["eta"] = self.eta
        return config
