"""Denoising diffusion probabilistic models (Ho et al., 2020), with DDIM
sampling (Song et al., 2021), classifier-free guidance (Ho & Salimans, 2022)
and classifier guidance (Dhariwal & Nichol, 2021)."""

import math

import keras
import numpy as np
from keras import ops

from keras_gen import backend
from keras_gen.layers.ema import clone_network
from keras_gen.layers.ema import update_ema
from keras_gen.models.ddpm import networks
from keras_gen.models.generative_model import GenerativeModel
from keras_gen.schedulers.ddim_scheduler import DDIMScheduler
from keras_gen.schedulers.ddpm_scheduler import DDPMScheduler
from keras_gen.schedulers.scheduler import Scheduler
from keras_gen.utils import validation

SAMPLERS = ("ddpm", "ddim")


def _sum_per_sample(values):
    return ops.sum(ops.reshape(values, (ops.shape(values)[0], -1)), axis=-1)


def _normal_cdf(z):
    return 0.5 * (1.0 + ops.erf(z / math.sqrt(2.0)))


@keras.saving.register_keras_serializable(package="keras_gen")
class DDPM(GenerativeModel):
    """Denoising diffusion probabilistic model.

    Training minimises the simplified objective of Ho et al. (2020, eq. 14),
    `E_{t, x_0, ε} ||target − denoiser(x_t, t)||²` with
    `x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε` and the target ε, x_0 or v as the
    scheduler's `prediction_type` says. It uses Keras' own training step
    (`compute_loss`), so `fit` works with jit, `keras.distribution`, mixed
    precision and every input pipeline.

    With `num_classes`, the denoiser is class-conditional and trained with
    label dropout (`label_dropout`, the null label is `num_classes`) so that
    one network gives both the conditional and the unconditional prediction
    for classifier-free guidance. An exponential moving average of the
    denoiser's weights (`ema_decay`) is kept for sampling.

    `generate` runs the whole reverse chain as one compiled loop
    (`ops.fori_loop` under XLA on JAX and TensorFlow; eager under `no_grad`
    on PyTorch) with the ancestral DDPM sampler or DDIM.

    Args:
        denoiser: a `keras.Model` `[x_t, t(, label)] -> output` shaped like
            `x_t`; `None` builds a U-Net for images or an MLP for vectors.
        data_shape: shape of one sample (needed for the default denoiser).
        scheduler: a `keras_gen.schedulers.Scheduler` defining the forward
            process; default `DDPMScheduler()` (linear β from 1e-4 to 0.02,
            T = 1000, ε-prediction), clipping x̂_0 to [-1, 1] for images.
        num_classes: number of classes of a conditional model.
        label_dropout: probability of dropping the label in training
            (classifier-free guidance; Ho & Salimans use 0.1 to 0.2).
        ema_decay: decay of the weights' moving average (0.9999 in the paper),
            warmed up as min(decay, (1 + n) / (10 + n)) after n updates.
        value_range: `(low, high)` of the data; it is mapped to [-1, 1] for
            the diffusion and back for `generate`. `None` for unbounded
            vector data (no scaling, no clipping).
        width, channel_multipliers, num_res_blocks, attention_resolutions,
            dropout, data_format: the default U-Net (see `build_unet`;
            `data_format="channels_first"` trains about 1.5x faster on
            torch, same weights); `hidden_dim`, `num_layers` are the
            default MLP's.
        seed: seed of the model's random stream.

    Example:

    ```python
    x = keras_gen.datasets.load_digits("train")          # (1000, 8, 8, 1) in [0, 1]
    model = keras_gen.models.DDPM(data_shape=(8, 8, 1), value_range=(0, 1), width=16)
    model.compile(optimizer=keras.optimizers.Adam(2e-4))
    model.fit(x, epochs=1, batch_size=64)
    images = model.generate(4, num_steps=20, sampler="ddim", seed=0)
    ```
    """

    network_args = ("denoiser",)
    # Model parallelism: the U-Net's named layers (the MLP denoiser's
    # `dense_*` and the label embedding match the shared Keras-layer rules).
    layout_rules = GenerativeModel.layout_rules + (
        (r".*(conv_in|conv_out|conv_\d+|skip|downsample_\d+|upsample_\d+)/kernel", (None, None, None, "model")),
        (r".*_embedding/kernel", (None, "model")),  # timestep projections
        (r".*_attention/(query|key|value|attention_output)/kernel", (None, None, "model")),
    )

    def __init__(
        self,
        denoiser=None,
        data_shape=None,
        scheduler=None,
        num_classes=None,
        label_dropout=0.1,
        ema_decay=0.9999,
        value_range=(-1.0, 1.0),
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
        super().__init__(seed=seed, **kwargs)
        if num_classes is not None:
            num_classes = validation.check_positive_int(num_classes, "num_classes")
        self.num_classes = num_classes
        self.label_dropout = validation.check_probability(label_dropout, "label_dropout")
        self.ema_decay = validation.check_in_range(ema_decay, "ema_decay", 0.0, 1.0)
        if value_range is not None:
            value_range = tuple(float(v) for v in value_range)
            if len(value_range) != 2 or not value_range[0] < value_range[1]:
                raise ValueError(
                    "`value_range` must be `(low, high)` with low < high, or None. "
                    f"Received: value_range={value_range}"
                )
        self.value_range = value_range
        self.unet_config = dict(
            width=width,
            channel_multipliers=tuple(channel_multipliers),
            num_res_blocks=num_res_blocks,
            attention_resolutions=tuple(attention_resolutions),
            dropout=dropout,
            data_format=data_format,
        )
        self.mlp_config = dict(hidden_dim=hidden_dim, num_layers=num_layers)
        if denoiser is None:
            if data_shape is None:
                raise ValueError(
                    "Pass `data_shape` (the shape of one sample) to build the default "
                    "denoiser, or pass a `denoiser`. Received: data_shape=None"
                )
            data_shape = tuple(data_shape)
            if len(data_shape) == 1:
                denoiser = networks.build_mlp_denoiser(data_shape, num_classes=num_classes, **self.mlp_config)
            else:
                denoiser = networks.build_unet(data_shape, num_classes=num_classes, **self.unet_config)
        backend.check_image_data_format(denoiser, "denoiser")
        self.denoiser = denoiser
        self.data_shape = tuple(validation.network_input_shape(denoiser))
        if scheduler is None:
            scheduler = DDPMScheduler(clip_sample=len(self.data_shape) > 1 and value_range is not None)
        if not isinstance(scheduler, Scheduler):
            raise ValueError(
                "`scheduler` must be a `keras_gen.schedulers.Scheduler`. "
                f"Received: scheduler={scheduler!r}"
            )
        # The model's own copy walks the full training chain (log_prob);
        # samplers get fresh copies with their own timesteps.
        self.scheduler = scheduler.__class__.from_config(scheduler.get_config())
        self.ema_denoiser = clone_network(denoiser, name=f"{denoiser.name}_ema")
        self.ema_updates = self.add_weight(
            shape=(), dtype="int32", initializer="zeros", trainable=False, name="ema_updates"
        )
        self._sampling_functions = {}

    def _expected_data_shape(self):
        return self.data_shape

    # -- data scaling ------------------------------------------------------

    def _to_model_space(self, x):
        if self.value_range is None:
            return x
        low, high = self.value_range
        return (x - low) * (2.0 / (high - low)) - 1.0

    def _to_data_space(self, x):
        if self.value_range is None:
            return x
        low, high = self.value_range
        return (x + 1.0) * ((high - low) / 2.0) + low

    # -- training ------------------------------------------------------------

    def _denoise(self, network, x_t, t, labels=None):
        inputs = [x_t, t] if labels is None else [x_t, t, labels]
        return network(inputs, training=False)

    def call(self, inputs, training=False):
        """`model([x_t, t(, labels)])`: the denoiser's output.

        A bare batch of data passes through unchanged: the training forward
        pass, which needs the labels, runs in `compute_loss`.
        """
        if isinstance(inputs, (list, tuple)):
            return self.denoiser(list(inputs), training=training)
        self._check_batch(inputs)
        return inputs

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        x0 = self._to_model_space(ops.cast(x, "float32"))
        batch = ops.shape(x0)[0]
        T = self.scheduler.num_train_timesteps
        t = ops.cast(ops.floor(self.random_uniform((batch,)) * T), "int32")
        t = ops.minimum(t, T - 1)
        noise = self.random_normal(ops.shape(x0))
        x_t = self.scheduler.add_noise(x0, noise, t)
        inputs = [x_t, t]
        if self.num_classes is not None:
            if y is None:
                raise ValueError(
                    f"DDPM is conditional (num_classes={self.num_classes}): train it with "
                    "`fit(x, labels)`. Received: labels=None"
                )
            labels = ops.cast(ops.reshape(y, (-1,)), "int32")
            if training and self.label_dropout > 0:
                # Classifier-free guidance: train the unconditional model
                # too, by replacing labels with the null label
                # (Ho & Salimans, 2022, algorithm 1).
                drop = self.random_uniform((batch,)) < self.label_dropout
                labels = ops.where(drop, self.num_classes, labels)
            inputs.append(labels)
        elif y is not None:
            raise ValueError(
                "DDPM is unconditional (num_classes=None): fit it on samples only, "
                "or set `num_classes` to train with labels. Received labels."
            )
        prediction = self.denoiser(inputs, training=training)
        target = self.scheduler.training_target(x0, noise, t)
        per_sample = ops.mean(
            ops.reshape(ops.square(ops.cast(prediction, "float32") - target), (batch, -1)), axis=-1
        )
        if sample_weight is not None:
            weight = ops.cast(ops.reshape(sample_weight, (-1,)), per_sample.dtype)
            loss = ops.sum(per_sample * weight) / ops.maximum(ops.sum(weight), 1e-12)
        else:
            loss = ops.mean(per_sample)
        if training:
            self._update_ema()
        losses = self.losses
        if losses:
            loss = loss + ops.sum(ops.stack(losses))
        return loss

    def _update_ema(self):
        # The average moves toward the weights of this step (before the
        # optimizer's update: a one-step lag that does not matter at these
        # decays). Warm-up as in Tensorflow's ExponentialMovingAverage with
        # num_updates, so that short runs are not dominated by the init.
        update_ema(self.ema_denoiser, self.denoiser, self.ema_decay, num_updates=self.ema_updates)
        self.ema_updates.assign(self.ema_updates + 1)

    # -- sampling ------------------------------------------------------------

    def _make_scheduler(self, sampler, num_steps):
        config = self.scheduler.get_config()
        config.pop("variance_type", None)
        config.pop("eta", None)
        if sampler == "ddpm":
            variance = getattr(self.scheduler, "variance_type", "fixed_small")
            scheduler = DDPMScheduler.from_config({**config, "variance_type": variance})
        else:
            scheduler = DDIMScheduler.from_config(config)
        scheduler.set_timesteps(num_steps)
        return scheduler

    def _guided_output(self, network, scheduler, x, t, labels, guidance_scale, classifier, classifier_scale):
        """The denoiser's output at (x_t, t) with the requested guidance."""
        batch = ops.shape(x)[0]
        t_batch = ops.full((batch,), t, dtype="int32")
        if self.num_classes is None:
            out = self._denoise(network, x, t_batch)
        elif guidance_scale == 1.0:
            out = self._denoise(network, x, t_batch, labels)
        else:
            # Classifier-free guidance, ε̃ = ε_∅ + s (ε_c − ε_∅) (Ho &
            # Salimans, eq. 6 with w = s − 1). Any prediction type is an
            # affine function of ε at fixed x_t, so combining outputs is the
            # same as combining ε. One batched call for both halves.
            null = ops.full((batch,), self.num_classes, dtype="int32")
            both = self._denoise(
                network,
                ops.concatenate([x, x], axis=0),
                ops.concatenate([t_batch, t_batch], axis=0),
                ops.concatenate([labels, null], axis=0),
            )
            conditional, unconditional = both[:batch], both[batch:]
            out = unconditional + guidance_scale * (conditional - unconditional)
        if classifier is not None:
            # Classifier guidance: ε̂ = ε − √(1 − ᾱ_t) s ∇ log p(y | x_t)
            # (Dhariwal & Nichol, 2021, algorithm 2 / eq. 14).
            def log_p(inputs):
                logits = classifier(inputs, t_batch)
                log_probs = ops.log_softmax(ops.cast(logits, "float32"), axis=-1)
                return ops.take_along_axis(log_probs, labels[:, None], axis=-1)

            grad = backend.input_gradient(log_p, x)
            _, eps = scheduler.split_prediction(out, t_batch, x)
            sqrt_one_minus_a = scheduler.table_at("sqrt_one_minus_alpha_cumprod", t)
            eps = eps - sqrt_one_minus_a * classifier_scale * grad
            out = scheduler.output_from_epsilon(eps, t_batch, x)
        return out

    def _sampling_function(self, network, sampler, num_steps, eta, guidance_scale, classifier, classifier_scale):
        key = (id(network), sampler, num_steps, float(eta), float(guidance_scale), id(classifier), float(classifier_scale))
        if key in self._sampling_functions:
            return self._sampling_functions[key]
        scheduler = self._make_scheduler(sampler, num_steps)
        timesteps = ops.convert_to_tensor(scheduler.timesteps)
        variables = list(network.variables)
        # A stand-in generator: its state is threaded through the loop as a
        # tensor, so the compiled function stays pure.
        noise_seed = keras.random.SeedGenerator(0)

        def run(weights, x, seed_state, labels, start, stop):
            mapping = list(zip(variables, weights))

            def body(i, carry):
                x, state = carry
                with keras.StatelessScope(state_mapping=mapping + [(noise_seed.state, state)]) as scope:
                    t = ops.take(timesteps, i)
                    out = self._guided_output(
                        network, scheduler, x, t, labels, guidance_scale, classifier, classifier_scale
                    )
                    noise = keras.random.normal(ops.shape(x), seed=noise_seed)
                    state = scope.get_current_value(noise_seed.state)
                out = ops.cast(out, x.dtype)
                if sampler == "ddim":
                    x = scheduler.step(out, t, x, noise, eta=eta)
                else:
                    x = scheduler.step(out, t, x, noise)
                return x, state

            return ops.fori_loop(start, stop, body, (x, seed_state))

        function = backend.compile_function(run)
        self._sampling_functions[key] = (function, scheduler)
        return function, scheduler

    def generate(
        self,
        num_samples,
        num_steps=None,
        sampler="ddpm",
        eta=0.0,
        guidance_scale=1.0,
        labels=None,
        classifier=None,
        classifier_scale=1.0,
        seed=None,
        use_ema=True,
        batch_size=256,
        verbose=False,
    ):
        """Samples by running the reverse chain from pure noise.

        Args:
            num_samples: how many samples.
            num_steps: reverse steps (default: T for `"ddpm"`, 50 for
                `"ddim"`); fewer than T visits every (T // num_steps)-th
                timestep.
            sampler: `"ddpm"` (ancestral, Ho et al.) or `"ddim"`.
            eta: DDIM's η (0: deterministic; 1: DDPM-like noise).
            guidance_scale: classifier-free guidance scale s of a
                conditional model (1: plain conditional sampling; > 1:
                stronger adherence to the labels).
            labels: class per sample (or one class for all) of a
                conditional model or of `classifier`; default cycles
                through the classes.
            classifier: optional `fn(x_t, t) -> logits`, a differentiable
                classifier of noisy inputs (in the model's [-1, 1] space)
                for classifier guidance.
            classifier_scale: the classifier guidance scale s.
            seed: int for a reproducible draw, or `None` for the model's
                random stream.
            use_ema: sample with the moving-average weights.
            batch_size: samples per compiled call.
            verbose: show a progress bar over the steps.

        Returns:
            A NumPy array of `num_samples` samples in `value_range`.
        """
        num_samples = validation.check_positive_int(num_samples, "num_samples")
        sampler = validation.check_choice(sampler, "sampler", SAMPLERS)
        if num_steps is None:
            num_steps = self.scheduler.num_train_timesteps if sampler == "ddpm" else 50
        num_steps = validation.check_positive_int(num_steps, "num_steps")
        eta = validation.check_non_negative(eta, "eta")
        guidance_scale = validation.check_non_negative(guidance_scale, "guidance_scale")
        if guidance_scale != 1.0 and self.num_classes is None:
            raise ValueError(
                "Classifier-free guidance needs a conditional model (num_classes=None). "
                f"Received: guidance_scale={guidance_scale}"
            )
        batch_size = validation.check_positive_int(batch_size, "batch_size")
        if classifier is not None:
            if labels is None:
                raise ValueError("Classifier guidance needs the target `labels`. Received: labels=None")
            labels = np.broadcast_to(np.asarray(labels, "int32").reshape(-1), (num_samples,)).copy()
            if self.num_classes is not None:
                labels = self.labels_for(num_samples, labels)
        else:
            labels = self.labels_for(num_samples, labels)
        network = self.ema_denoiser if use_ema else self.denoiser
        function, scheduler = self._sampling_function(
            network, sampler, num_steps, eta, guidance_scale, classifier, float(classifier_scale)
        )
        generator = self._sample_seed(seed)
        weights = [v.value for v in network.variables]
        num_batches = -(-num_samples // batch_size)
        progress = keras.utils.Progbar(num_steps * num_batches, unit_name="step") if verbose else None
        chunk = max(1, num_steps // 20) if verbose else num_steps
        outputs = []
        for first in range(0, num_samples, batch_size):
            n = min(batch_size, num_samples - first)
            x = keras.random.normal((n,) + self.data_shape, seed=generator)
            state = generator.state.value
            batch_labels = None if labels is None else ops.convert_to_tensor(labels[first : first + n])
            for start in range(0, num_steps, chunk):
                stop = min(start + chunk, num_steps)
                x, state = function(
                    weights,
                    x,
                    state,
                    batch_labels,
                    ops.convert_to_tensor(start, "int32"),
                    ops.convert_to_tensor(stop, "int32"),
                )
                if progress is not None:
                    progress.add(stop - start)
            generator.state.assign(state)
            outputs.append(ops.convert_to_numpy(x))
        samples = self._to_data_space(np.concatenate(outputs))
        if self.value_range is not None and scheduler.clip_sample:
            samples = np.clip(samples, *self.value_range)
        return samples

    # -- likelihood ------------------------------------------------------------

    def _bound_function(self, network):
        key = ("bound", id(network))
        if key in self._sampling_functions:
            return self._sampling_functions[key]
        # The bound needs the posterior of the full training chain.
        scheduler = self._make_scheduler("ddpm", self.scheduler.num_train_timesteps)
        variables = list(network.variables)
        fixed_large = getattr(scheduler, "variance_type", "fixed_small") == "fixed_large"

        def terms(weights, x0, t, noise, labels):
            """Per sample: the KL term L_{t} (t ≥ 1) and the decoder's
            Gaussian mean and variance at t = 0."""
            with keras.StatelessScope(state_mapping=list(zip(variables, weights))):
                batch = ops.shape(x0)[0]
                t_batch = ops.full((batch,), t, dtype="int32")
                x_t = scheduler.add_noise(x0, noise, t_batch)
                inputs = [x_t, t_batch] if labels is None else [x_t, t_batch, labels]
                out = ops.cast(network(inputs, training=False), "float32")
            x0_pred, _ = scheduler.split_prediction(out, t_batch, x_t)
            coef_x0, coef_xt, var_q = scheduler.step_coefficients(t, len(x0.shape))
            mean_q = coef_x0 * x0 + coef_xt * x_t
            mean_p = coef_x0 * x0_pred + coef_xt * x_t
            beta = ops.take(scheduler.betas, t)
            var_p = beta if fixed_large else var_q
            # KL(N(μ_q, σ_q²) || N(μ_p, σ_p²)), the terms L_{t−1} of eq. 5.
            var_q = ops.maximum(var_q, 1e-20)
            kl = 0.5 * (ops.log(var_p / var_q) + var_q / var_p + ops.square(mean_q - mean_p) / var_p - 1.0)
            return _sum_per_sample(kl), mean_p, beta

        function = backend.compile_function(terms)
        self._sampling_functions[key] = function
        return function

    def log_prob(self, x, labels=None, num_bins=None, num_timesteps=None, use_ema=True, batch_size=256, seed=0):
        """The variational lower bound on `log p(x)` per sample, in nats.

            log p(x_0) ≥ −L_T − Σ_{t>1} L_{t−1} − L_0   (Ho et al., eq. 5)

        with the KL terms in closed form and L_0 the decoder: a Gaussian of
        variance β_1 around the predicted mean, discretised into `num_bins`
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
                raise ValueError("Discrete bins need a `value_range`. Received: num_bins with value_range=None")
        T = self.scheduler.num_train_timesteps
        if num_timesteps is None:
            steps = np.arange(1, T)
        else:
            num_timesteps = validation.check_positive_int(num_timesteps, "num_timesteps")
            steps = np.unique(np.linspace(1, T - 1, min(num_timesteps, T - 1)).round().astype(int))
        if self.num_classes is not None:
            labels = (
                np.full((len(x),), self.num_classes, "int32")
                if labels is None
                else self.check_labels(labels, len(x))
            )
        network = self.ema_denoiser if use_ema else self.denoiser
        terms = self._bound_function(network)
        weights = [v.value for v in network.variables]
        generator = keras.random.SeedGenerator(seed)
        a_T = float(self.scheduler.alphas_cumprod_np[-1])
        dims = int(np.prod(self.data_shape))
        results = []
        for first in range(0, len(x), batch_size):
            x0 = self._to_model_space(ops.convert_to_tensor(x[first : first + batch_size]))
            batch_labels = None if labels is None else ops.convert_to_tensor(labels[first : first + batch_size])
            # L_T = KL(q(x_T | x_0) || N(0, I)).
            prior = _sum_per_sample(
                0.5 * (-math.log(1.0 - a_T) + (1.0 - a_T) + a_T * ops.square(x0) - 1.0)
            )
            kl_sum = ops.zeros_like(prior)
            for t in steps:
                noise = keras.random.normal(ops.shape(x0), seed=generator)
                kl, _, _ = terms(weights, x0, ops.convert_to_tensor(int(t), "int32"), noise, batch_labels)
                kl_sum = kl_sum + kl
            kl_sum = kl_sum * ((T - 1) / len(steps))
            noise = keras.random.normal(ops.shape(x0), seed=generator)
            _, mean, beta = terms(weights, x0, ops.convert_to_tensor(0, "int32"), noise, batch_labels)
            decoder = self._decoder_log_likelihood(x0, mean, beta, num_bins)
            log_p = decoder - prior - kl_sum
            if num_bins is None and self.value_range is not None:
                # The density of x in its own units: change of variables from
                # the [-1, 1] model space.
                low, high = self.value_range
                log_p = log_p + dims * math.log(2.0 / (high - low))
            results.append(ops.convert_to_numpy(log_p))
        return np.concatenate(results)

    def _decoder_log_likelihood(self, x0, mean, variance, num_bins):
        """log p(x_0 | x_1) per sample (Ho et al., eq. 13)."""
        std = ops.sqrt(variance)
        if num_bins is None:
            ll = -0.5 * ops.square((x0 - mean) / std) - ops.log(std) - 0.5 * math.log(2 * math.pi)
            return _sum_per_sample(ll)
        half_bin = 1.0 / (num_bins - 1)
        upper = ops.where(x0 > 1.0 - half_bin, 1.0, _normal_cdf((x0 + half_bin - mean) / std))
        lower = ops.where(x0 < -1.0 + half_bin, 0.0, _normal_cdf((x0 - half_bin - mean) / std))
        return _sum_per_sample(ops.log(ops.maximum(upper - lower, 1e-12)))

    def bits_per_dim(self, x, num_bins=256, **kwargs):
        """The bound of `log_prob` as bits per dimension (lower is better)."""
        log_p = self.log_prob(x, num_bins=num_bins, **kwargs)
        return -log_p / (np.prod(self.data_shape) * math.log(2.0))

    # -- saving ------------------------------------------------------------------

    def get_config(self):
        config = super().get_config()
        config.update(
            data_shape=self.data_shape,
            scheduler=keras.saving.serialize_keras_object(self.scheduler),
            num_classes=self.num_classes,
            label_dropout=self.label_dropout,
            ema_decay=self.ema_decay,
            value_range=self.value_range,
            **self.unet_config,
            **self.mlp_config,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("scheduler"), dict):
            config["scheduler"] = keras.saving.deserialize_keras_object(config["scheduler"])
        return super().from_config(config)

