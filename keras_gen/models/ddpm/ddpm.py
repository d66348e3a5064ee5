"""Denoising diffusion probabilistic models (Ho et al., 2020), with DDIM
sampling (Song et al., 2021), classifier-free guidance (Ho & Salimans, 2022)
and classifier guidance (Dhariwal & Nichol, 2021)."""

import math

import keras
import numpy as np
from keras import ops

from keras_gen import backend
from keras_gen import schedulers as schedulers_lib
from keras_gen.losses.gaussian import sum_per_sample
from keras_gen.models.ddpm.denoiser_model import DenoiserModel
from keras_gen.models.editing import ImageEditing, edit_steps, repaint_moves
from keras_gen.models.generative_model import GenerativeModel
from keras_gen.schedulers.ddpm_scheduler import VARIANCE_TYPES, DDPMScheduler
from keras_gen.schedulers.sampling import run_reverse_process
from keras_gen.schedulers.scheduler import Scheduler
from keras_gen.utils import validation
from keras_gen.utils.progress import LoopProgress

# The levels of the data in the decoder term of the training bound (8-bit
# images, as Nichol & Dhariwal's code).
_TRAINING_NUM_BINS = 256


class DiffusionSampling:
    """The sampling interface of the diffusion families (`DDPM`,
    `LatentDiffusion`): `generate`, `inpaint` and `image_to_image` with the
    sampler's options as keywords."""

    def generate(
        self,
        num_samples,
        *,
        seed=None,
        labels=None,
        batch_size=256,
        scheduler=None,
        num_steps=None,
        guidance_scale=1.0,
        classifier=None,
        classifier_scale=1.0,
        use_ema=True,
        verbose="auto",
    ):
        """Samples by running the reverse process from pure noise.

        Args:
            num_samples: how many samples.
            seed: int for a reproducible draw, or `None` for the model's
                random stream.
            labels: class per sample (or one class for all) of a
                conditional model or of `classifier`; default cycles
                through the classes.
            batch_size: samples per compiled call.
            scheduler: the sampler: a `keras_gen.schedulers.Scheduler`
                object (used as it is, e.g. `DDIMScheduler(eta=0.5)`), or
                a name (`"ddpm"`, `"ddim"`) for that sampler on the model's
                own forward process (`keras_gen.schedulers.get`). Default:
                the model's scheduler.
            num_steps: reverse steps (default: T for the ancestral DDPM
                sampler, 50 for the others); fewer than T visit a spaced
                subset of the timesteps.
            guidance_scale: classifier-free guidance scale s of a
                conditional model (1: plain conditional sampling; > 1:
                stronger adherence to the labels).
            classifier: optional `fn(x_t, t) -> logits`, a differentiable
                classifier of noisy inputs (in the model's [-1, 1] space)
                for classifier guidance.
            classifier_scale: the classifier guidance scale.
            use_ema: sample with the moving-average weights.
            verbose: a progress bar over the steps: `"auto"` shows one
                for long loops (see `keras_gen.utils.progress`), `True`
                always, `False` never.

        Returns:
            A NumPy float32 array `(num_samples, *data_shape)` in
            `value_range`.
        """
        classifier_labels = None
        if classifier is not None and self.num_classes is None:
            # The labels are the classifier's, not the model's.
            if labels is None:
                raise ValueError(
                    "Classifier guidance needs the target `labels`. Received: labels=None"
                )
            num_samples = validation.check_positive_int(
                num_samples, "num_samples"
            )
            classifier_labels = np.broadcast_to(
                np.asarray(labels, "int32").reshape(-1), (num_samples,)
            ).copy()
            labels = None
        return GenerativeModel.generate(
            self,
            num_samples,
            seed=seed,
            labels=labels,
            classifier_labels=classifier_labels,
            batch_size=batch_size,
            scheduler=scheduler,
            num_steps=num_steps,
            guidance_scale=guidance_scale,
            classifier=classifier,
            classifier_scale=classifier_scale,
            use_ema=use_ema,
            verbose=verbose,
        )

    def image_to_image(
        self,
        x,
        strength=0.5,
        *,
        seed=None,
        labels=None,
        batch_size=256,
        scheduler=None,
        num_steps=None,
        guidance_scale=1.0,
        use_ema=True,
    ):
        """SDEdit (Meng et al., 2022): `x` is noised by the forward process
        to the timestep `strength` of the way through the sampler's
        timesteps, and the reverse process run from there (the last
        `round(strength * evaluations)` evaluations; see
        `keras_gen.models.editing.ImageEditing.image_to_image`). The
        options are those of `generate`; the sampler must work in the
        model's VP space (`"ddpm"`, `"ddim"`, `"dpm_solver"`,
        `"score_sde_vp"`)."""
        return ImageEditing.image_to_image(
            self,
            x,
            strength,
            seed=seed,
            labels=labels,
            batch_size=batch_size,
            scheduler=scheduler,
            num_steps=num_steps,
            guidance_scale=guidance_scale,
            use_ema=use_ema,
        )

    def inpaint(
        self,
        x,
        mask,
        *,
        seed=None,
        labels=None,
        batch_size=256,
        scheduler=None,
        num_steps=None,
        guidance_scale=1.0,
        use_ema=True,
        jump_length=10,
        jump_n_sample=1,
    ):
        """Fills in the pixels of `x` where `mask` is 1 (see
        `keras_gen.models.editing.ImageEditing.inpaint`), keeping the
        others exactly.

        `DDPM`: before every evaluation of the reverse process the known
        pixels are replaced by the known data noised to that timestep,
        x_t = √ᾱ_t x + √(1 − ᾱ_t) z with `z` the sample's initial noise
        (RePaint, Lugmayr et al., 2022, eq. 8), so that the sampler moves
        the unknown pixels consistently with them. `LatentDiffusion`: at
        every evaluation the estimate of the clean latents is decoded, the
        known pixels pasted in and the result encoded again, and the step
        heads for it (see `LatentModel`). The options are those of
        `generate`; the sampler must work in the model's VP space
        (`"ddpm"`, `"ddim"`, `"dpm_solver"`, `"score_sde_vp"`).

        With `jump_n_sample` r > 1, RePaint's resampling (algorithm 1 with
        the jumps of sec. 4.2, the ancestral `"ddpm"` sampler only): every
        `jump_length` j steps the state x_{t-j} is carried back j steps by
        the forward process q(x_t | x_{t-1}) (Ho et al., 2020, eq. 2) and
        denoised again, r - 1 times, which harmonises the generated pixels
        with the known ones. Each jump costs j more denoiser calls (see
        `keras_gen.models.editing.repaint_schedule`); the whole schedule
        still runs as one compiled loop.

        Args:
            jump_length: j, the steps of each jump back (RePaint: 10).
            jump_n_sample: r, the passes over each stretch of j steps
                (1: no resampling; RePaint: 10).

        Example:

        ```python
        model = keras_gen.models.DDPM.from_preset("ddpm_digits")
        mask = np.zeros((8, 8)); mask[4:] = 1      # generate the lower half
        filled = model.inpaint(digits, mask, scheduler="ddpm", num_steps=100,
                               jump_length=10, jump_n_sample=5, seed=0)
        ```
        """
        return ImageEditing.inpaint(
            self,
            x,
            mask,
            seed=seed,
            labels=labels,
            batch_size=batch_size,
            scheduler=scheduler,
            num_steps=num_steps,
            guidance_scale=guidance_scale,
            use_ema=use_ema,
            jump_length=jump_length,
            jump_n_sample=jump_n_sample,
        )


