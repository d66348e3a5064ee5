"""Flow matching (Lipman et al., 2023) and rectified flow (Liu et al.,
2023), with the minibatch optimal-transport coupling of Tong et al. (2023)
and classifier-free guidance."""

import math

import keras
import numpy as np
from keras import ops

from keras_gen import backend
from keras_gen.models.ddpm.denoiser_model import DenoiserModel
from keras_gen.models.editing import ImageEditing, edit_steps
from keras_gen.models.flow_matching import coupling as coupling_lib
from keras_gen.models.flow_matching import ode
from keras_gen.models.generative_model import GenerativeModel
from keras_gen.utils import validation
from keras_gen.utils.progress import LoopProgress

# The networks' time input is t * TIME_SCALE: DDPM's denoisers embed their
# timestep with sinusoids sized for [0, 1000).
TIME_SCALE = 1000.0
DEFAULT_SOLVER = "heun"
DEFAULT_STEPS = 25
DIVERGENCES = ("auto", "exact", "hutchinson")
# `divergence="auto"` is exact up to this many dimensions (one input
# gradient per dimension), Hutchinson's estimator above.
EXACT_DIVERGENCE_MAX_DIMS = 16
_LOG_2PI = math.log(2.0 * math.pi)


def _sum_per_sample(values):
    return ops.sum(ops.reshape(values, (ops.shape(values)[0], -1)), axis=-1)


def _per_sample(t, x):
    """A per-sample value `(batch,)` shaped to broadcast against `x`."""
    return ops.reshape(t, (-1,) + (1,) * (len(x.shape) - 1))


class FlowSampling:
    """The sampling interface of the flow-matching families (`FlowMatching`,
    `LatentFlowMatching`): `generate`, `inpaint` and `image_to_image` with
    the ODE solver's options as keywords."""

    def generate(
        self,
        num_samples,
        *,
        seed=None,
        labels=None,
        batch_size=256,
        solver=DEFAULT_SOLVER,
        num_steps=DEFAULT_STEPS,
        guidance_scale=1.0,
        use_ema=True,
        verbose="auto",
    ):
        """Samples by integrating the learned ODE from noise (t = 0) to data
        (t = 1).

        Args:
            num_samples: how many samples.
            seed: int for a reproducible draw, or `None` for the model's
                random stream.
            labels: class per sample (or one class for all) of a
                conditional model; default cycles through the classes.
            batch_size: samples per compiled call.
            solver: `"euler"`, `"midpoint"`, `"heun"` or `"rk4"` (1, 2, 2
                and 4 network evaluations per step).
            num_steps: solver steps on a uniform grid of [0, 1].
            guidance_scale: classifier-free guidance scale s of a
                conditional model (1: plain conditional sampling; 0: the
                unconditional model; > 1: stronger adherence to the
                labels).
            use_ema: sample with the moving-average weights.
            verbose: a progress bar over the steps: `"auto"` shows one
                for long loops (see `keras_gen.utils.progress`), `True`
                always, `False` never.

        Returns:
            A NumPy float32 array `(num_samples, *data_shape)` in
            `value_range`.
        """
        return GenerativeModel.generate(
            self,
            num_samples,
            seed=seed,
            labels=labels,
            batch_size=batch_size,
            solver=solver,
            num_steps=num_steps,
            guidance_scale=guidance_scale,
            use_ema=use_ema,
            verbose=verbose,
        )

    def inpaint(
        self,
        x,
        mask,
        *,
        seed=None,
        labels=None,
        batch_size=256,
        solver=DEFAULT_SOLVER,
        num_steps=DEFAULT_STEPS,
        guidance_scale=1.0,
        use_ema=True,
    ):
        """Fills in the pixels of `x` where `mask` is 1 (see
        `keras_gen.models.editing.ImageEditing.inpaint`), keeping the
        others exactly.

        `FlowMatching`: at every step the known pixels are replaced by the
        known data carried along the probability path, `x_t = (1 − (1 −
        σ_min) t) z + t x` with `z` the sample's initial noise (the
        flow-matching analogue of RePaint, Lugmayr et al., 2022, eq. 8),
        so that the solver moves the unknown pixels consistently with them.
        `LatentFlowMatching`: every velocity is turned toward the latents
        of the decoded estimate with the known pixels pasted in (see
        `LatentModel`). The options are those of `generate`; a
        conditional model takes `labels`, or `guidance_scale=0` to inpaint
        unconditionally.
        """
        return ImageEditing.inpaint(
            self,
            x,
            mask,
            seed=seed,
            labels=labels,
            batch_size=batch_size,
            solver=solver,
            num_steps=num_steps,
            guidance_scale=guidance_scale,
            use_ema=use_ema,
        )

    def image_to_image(
        self,
        x,
        strength=0.5,
        *,
        seed=None,
        labels=None,
        batch_size=256,
        solver=DEFAULT_SOLVER,
        num_steps=DEFAULT_STEPS,
        guidance_scale=1.0,
        use_ema=True,
    ):
        """SDEdit (Meng et al., 2022) with the flow: `x` is carried back
        along the probability path to `t = 1 − strength` with fresh noise,
        `(1 − (1 − σ_min) t) z + t x`, and the ODE integrated from there to
        t = 1 in `round(strength * num_steps)` steps (see
        `keras_gen.models.editing.ImageEditing.image_to_image`). The
        options are those of `generate`."""
        return ImageEditing.image_to_image(
            self,
            x,
            strength,
            seed=seed,
            labels=labels,
            batch_size=batch_size,
            solver=solver,
            num_steps=num_steps,
            guidance_scale=guidance_scale,
            use_ema=use_ema,
        )


