"""Every sampler, run as one compiled loop on an exact denoiser of Gaussian
data, must give back the data distribution."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_gen import backend
from keras_gen import schedulers as S
from keras_gen.schedulers.sampling import run_reverse_process
from keras_gen.testing.gaussian_denoiser import gaussian_denoiser

MEAN = np.linspace(-0.5, 0.5, 8)
STD = np.full(8, 0.5)
ZERO_SNR = dict(rescale_betas_zero_snr=True, timestep_spacing="trailing")

# (name, class, arguments, steps): enough steps for a discretisation error
# of ~1.5 % of the standard deviation at most (DDIM-100 is 2.8 % short:
# its exact gain on this data is 0.972).
SAMPLERS = [
    ("ddpm", S.DDPMScheduler, {}, 500),
    ("ddim", S.DDIMScheduler, {}, 250),
    (
        "ddim_zero_snr_v",
        S.DDIMScheduler,
        dict(prediction_type="v_prediction", **ZERO_SNR),
        150,
    ),
    ("dpm_solver", S.DPMSolverMultistepScheduler, {}, 50),
    (
        "dpm_solver_x0",
        S.DPMSolverMultistepScheduler,
        dict(prediction_type="sample"),
        50,
    ),
    (
        "dpm_solver_zero_snr_eps",
        S.DPMSolverMultistepScheduler,
        dict(rescale_betas_zero_snr=True),
        50,
    ),
    (
        "dpm_solver_zero_snr_v",
        S.DPMSolverMultistepScheduler,
        dict(rescale_betas_zero_snr=True, prediction_type="v_prediction"),
        50,
    ),
    ("euler", S.EulerScheduler, {}, 200),
    ("heun", S.HeunScheduler, {}, 40),
    ("sde_vp", S.ScoreSdeScheduler, dict(sde="vp"), 100),
    ("sde_ve", S.ScoreSdeScheduler, dict(sde="ve"), 100),
]


def make(cls, kwargs, num_steps):
    scheduler = cls(clip_sample=False, **kwargs)
    scheduler.set_timesteps(num_steps)
    return scheduler


def sample(scheduler, batch=2048, seed=0, start=0, stop=None, chunks=1):
    """Runs the compiled loop over [start, stop) in `chunks` calls."""
    generator = keras.random.SeedGenerator(seed)
    x = (
        keras.random.normal((batch, len(MEAN)), seed=generator)
        * scheduler.init_noise_sigma
    )
    seed_state = generator.state.value
    denoise = gaussian_denoiser(scheduler, MEAN, STD)
    run = backend.compile_function(
        lambda x, seed_state, state, start, stop: run_reverse_process(
            denoise,
            scheduler,
            x,
            seed_state,
            start,
            stop,
            scheduler_state=state,
        )
    )
    n = len(scheduler.timesteps) if stop is None else stop
    bounds = np.linspace(start, n, chunks + 1).round().astype(int)
    state = scheduler.initial_state(x)
    for a, b in zip(bounds[:-1], bounds[1:]):
        x, seed_state, state = run(
            x,
            seed_state,
            state,
            ops.convert_to_tensor(int(a), "int32"),
            ops.convert_to_tensor(int(b), "int32"),
        )
    return ops.convert_to_numpy(x)


@pytest.mark.parametrize(
    "name,cls,kwargs,num_steps", SAMPLERS, ids=[s[0] for s in SAMPLERS]
)
def test_sampler_reproduces_gaussian_data(name, cls, kwargs, num_steps):
    x = sample(make(cls, kwargs, num_steps))
    assert np.all(np.isfinite(x))
    # 16,384 values: the mean of each dimension to ~4 standard errors, the
    # standard deviation to 4 % (0.6 % sampling error, ≤ 1.5 % discretisation).
    np.testing.assert_allclose(
        x.mean(axis=0), MEAN, atol=4 * 0.5 / np.sqrt(len(x))
    )
    z = (x - MEAN) / STD
    assert abs(z.std() - 1.0) < 0.04, z.std()


ALL = [
    S.DDPMScheduler,
    S.DDIMScheduler,
    S.DPMSolverMultistepScheduler,
    S.EulerScheduler,
    S.HeunScheduler,
    S.ScoreSdeScheduler,
]


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
@pytest.mark.parametrize("prediction_type", ["epsilon", "v_prediction"])
def test_zero_terminal_snr_samples_are_finite(cls, prediction_type):
    # ᾱ_T = 0: x̂_0 from ε divides by √ᾱ (floored at 2⁻¹², as diffusers
    # does), σ_max = 4096 for the σ-space samplers.
    scheduler = make(
        cls,
        dict(rescale_betas_zero_snr=True, prediction_type=prediction_type),
        5,
    )
    assert scheduler.alphas_cumprod_np[-1] == 0.0
    denoise = gaussian_denoiser(scheduler, MEAN, STD)
    x = keras.random.normal((8, len(MEAN)), seed=0) * scheduler.init_noise_sigma
    state = scheduler.initial_state(x)
    for i, t in enumerate(scheduler.timesteps):  # eagerly: a few steps
        out = denoise(
            scheduler.scale_model_input(x, i), ops.full((8,), float(t))
        )
        x, state = scheduler.step(
            out, i, x, keras.random.normal((8, len(MEAN)), seed=i), state
        )
    x = ops.convert_to_numpy(x)
    assert np.all(np.isfinite(x)) and np.abs(x).max() < 10


def test_too_few_steps_are_detected():
    # The same check fails for a sampler given too few steps (DDIM-5 shrinks
    # the spread): the tolerance above is not vacuous.
    x = sample(make(S.DDIMScheduler, {}, 5))
    assert ((x - MEAN) / STD).std() < 0.9


@pytest.mark.parametrize(
    "cls,kwargs,num_steps",
    [
        (S.DPMSolverMultistepScheduler, {}, 6),
        (S.HeunScheduler, {}, 4),
        (S.ScoreSdeScheduler, dict(sde="ve"), 4),
        (S.DDPMScheduler, {}, 6),
    ],
)
def test_chunked_calls_equal_one_call(cls, kwargs, num_steps):
    # The scheduler state and the noise stream carry across calls (as for
    # a progress bar): splitting the loop changes nothing.
    scheduler = make(cls, kwargs, num_steps)
    whole = sample(scheduler, batch=4)
    np.testing.assert_allclose(
        sample(scheduler, batch=4, chunks=3), whole, rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize(
    "cls,kwargs",
    [
        (S.HeunScheduler, {}),
        (S.ScoreSdeScheduler, dict(sde="vp")),
        (S.DDIMScheduler, dict(eta=1.0)),
    ],
)
def test_compiled_loop_equals_python_loop(cls, kwargs):
    scheduler = make(cls, kwargs, 4)
    compiled = sample(scheduler, batch=4, seed=1)
    # The same evaluations unrolled: denoiser, then one noise draw each,
    # from the generator's stream (compiled too: TensorFlow's XLA draws
    # other numbers than its eager mode).
    generator = keras.random.SeedGenerator(1)
    x = (
        keras.random.normal((4, len(MEAN)), seed=generator)
        * scheduler.init_noise_sigma
    )
    denoise = gaussian_denoiser(scheduler, MEAN, STD)

    def python_loop(x, seed_state):
        state = scheduler.initial_state(x)
        with keras.StatelessScope(
            state_mapping=[(generator.state, seed_state)]
        ):
            for i, t in enumerate(scheduler.timesteps):
                out = denoise(
                    scheduler.scale_model_input(x, i), ops.full((4,), float(t))
                )
                noise = keras.random.normal(ops.shape(x), seed=generator)
                x, state = scheduler.step(out, i, x, noise, state)
        return x

    unrolled = backend.compile_function(python_loop)(x, generator.state.value)
    np.testing.assert_allclose(
        compiled, ops.convert_to_numpy(unrolled), rtol=1e-4, atol=1e-5
    )


def test_state_is_required_by_multistep_samplers():
    scheduler = S.HeunScheduler()
    scheduler.set_timesteps(3)
    with pytest.raises(ValueError, match="state"):
        scheduler.step(
            ops.zeros((1, 2)), 0, ops.zeros((1, 2)), ops.zeros((1, 2))
        )
