import keras
import numpy as np
import pytest
from keras import ops

from keras_gen.schedulers import DDIMScheduler, DDPMScheduler, make_betas

T = 1000


def reference(schedule="linear"):
    """The forward process in float64 NumPy, in the paper's 1-based notation
    shifted to 0-based timesteps."""
    if schedule == "linear":
        betas = np.linspace(1e-4, 0.02, T, dtype="float64")
    else:
        s = 0.008
        f = lambda t: np.cos((t / T + s) / (1 + s) * np.pi / 2) ** 2  # noqa: E731
        t = np.arange(T + 1, dtype="float64")
        abar = f(t) / f(0)
        betas = np.clip(1 - abar[1:] / abar[:-1], 0, 0.999)
    alphas = 1.0 - betas
    return betas, alphas, np.cumprod(alphas)


def np_(x):
    return ops.convert_to_numpy(x).astype("float64")


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_alpha_cumprod_matches_reference(schedule):
    betas, _, abar = reference(schedule)
    scheduler = DDPMScheduler(beta_schedule=schedule)
    np.testing.assert_allclose(make_betas(schedule, T), betas, rtol=1e-12)
    t = np.array([0, 1, 10, 500, 999], "int32")
    np.testing.assert_allclose(
        np_(scheduler.alpha_cumprod_at(t)), abar[t], rtol=1e-5
    )
    # Before the first step, ᾱ is 1 (the clean data).
    assert (
        float(np_(scheduler.alpha_cumprod_at(np.array([-1], "int32")))[0])
        == 1.0
    )


def test_posterior_variance_and_mean_coefficients_eq7():
    betas, alphas, abar = reference()
    scheduler = DDPMScheduler()
    for t in [1, 2, 100, 999]:
        coef_x0, coef_xt, variance = (
            np_(c) for c in scheduler.step_coefficients(t)
        )
        # β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) β_t and eq. 7's coefficients.
        np.testing.assert_allclose(
            variance, (1 - abar[t - 1]) / (1 - abar[t]) * betas[t], rtol=1e-4
        )
        np.testing.assert_allclose(
            coef_x0, np.sqrt(abar[t - 1]) * betas[t] / (1 - abar[t]), rtol=1e-4
        )
        np.testing.assert_allclose(
            coef_xt,
            np.sqrt(alphas[t]) * (1 - abar[t - 1]) / (1 - abar[t]),
            rtol=1e-4,
        )
    large = DDPMScheduler(variance_type="fixed_large")
    np.testing.assert_allclose(
        np_(large.step_coefficients(500)[2]), betas[500], rtol=1e-4
    )


def test_epsilon_step_equals_eq11():
    betas, alphas, abar = reference()
    scheduler = DDPMScheduler(clip_sample=False)
    rng = np.random.default_rng(0)
    x, eps, z = (rng.normal(size=(3, 4)) for _ in range(3))
    for t in [1, 50, 999]:
        got = np_(
            scheduler.step(
                *(ops.convert_to_tensor(a, "float32") for a in (eps,)),
                t,
                ops.convert_to_tensor(x, "float32"),
                ops.convert_to_tensor(z, "float32"),
            )
        )
        sigma = np.sqrt((1 - abar[t - 1]) / (1 - abar[t]) * betas[t])
        # x_{t−1} = 1/√α_t (x_t − β_t/√(1 − ᾱ_t) ε) + σ_t z  (Ho et al., eq. 11)
        want = (x - betas[t] / np.sqrt(1 - abar[t]) * eps) / np.sqrt(
            alphas[t]
        ) + sigma * z
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    # The last step adds no noise.
    last = np_(
        scheduler.step(
            ops.convert_to_tensor(eps, "float32"),
            0,
            ops.convert_to_tensor(x, "float32"),
            ops.convert_to_tensor(z, "float32"),
        )
    )
    np.testing.assert_allclose(
        last,
        (x - np.sqrt(1 - abar[0]) * eps) / np.sqrt(abar[0]),
        rtol=1e-4,
        atol=1e-4,
    )


