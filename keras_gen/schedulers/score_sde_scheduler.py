"""Predictor-corrector sampling of the score SDEs of Song et al. (2021)."""

import keras
import numpy as np
from keras import ops

from keras_gen.schedulers.scheduler import Scheduler
from keras_gen.utils import validation

SDES = ("vp", "ve")


@keras.saving.register_keras_serializable(package="keras_gen")
class ScoreSdeScheduler(Scheduler):
    """Predictor-corrector sampler of Song et al. (2021), "Score-based
    generative modeling through stochastic differential equations".

    At each of N noise levels (the spaced timesteps t_N > ... > t_1), first
    `num_corrector_steps` Langevin corrector steps, then one
    reverse-diffusion predictor step to the next level (algorithms 2-5),
    each with its own evaluation of the score s = ∇ log p, read from the
    VP-trained denoiser's ε̂: s = −ε̂ / √(1 − ᾱ_t).

    - `sde="vp"` (the discretised VP SDE, i.e. DDPM's chain, with β_i the
      respaced 1 − ᾱ_{t_i} / ᾱ_{t_{i−1}}): the predictor is eq. 47,
          x_{i−1} = (2 − √(1 − β_i)) x_i + β_i s(x_i, i) + √β_i z.
    - `sde="ve"`: the same model driven as a VE SDE through x̃ = x / √ᾱ,
      σ_i = √((1 − ᾱ_{t_i}) / ᾱ_{t_i}), model input x̃ / √(σ_i² + 1) and
      s̃ = −ε̂ / σ_i; the predictor is eq. 46,
          x̃_{i−1} = x̃_i + (σ_i² − σ_{i−1}²) s̃(x̃_i, σ_i) + √(σ_i² − σ_{i−1}²) z,
      with σ_0 = 0. Start from noise scaled by `init_noise_sigma`.

    The Langevin corrector (algorithms 4 and 5): with z ~ N(0, I),
    ε = 2 α_i (r ||z|| / ||s||)² (norms per sample, α_i = 1 − β_i for VP,
    1 for VE) and x ← x + ε s + √(2ε) z, r the `snr`.

    The last predictor step adds no noise (the paper's "denoising" of the
    final sample). Evaluations: N (1 + `num_corrector_steps`), with
    `timesteps` repeating each level's time; one noise draw each.

    Args:
        sde: `"vp"` or `"ve"`.
        snr: r, the corrector's signal-to-noise ratio (0.16 in the paper's
            CIFAR-10 runs).
        num_corrector_steps: Langevin steps per level (0: predictor only).
        **kwargs: the forward process, see `keras_gen.schedulers.Scheduler`
            (`timestep_spacing` defaults to `"linspace"` here; x̂_0 is
            never clipped by this sampler).

    Example:

    ```python
    scheduler = keras_gen.schedulers.ScoreSdeScheduler(sde="ve", num_corrector_steps=1)
    scheduler.set_timesteps(100)  # 200 evaluations
    x = keras.random.normal((4, 8, 8, 1)) * scheduler.init_noise_sigma
    state = scheduler.initial_state(x)
    for i, t in enumerate(scheduler.timesteps):
        eps = denoiser([scheduler.scale_model_input(x, i), ops.full((4,), t)])
        x, state = scheduler.step(eps, i, x, keras.random.normal(x.shape), state)
    ```
    """

    def __init__(self, sde="vp", snr=0.16, num_corrector_steps=1, **kwargs):
        kwargs.setdefault("timestep_spacing", "linspace")
        self.sde = validation.check_choice(sde, "sde", SDES)
        self.snr = validation.check_non_negative(snr, "snr")
        self.num_corrector_steps = validation.check_positive_int(
            num_corrector_steps, "num_corrector_steps", allow_zero=True
        )
        super().__init__(**kwargs)

    def set_timesteps(self, num_inference_steps):
        """Chooses `num_inference_steps` noise levels.

        Returns:
            `self.timesteps`, int32, each level's time repeated
            `1 + num_corrector_steps` times.
        """
        super().set_timesteps(num_inference_steps)
        levels = self.timesteps.astype("int64")
        a = self.alphas_cumprod_np
        prev = self.prev_timesteps_np[levels]
        a_t = a[levels]
        a_prev = np.where(prev >= 0, a[np.maximum(prev, 0)], 1.0)
        beta = 1.0 - a_t / a_prev
        sigma = self.sigmas_np[levels]
        sigma_prev = np.where(
            prev >= 0, self.sigmas_np[np.maximum(prev, 0)], 0.0
        )
        last = prev < 0
        if self.sde == "vp":
            score_scale = 1.0 / np.sqrt(np.maximum(1.0 - a_t, 1e-20))
            input_scale = np.ones_like(a_t)
            # Eq. 47: x ← (2 − √(1 − β)) x + β s + √β z.
            pred_sample, pred_score, pred_noise = (
                2.0 - np.sqrt(1.0 - beta),
                beta,
                np.sqrt(beta),
            )
            langevin_alpha = 1.0 - beta
            self.init_noise_sigma = 1.0
        else:
            score_scale = 1.0 / sigma
            input_scale = 1.0 / np.sqrt(sigma**2 + 1.0)
            # Eq. 46: x̃ ← x̃ + (σ_i² − σ_{i−1}²) s̃ + √(σ_i² − σ_{i−1}²) z.
            variance = sigma**2 - sigma_prev**2
            pred_sample, pred_score, pred_noise = (
                np.ones_like(sigma),
                variance,
                np.sqrt(variance),
            )
            langevin_alpha = np.ones_like(sigma)
            self.init_noise_sigma = float(np.sqrt(sigma[0] ** 2 + 1.0))
        pred_noise = np.where(last, 0.0, pred_noise)
        repeats = 1 + self.num_corrector_steps
        expand = lambda values: np.repeat(
            np.asarray(values, "float64"), repeats
        )  # noqa: E731
        self.num_levels = len(levels)
        self.timesteps = np.repeat(levels, repeats).astype("int32")
        self.is_corrector = np.tile(
            np.arange(repeats) < self.num_corrector_steps, len(levels)
        )
        self.score_scale = expand(score_scale)
        self.input_scale = expand(input_scale)
        self.pred_sample = expand(pred_sample)
        self.pred_score = expand(pred_score)
        self.pred_noise = expand(pred_noise)
        self.langevin_alpha = expand(langevin_alpha)
        return self.timesteps

    def scale_model_input(self, sample, step_index):
        """x for VP; x̃ / √(σ² + 1) (the VP x_t) for VE."""
        return sample * self._gather(self.input_scale, step_index)

    def score(self, model_output, step_index, sample):
        """s = −ε̂ / √(1 − ᾱ_t) (VP) or −ε̂ / σ (VE) at evaluation `step_index`."""
        t = self.timestep_at(step_index)
        model_input = self.scale_model_input(sample, step_index)
        _, eps = self.split_prediction(model_output, t, model_input)
        return -eps * self._gather(self.score_scale, step_index)

    def step(self, model_output, step_index, sample, noise, state=None):
        """One corrector or predictor step; returns `(sample, state)`."""
        state = self._require_state(state)
        coef = lambda table: self._gather(table, step_index)  # noqa: E731
        score = self.score(model_output, step_index, sample)
        # Predictor: reverse diffusion, eqs. 46-47.
        predicted = (
            coef(self.pred_sample) * sample + coef(self.pred_score) * score
        )
        predicted = predicted + coef(self.pred_noise) * noise
        # Corrector: one Langevin step (algorithms 4-5), ε from the target
        # signal-to-noise ratio r, with norms per sample.
        batch = ops.shape(sample)[0]
        grad_norm = ops.mean(
            ops.sqrt(
                ops.sum(ops.square(ops.reshape(score, (batch, -1))), axis=-1)
            )
        )
        noise_norm = ops.mean(
            ops.sqrt(
                ops.sum(ops.square(ops.reshape(noise, (batch, -1))), axis=-1)
            )
        )
        step_size = (
            2.0
            * coef(self.langevin_alpha)
            * ops.square(self.snr * noise_norm / ops.maximum(grad_norm, 1e-12))
        )
        corrected = (
            sample + step_size * score + ops.sqrt(2.0 * step_size) * noise
        )
        corrector = ops.take(
            ops.convert_to_tensor(self.is_corrector), step_index
        )
        return ops.where(corrector, corrected, predicted), state

    def get_config(self):
        config = super().get_config()
        config.update(
            sde=self.sde,
            snr=self.snr,
            num_corrector_steps=self.num_corrector_steps,
        )
        return config