@keras.saving.register_keras_serializable(package="keras_gen")
class DDPM(DiffusionSampling, ImageEditing, DenoiserModel):
    """Denoising diffusion probabilistic model.

    Training minimises the simplified objective of Ho et al. (2020, eq. 14),
    `E_{t, x_0, ε} ||target − denoiser(x_t, t)||²` with
    `x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε` and the target ε, x_0 or v as the
    scheduler's `prediction_type` says. It uses Keras' own training step
    (`compute_loss`), so `fit` works with jit, `keras.distribution`, mixed
    precision and every input pipeline.

    With `variance_type="learned_range"` the denoiser also outputs the
    reverse-step variance (Nichol & Dhariwal, 2021, section 3.1): twice the
    data's channels, the prediction then v, with Σ_θ = exp(v' log β_t +
    (1 − v') log β̃_t), v' = (v + 1) / 2 (eq. 15). It trains with the hybrid
    loss L_simple + λ L_vlb (eq. 16): L_vlb = T · L_t, the bound's term at
    the sampled t in nats per dimension (the KL of eq. 6, the decoder's
    NLL at t = 0), sees the prediction through a stop-gradient, so it
    trains the variance only. The ancestral sampler (`"ddpm"`) and
    `log_prob` use the learned variance; the other samplers the prediction.

    With `num_classes`, the denoiser is class-conditional and trained with
    label dropout (`label_dropout`, the null label is `num_classes`) so that
    one network gives both the conditional and the unconditional prediction
    for classifier-free guidance. An exponential moving average of the
    denoiser's weights (`ema_denoiser`) is kept for sampling.

    `generate` runs the whole reverse chain as one compiled loop
    (`ops.fori_loop` under XLA on JAX and TensorFlow; eager under `no_grad`
    on PyTorch) with the scheduler you choose (`scheduler=`: an object or a
    name). The latent code of a sample is its initial noise x_T
    (`sample_latents`, `decode`, `interpolate`; with the deterministic DDIM
    sampler, nearby codes give nearby samples).

    A denoiser of your own is called as `denoiser([x_t, t])` (or
    `[x_t, t, labels]` when conditional): `x_t` in [-1, 1] space shaped
    like the data, `t` a float32 vector `(batch,)` of timesteps in [0, T);
    it returns a tensor shaped like `x_t`. A label embedding needs
    `num_classes + 1` rows (the last is the null label of classifier-free
    guidance). These are checked when the model is built.

    Args:
        denoiser: a `keras.Model` `[x_t, t(, label)] -> output` shaped like
            `x_t`; `None` builds a `UNet` for images or an `MLPDenoiser`
            for vectors.
        data_shape: shape of one sample (needed for the default denoiser).
        value_range: `(low, high)` of the data, mapped to [-1, 1] for the
            diffusion and back for `generate`; `"auto"`: (-1, 1) for
            images, `None` (unbounded, no scaling or clipping) for vectors.
        scheduler: a `keras_gen.schedulers.Scheduler` defining the forward
            process and the default sampler; default `DDPMScheduler()`
            (linear β from 1e-4 to 0.02, T = 1000, ε-prediction), clipping
            x̂_0 to [-1, 1] for images.
        num_classes: number of classes of a conditional model.
        label_dropout: probability of dropping the label in training
            (classifier-free guidance; Ho & Salimans use 0.1 to 0.2).
        ema_decay: decay of the weights' moving average (0.9999 in the paper),
            warmed up as min(decay, (1 + n) / (10 + n)) after n updates.
        min_snr_gamma: weight each sample's loss by Min-SNR-γ (Hang et al.,
            2023; γ = 5 in the paper) for the scheduler's prediction type, or
            `None` for the unweighted loss of Ho et al. (With a learned
            variance it weights L_simple only.)
        variance_type: the reverse-step variance, `"fixed_small"`,
            `"fixed_large"` or `"learned_range"` (which sizes the denoiser's
            output and trains with the hybrid loss); `None` takes the
            scheduler's (default `"fixed_small"`). Sets the variance type of
            the model's scheduler.
        vlb_weight: λ of the hybrid loss (0.001 in the paper, eq. 16); used
            with a learned variance only.
        offset_noise: standard deviation of a per-sample, per-channel offset
            added to the training noise (Guttenberg, 2023; e.g. 0.1), which
            lets the model change an image's mean brightness; 0 disables it.
            For a zero-terminal-SNR schedule (Lin et al., 2024) pass
            `scheduler=DDPMScheduler(rescale_betas_zero_snr=True,
            prediction_type="v_prediction", timestep_spacing="trailing")`.
        width, channel_multipliers, num_res_blocks, attention_resolutions,
            dropout, data_format: the default U-Net (see `UNet`;
            `data_format="channels_first"` trains about 1.5x faster on
            torch, same weights); `hidden_dim`, `num_layers` are the
            default MLP's.
        seed: seed of the model's random stream and of the default
            denoiser's initial weights.

    Example:

    ```python
    x = keras_gen.datasets.load_digits("train")          # (1000, 8, 8, 1) in [0, 1]
    model = keras_gen.models.DDPM(data_shape=(8, 8, 1), value_range=(0, 1), width=16)
    model.compile(optimizer=keras.optimizers.Adam(2e-4))
    model.fit(x, epochs=1, batch_size=64)
    images = model.generate(4, scheduler="ddim", num_steps=20, seed=0)
    ```
    """

    def __init__(
        self,
        denoiser=None,
        data_shape=None,
        value_range="auto",
        scheduler=None,
        num_classes=None,
        label_dropout=0.1,
        ema_decay=0.9999,
        min_snr_gamma=None,
        offset_noise=0.0,
        variance_type=None,
        vlb_weight=0.001,
        width=64,
        channel_multipliers=(1, 2),
        num_res_blocks=2,
        attention_resolutions=(4,),
        dropout=0.0,
        data_format="channels_last",
        hidden_dim=256,
        num_layers=4,
        seed=None,
        **kwargs,
    ):
        # Validated first (before the networks are built).
        min_snr_gamma = (
            None
            if min_snr_gamma is None
            else validation.check_in_range(
                min_snr_gamma,
                "min_snr_gamma",
                1e-6,
                description="a number > 0, or None",
            )
        )
        offset_noise = validation.check_non_negative(
            offset_noise, "offset_noise"
        )
        vlb_weight = validation.check_non_negative(vlb_weight, "vlb_weight")
        variance_type = self._resolve_variance_type(variance_type, scheduler)
        super().__init__(
            denoiser=denoiser,
            data_shape=data_shape,
            value_range=value_range,
            num_classes=num_classes,
            label_dropout=label_dropout,
            ema_decay=ema_decay,
            width=width,
            channel_multipliers=channel_multipliers,
            num_res_blocks=num_res_blocks,
            attention_resolutions=attention_resolutions,
            dropout=dropout,
            data_format=data_format,
            hidden_dim=hidden_dim,
            num_layers=num_layers,
            seed=seed,
            output_multiplier=2 if variance_type == "learned_range" else 1,
            **kwargs,
        )
        self.min_snr_gamma = min_snr_gamma
        self.offset_noise = offset_noise
        self.variance_type = variance_type
        self.vlb_weight = vlb_weight
        if scheduler is None:
            scheduler = DDPMScheduler(
                clip_sample=len(self.data_shape) > 1
                and self.value_range is not None
            )
        if not isinstance(scheduler, Scheduler):
            raise ValueError(
                f"`scheduler` must be a `keras_gen.schedulers.Scheduler`. Received: scheduler={scheduler!r}"
            )
        self._check_clipping(scheduler)
        # The model's own copy walks the full training chain (log_prob);
        # samplers get fresh copies with their own timesteps.
        config = dict(scheduler.get_config())
        if config.get("variance_type", "fixed_small") != variance_type:
            config["variance_type"] = variance_type
        self.scheduler = scheduler.__class__.from_config(config)
        # The full chain's ancestral scheduler: the bound's terms.
        self._bound_scheduler = DDPMScheduler.from_config(config)
        self._sampling_functions = {}

    @staticmethod
    def _resolve_variance_type(variance_type, scheduler):
        """The model's variance type: the argument, or the scheduler's."""
        own = (
            scheduler.get_config().get("variance_type", "fixed_small")
            if isinstance(scheduler, Scheduler)
            else "fixed_small"
        )
        if variance_type is None:
            return own
        return validation.check_choice(
            variance_type, "variance_type", VARIANCE_TYPES
        )

    @property
    def learned_variance(self):
        """Whether the denoiser also outputs the reverse-step variance."""
        return self.variance_type == "learned_range"

    # -- training ------------------------------------------------------------

    def default_optimizer(self):
        # Ho et al. (2020), appendix B: Adam, lr 2e-4.
        return keras.optimizers.Adam(2e-4)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        x0 = self.to_model_space(ops.cast(x, "float32"))
        batch = ops.shape(x0)[0]
        T = self.scheduler.num_train_timesteps
        t = ops.cast(ops.floor(self.random_uniform((batch,)) * T), "int32")
        t = ops.minimum(t, T - 1)
        noise = self.random_normal(ops.shape(x0))
        if self.offset_noise:
            noise = schedulers_lib.offset_noise(
                noise, self.offset_noise, seed=self.seed_generator
            )
        x_t = self.scheduler.add_noise(x0, noise, t)
        labels = self.training_labels(y, batch, training)
        output = ops.cast(
            self._denoise(self.denoiser, x_t, t, labels, training=training),
            "float32",
        )
        prediction, v = self.split_output(output)
        target = self.scheduler.training_target(x0, noise, t)
        per_sample = ops.mean(
            ops.reshape(ops.square(prediction - target), (batch, -1)),
            axis=-1,
        )
        if self.min_snr_gamma is not None:
            # Min-SNR-γ (Hang et al., 2023, eq. 8): min(SNR_t, γ) ||x̂_0 − x_0||².
            per_sample = per_sample * self.scheduler.loss_weights(
                t, self.min_snr_gamma
            )
        if v is not None:
            per_sample = per_sample + self.vlb_weight * self._vlb_loss(
                x0, x_t, t, prediction, v
            )
        return self.finish_loss(per_sample, sample_weight, training)

    def _vlb_loss(self, x0, x_t, t, prediction, v):
        """L_vlb per sample (Nichol & Dhariwal, 2021, eqs. 4-6), estimated
        as T · L_t at the sampled t, in nats per dimension. The prediction
        enters through a stop-gradient, so that L_vlb trains only the
        variance and L_simple stays the mean's objective (section 3.1)."""
        output = ops.concatenate([ops.stop_gradient(prediction), v], axis=-1)
        num_bins = None if self.value_range is None else _TRAINING_NUM_BINS
        terms = self._bound_scheduler.variational_bound_terms(
            x0, x_t, t, output, num_bins
        )
        dims = int(np.prod(self.data_shape))
        return terms * (self.scheduler.num_train_timesteps / dims)

    # -- sampling ------------------------------------------------------------

    def _check_clipping(self, scheduler):
        """Unbounded data (`value_range=None`) must not be clipped: a
        scheduler that clips x̂_0 to [-1, 1] would cut latents and other
        vectors of unit scale (a third of a standard normal's values)."""
        if self.value_range is None and getattr(
            scheduler, "clip_sample", False
        ):
            raise ValueError(
                "`scheduler` clips the predicted x_0 to [-1, 1] (clip_sample=True), but this model's data "
                "are unbounded (value_range=None) and would be cut. Pass a scheduler with "
                "clip_sample=False, or the data's value_range. Received: scheduler="
                f"{scheduler.__class__.__name__}(clip_sample=True) with value_range=None"
            )

    def _sampler(self, scheduler, num_steps):
        """A fresh scheduler for one sampling run, with its timesteps set."""
        scheduler = schedulers_lib.get(
            self.scheduler if scheduler is None else scheduler,
            like=self.scheduler,
        )
        self._check_clipping(scheduler)
        if scheduler.num_train_timesteps != self.scheduler.num_train_timesteps:
            raise ValueError(
                f"`scheduler` must run the model's forward process of {self.scheduler.num_train_timesteps} "
                f"steps. Received: scheduler with num_train_timesteps={scheduler.num_train_timesteps}"
            )
        if getattr(scheduler, "learned_variance", False) and not (
            self.learned_variance
        ):
            raise ValueError(
                "A learned-variance sampler needs a model trained with "
                "variance_type='learned_range'. Received: scheduler with "
                f"variance_type='learned_range' for a model with variance_type={self.variance_type!r}"
            )
        # A copy: the timesteps set here must not change the caller's object.
        scheduler = scheduler.__class__.from_config(scheduler.get_config())
        if num_steps is None:
            num_steps = (
                scheduler.num_train_timesteps
                if isinstance(scheduler, DDPMScheduler)
                else 50
            )
        scheduler.set_timesteps(
            validation.check_positive_int(num_steps, "num_steps")
        )
        return scheduler

    def _guided_output(
        self,
        network,
        scheduler,
        x,
        t_batch,
        labels,
        guidance_scale,
        classifier,
        classifier_scale,
        correct_x0=None,
    ):
        """The denoiser's output at (x_t, t) with the requested guidance
        (`t_batch`: the time of each sample, int or float), with the learned
        variance's channels when the sampler uses them. `correct_x0`, if
        given, maps the predicted x̂_0 to a corrected one (see
        `_inpaint`)."""
        out = self.guided_output(network, x, t_batch, labels, guidance_scale)
        out, v = self.split_output(out)
        if classifier is not None:
            # Classifier guidance: ε̂ = ε − √(1 − ᾱ_t) s ∇ log p(y | x_t)
            # (Dhariwal & Nichol, 2021, algorithm 2 / eq. 14).
            def log_p(inputs):
                logits = classifier(inputs, t_batch)
                log_probs = ops.log_softmax(
                    ops.cast(logits, "float32"), axis=-1
                )
                return ops.take_along_axis(log_probs, labels[:, None], axis=-1)

            grad = backend.input_gradient(log_p, x)
            _, eps = scheduler.split_prediction(out, t_batch, x)
            sqrt_one_minus_a = scheduler.table_at(
                "sqrt_one_minus_alpha_cumprod", ops.cast(t_batch[0], "int32")
            )
            eps = eps - sqrt_one_minus_a * classifier_scale * grad
            out = scheduler.output_from_epsilon(eps, t_batch, x)
        if correct_x0 is not None:
            # The sampler steps toward a corrected estimate of x_0: ε is
            # re-derived from it at x_t (Ho et al., eq. 4 solved for ε), so
            # every sampler's update uses it (DDNM, Wang et al., 2023,
            # eq. 13: x̂_0 ← A†y + (I − A†A) x̂_0, before the step).
            x0, _ = scheduler.split_prediction(out, t_batch, x)
            x0 = ops.cast(correct_x0(x0), x0.dtype)
            out = scheduler.output_from_epsilon(
                scheduler.epsilon_from_sample(x0, t_batch, x), t_batch, x
            )
        if getattr(scheduler, "learned_variance", False):
            # The ancestral step draws with the learned variance; the
            # other samplers take the prediction alone.
            out = ops.concatenate([out, ops.cast(v, out.dtype)], axis=-1)
        return out

    def _sampling_function(
        self, network, scheduler, guidance_scale, classifier, classifier_scale
    ):
        key = (
            id(network),
            repr(scheduler),
            scheduler.num_inference_steps,
            float(guidance_scale),
            id(classifier),
            float(classifier_scale),
        )
        if key in self._sampling_functions:
            return self._sampling_functions[key]
        variables = list(network.variables)
        # A stand-in generator: its state is threaded through the loop as a
        # tensor, so the compiled function stays pure.
        noise_seed = keras.random.SeedGenerator(0)

        def run(weights, x, seed_state, labels, scheduler_state, start, stop):
            def denoise(x_in, t_batch):
                return self._guided_output(
                    network,
                    scheduler,
                    x_in,
                    t_batch,
                    labels,
                    guidance_scale,
                    classifier,
                    classifier_scale,
                )

            return run_reverse_process(
                denoise,
                scheduler,
                x,
                seed_state,
                start,
                stop,
                scheduler_state=scheduler_state,
                noise_generator=noise_seed,
                state_mapping=list(zip(variables, weights)),
            )

        function = backend.compile_function(run)
        self._sampling_functions[key] = function
        return function

    def _decode(
        self,
        z,
        labels,
        seed,
        batch_size,
        scheduler=None,
        num_steps=None,
        guidance_scale=1.0,
        classifier=None,
        classifier_scale=1.0,
        use_ema=True,
        verbose="auto",
        classifier_labels=None,
    ):
        """Runs the reverse process from the noise `z` = x_T."""
        if labels is None:
            labels = classifier_labels
        guidance_scale = self.check_guidance_scale(guidance_scale)
        classifier_scale = validation.check_non_negative(
            classifier_scale, "classifier_scale"
        )
        if classifier is not None and labels is None:
            raise ValueError(
                "Classifier guidance needs the target `labels` (the model is unconditional). Received: labels=None"
            )
        sampler = self._sampler(scheduler, num_steps)
        num_steps = len(sampler.timesteps)  # evaluations (Heun: 2n - 1)
        network = self.sampling_network(use_ema)
        function = self._sampling_function(
            network, sampler, guidance_scale, classifier, classifier_scale
        )
        weights = [v.value for v in network.variables]
        num_batches = -(-len(z) // batch_size)
        progress = LoopProgress(num_steps, num_batches, verbose)
        outputs = []
        for first in range(0, len(z), batch_size):
            # x_T is the latent code, a standard normal draw, at the scale
            # the sampler starts from (sigma_max for Karras samplers).
            x = ops.convert_to_tensor(
                z[first : first + batch_size]
                * np.float32(sampler.init_noise_sigma)
            )
            scheduler_state = tuple(sampler.initial_state(x))
            # The chain's noise continues the caller's stream (x_T came
            # from it), and the stream resumes after it.
            state = seed.state.value
            batch_labels = (
                None
                if labels is None
                else ops.convert_to_tensor(labels[first : first + batch_size])
            )
            for start, stop in progress.chunks():
                x, state, scheduler_state = function(
                    weights,
                    x,
                    state,
                    batch_labels,
                    scheduler_state,
                    ops.convert_to_tensor(start, "int32"),
                    ops.convert_to_tensor(stop, "int32"),
                )
                progress.add(stop - start)
            seed.state.assign(state)
            outputs.append(ops.convert_to_numpy(x))
        return np.concatenate(outputs)

    # -- editing (RePaint-style inpainting, SDEdit) ---------------------------

    def _editing_sampler(self, scheduler, num_steps):
        sampler = self._sampler(scheduler, num_steps)
        if (
            sampler.init_noise_sigma != 1.0
            or np.asarray(sampler.timesteps).dtype.kind != "i"
        ):
            raise ValueError(
                "Inpainting and image-to-image need a sampler in the model's VP space with integer timesteps "
                "(ddpm, ddim, dpm_solver, score_sde_vp). "
                f"Received: scheduler={sampler.__class__.__name__}"
            )
        return sampler

    def _editing_function(
        self, network, scheduler, guidance_scale, jumps, correction=None
    ):
        """The reverse process from evaluation `start`, with the known
        pixels replaced before every evaluation when a mask is given; with
        `jumps`, RePaint's schedule of moves (see `repaint_moves`); with
        `correction`, x̂_0 corrected at every evaluation (see `_inpaint`)."""
        key = (
            "edit",
            id(network),
            repr(scheduler),
            scheduler.num_inference_steps,
            float(guidance_scale),
            bool(jumps),
            None if correction is None else correction.key,
        )
        if key in self._sampling_functions:
            return self._sampling_functions[key]
        variables = list(network.variables)
        if correction is not None:
            variables += list(correction.variables)
        noise_seed = keras.random.SeedGenerator(0)
        timesteps = ops.convert_to_tensor(scheduler.timesteps)

        def reverse_step(
            i, carry, weights, labels, known, mask, noise, context
        ):
            """Evaluation `i` after the known pixels are put back."""
            x, seed_state, state = carry
            t = ops.full(
                (ops.shape(x)[0],), ops.take(timesteps, i), dtype="int32"
            )
            x = mask * x + (1.0 - mask) * ops.cast(
                scheduler.add_noise(known, noise, t), x.dtype
            )
            correct_x0 = (
                None
                if correction is None
                else lambda x0: correction(x0, *context)
            )
            return run_reverse_process(
                lambda x_in, t_batch: self._guided_output(
                    network,
                    scheduler,
                    x_in,
                    t_batch,
                    labels,
                    guidance_scale,
                    None,
                    1.0,
                    correct_x0,
                ),
                scheduler,
                x,
                seed_state,
                i,
                i + 1,
                scheduler_state=state,
                noise_generator=noise_seed,
                state_mapping=list(zip(variables, weights)),
            )

        def forward_step(i, carry):
            """x_t ~ q(x_t | x_t') = N(√(1 − β_t) x_t', β_t I) (Ho et al.,
            eq. 2) up to the timestep t of evaluation `i`, with β_t that of
            the (respaced) chain between t' and t (RePaint, algorithm 1,
            line 9)."""
            x, seed_state, state = carry
            with keras.StatelessScope(
                state_mapping=[(noise_seed.state, seed_state)]
            ) as scope:
                z = keras.random.normal(
                    ops.shape(x), dtype=x.dtype, seed=noise_seed
                )
                seed_state = scope.get_current_value(noise_seed.state)
            beta = ops.cast(
                scheduler.table_at("step_beta", ops.take(timesteps, i)),
                x.dtype,
            )
            return (
                ops.sqrt(1.0 - beta) * x + ops.sqrt(beta) * z,
                seed_state,
                state,
            )

        def run(
            weights,
            x,
            seed_state,
            labels,
            start,
            stop,
            known,
            mask,
            noise,
            context,
        ):
            x, seed_state, _ = ops.fori_loop(
                start,
                stop,
                lambda i, carry: reverse_step(
                    i, carry, weights, labels, known, mask, noise, context
                ),
                (x, seed_state, tuple(scheduler.initial_state(x))),
            )
            return x, seed_state

        def run_jumps(
            weights,
            x,
            seed_state,
            labels,
            index,
            up,
            known,
            mask,
            noise,
            context,
        ):
            def move(k, carry):
                i = ops.take(index, k)
                return ops.cond(
                    ops.take(up, k),
                    lambda: forward_step(i, carry),
                    lambda: reverse_step(
                        i, carry, weights, labels, known, mask, noise, context
                    ),
                )

            x, seed_state, _ = ops.fori_loop(
                0,
                ops.shape(index)[0],
                move,
                (x, seed_state, tuple(scheduler.initial_state(x))),
            )
            return x, seed_state

        function = backend.compile_function(run_jumps if jumps else run)
        self._sampling_functions[key] = function
        return function

    def _edit(
        self,
        x,
        labels,
        seed,
        batch_size,
        sampler,
        guidance_scale,
        use_ema,
        start,
        known,
        mask,
        noise,
        jumps=None,
        correction=None,
    ):
        guidance_scale = self.check_guidance_scale(guidance_scale)
        network = self.sampling_network(use_ema)
        function = self._editing_function(
            network, sampler, guidance_scale, jumps is not None, correction
        )
        variables = list(network.variables)
        context = ()
        if correction is not None:
            variables += list(correction.variables)
            context = correction.context
        weights = [v.value for v in variables]
        if jumps is None:  # evaluations [start, stop)
            schedule = (
                ops.convert_to_tensor(start, "int32"),
                ops.convert_to_tensor(len(sampler.timesteps), "int32"),
            )
        else:  # RePaint's moves
            schedule = tuple(ops.convert_to_tensor(a) for a in jumps)
        outputs = []
        for first in range(0, len(x), batch_size):
            part = lambda a: ops.convert_to_tensor(
                a[first : first + batch_size]
            )  # noqa: E731
            batch_labels = None if labels is None else part(labels)
            out, state = function(
                weights,
                part(x),
                seed.state.value,
                batch_labels,
                *schedule,
                part(known),
                part(mask),
                part(noise),
                tuple(part(a) for a in context),
            )
            # The chain's noise continues the caller's stream, which
            # resumes after it (as in `generate`).
            seed.state.assign(state)
            outputs.append(ops.convert_to_numpy(out))
        return np.concatenate(outputs)

    def _inpaint(
        self,
        x,
        mask,
        labels,
        seed,
        batch_size,
        scheduler=None,
        num_steps=None,
        guidance_scale=1.0,
        use_ema=True,
        jump_length=10,
        jump_n_sample=1,
        correction=None,
    ):
        """RePaint in the model's space. A `correction` (the latent models'
        inpainting, see `keras_gen.models.latent_diffusion.latent_model`)
        also maps every x̂_0 to a corrected one: an object with
        `__call__(x0, *context)`, the `variables` it reads, the arrays of
        its `context` (split into batches with `x`) and a `key` naming it
        for the cache of compiled loops."""
        sampler = self._editing_sampler(scheduler, num_steps)
        jumps = self._resampling_jumps(sampler, jump_length, jump_n_sample)
        noise = ops.convert_to_numpy(keras.random.normal(x.shape, seed=seed))
        # Where mask is 0 the state is replaced by the noised known data
        # before each evaluation, so the start is the noise itself.
        return self._edit(
            noise,
            labels,
            seed,
            batch_size,
            sampler,
            guidance_scale,
            use_ema,
            0,
            x,
            mask,
            noise,
            jumps,
            correction,
        )

    @staticmethod
    def _resampling_jumps(sampler, jump_length, jump_n_sample):
        """RePaint's moves `(index, up)`, or `None` without resampling."""
        jump_length = validation.check_positive_int(jump_length, "jump_length")
        jump_n_sample = validation.check_positive_int(
            jump_n_sample, "jump_n_sample"
        )
        if jump_n_sample == 1:
            return None
        if not isinstance(sampler, DDPMScheduler):
            raise ValueError(
                "Resampling jumps (`jump_n_sample` > 1) need the ancestral "
                "sampler (scheduler='ddpm'), whose steps the forward process "
                "undoes. Received: "
                f"scheduler={sampler.__class__.__name__}"
            )
        num_steps = len(sampler.timesteps)
        if jump_length >= num_steps:
            raise ValueError(
                f"`jump_length` must be below the number of steps "
                f"({num_steps}) to jump at all. Received: "
                f"jump_length={jump_length}"
            )
        return repaint_moves(num_steps, jump_length, jump_n_sample)

    def _image_to_image(
        self,
        x,
        strength,
        labels,
        seed,
        batch_size,
        scheduler=None,
        num_steps=None,
        guidance_scale=1.0,
        use_ema=True,
    ):
        sampler = self._editing_sampler(scheduler, num_steps)
        evaluations = len(sampler.timesteps)
        start = evaluations - edit_steps(evaluations, strength)
        noise = ops.convert_to_numpy(keras.random.normal(x.shape, seed=seed))
        t = np.full((len(x),), sampler.timesteps[start], "int32")
        noisy = ops.convert_to_numpy(
            sampler.add_noise(
                ops.convert_to_tensor(x), ops.convert_to_tensor(noise), t
            )
        )
        # An all-ones mask: no pixel is replaced.
        ones = np.ones_like(x)
        return self._edit(
            noisy,
            labels,
            seed,
            batch_size,
            sampler,
            guidance_scale,
            use_ema,
            start,
            x,
            ones,
            noise,
        )

    def reference_probe(self, num=4):
        """One call of the moving-average denoiser on fixed inputs (the
        sampling chain itself draws backend-specific noise)."""
        x_t = self._fixed_normal((num,) + tuple(self.data_shape))
        t = np.linspace(0, self.scheduler.num_train_timesteps - 1, num).astype(
            "float32"
        )
        labels = None
        if self.num_classes is not None:
            labels = ops.convert_to_tensor(
                np.arange(num, dtype="int32") % self.num_classes
            )
        out = self._denoise(
            self.ema_denoiser.network,
            ops.convert_to_tensor(x_t),
            ops.convert_to_tensor(t),
            labels,
        )
        return "ema_denoiser", out

    # -- likelihood ------------------------------------------------------------

    def _bound_function(self, network, num_bins):
        key = ("bound", id(network), num_bins)
        if key in self._sampling_functions:
            return self._sampling_functions[key]
        # The bound needs the posterior of the full training chain.
        scheduler = self._bound_scheduler
        variables = list(network.variables)

        def terms(weights, x0, t, noise, labels):
            """Per sample, the bound's term L_t at one t (Ho et al., eq. 5):
            the KL for t ≥ 1, the decoder's NLL at t = 0."""
            with keras.StatelessScope(
                state_mapping=list(zip(variables, weights))
            ):
                batch = ops.shape(x0)[0]
                t_batch = ops.full((batch,), t, dtype="int32")
                x_t = scheduler.add_noise(x0, noise, t_batch)
                out = ops.cast(
                    self._denoise(network, x_t, t_batch, labels), "float32"
                )
            return scheduler.variational_bound_terms(
                x0, x_t, t_batch, out, num_bins
            )

        function = backend.compile_function(terms)
        self._sampling_functions[key] = function
        return function

    def log_prob(
        self,
        x,
        labels=None,
        num_bins=None,
        num_timesteps=None,
        use_ema=True,
        batch_size=256,
        seed=0,
    ):
        """The variational lower bound on `log p(x)` per sample, in nats.

            log p(x_0) ≥ −L_T − Σ_{t>1} L_{t−1} − L_0   (Ho et al., eq. 5)

        with the KL terms in closed form and L_0 the decoder: a Gaussian of
        variance β_1 (or the learned variance, with
        `variance_type="learned_range"`) around the predicted mean, discretised into `num_bins`
        equal bins over `value_range` (eq. 13; e.g. 256 for 8-bit images,
        17 for the embedded digits), or a density (`num_bins=None`, then in
        the data's own units). Lower is more anomalous.

        Args:
            x: NumPy array of samples.
            labels: classes of a conditional model (default: the null label,
                i.e. the unconditional model).
            num_bins: number of discrete levels of the data, or `None`.
            num_timesteps: evaluate this many evenly spaced KL terms and
                scale their sum (an unbiased-by-design estimate that is much
                cheaper than all T); `None` evaluates all of them.
            use_ema: use the moving-average weights.
            batch_size: samples per call.
            seed: seed of the noise of the bound's Monte-Carlo terms.

        Returns:
            A NumPy array of shape `(len(x),)`.
        """
        x = np.asarray(x, dtype="float32")
        validation.check_array_data(x, "x", self.data_shape)
        if num_bins is not None:
            num_bins = validation.check_positive_int(num_bins, "num_bins")
            if self.value_range is None:
                raise ValueError(
                    "Discrete bins need a `value_range`. Received: num_bins with value_range=None"
                )
        T = self.scheduler.num_train_timesteps
        if num_timesteps is None:
            steps = np.arange(1, T)
        else:
            num_timesteps = validation.check_positive_int(
                num_timesteps, "num_timesteps"
            )
            steps = np.unique(
                np.linspace(1, T - 1, min(num_timesteps, T - 1))
                .round()
                .astype(int)
            )
        if self.num_classes is not None:
            labels = (
                np.full((len(x),), self.num_classes, "int32")
                if labels is None
                else self.check_labels(labels, len(x))
            )
        network = self.sampling_network(use_ema)
        terms = self._bound_function(network, num_bins)
        weights = [v.value for v in network.variables]
        generator = keras.random.SeedGenerator(seed)
        a_T = float(self.scheduler.alphas_cumprod_np[-1])
        dims = int(np.prod(self.data_shape))
        results = []
        for first in range(0, len(x), batch_size):
            x0 = self.to_model_space(
                ops.convert_to_tensor(x[first : first + batch_size])
            )
            batch_labels = (
                None
                if labels is None
                else ops.convert_to_tensor(labels[first : first + batch_size])
            )
            # L_T = KL(q(x_T | x_0) || N(0, I)).
            prior = sum_per_sample(
                0.5
                * (
                    -math.log(1.0 - a_T)
                    + (1.0 - a_T)
                    + a_T * ops.square(x0)
                    - 1.0
                )
            )
            kl_sum = ops.zeros_like(prior)
            for t in steps:
                noise = keras.random.normal(ops.shape(x0), seed=generator)
                kl = terms(
                    weights,
                    x0,
                    ops.convert_to_tensor(int(t), "int32"),
                    noise,
                    batch_labels,
                )
                kl_sum = kl_sum + kl
            kl_sum = kl_sum * ((T - 1) / len(steps))
            noise = keras.random.normal(ops.shape(x0), seed=generator)
            decoder_nll = terms(
                weights,
                x0,
                ops.convert_to_tensor(0, "int32"),
                noise,
                batch_labels,
            )
            log_p = -decoder_nll - prior - kl_sum
            if num_bins is None and self.value_range is not None:
                # The density of x in its own units: change of variables from
                # the [-1, 1] model space.
                low, high = self.value_range
                log_p = log_p + dims * math.log(2.0 / (high - low))
            results.append(ops.convert_to_numpy(log_p))
        return np.concatenate(results)

    def bits_per_dim(self, x, num_bins=256, **kwargs):
        """The bound of `log_prob` as bits per dimension (lower is better)."""
        log_p = self.log_prob(x, num_bins=num_bins, **kwargs)
        return -log_p / (np.prod(self.data_shape) * math.log(2.0))

    # -- saving ------------------------------------------------------------------

    def get_config(self):
        config = super().get_config()
        config.update(
            scheduler=keras.saving.serialize_keras_object(self.scheduler),
            min_snr_gamma=self.min_snr_gamma,
            offset_noise=self.offset_noise,
            variance_type=self.variance_type,
            vlb_weight=self.vlb_weight,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("scheduler"), dict):
            config["scheduler"] = keras.saving.deserialize_keras_object(
                config["scheduler"]
            )
        return super().from_config(config)
