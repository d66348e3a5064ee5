"""Base of the diffusion schedulers: the forward process and its algebra."""

import keras
import numpy as np
from keras import ops

from keras_gen.schedulers.beta_schedules import BETA_SCHEDULES
from keras_gen.schedulers.beta_schedules import make_betas
from keras_gen.utils import validation

PREDICTION_TYPES = ("epsilon", "sample", "v_prediction")


class Scheduler:
    """The forward process q(x_t | x_0) and the conversions between what a
    denoiser predicts (ε, x_0 or v) and the other quantities.

    Timesteps are 0-based, as in diffusers: `t = 0` is the first noising step
    (the paper's t = 1) and `t = T - 1` the last. The constants are computed
    in float64 NumPy and used as float32 tensors; every method takes tensors
    and works under `jit` on every backend (timesteps may be traced).

    Args:
        num_train_timesteps: T, the length of the forward process.
        beta_schedule: `"linear"` or `"cosine"`.
        beta_start: β_1 of the linear schedule.
        beta_end: β_T of the linear schedule.
        prediction_type: what the denoiser predicts: `"epsilon"` (the noise,
            Ho et al.), `"sample"` (x_0) or `"v_prediction"`
            (v = √ᾱ ε − √(1−ᾱ) x_0, Salimans & Ho, 2022).
        clip_sample: clip the predicted x_0 to `[-clip_sample_range,
            clip_sample_range]` when sampling (data scaled to [-1, 1]).
        clip_sample_range: the bound of `clip_sample`.
    """

    def __init__(
        self,
        num_train_timesteps=1000,
        beta_schedule="linear",
        beta_start=1e-4,
        beta_end=0.02,
        prediction_type="epsilon",
        clip_sample=True,
        clip_sample_range=1.0,
    ):
        self.num_train_timesteps = validation.check_positive_int(
            num_train_timesteps, "num_train_timesteps"
        )
        self.beta_schedule = validation.check_choice(beta_schedule, "beta_schedule", BETA_SCHEDULES)
        self.beta_start = validation.check_in_range(beta_start, "beta_start", 0.0, 1.0)
        self.beta_end = validation.check_in_range(beta_end, "beta_end", 0.0, 1.0)
        if beta_schedule == "linear" and not beta_start <= beta_end:
            raise ValueError(
                "`beta_start` must not exceed `beta_end`. Received: "
                f"beta_start={beta_start}, beta_end={beta_end}"
            )
        self.prediction_type = validation.check_choice(
            prediction_type, "prediction_type", PREDICTION_TYPES
        )
        self.clip_sample = bool(clip_sample)
        self.clip_sample_range = validation.check_in_range(
            clip_sample_range, "clip_sample_range", 0.0, description="positive"
        )
        betas = make_betas(beta_schedule, self.num_train_timesteps, beta_start, beta_end)
        self.betas_np = betas
        self.alphas_cumprod_np = np.cumprod(1.0 - betas)
        self.set_timesteps(self.num_train_timesteps)

    # Made at each use, never cached: a tensor made inside one traced
    # function (a JAX jit, a tf.function) must not leak into another.
    @property
    def betas(self):
        return ops.convert_to_tensor(self.betas_np.astype("float32"))

    @property
    def alphas_cumprod(self):
        return ops.convert_to_tensor(self.alphas_cumprod_np.astype("float32"))

    # -- timesteps ---------------------------------------------------------

    def set_timesteps(self, num_inference_steps):
        """Chooses the `num_inference_steps` timesteps a sampler visits.

        They are evenly spaced, `T // n` apart, from high noise to low
        (`self.timesteps`, a NumPy int32 array): the "leading" spacing of
        diffusers and of DDIM (Song et al., 2021, section 4.2).
        """
        num_inference_steps = validation.check_positive_int(
            num_inference_steps, "num_inference_steps"
        )
        if num_inference_steps > self.num_train_timesteps:
            raise ValueError(
                "`num_inference_steps` cannot exceed `num_train_timesteps` "
                f"({self.num_train_timesteps}). Received: num_inference_steps={num_inference_steps}"
            )
        self.num_inference_steps = num_inference_steps
        self.step_ratio = self.num_train_timesteps // num_inference_steps
        self.timesteps = (np.arange(num_inference_steps)[::-1] * self.step_ratio).astype("int32")
        # Per-timestep constants of the (respaced) step from t to
        # t − step_ratio, in float64: in float32, 1 − ᾱ and 1 − ᾱ_t / ᾱ_{t'}
        # lose most of their digits when β is ~1e-4.
        a = self.alphas_cumprod_np
        t = np.arange(self.num_train_timesteps)
        a_prev = np.where(t - self.step_ratio >= 0, a[np.maximum(t - self.step_ratio, 0)], 1.0)
        self.tables = {
            "sqrt_alpha_cumprod": np.sqrt(a),
            "sqrt_one_minus_alpha_cumprod": np.sqrt(1.0 - a),
            "sqrt_alpha_cumprod_prev": np.sqrt(a_prev),
            "one_minus_alpha_cumprod_prev": 1.0 - a_prev,
            "step_beta": 1.0 - a / a_prev,
            # The posterior q(x_{t'} | x_t, x_0) (Ho et al., eqs. 6-7).
            "posterior_mean_coef_x0": np.sqrt(a_prev) * (1.0 - a / a_prev) / (1.0 - a),
            "posterior_mean_coef_xt": np.sqrt(a / a_prev) * (1.0 - a_prev) / (1.0 - a),
            "posterior_variance": (1.0 - a_prev) / (1.0 - a) * (1.0 - a / a_prev),
        }
        return self.timesteps

    def previous_timestep(self, t):
        """The timestep a sampler moves to from `t` (−1 after the last)."""
        return t - self.step_ratio

    # -- gathering constants at (possibly traced) timesteps -----------------

    @staticmethod
    def _broadcast(values, ndim):
        return ops.reshape(values, ops.shape(values) + (1,) * (ndim - len(ops.shape(values))))

    def table_at(self, name, t):
        """The per-timestep constant `name` of `self.tables` at `t`."""
        return ops.take(
            ops.convert_to_tensor(self.tables[name].astype("float32")),
            ops.cast(ops.maximum(t, 0), "int32"),
        )

    def alpha_cumprod_at(self, t):
        """ᾱ_t for int timesteps `t`; ᾱ = 1 for t < 0 (the clean data)."""
        t = ops.cast(t, "int32")
        value = ops.take(self.alphas_cumprod, ops.maximum(t, 0))
        return ops.where(t >= 0, value, ops.ones_like(value))

    def _coefficients(self, t, ndim):
        return (
            self._broadcast(self.table_at("sqrt_alpha_cumprod", t), ndim),
            self._broadcast(self.table_at("sqrt_one_minus_alpha_cumprod", t), ndim),
        )

    # -- the forward process -------------------------------------------------

    def add_noise(self, original_samples, noise, timesteps):
        """x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε  (Ho et al., 2020, eq. 4)."""
        sqrt_a, sqrt_one_minus_a = self._coefficients(timesteps, len(original_samples.shape))
        return sqrt_a * original_samples + sqrt_one_minus_a * noise

    def get_velocity(self, sample, noise, timesteps):
        """v = √ᾱ_t ε − √(1 − ᾱ_t) x_0 (Salimans & Ho, 2022, section 4)."""
        sqrt_a, sqrt_one_minus_a = self._coefficients(timesteps, len(sample.shape))
        return sqrt_a * noise - sqrt_one_minus_a * sample

    def training_target(self, original_samples, noise, timesteps):
        """What the denoiser learns to predict, for `prediction_type`."""
        if self.prediction_type == "epsilon":
            return noise
        if self.prediction_type == "sample":
            return original_samples
        return self.get_velocity(original_samples, noise, timesteps)

    def split_prediction(self, model_output, timesteps, sample):
        """`(x_0, ε)` predicted from the denoiser's output at x_t = `sample`."""
        sqrt_a, sqrt_one_minus_a = self._coefficients(timesteps, len(sample.shape))
        if self.prediction_type == "epsilon":
            eps = model_output
            x0 = (sample - sqrt_one_minus_a * eps) / sqrt_a
        elif self.prediction_type == "sample":
            x0 = model_output
            eps = (sample - sqrt_a * x0) / ops.maximum(sqrt_one_minus_a, 1e-8)
        else:
            x0 = sqrt_a * sample - sqrt_one_minus_a * model_output
            eps = sqrt_one_minus_a * sample + sqrt_a * model_output
        return x0, eps

    def output_from_epsilon(self, eps, timesteps, sample):
        """The denoiser output that corresponds to the noise `eps` at x_t
        (used to apply guidance, which is defined on ε, to any prediction)."""
        if self.prediction_type == "epsilon":
            return eps
        sqrt_a, sqrt_one_minus_a = self._coefficients(timesteps, len(sample.shape))
        x0 = (sample - sqrt_one_minus_a * eps) / sqrt_a
        if self.prediction_type == "sample":
            return x0
        return sqrt_a * eps - sqrt_one_minus_a * x0

    def _clip(self, x0):
        if not self.clip_sample:
            return x0
        return ops.clip(x0, -self.clip_sample_range, self.clip_sample_range)

    def step(self, model_output, timestep, sample, noise):
        """One reverse step x_t → x_{t−1}. Implemented by each sampler.

        Args:
            model_output: the denoiser's output at (x_t, t).
            timestep: the int timestep t (a scalar, possibly traced).
            sample: x_t.
            noise: standard normal noise shaped like `sample` (the caller
                draws it, so that the step is a pure function).
        """
        raise NotImplementedError

    def get_config(self):
        return {
            "num_train_timesteps": self.num_train_timesteps,
            "beta_schedule": self.beta_schedule,
            "beta_start": self.beta_start,
            "beta_end": self.beta_end,
            "prediction_type": self.prediction_type,
            "clip_sample": self.clip_sample,
            "clip_sample_range": self.clip_sample_range,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{self.__class__.__name__}({args})"
