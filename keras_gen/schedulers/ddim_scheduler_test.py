"""DDIM under classifier-free guidance: the step must stay consistent with
the clipped x̂_0 (the bug behind DDIM's falling class accuracy at high
guidance scales, benchmarks/guidance_results.md)."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_gen import backend
from keras_gen.schedulers import DDIMScheduler
from keras_gen.schedulers.sampling import run_reverse_process
from keras_gen.testing.gaussian_denoiser import mixture_denoiser


def np_(x):
    return ops.convert_to_numpy(x).astype("float64")


def guided_output(rng, scale, shape=(3, 4, 4, 1)):
    """An extrapolated classifier-free-guidance output ε_∅ + s (ε_c − ε_∅)."""
    eps_c, eps_null = rng.normal(size=shape), rng.normal(size=shape)
    return eps_null + scale * (eps_c - eps_null)


def implied_x0(x_t, x_prev, a_t, a_prev, sigma=0.0, z=0.0):
    """The x̂_0 that a step x_t -> x_prev implies: x_prev − σz =
    √ᾱ' x̂_0 + √(1 − ᾱ' − σ²) (x_t − √ᾱ x̂_0) / √(1 − ᾱ), solved for x̂_0.
    Also returns the tolerance: float32 rounding of x_prev (~1e-6) divided
    by the coefficient of x̂_0."""
    c = np.sqrt(1 - a_prev - sigma**2) / np.sqrt(1 - a_t)
    k = np.sqrt(a_prev) - c * np.sqrt(a_t)
    return (x_prev - sigma * z - c * x_t) / k, 1e-5 / k


@pytest.mark.parametrize("prediction_type", ["epsilon", "v_prediction"])
@pytest.mark.parametrize("eta", [0.0, 0.5])
def test_guided_step_implies_the_clipped_x0(prediction_type, eta):
    scheduler = DDIMScheduler(prediction_type=prediction_type, eta=eta)
    scheduler.set_timesteps(50)
    abar = scheduler.alphas_cumprod_np
    rng = np.random.default_rng(0)
    for t in (980, 500, 100):
        x_t = rng.normal(size=(3, 4, 4, 1))
        out = guided_output(rng, 4.0)
        if prediction_type == "v_prediction":
            out = 0.2 * out  # v of unit-scale data
        z = rng.normal(size=x_t.shape)
        x_prev = np_(
            scheduler.step(
                *(ops.convert_to_tensor(a, "float32") for a in (out,)),
                t,
                ops.convert_to_tensor(x_t, "float32"),
                ops.convert_to_tensor(z, "float32"),
            )
        )
        x0, _ = scheduler.split_prediction(
            ops.convert_to_tensor(out, "float32"),
            t,
            ops.convert_to_tensor(x_t, "float32"),
        )
        x0 = np_(x0)
        assert np.mean(np.abs(x0) > 1) > 0.1  # the guided prediction overshoots
        a_t, a_prev = abar[t], abar[t - 20]
        sigma = eta * np.sqrt((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev))
        got, tolerance = implied_x0(x_t, x_prev, a_t, a_prev, sigma, z)
        np.testing.assert_allclose(got, np.clip(x0, -1, 1), atol=tolerance)


def test_keeping_the_model_eps_leaves_the_clipped_range():
    # diffusers' default (use_clipped_model_output=False): the step implies
    # an x̂_0 far outside [-1, 1], the cause of the guidance failure.
    scheduler = DDIMScheduler(use_clipped_model_output=False)
    scheduler.set_timesteps(50)
    abar = scheduler.alphas_cumprod_np
    rng = np.random.default_rng(1)
    x_t, out = rng.normal(size=(3, 16)), guided_output(rng, 4.0, (3, 16))
    t = 980
    x_prev = np_(
        scheduler.step(
            ops.convert_to_tensor(out, "float32"),
            t,
            ops.convert_to_tensor(x_t, "float32"),
            ops.zeros((3, 16)),
        )
    )
    assert np.abs(implied_x0(x_t, x_prev, abar[t], abar[t - 20])[0]).max() > 10


def test_thresholded_step_implies_the_thresholded_x0():
    scheduler = DDIMScheduler(
        thresholding=True, dynamic_thresholding_ratio=0.9, sample_max_value=4.0
    )
    scheduler.set_timesteps(50)
    abar = scheduler.alphas_cumprod_np
    rng = np.random.default_rng(2)
    x_t, out = (
        rng.normal(size=(2, 5, 5, 1)),
        guided_output(rng, 3.0, (2, 5, 5, 1)),
    )
    t = 300
    x_prev = np_(
        scheduler.step(
            ops.convert_to_tensor(out, "float32"),
            t,
            ops.convert_to_tensor(x_t, "float32"),
            ops.zeros((2, 5, 5, 1)),
        )
    )
    x0 = (x_t - np.sqrt(1 - abar[t]) * out) / np.sqrt(abar[t])
    # Saharia et al., section 2.3, per sample.
    s = np.clip(np.quantile(np.abs(x0).reshape(2, -1), 0.9, axis=1), 1.0, 4.0)[
        :, None, None, None
    ]
    want = np.clip(x0, -s, s) / s
    got, tolerance = implied_x0(x_t, x_prev, abar[t], abar[t - 20])
    np.testing.assert_allclose(got, want, atol=tolerance)


def guided_mixture_accuracy(scale, use_clipped_model_output, num_steps=20):
    """DDIM on an exact two-class denoiser (class means ±0.6, std 0.3, 16
    dimensions) with guidance: the share of samples on their class's side."""
    means = np.stack([np.full(16, 0.6), np.full(16, -0.6)])
    labels = np.arange(64) % 2
    scheduler = DDIMScheduler(use_clipped_model_output=use_clipped_model_output)
    scheduler.set_timesteps(num_steps)
    denoise = mixture_denoiser(scheduler, means, 0.3, labels, scale)
    rng = np.random.default_rng(3)
    x = ops.convert_to_tensor(rng.normal(size=(64, 16)), "float32")
    seed = keras.random.SeedGenerator(0).state.value
    run = backend.compile_function(
        lambda x, s: run_reverse_process(denoise, scheduler, x, s, 0, num_steps)
    )
    samples, _, _ = run(x, seed)
    samples = ops.convert_to_numpy(samples)
    assert np.all(np.isfinite(samples))
    return float(np.mean((samples.mean(axis=1) > 0) == (labels == 0)))


def test_guided_ddim_end_to_end_keeps_the_class():
    for scale in (1.0, 8.0):
        assert guided_mixture_accuracy(scale, True) >= 0.95, scale
    # The model's ε after clipping sends guided samples to the wrong class.
    assert guided_mixture_accuracy(8.0, False) < 0.5
