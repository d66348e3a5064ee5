import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

import keras_gen
from keras_gen.models.latent_diffusion import LatentDiffusion
from keras_gen.models.vae.vae import VAE
from keras_gen.schedulers import DDPMScheduler
from keras_gen.testing import contract
from keras_gen.testing.latent_editing import (
    identity_autoencoder,
    inpainting_before_paste,
    latent_edit_distances,
)

X, Y = keras_gen.datasets.load_digits("train", with_labels=True)
X, Y = X[:256], Y[:256]


def test_family_contract(tmp_path):
    contract.run_family_contract_test("latent_diffusion", tmp_path)


@pytest.fixture(scope="module")
def vae():
    """A small VAE, shared: LatentDiffusion freezes it. (Trained a few
    epochs only: its decodings must depend on the latents, and the tests
    stay fast.)"""
    vae = VAE(data_shape=(8, 8, 1), latent_dim=4, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    vae.fit(X, epochs=3, batch_size=64, verbose=0)
    return vae


def tiny_model(autoencoder, **kwargs):
    kwargs.setdefault(
        "scheduler",
        DDPMScheduler(
            num_train_timesteps=50, beta_schedule="cosine", clip_sample=False
        ),
    )
    return LatentDiffusion(
        autoencoder,
        hidden_dim=32,
        num_layers=1,
        ema_decay=0.9,
        seed=1,
        **kwargs,
    )


@pytest.fixture(scope="module")
def trained(vae):
    """A latent DDPM trained one epoch on the latents of the small VAE."""
    model = tiny_model(vae)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    model.fit(X, epochs=1, batch_size=64, verbose=0)
    return model


def snapshot(variables):
    return [np.array(ops.convert_to_numpy(v)) for v in variables]


def test_fit_trains_the_denoiser_only_and_the_loss_falls(vae):
    autoencoder_before = snapshot(vae.weights)
    model = tiny_model(vae)
    denoiser_before = snapshot(model.denoiser.weights)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = model.fit(X, epochs=10, batch_size=64, shuffle=False, verbose=0)
    losses = history.history["loss"]
    assert np.mean(losses[-3:]) < 0.75 * losses[0]
    # The autoencoder (encoder and decoder) is frozen; the denoiser trains.
    for before, after in zip(autoencoder_before, snapshot(vae.weights)):
        np.testing.assert_array_equal(before, after)
    assert not any(
        np.allclose(b, a)
        for b, a in zip(denoiser_before, snapshot(model.denoiser.weights))
        if b.ndim == 2
    )
    # The scale factor is 1/std of the first batch's latents, set once.
    first_batch_mean, _ = vae.encode(X[:64])
    expected = 1.0 / np.std(first_batch_mean)
    np.testing.assert_allclose(
        ops.convert_to_numpy(model.scale_factor), expected, rtol=1e-3
    )
    # The latents the diffusion sees have about unit scale, and decoding
    # them undoes the scaling: the VAE's own reconstruction.
    z = model.encode(X)
    assert z.shape == (len(X), 4) and 0.6 < z.std() < 1.6
    np.testing.assert_allclose(
        model.decode_latents(z[:8]), vae.reconstruct(X[:8]), atol=1e-5
    )


def test_samples_have_the_data_shape_and_reload_identically(trained, tmp_path):
    samples = trained.generate(2, num_steps=4, scheduler="ddim", seed=0)
    assert samples.shape == (2, 8, 8, 1)
    assert samples.min() >= 0.0 and samples.max() <= 1.0  # Bernoulli means
    path = str(tmp_path / "latent_diffusion.keras")
    trained.save(path)
    restored = keras.models.load_model(path)
    assert (
        isinstance(restored.autoencoder, VAE)
        and not restored.autoencoder.trainable
    )
    assert restored.diffusion.scheduler.num_train_timesteps == 50
    np.testing.assert_allclose(
        ops.convert_to_numpy(restored.scale_factor),
        ops.convert_to_numpy(trained.scale_factor),
    )
    np.testing.assert_allclose(
        restored.generate(2, num_steps=4, scheduler="ddim", seed=0),
        samples,
        atol=1e-6,
    )


def test_preset_round_trip(trained, tmp_path):
    directory = str(tmp_path / "preset")
    trained.save_to_preset(directory)
    restored = LatentDiffusion.from_preset(directory)
    assert isinstance(restored, LatentDiffusion)
    np.testing.assert_allclose(
        restored.generate(2, num_steps=4, scheduler="ddim", seed=4),
        trained.generate(2, num_steps=4, scheduler="ddim", seed=4),
        atol=1e-6,
    )


def test_conditional_fit_on_tf_data_and_label_shapes(trained):
    # Trained on posterior samples (μ + σ ε) rather than the means.
    model = tiny_model(
        trained.autoencoder,
        num_classes=10,
        label_dropout=0.2,
        sample_posterior=True,
    )
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    dataset = tf.data.Dataset.from_tensor_slices((X, Y.astype("int32"))).batch(
        64
    )
    history = model.fit(dataset, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][-1])
    history = model.fit(
        X[:128], Y[:128], epochs=1, batch_size=64, verbose=0
    )  # NumPy too
    assert np.isfinite(history.history["loss"][-1])
    assert ops.convert_to_numpy(model.scale_factor) > 0
    one_class = model.generate(
        4, num_steps=4, scheduler="ddim", labels=3, guidance_scale=2.0, seed=0
    )
    per_sample = model.generate(
        4,
        num_steps=4,
        scheduler="ddim",
        labels=[0, 1, 2, 3],
        guidance_scale=2.0,
        seed=0,
    )
    assert one_class.shape == (4, 8, 8, 1) and per_sample.shape == (4, 8, 8, 1)
    with pytest.raises(ValueError, match="labels"):
        model.generate(4, num_steps=4, labels=[0, 1])
    with pytest.raises(ValueError, match="labels"):
        model.generate(2, num_steps=4, labels=[0, 10])
    with pytest.raises(ValueError, match="labels"):
        model.fit(X, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="labels"):
        trained.generate(2, num_steps=4, labels=1)