@pytest.mark.parametrize("eta", [0.0, 0.5, 1.0])
def test_ddim_step_equals_eq12(eta):
    _, _, abar = reference()
    scheduler = DDIMScheduler(clip_sample=False)
    scheduler.set_timesteps(50)  # 20 training steps between visited timesteps
    rng = np.random.default_rng(1)
    x, eps, z = (rng.normal(size=(2, 5)) for _ in range(3))
    t, prev = 980, 960
    got = np_(
        scheduler.step(
            ops.convert_to_tensor(eps, "float32"),
            t,
            ops.convert_to_tensor(x, "float32"),
            ops.convert_to_tensor(z, "float32"),
            eta=eta,
        )
    )
    x0 = (x - np.sqrt(1 - abar[t]) * eps) / np.sqrt(abar[t])
    sigma = eta * np.sqrt(
        (1 - abar[prev]) / (1 - abar[t]) * (1 - abar[t] / abar[prev])
    )
    want = (
        np.sqrt(abar[prev]) * x0
        + np.sqrt(1 - abar[prev] - sigma**2) * eps
        + sigma * z
    )
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "prediction_type", ["epsilon", "sample", "v_prediction"]
)
def test_prediction_types_round_trip(prediction_type):
    scheduler = DDPMScheduler(prediction_type=prediction_type)
    rng = np.random.default_rng(2)
    x0 = ops.convert_to_tensor(rng.normal(size=(4, 3)), "float32")
    noise = ops.convert_to_tensor(rng.normal(size=(4, 3)), "float32")
    t = ops.convert_to_tensor([0, 10, 500, 999], "int32")
    x_t = scheduler.add_noise(x0, noise, t)
    target = scheduler.training_target(x0, noise, t)
    # A perfect denoiser's output gives back the clean sample and the noise.
    got_x0, got_eps = scheduler.split_prediction(target, t, x_t)
    np.testing.assert_allclose(np_(got_x0), np_(x0), atol=2e-3)
    np.testing.assert_allclose(np_(got_eps), np_(noise), atol=2e-3)
    np.testing.assert_allclose(
        np_(scheduler.output_from_epsilon(noise, t, x_t)),
        np_(target),
        atol=2e-3,
    )


def dummy_denoiser(x, t):
    return 0.1 * x + ops.sin(ops.cast(t, "float32") / 100.0)


def sampling_loop_sum(scheduler, num_steps, backend_ops=True):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3)).astype("float32")
    noises = rng.normal(size=(num_steps, 2, 3)).astype("float32")
    x = ops.convert_to_tensor(x)
    for i, t in enumerate(scheduler.set_timesteps(num_steps)):
        x = scheduler.step(
            dummy_denoiser(x, t), int(t), x, ops.convert_to_tensor(noises[i])
        )
    return float(np.sum(np_(x)))


def reference_loop_sum(num_steps, ddim, rederive=True):
    """The same loop in float64 NumPy (DDIM re-derives ε from the clipped x̂_0
    unless `rederive=False`, diffusers' default)."""
    betas, _, abar = reference()
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3)).astype("float32").astype("float64")
    noises = (
        rng.normal(size=(num_steps, 2, 3)).astype("float32").astype("float64")
    )
    ratio = T // num_steps
    for i, t in enumerate(np.arange(num_steps)[::-1] * ratio):
        eps = 0.1 * x + np.sin(t / 100.0)
        a_t, a_prev = abar[t], (abar[t - ratio] if t - ratio >= 0 else 1.0)
        x0 = np.clip((x - np.sqrt(1 - a_t) * eps) / np.sqrt(a_t), -1, 1)
        if ddim:
            if rederive:
                eps = (x - np.sqrt(a_t) * x0) / np.sqrt(1 - a_t)
            x = np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * eps
        else:
            beta = 1 - a_t / a_prev
            mean = (
                np.sqrt(a_prev) * beta / (1 - a_t) * x0
                + np.sqrt(1 - beta) * (1 - a_prev) / (1 - a_t) * x
            )
            var = (1 - a_prev) / (1 - a_t) * beta
            x = mean + (t - ratio >= 0) * np.sqrt(var) * noises[i]
    return float(np.sum(x))


# Golden sums of the loops above (float64 NumPy); every backend must agree.
GOLDEN = {
    ("ddpm", 1000): reference_loop_sum(1000, False),
    ("ddim", 50): reference_loop_sum(50, True),
    ("ddim-keep-eps", 50): reference_loop_sum(50, True, rederive=False),
}


@pytest.mark.parametrize(
    "sampler,num_steps", [("ddpm", 1000), ("ddim", 50), ("ddim-keep-eps", 50)]
)
def test_full_sampling_loop_golden_sum(sampler, num_steps):
    if sampler == "ddpm":
        scheduler = DDPMScheduler()
    else:
        scheduler = DDIMScheduler(use_clipped_model_output=sampler == "ddim")
    got = sampling_loop_sum(scheduler, num_steps)
    golden = GOLDEN[(sampler, num_steps)]
    assert abs(got - golden) < 1e-3 * max(1.0, abs(golden))


def test_serialization_round_trip():
    scheduler = DDIMScheduler(
        beta_schedule="cosine",
        num_train_timesteps=100,
        eta=0.3,
        prediction_type="v_prediction",
    )
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(scheduler)
    )
    assert isinstance(restored, DDIMScheduler)
    assert restored.get_config() == scheduler.get_config()


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(beta_schedule="quadratic"), "beta_schedule"),
        (dict(prediction_type="score"), "prediction_type"),
        (dict(num_train_timesteps=0), "num_train_timesteps"),
        (dict(beta_start=0.1, beta_end=0.01), "beta_start"),
        (dict(variance_type="learned"), "variance_type"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DDPMScheduler(**kwargs)


def test_too_many_inference_steps():
    with pytest.raises(ValueError, match="num_inference_steps"):
        DDIMScheduler(num_train_timesteps=10).set_timesteps(11)