@keras.saving.register_keras_serializable(package="keras_gen")
class FlowMatching(FlowSampling, ImageEditing, DenoiserModel):
    """Conditional flow matching: a velocity field trained by regression,
    sampled by solving an ODE.

    With noise `x_0 ~ N(0, I)` (t = 0) and data `x_1` (t = 1), the
    conditional probability path and its velocity are (Lipman et al.,
    2023, eqs. 22-23; with σ_min = 0 the straight line of rectified flow,
    Liu et al., 2023)

        x_t = (1 − (1 − σ_min) t) x_0 + t x_1,
        u_t = x_1 − (1 − σ_min) x_0,

    and training minimises the conditional flow-matching loss
    `E_{t ~ U[0, 1], x_0, x_1} ||v_θ(x_t, t) − u_t||²` (eq. 23) with Keras'
    own training step (`compute_loss`), so `fit` works with jit,
    `keras.distribution`, mixed precision and every input pipeline.

    **Couplings.** `coupling="independent"` pairs noise and data
    independently (I-CFM). `coupling="ot"` re-pairs each minibatch by
    optimal transport under the squared distance (OT-CFM, Tong et al.,
    2023, sec. 3.2): straighter paths, so fewer solver steps for the same
    quality. The plan is computed inside the compiled step with Sinkhorn
    iterations and rounded to a permutation (see
    `keras_gen.models.flow_matching.coupling.ot_pairing`).

    **Networks.** The velocity network is DDPM's denoiser (a `UNet` for
    images, an `MLPDenoiser` for vectors; the attribute keeps the name
    `denoiser`), called as `denoiser([x_t, t * 1000(, labels)])`: the time
    enters as a float32 in [0, 1000], the range the networks' sinusoidal
    embeddings were sized for. Its output is the velocity, shaped like
    `x_t`. A network of your own takes the same inputs (it is checked when
    the model is built). An exponential moving average of its weights
    (`ema_denoiser`) is kept for sampling.

    **Conditioning.** With `num_classes`, the network is class-conditional
    and trained with label dropout (`label_dropout`; the null label is
    `num_classes`), and `guidance_scale` applies classifier-free guidance
    to the velocity, `v_∅ + s (v_c − v_∅)` (Ho & Salimans, 2022).

    **Sampling.** `generate` integrates `dx/dt = v_θ(x, t)` from t = 0 to
    1 with a fixed-step `solver` (`"euler"`, `"midpoint"`, `"heun"`,
    `"rk4"`), the whole trajectory in one compiled loop (`ops.fori_loop`
    under XLA on JAX and TensorFlow; eager under `no_grad` on PyTorch).
    The latent code of a sample is its initial noise (`sample_latents`,
    `decode`, `interpolate`): the map is deterministic. `inpaint` and
    `image_to_image` edit data along the same ODE.

    **Likelihood.** `log_prob` integrates the probability-flow ODE
    backwards with the instantaneous change of variables (Chen et al.,
    2018, theorem 1): `log p_1(x) = log N(x_0; 0, I) − ∫_0^1 div v_θ(x_t,
    t) dt`, the divergence exact for small dimensions and by Hutchinson's
    estimator otherwise (Grathwohl et al., 2019).

    Args:
        denoiser: the velocity network, a `keras.Model` `[x_t, t(, label)]
            -> velocity` shaped like `x_t`; `None` builds a `UNet` for
            images or an `MLPDenoiser` for vectors.
        data_shape: shape of one sample (needed for the default network).
        value_range: `(low, high)` of the data, mapped to [-1, 1] for the
            flow and back for `generate`; `"auto"`: (-1, 1) for images,
            `None` (unbounded, no scaling or clipping) for vectors.
        num_classes: number of classes of a conditional model.
        coupling: `"independent"` or `"ot"` (minibatch optimal transport).
        sigma_min: the width of the path at the data end (Lipman et al.
            use 1e-4 to 1e-5; 0 gives rectified flow's straight lines).
        label_dropout: probability of dropping the label in training
            (classifier-free guidance).
        ema_decay: decay of the weights' moving average, warmed up as
            min(decay, (1 + n) / (10 + n)) after n updates.
        width, channel_multipliers, num_res_blocks, attention_resolutions,
            dropout, data_format: the default U-Net (see `UNet`);
            `hidden_dim`, `num_layers` are the default MLP's.
        seed: seed of the model's random stream and of the default
            network's initial weights.

    Example:

    ```python
    x, y = keras_gen.datasets.load_digits("train", with_labels=True)   # in [0, 1]
    model = keras_gen.models.FlowMatching(
        data_shape=(8, 8, 1), value_range=(0, 1), num_classes=10, width=16, coupling="ot"
    )
    model.compile()
    model.fit(x, y, epochs=1, batch_size=64)
    images = model.generate(4, labels=3, solver="heun", num_steps=10, seed=0)
    filled = model.inpaint(x[:4], mask=np.arange(8)[:, None] >= 4, guidance_scale=0.0, seed=0)
    log_p = model.log_prob(x[:4])       # nats, density in [0, 1] units
    ```
    """

    time_input_description = "t a float32 vector (batch,) of times t * 1000 in [0, 1000] (t = 0: noise, t = 1: data)"

    def __init__(
        self,
        denoiser=None,
        data_shape=None,
        value_range="auto",
        num_classes=None,
        coupling="independent",
        sigma_min=0.0,
        label_dropout=0.1,
        ema_decay=0.9999,
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
            **kwargs,
        )
        self.coupling = validation.check_choice(
            coupling, "coupling", coupling_lib.COUPLINGS
        )
        self.sigma_min = validation.check_in_range(
            sigma_min, "sigma_min", 0.0, 1.0, "a number in [0, 1)"
        )
        if self.sigma_min >= 1.0:
            raise ValueError(
                f"`sigma_min` must be a number in [0, 1). Received: sigma_min={sigma_min!r}"
            )
        self._functions = {}

    # -- editing ---------------------------------------------------------------

    # -- the probability path --------------------------------------------------

    def path(self, x0, x1, t):
        """`x_t = (1 − (1 − σ_min) t) x_0 + t x_1` (Lipman et al., eq. 22);
        `t` a scalar or one per sample."""
        t = (
            t
            if isinstance(t, float) or len(getattr(t, "shape", ())) == 0
            else _per_sample(t, x1)
        )
        return (1.0 - (1.0 - self.sigma_min) * t) * x0 + t * x1

    def target_velocity(self, x0, x1):
        """`u_t = x_1 − (1 − σ_min) x_0` (Lipman et al., eq. 23)."""
        return x1 - (1.0 - self.sigma_min) * x0

    # -- training ------------------------------------------------------------

    def default_optimizer(self):
        # Lipman et al. (2023), appendix E: Adam; 2e-4 suits the small
        # U-Nets and MLPs here (as DDPM's).
        return keras.optimizers.Adam(2e-4)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        x1 = self.to_model_space(ops.cast(x, "float32"))
        batch = ops.shape(x1)[0]
        x0 = self.random_normal(ops.shape(x1))
        if self.coupling == "ot":
            # Each data point takes its noise partner under the minibatch
            # OT plan (Tong et al., 2023, algorithm 2 / eq. 17).
            x0 = ops.take(x0, coupling_lib.ot_pairing(x0, x1), axis=0)
        t = self.random_uniform((batch,))
        x_t = self.path(x0, x1, t)
        labels = self.training_labels(y, batch, training)
        prediction = self._denoise(
            self.denoiser, x_t, t * TIME_SCALE, labels, training=training
        )
        # The conditional flow-matching loss (Lipman et al., eq. 23).
        error = ops.square(
            ops.cast(prediction, "float32") - self.target_velocity(x0, x1)
        )
        per_sample = ops.mean(ops.reshape(error, (batch, -1)), axis=-1)
        return self.finish_loss(per_sample, sample_weight, training)

    # -- sampling ------------------------------------------------------------

    def _velocity(self, network, labels, guidance_scale, correct_x1=None):
        """`(t, x) -> v(x, t)` with the requested guidance, in x's dtype;
        with `correct_x1`, the velocity toward a corrected estimate of the
        data (see `_inpaint`)."""

        def velocity(t, x):
            t_batch = ops.ones((ops.shape(x)[0],), "float32") * (t * TIME_SCALE)
            v = ops.cast(
                self.guided_output(network, x, t_batch, labels, guidance_scale),
                x.dtype,
            )
            if correct_x1 is None:
                return v
            # x̂_1 = (1 − (1 − σ_min) t) v + (1 − σ_min) x_t, eq. 22 and 23
            # solved for x_1; the velocity that heads for the corrected
            # x̂_1' instead differs by (x̂_1' − x̂_1) / (1 − (1 − σ_min) t).
            # At t = 1 (σ_min = 0) the state is the estimate itself: no
            # correction.
            remaining = 1.0 - (1.0 - self.sigma_min) * t
            x1 = remaining * v + (1.0 - self.sigma_min) * x
            change = ops.cast(correct_x1(x1), x.dtype) - x1
            return v + ops.where(
                remaining > 1e-4, change / ops.maximum(remaining, 1e-4), 0.0
            )

        return velocity

    def _trajectory_function(
        self, network, solver, guidance_scale, inpaint, correction=None
    ):
        """The compiled solver loop `run(weights, x, times, labels, start,
        stop, known, mask, noise, context)`: steps `start..stop-1` of the
        grid `times`; with `inpaint`, the pixels where `mask` is 0 are put
        back on the path from `noise` to `known` before each step; with
        `correction`, every velocity heads for a corrected x̂_1."""
        key = (
            "trajectory",
            id(network),
            solver,
            float(guidance_scale),
            inpaint,
            None if correction is None else correction.key,
        )
        if key in self._functions:
            return self._functions[key]
        variables = list(network.variables)
        if correction is not None:
            variables += list(correction.variables)

        def run(
            weights,
            x,
            times,
            labels,
            start,
            stop,
            known=None,
            mask=None,
            noise=None,
            context=(),
        ):
            velocity = self._velocity(
                network,
                labels,
                guidance_scale,
                None
                if correction is None
                else lambda x1: correction(x1, *context),
            )

            def body(i, x):
                t0, t1 = ops.take(times, i), ops.take(times, i + 1)
                with keras.StatelessScope(
                    state_mapping=list(zip(variables, weights))
                ):
                    if inpaint:
                        x = mask * x + (1.0 - mask) * self.path(
                            noise, known, t0
                        )
                    return ode.solver_step(solver, velocity, t0, t1 - t0, x)

            return ops.fori_loop(start, stop, body, x)

        function = backend.compile_function(run)
        self._functions[key] = function
        return function

    def _check_solver(self, solver, num_steps):
        validation.check_choice(solver, "solver", ode.SOLVERS)
        return validation.check_positive_int(num_steps, "num_steps")

    def _integrate(
        self,
        x,
        labels,
        batch_size,
        solver,
        num_steps,
        guidance_scale,
        use_ema,
        verbose="auto",
        start_time=0.0,
        known=None,
        mask=None,
        noise=None,
        correction=None,
    ):
        """Solves the ODE from `start_time` to 1 for the model-space states
        `x` (NumPy), `batch_size` at a time; returns NumPy."""
        guidance_scale = self.check_guidance_scale(guidance_scale)
        network = self.sampling_network(use_ema)
        inpaint = known is not None
        function = self._trajectory_function(
            network, solver, guidance_scale, inpaint, correction
        )
        variables = list(network.variables)
        context = ()
        if correction is not None:
            variables += list(correction.variables)
            context = correction.context
        weights = [v.value for v in variables]
        times = ops.convert_to_tensor(
            np.linspace(start_time, 1.0, num_steps + 1).astype("float32")
        )
        num_batches = -(-len(x) // batch_size)
        progress = LoopProgress(num_steps, num_batches, verbose)

        def part(array, first):
            return (
                None
                if array is None
                else ops.convert_to_tensor(array[first : first + batch_size])
            )

        outputs = []
        for first in range(0, len(x), batch_size):
            state = part(x, first)
            extra = (
                (
                    part(known, first),
                    part(mask, first),
                    part(noise, first),
                    tuple(part(a, first) for a in context),
                )
                if inpaint
                else ()
            )
            for start, stop in progress.chunks():
                state = function(
                    weights,
                    state,
                    times,
                    part(labels, first),
                    ops.convert_to_tensor(start, "int32"),
                    ops.convert_to_tensor(stop, "int32"),
                    *extra,
                )
                progress.add(stop - start)
            outputs.append(ops.convert_to_numpy(ops.cast(state, "float32")))
        return np.concatenate(outputs)

    def _decode(
        self,
        z,
        labels,
        seed,
        batch_size,
        solver=DEFAULT_SOLVER,
        num_steps=DEFAULT_STEPS,
        guidance_scale=1.0,
        use_ema=True,
        verbose="auto",
    ):
        """Integrates the ODE from the noise `z` = x_0 (deterministic: the
        seed is not used)."""
        num_steps = self._check_solver(solver, num_steps)
        return self._integrate(
            z,
            labels,
            batch_size,
            solver,
            num_steps,
            guidance_scale,
            use_ema,
            verbose,
        )

    def _noise_like(self, x, seed):
        return ops.convert_to_numpy(keras.random.normal(x.shape, seed=seed))

    def _inpaint(
        self,
        x,
        mask,
        labels,
        seed,
        batch_size,
        solver=DEFAULT_SOLVER,
        num_steps=DEFAULT_STEPS,
        guidance_scale=1.0,
        use_ema=True,
        correction=None,
    ):
        """Inpainting on the ODE. A `correction` (the latent models'
        inpainting, see `keras_gen.models.latent_diffusion.latent_model`)
        also maps every estimate x̂_1 of the data to a corrected one: an
        object with `__call__(x1, *context)`, the `variables` it reads, the
        arrays of its `context` (split into batches with `x`) and a `key`
        naming it for the cache of compiled loops."""
        num_steps = self._check_solver(solver, num_steps)
        noise = self._noise_like(x, seed)
        return self._integrate(
            noise,
            labels,
            batch_size,
            solver,
            num_steps,
            guidance_scale,
            use_ema,
            known=x,
            mask=mask,
            noise=noise,
            correction=correction,
        )

    def _image_to_image(
        self,
        x,
        strength,
        labels,
        seed,
        batch_size,
        solver=DEFAULT_SOLVER,
        num_steps=DEFAULT_STEPS,
        guidance_scale=1.0,
        use_ema=True,
    ):
        num_steps = self._check_solver(solver, num_steps)
        start_time = 1.0 - strength
        noisy = ops.convert_to_numpy(
            self.path(self._noise_like(x, seed), x, start_time)
        )
        return self._integrate(
            noisy,
            labels,
            batch_size,
            solver,
            edit_steps(num_steps, strength),
            guidance_scale,
            use_ema,
            start_time=start_time,
        )

    def reference_probe(self, num=4):
        """One call of the moving-average velocity network on fixed inputs."""
        x_t = self._fixed_normal((num,) + tuple(self.data_shape))
        t = np.linspace(0.0, TIME_SCALE, num).astype("float32")
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

    def _divergence(self, velocity, t, x, probes, average):
        """div_x v(x, t) per sample from probe vectors ε_k: Σ_k εₖᵀ (∂v/∂x) εₖ
        (the mean over the probes when `average`). With the D basis vectors
        it is the exact trace; with Rademacher probes, Hutchinson's unbiased
        estimate (Hutchinson, 1989; Grathwohl et al., 2019, eq. 7). Every
        εᵀ ∂v/∂x comes from one input gradient of v · ε, for all the probes
        at once (the batch repeated once per probe: the samples do not
        interact)."""
        num_probes = ops.shape(probes)[0]
        repeated = ops.reshape(
            ops.broadcast_to(x[None], ops.shape(probes)),
            (-1,) + tuple(x.shape[1:]),
        )
        flat = ops.reshape(probes, ops.shape(repeated))
        grad = backend.input_gradient(lambda y: velocity(t, y) * flat, repeated)
        per_probe = ops.reshape(_sum_per_sample(grad * flat), (num_probes, -1))
        total = (
            ops.mean(per_probe, axis=0)
            if average
            else ops.sum(per_probe, axis=0)
        )
        return ops.stop_gradient(total)

    def _log_prob_function(self, network, solver, average):
        key = ("log_prob", id(network), solver, average)
        if key in self._functions:
            return self._functions[key]
        variables = list(network.variables)

        def run(weights, x, times, labels, probes):
            velocity = self._velocity(network, labels, 1.0)
            repeated_labels = None
            if labels is not None:
                repeated_labels = ops.reshape(
                    ops.broadcast_to(labels[None], ops.shape(probes)[:2]), (-1,)
                )
            repeated_velocity = self._velocity(network, repeated_labels, 1.0)

            def dynamics(t, state):
                # The augmented ODE of the instantaneous change of
                # variables (Chen et al., 2018, theorem 1).
                x, _ = state
                return velocity(t, x), self._divergence(
                    repeated_velocity, t, x, probes, average
                )

            def body(i, state):
                t0, t1 = ops.take(times, i), ops.take(times, i + 1)
                with keras.StatelessScope(
                    state_mapping=list(zip(variables, weights))
                ):
                    return ode.solver_step(solver, dynamics, t0, t1 - t0, state)

            change = ops.zeros((ops.shape(x)[0],), "float32")
            return ops.fori_loop(0, ops.shape(times)[0] - 1, body, (x, change))

        function = backend.compile_function(run)
        self._functions[key] = function
        return function

    def log_prob(
        self,
        x,
        *,
        labels=None,
        solver="rk4",
        num_steps=32,
        divergence="auto",
        num_probes=1,
        use_ema=True,
        batch_size=256,
        seed=0,
    ):
        """The log-density of the flow at `x`, per sample, in nats.

        The probability-flow ODE `dx/dt = v(x, t)` is integrated from the
        data (t = 1) back to the noise (t = 0) together with the
        log-density change (Chen et al., 2018, theorem 1):

            log p_1(x) = log N(x_0; 0, I) − ∫_0^1 div v(x_t, t) dt.

        The density is in the data's own units (the map to the model's
        [-1, 1] range is accounted for). Lower is more anomalous.

        Args:
            x: NumPy array of samples in `value_range`.
            labels: classes of a conditional model (default: the null label,
                i.e. the unconditional model).
            solver: the ODE solver (`"rk4"`, `"heun"`, `"midpoint"`,
                `"euler"`).
            num_steps: solver steps from t = 1 to t = 0.
            divergence: `"exact"` (the trace of the Jacobian from the D
                basis vectors: the batch is evaluated D times),
                `"hutchinson"` (an unbiased estimate from `num_probes`
                Rademacher probes, fixed along each trajectory), or
                `"auto"`: exact up to 16 dimensions.
            num_probes: probes of Hutchinson's estimator.
            use_ema: use the moving-average weights.
            batch_size: samples per compiled call (each is evaluated once
                per probe, or D times for the exact divergence).
            seed: seed of the probes.

        Returns:
            A NumPy array of shape `(len(x),)`.
        """
        x = np.asarray(x, dtype="float32")
        self.data_checker().check_x(x, whole=True)
        validation.check_choice(solver, "solver", ode.SOLVERS)
        num_steps = validation.check_positive_int(num_steps, "num_steps")
        validation.check_choice(divergence, "divergence", DIVERGENCES)
        num_probes = validation.check_positive_int(num_probes, "num_probes")
        batch_size = validation.check_positive_int(batch_size, "batch_size")
        dims = int(np.prod(self.data_shape))
        exact = divergence == "exact" or (
            divergence == "auto" and dims <= EXACT_DIVERGENCE_MAX_DIMS
        )
        if self.num_classes is not None:
            labels = (
                np.full((len(x),), self.num_classes, "int32")
                if labels is None
                else self.check_labels(labels, len(x))
            )
        elif labels is not None:
            self.labels_for(len(x), labels)  # names the error
        network = self.sampling_network(use_ema)
        function = self._log_prob_function(network, solver, average=not exact)
        weights = [v.value for v in network.variables]
        times = ops.convert_to_tensor(
            np.linspace(1.0, 0.0, num_steps + 1).astype("float32")
        )
        generator = keras.random.SeedGenerator(seed)
        # The density in data units: the map to model space scales every
        # dimension by `scale`.
        scale = 1.0
        if self._range_map() is not None:
            low, high, m_low, m_high = self._range_map()
            scale = (m_high - m_low) / (high - low)
        basis = np.eye(dims, dtype="float32").reshape(
            (dims, 1) + tuple(self.data_shape)
        )
        results = []
        for first in range(0, len(x), batch_size):
            x1 = self.to_model_space(
                ops.convert_to_tensor(x[first : first + batch_size])
            )
            batch_labels = (
                None
                if labels is None
                else ops.convert_to_tensor(labels[first : first + batch_size])
            )
            if exact:
                probes = ops.convert_to_tensor(
                    np.broadcast_to(basis, (dims,) + tuple(x1.shape))
                )
            else:
                uniform = keras.random.uniform(
                    (num_probes,) + tuple(x1.shape), seed=generator
                )
                probes = ops.where(uniform < 0.5, -1.0, 1.0)
            x0, change = function(weights, x1, times, batch_labels, probes)
            log_p0 = _sum_per_sample(
                -0.5 * ops.square(ops.cast(x0, "float32")) - 0.5 * _LOG_2PI
            )
            results.append(
                ops.convert_to_numpy(log_p0 + change) + dims * math.log(scale)
            )
        return np.concatenate(results)

    # -- saving ------------------------------------------------------------------

    def get_config(self):
        config = super().get_config()
        config.update(coupling=self.coupling, sigma_min=self.sigma_min)
        return config
