import keras
import numpy as np
import pytest
from keras import ops

from keras_gen.schedulers import (
    DDPMScheduler,
    make_betas,
    min_snr_loss_weights,
    offset_noise,
    rescale_zero_terminal_snr,
)


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_rescale_zero_terminal_snr(schedule):
    betas = make_betas(schedule, 1000)
    rescaled = rescale_zero_terminal_snr(betas)
    abar, new = np.cumprod(1 - betas), np.cumprod(1 - rescaled)
    assert new[-1] == 0.0  # zero SNR at T, exactly
    np.testing.assert_allclose(new[0], abar[0], rtol=1e-12)  # √ᾱ_1 kept
    assert np.all(np.diff(new) < 0) and np.all((rescaled > 0) & (rescaled <= 1))
    # Lin et al., algorithm 1: √ᾱ is an affine map of the original √ᾱ.
    slope = np.polyfit(np.sqrt(abar), np.sqrt(new), 1)
    np.testing.assert_allclose(
        np.polyval(slope, np.sqrt(abar)), np.sqrt(new), atol=1e-10
    )


def test_scheduler_with_zero_terminal_snr():
    scheduler = DDPMScheduler(rescale_betas_zero_snr=True)
    assert scheduler.alphas_cumprod_np[-1] == 0.0
    x0 = ops.ones((2, 3))
    noise = keras.random.normal((2, 3), seed=0)
    # x_T is pure noise.
    x_T = scheduler.add_noise(x0, noise, ops.convert_to_tensor([999, 999]))
    np.testing.assert_allclose(
        ops.convert_to_numpy(x_T), ops.convert_to_numpy(noise), atol=1e-6
    )
    assert scheduler.sigmas_np[-1] == pytest.approx(
        4096.0, rel=1e-6
    )  # ᾱ floored at 2⁻²⁴


@pytest.mark.parametrize(
    "prediction_type", ["epsilon", "sample", "v_prediction"]
)
def test_min_snr_weights_closed_form(prediction_type):
    snr = np.array([0.0, 1e-3, 0.5, 5.0, 20.0, 1e4])
    gamma = 5.0
    clipped = np.minimum(snr, gamma)
    with np.errstate(divide="ignore", invalid="ignore"):
        want = {
            "epsilon": np.where(snr > 0, clipped / snr, 1.0),
            "sample": clipped,
            "v_prediction": clipped / (snr + 1),
        }[prediction_type]
    got = ops.convert_to_numpy(
        min_snr_loss_weights(
            ops.convert_to_tensor(snr, "float32"), gamma, prediction_type
        )
    )
    np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize(
    "prediction_type", ["epsilon", "sample", "v_prediction"]
)
def test_loss_weights_equal_the_x0_weighting(prediction_type):
    # Hang et al.: every target's weighted loss is min(SNR, γ) ||x̂_0 − x_0||².
    scheduler = DDPMScheduler(prediction_type=prediction_type)
    t = np.array([0, 10, 300, 999])
    weights = ops.convert_to_numpy(
        scheduler.loss_weights(ops.convert_to_tensor(t), gamma=5.0)
    )
    abar = scheduler.alphas_cumprod_np[t]
    snr = abar / (1 - abar)
    # Squared error of each target per unit x_0 error at fixed x_t.
    per_x0 = {
        "epsilon": snr,
        "sample": np.ones_like(snr),
        "v_prediction": snr + 1,
    }[prediction_type]
    np.testing.assert_allclose(
        weights * per_x0, np.minimum(snr, 5.0), rtol=1e-4
    )


def test_min_snr_rejects_bad_gamma():
    with pytest.raises(ValueError, match="gamma"):
        min_snr_loss_weights(ops.ones((2,)), gamma=0.0)
    with pytest.raises(ValueError, match="prediction_type"):
        min_snr_loss_weights(ops.ones((2,)), prediction_type="score")


@pytest.mark.parametrize("channel_axis", [-1, 1])
def test_offset_noise_is_constant_per_sample_and_channel(channel_axis):
    shape = (64, 4, 5, 3) if channel_axis == -1 else (64, 3, 4, 5)
    noise = keras.random.normal(shape, seed=1)
    out = ops.convert_to_numpy(
        offset_noise(
            noise,
            0.5,
            seed=keras.random.SeedGenerator(2),
            channel_axis=channel_axis,
        )
    )
    offset = out - ops.convert_to_numpy(noise)
    axes = (1, 2) if channel_axis == -1 else (2, 3)
    # One value per (sample, channel), broadcast over the pixels ...
    np.testing.assert_allclose(
        offset,
        np.broadcast_to(offset.mean(axis=axes, keepdims=True), shape),
        atol=1e-6,
    )
    # ... drawn from N(0, strength²), independently per sample and channel.
    per = offset.mean(axis=axes)
    assert 0.4 < per.std() < 0.6
    assert np.abs(np.corrcoef(per.T)[0, 1]) < 0.4
    assert offset_noise(noise, 0.0, seed=3).shape == noise.shape


def test_offset_noise_rejects_the_batch_axis():
    with pytest.raises(ValueError, match="channel_axis"):
        offset_noise(ops.zeros((2, 3)), 0.1, seed=0, channel_axis=0)
