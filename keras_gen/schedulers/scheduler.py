"""Base of the diffusion schedulers: the forward process, its algebra and the
sampler interface shared by every scheduler."""

import inspect

import numpy as np
from keras import ops

from keras_gen.schedulers.beta_schedules import (
    BETA_SCHEDULES,
    make_betas,
    rescale_zero_terminal_snr,
)
from keras_gen.schedulers.training import min_snr_loss_weights
from keras_gen.utils import validation

PREDICTION_TYPES = ("epsilon", "sample", "v_prediction")
TIMESTEP_SPACINGS = ("leading", "trailing", "linspace")
# Where a formula divides by ᾱ (σ = √((1 − ᾱ) / ᾱ), x̂_0 from ε), ᾱ is
# floored at 2⁻²⁴, as diffusers does for zero-terminal-SNR schedules: ᾱ_T = 0
# stays exact in the forward process, and sampling gets σ_max ≈ 4096, not ∞.
ALPHA_CUMPROD_FLOOR = 2.0**-24


def spaced_timesteps(spacing, num_train_timesteps, num_inference_steps):
    """The `num_inference_steps` timesteps visited, from high noise to low.

    The three spacings of diffusers (Lin et al., 2024, table 2):
    `"leading"` (`T // n` apart from 0, DDIM's choice; never visits T − 1),
    `"trailing"` (`T / n` apart, ending at T − 1) and `"linspace"` (evenly
    from 0 to T − 1, rounded). Trailing is computed as T − k T / n, so
    that there are always n timesteps (diffusers' `np.arange(T, 0, -T / n)`
    gives n + 1 for some n, e.g. 61 of 1000, the last one −1).
    """
    T, n = num_train_timesteps, num_inference_steps
    if spacing == "leading":
        timesteps = np.arange(n)[::-1] * (T // n)
    elif spacing == "trailing":
        timesteps = np.round(T - np.arange(n) * (T / n)) - 1
    else:
        timesteps = np.round(np.linspace(0, T - 1, n))[::-1]
    return timesteps.astype("int64")


class Scheduler:
    """The forward process q(x_t | x_0), the conversions between what a
    denoiser predicts (ε, x_0 or v) and the other quantities, and the
    interface every sampler implements.

    Timesteps are 0-based, as in diffusers: `t = 0` is the first noising step
    (the paper's t = 1) and `t = T - 1` the last. The constants are computed
    in float64 NumPy and used as float32 tensors; every method takes tensors
    and works under `jit` on every backend (timesteps and step indices may be
    traced).

    **The sampler interface.** A sampler evaluates the denoiser
    `len(scheduler.timesteps)` times; evaluation `i` is:

    ```python
    scheduler.set_timesteps(50)            # fills `scheduler.timesteps`
    x = keras.random.normal(shape) * scheduler.init_noise_sigma
    state = scheduler.initial_state(x)     # a tuple of tensors, () if none
    for i in range(len(scheduler.timesteps)):
        t = scheduler.timesteps[i]         # int or float, maybe repeated
        model_output = denoiser(scheduler.scale_model_input(x, i), t)
        x, state = scheduler.step(model_output, i, x, noise_i, state)
    ```

    - `timesteps`: the times at which the denoiser is evaluated, a NumPy
      array (int32 for the discrete samplers, float32 for the Karras-sigma
      ones, whose times fall between training timesteps); a
      multi-evaluation sampler repeats a time (Heun evaluates twice per
      step, a predictor-corrector sampler 1 + its corrector steps).
    - `init_noise_sigma`: the scale of the initial noise (1 for samplers in
      the model's VP space; √(σ_max² + 1) for those in the σ space).
    - `scale_model_input(sample, step_index)`: the denoiser's input at
      evaluation `step_index` (the identity in the VP space).
    - `initial_state(sample)`: the tensors a sampler carries from one
      evaluation to the next (DPM-Solver++: the previous x̂_0; Heun: the
      first stage's derivative and sample).
    - `step(model_output, step_index, sample, noise, state)`: returns
      `(next_sample, state)`. `noise` is one standard normal draw shaped
      like `sample` per evaluation (unused by deterministic samplers), drawn
      by the caller so that `step` is a pure function.

    `keras_gen.schedulers.sampling.run_reverse_process` runs this loop as
    one `ops.fori_loop`. `DDPMScheduler` and `DDIMScheduler` also keep the
    one-step form `step(model_output, timestep, sample, noise)` (no
    `state`): the second argument is then the timestep itself and only the
    next sample is returned.

    **Conversion.** `from_config` accepts another scheduler's config: keys
    the constructor does not take are kept aside and written back by
    `get_config`, so `DDIMScheduler.from_config(DDPMScheduler(...).get_config())`
    and back loses neither the forward process nor either sampler's own
    settings (as diffusers does).

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
        thresholding: dynamic thresholding of the predicted x_0 instead of
            clipping (Saharia et al., 2022, section 2.3): per sample, s is
            the `dynamic_thresholding_ratio` quantile of |x̂_0|, at least 1
            and at most `sample_max_value`; x̂_0 is clipped to [-s, s] and
            divided by s. Saharia et al. do not cap s: pass a large
            `sample_max_value` for their form (diffusers' default of 1.0
            makes it plain clipping).
        dynamic_thresholding_ratio: the quantile of `thresholding`.
        sample_max_value: the cap on s of `thresholding`.
        timestep_spacing: `"leading"`, `"trailing"` or `"linspace"`, how
            `set_timesteps` picks timesteps (see `spaced_timesteps`).
        rescale_betas_zero_snr: rescale β so that ᾱ_T = 0 exactly (zero
            terminal SNR, Lin et al., 2024, algorithm 1; train with
            `prediction_type="v_prediction"` as they advise, and sample with
            `timestep_spacing="trailing"`).
    """

    # The scale of the initial noise; samplers in the σ space set their own.
    init_noise_sigma = 1.0

    def __init__(
        self,
        num_train_timesteps=1000,
        beta_schedule="linear",
        beta_start=1e-4,
        beta_end=0.02,
        prediction_type="epsilon",
        clip_sample=True,
        clip_sample_range=1.0,
        thresholding=False,
        dynamic_thresholding_ratio=0.995,
        sample_max_value=1.0,
        timestep_spacing="leading",
        rescale_betas_zero_snr=False,
    ):
        self.num_train_timesteps = validation.check_positive_int(
            num_train_timesteps, "num_train_timesteps"
        )
        self.beta_schedule = validation.check_choice(
            beta_schedule, "beta_schedule", BETA_SCHEDULES
        )
        self.beta_start = validation.check_in_range(
            beta_start, "beta_start", 0.0, 1.0
        )
        self.beta_end = validation.check_in_range(
            beta_end, "beta_end", 0.0, 1.0
        )
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
        self.thresholding = bool(thresholding)
        self.dynamic_thresholding_ratio = validation.check_in_range(
            dynamic_thresholding_ratio, "dynamic_thresholding_ratio", 0.0, 1.0
        )
        self.sample_max_value = validation.check_in_range(
            sample_max_value,
            "sample_max_value",
            1.0,
            description="a finite number >= 1",
        )
        self.timestep_spacing = validation.check_choice(
            timestep_spacing, "timestep_spacing", TIMESTEP_SPACINGS
        )
        self.rescale_betas_zero_snr = bool(rescale_betas_zero_snr)
        # Keys of another scheduler's config that this one does not take
        # (see `from_config`); written back by `get_config`.
        self.extra_config = {}
        betas = make_betas(
            beta_schedule, self.num_train_timesteps, beta_start, beta_end
        )
        if self.rescale_betas_zero_snr:
            betas = rescale_zero_terminal_snr(betas)
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

    @property
    def sigmas_np(self):
        """σ_t = √((1 − ᾱ_t) / ᾱ_t) of every training timestep (float64):
        the noise level of x_t / √ᾱ_t = x_0 + σ_t ε, the VE form of the VP
        process (Karras et al., 2022, section 2 and table 1)."""
        a = np.maximum(self.alphas_cumprod_np, ALPHA_CUMPROD_FLOOR)
        return np.sqrt((1.0 - a) / a)

    # -- timesteps ---------------------------------------------------------

    def _check_num_inference_steps(self, num_inference_steps):
        num_inference_steps = validation.check_positive_int(
            num_inference_steps, "num_inference_steps"
        )
        if num_inference_steps > self.num_train_timesteps:
            raise ValueError(
                "`num_inference_steps` cannot exceed `num_train_timesteps` "
                f"({self.num_train_timesteps}). Received: num_inference_steps={num_inference_steps}"
            )
        return num_inference_steps

    def set_timesteps(self, num_inference_steps):
        """Chooses the `num_inference_steps` timesteps a sampler visits.

        They are spaced as `timestep_spacing` says, from high noise to low
        (`self.timesteps`, a NumPy int32 array). The default `"leading"`
        spacing puts them `T // n` apart from 0: the spacing of DDIM (Song
        et al., 2021, section 4.2) and of diffusers' DDPM and DDIM.

        Returns:
            `self.timesteps`.
        """
        n = self._check_num_inference_steps(num_inference_steps)
        T = self.num_train_timesteps
        self.num_inference_steps = n
        self.step_ratio = T // n
        timesteps = spaced_timesteps(self.timestep_spacing, T, n)
        self.timesteps = timesteps.astype("int32")
        # The timestep each visited timestep steps to (the next visited one,
        # −1 after the last); other timesteps step `T // n` down, so that
        # the one-step form `step(out, t, ...)` works at any t.
        prev = np.arange(T) - self.step_ratio
        prev[timesteps] = np.append(timesteps[1:], -1)
        self.prev_timesteps_np = prev
        # Per-timestep constants of the (respaced) step from t to prev(t),
        # in float64: in float32, 1 − ᾱ and 1 − ᾱ_t / ᾱ_{t'} lose most of
        # their digits when β is ~1e-4.
        a = self.alphas_cumprod_np
        a_prev = np.where(prev >= 0, a[np.maximum(prev, 0)], 1.0)
        one_minus_a = np.maximum(1.0 - a, 1e-20)
        self.tables = {
            "sqrt_alpha_cumprod": np.sqrt(a),
            "sqrt_one_minus_alpha_cumprod": np.sqrt(1.0 - a),
            "sqrt_alpha_cumprod_prev": np.sqrt(a_prev),
            "one_minus_alpha_cumprod_prev": 1.0 - a_prev,
            "step_beta": 1.0 - a / a_prev,
            # The posterior q(x_{t'} | x_t, x_0) (Ho et al., eqs. 6-7).
            "posterior_mean_coef_x0": np.sqrt(a_prev)
            * (1.0 - a / a_prev)
            / one_minus_a,
            "posterior_mean_coef_xt": np.sqrt(a / a_prev)
            * (1.0 - a_prev)
            / one_minus_a,
            "posterior_variance": (1.0 - a_prev)
            / one_minus_a
            * (1.0 - a / a_prev),
            # The signal-to-noise ratio ᾱ / (1 − ᾱ) (Kingma et al., 2021).
            "snr": a / one_minus_a,
        }
        # The logs of the two variances between which a learned one
        # interpolates (Nichol & Dhariwal, 2021, eq. 15): β_t, and β̃_t with
        # its zero at the first step (no previous x) replaced by β̃ of the
        # step above it, as their code does (`posterior_log_variance_clipped`).
        step_beta = self.tables["step_beta"]
        posterior = self.tables["posterior_variance"]
        first = posterior[timesteps[-2]] if n > 1 else step_beta[timesteps[-1]]
        self.tables["log_step_beta"] = np.log(np.maximum(step_beta, 1e-20))
        self.tables["posterior_log_variance_clipped"] = np.log(
            np.maximum(np.where(prev >= 0, posterior, first), 1e-20)
        )
        return self.timesteps

    def previous_timestep(self, t):
        """The timestep a sampler moves to from `t` (−1 after the last)."""
        table = ops.convert_to_tensor(self.prev_timesteps_np.astype("int32"))
        return ops.take(table, ops.cast(ops.maximum(t, 0), "int32"))

    def timestep_at(self, step_index):
        """`self.timesteps[step_index]` for a (possibly traced) index."""
        return ops.take(ops.convert_to_tensor(self.timesteps), step_index)

    # -- gathering constants at (possibly traced) timesteps -----------------

    @staticmethod
    def _broadcast(values, ndim):
        return ops.reshape(
            values, ops.shape(values) + (1,) * (ndim - len(ops.shape(values)))
        )

    def table_at(self, name, t):
        """The per-timestep constant `name` of `self.tables` at `t`."""
        return ops.take(
            ops.convert_to_tensor(self.tables[name].astype("float32")),
            ops.cast(ops.maximum(t, 0), "int32"),
        )

    @staticmethod
    def _gather(table, index):
        """`table[index]` of a float64 NumPy table, as float32."""
        return ops.take(
            ops.convert_to_tensor(np.asarray(table, "float32")), index
        )

    def alpha_cumprod_at(self, t):
        """ᾱ_t for int timesteps `t`; ᾱ = 1 for t < 0 (the clean data)."""
        t = ops.cast(t, "int32")
        value = ops.take(self.alphas_cumprod, ops.maximum(t, 0))
        return ops.where(t >= 0, value, ops.ones_like(value))

    def _coefficients(self, t, ndim):
        return (
            self._broadcast(self.table_at("sqrt_alpha_cumprod", t), ndim),
            self._broadcast(
                self.table_at("sqrt_one_minus_alpha_cumprod", t), ndim
            ),
        )

    # -- the forward process -------------------------------------------------

    def add_noise(self, original_samples, noise, timesteps):
        """x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε  (Ho et al., 2020, eq. 4)."""
        sqrt_a, sqrt_one_minus_a = self._coefficients(
            timesteps, len(original_samples.shape)
        )
        return sqrt_a * original_samples + sqrt_one_minus_a * noise

    def get_velocity(self, sample, noise, timesteps):
        """v = √ᾱ_t ε − √(1 − ᾱ_t) x_0 (Salimans & Ho, 2022, section 4)."""
        sqrt_a, sqrt_one_minus_a = self._coefficients(
            timesteps, len(sample.shape)
        )
        return sqrt_a * noise - sqrt_one_minus_a * sample

    def training_target(self, original_samples, noise, timesteps):
        """What the denoiser learns to predict, for `prediction_type`."""
        if self.prediction_type == "epsilon":
            return noise
        if self.prediction_type == "sample":
            return original_samples
        return self.get_velocity(original_samples, noise, timesteps)

    def loss_weights(self, timesteps, gamma=5.0):
        """Min-SNR-γ weights of the per-sample losses at `timesteps`.

        The loss on this scheduler's `prediction_type` target weighted so
        that it equals min(SNR, γ) · ||x̂_0 − x_0||² (Hang et al., 2023,
        eq. 8 and section 3.4); see `keras_gen.schedulers.min_snr_loss_weights`.

        Args:
            timesteps: int timesteps `(batch,)`.
            gamma: γ (5 in the paper).

        Returns:
            float32 weights `(batch,)`.

        Example:

        ```python
        per_sample = ops.mean(ops.square(prediction - target), axis=(1, 2, 3))
        loss = ops.mean(scheduler.loss_weights(t) * per_sample)
        ```
        """
        return min_snr_loss_weights(
            self.table_at("snr", timesteps), gamma, self.prediction_type
        )

    def split_prediction(self, model_output, timesteps, sample):
        """`(x_0, ε)` predicted from the denoiser's output at x_t = `sample`."""
        sqrt_a, sqrt_one_minus_a = self._coefficients(
            timesteps, len(sample.shape)
        )
        if self.prediction_type == "epsilon":
            eps = model_output
            x0 = (sample - sqrt_one_minus_a * eps) / ops.maximum(
                sqrt_a, ALPHA_CUMPROD_FLOOR**0.5
            )
        elif self.prediction_type == "sample":
            x0 = model_output
            eps = (sample - sqrt_a * x0) / ops.maximum(sqrt_one_minus_a, 1e-8)
        else:
            x0 = sqrt_a * sample - sqrt_one_minus_a * model_output
            eps = sqrt_one_minus_a * sample + sqrt_a * model_output
        return x0, eps

    def epsilon_from_sample(self, x0, timesteps, sample):
        """ε = (x_t − √ᾱ_t x_0) / √(1 − ᾱ_t), the noise that `x0` implies at
        x_t = `sample` (Ho et al., eq. 4 solved for ε)."""
        sqrt_a, sqrt_one_minus_a = self._coefficients(
            timesteps, len(sample.shape)
        )
        return (sample - sqrt_a * x0) / ops.maximum(sqrt_one_minus_a, 1e-8)

    def output_from_epsilon(self, eps, timesteps, sample):
        """The denoiser output that corresponds to the noise `eps` at x_t
        (used to apply guidance, which is defined on ε, to any prediction)."""
        if self.prediction_type == "epsilon":
            return eps
        sqrt_a, sqrt_one_minus_a = self._coefficients(
            timesteps, len(sample.shape)
        )
        x0 = (sample - sqrt_one_minus_a * eps) / ops.maximum(
            sqrt_a, ALPHA_CUMPROD_FLOOR**0.5
        )
        if self.prediction_type == "sample":
            return x0
        return sqrt_a * eps - sqrt_one_minus_a * x0

    def threshold_sample(self, x0):
        """Saharia et al.'s dynamic thresholding of x̂_0 (section 2.3):
        s = clip(quantile(|x̂_0|, ratio), 1, sample_max_value) per sample,
        then x̂_0 ← clip(x̂_0, −s, s) / s."""
        batch = ops.shape(x0)[0]
        flat = ops.reshape(ops.abs(x0), (batch, -1))
        s = ops.quantile(flat, self.dynamic_thresholding_ratio, axis=1)
        s = self._broadcast(
            ops.clip(s, 1.0, self.sample_max_value), len(x0.shape)
        )
        return ops.clip(x0, -s, s) / s

    def _clip(self, x0):
        """The sampler's bound on x̂_0: dynamic thresholding, clipping or
        nothing, as configured."""
        if self.thresholding:
            return self.threshold_sample(x0)
        if not self.clip_sample:
            return x0
        return ops.clip(x0, -self.clip_sample_range, self.clip_sample_range)

    # -- the sampler interface ------------------------------------------------

    def scale_model_input(self, sample, step_index):
        """The denoiser's input at evaluation `step_index` (identity here)."""
        return sample

    def initial_state(self, sample):
        """The tensors carried between evaluations (none here)."""
        return ()

    def step(self, model_output, step_index, sample, noise, state=None):
        """One evaluation's update. Implemented by each sampler.

        Args:
            model_output: the denoiser's output at
                `(scale_model_input(sample, step_index), timesteps[step_index])`.
            step_index: the index of the evaluation in `self.timesteps`
                (a scalar, possibly traced).
            sample: the current sample.
            noise: standard normal noise shaped like `sample` (the caller
                draws it, so that the step is a pure function).
            state: the tuple from `initial_state` or the previous `step`.

        Returns:
            `(next_sample, state)`.
        """
        raise NotImplementedError

    def _require_state(self, state):
        if state is None:
            raise ValueError(
                f"{self.__class__.__name__}.step needs the sampler `state`: pass "
                "`scheduler.initial_state(sample)` at the first evaluation and the "
                "returned state after. Received: state=None"
            )
        return tuple(state)

    # -- configs ---------------------------------------------------------------

    def get_config(self):
        config = dict(self.extra_config)
        config.update(
            num_train_timesteps=self.num_train_timesteps,
            beta_schedule=self.beta_schedule,
            beta_start=self.beta_start,
            beta_end=self.beta_end,
            prediction_type=self.prediction_type,
            clip_sample=self.clip_sample,
            clip_sample_range=self.clip_sample_range,
            thresholding=self.thresholding,
            dynamic_thresholding_ratio=self.dynamic_thresholding_ratio,
            sample_max_value=self.sample_max_value,
            timestep_spacing=self.timestep_spacing,
            rescale_betas_zero_snr=self.rescale_betas_zero_snr,
        )
        return config

    @classmethod
    def init_arguments(cls):
        """The names of the constructor's arguments (the class's and its
        bases', which it takes through `**kwargs`)."""
        names = set()
        for klass in cls.__mro__:
            if "__init__" not in vars(klass) or klass is object:
                continue
            for parameter in inspect.signature(
                klass.__init__
            ).parameters.values():
                if parameter.kind not in (
                    parameter.VAR_KEYWORD,
                    parameter.VAR_POSITIONAL,
                ):
                    names.add(parameter.name)
        names.discard("self")
        return names

    @classmethod
    def from_config(cls, config):
        """A scheduler from `get_config()` of this or any other scheduler.

        Keys this class's constructor does not take are kept in
        `extra_config` and returned by `get_config`, so converting to
        another scheduler and back keeps every setting.
        """
        names = cls.init_arguments()
        scheduler = cls(**{k: v for k, v in config.items() if k in names})
        scheduler.extra_config = {
            k: v for k, v in config.items() if k not in names
        }
        return scheduler

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{self.__class__.__name__}({args})"