def test_deterministic_autoencoder_and_a_fixed_scale():
    autoencoder = keras_gen.models.AutoEncoder(
        data_shape=(8, 8, 1), latent_dim=3, seed=0
    )
    model = tiny_model(autoencoder, latent_scale=0.5)
    model.compile(optimizer="adam")
    model.fit(X[:64], epochs=1, batch_size=32, verbose=0)
    assert float(ops.convert_to_numpy(model.scale_factor)) == 0.5
    z = model.encode(X[:4])
    np.testing.assert_allclose(z, 0.5 * autoencoder.encode(X[:4]), atol=1e-5)
    np.testing.assert_allclose(
        model.decode_latents(z), autoencoder.reconstruct(X[:4]), atol=1e-5
    )


def test_bad_arguments_and_data(trained):
    vae = trained.autoencoder
    with pytest.raises(ValueError, match="autoencoder=None"):
        LatentDiffusion()
    with pytest.raises(ValueError, match="lacks encode, decode"):
        LatentDiffusion(vae.encoder)
    with pytest.raises(ValueError, match="latent_scale"):
        tiny_model(vae, latent_scale=-1.0)
    # Latents are unbounded: a scheduler that clips x̂_0 to [-1, 1] would
    # cut them (DDPMScheduler clips by default, for images).
    with pytest.raises(
        ValueError, match=r"clip_sample=True\) with value_range=None"
    ):
        tiny_model(vae, scheduler=DDPMScheduler())
    with pytest.raises(ValueError, match="clip_sample=True"):
        trained.generate(
            2,
            scheduler=keras_gen.schedulers.DDIMScheduler(
                num_train_timesteps=50
            ),
        )
    with pytest.raises(ValueError, match="sample_posterior"):
        tiny_model(
            keras_gen.models.AutoEncoder(data_shape=(8, 8, 1), latent_dim=2),
            sample_posterior=True,
        )
    wrong = keras_gen.models.ddpm.MLPDenoiser((5,), hidden_dim=8, num_layers=1)
    with pytest.raises(ValueError, match="denoiser"):
        LatentDiffusion(vae, denoiser=wrong)
    model = tiny_model(vae)
    model.compile(optimizer="adam")
    with pytest.raises(ValueError, match=r"x\.shape=\(4, 6, 6, 1\)"):
        model.fit(np.zeros((4, 6, 6, 1), "float32"), verbose=0)
    with pytest.raises(ValueError, match="labels"):
        model.fit(X[:8], Y[:8], verbose=0)
    with pytest.raises(ValueError, match="scheduler='no_such_sampler'"):
        model.generate(2, scheduler="no_such_sampler")


def test_image_to_image_edits_in_the_latent_space(trained):
    # A light edit keeps the latents of `x` nearly as they are; strength 1
    # starts from pure noise and forgets them.
    light, full = latent_edit_distances(
        trained, X[:16], (0.05, 1.0), scheduler="ddim", num_steps=20, seed=0
    )
    assert light < 0.5 * full, (light, full)


@pytest.mark.parametrize("scheduler", ["ddim", "ddpm"])
def test_inpaint_steers_every_step_by_the_known_pixels(scheduler):
    # With an autoencoder whose code is the image, the latents the sampler
    # ends at hold the known pixels themselves (not only the pixels copied
    # back afterwards), and the generated pixels depend on them.
    model = tiny_model(identity_autoencoder(), latent_scale=1.0)
    mask = np.zeros((8, 8))
    mask[4:] = 1
    known = ~mask.astype(bool)
    options = dict(scheduler=scheduler, num_steps=5, seed=0)
    raw, filled = inpainting_before_paste(model, X[:4], mask, **options)
    np.testing.assert_allclose(raw[:, known], X[:4, known], atol=1e-4)
    np.testing.assert_array_equal(filled[:, known], X[:4, known])
    other, _ = inpainting_before_paste(model, X[4:8], mask, **options)
    assert np.abs(raw[:, 4:] - other[:, 4:]).mean() > 1e-3
    if scheduler != "ddpm":
        return
    # RePaint's resampling jumps run through the latent sampler too.
    raw, _ = inpainting_before_paste(
        model, X[:4], mask, jump_length=2, jump_n_sample=2, **options
    )
    np.testing.assert_allclose(raw[:, known], X[:4, known], atol=1e-4)
