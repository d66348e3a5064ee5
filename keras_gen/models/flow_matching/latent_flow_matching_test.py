import keras
import numpy as np
import pytest
from keras import ops

import keras_gen
from keras_gen.models.flow_matching import LatentFlowMatching
from keras_gen.models.vae.vae import VAE
from keras_gen.testing import contract
from keras_gen.testing.latent_editing import (
    identity_autoencoder,
    inpainting_before_paste,
    latent_edit_distances,
)

X, Y = keras_gen.datasets.load_digits("train", with_labels=True)
X, Y = X[:256], Y[:256]


def test_family_contract(tmp_path):
    contract.run_family_contract_test("latent_flow_matching", tmp_path)


def snapshot(variables):
    return [np.array(ops.convert_to_numpy(v)) for v in variables]


@pytest.fixture(scope="module")
def trained():
    """A conditional latent flow trained on the latents of a small VAE
    (both trained a few epochs only: the decodings must depend on the
    latents, and the tests stay fast)."""
    vae = VAE(data_shape=(8, 8, 1), latent_dim=4, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    vae.fit(X, epochs=3, batch_size=64, verbose=0)
    autoencoder_before = snapshot(vae.weights)
    model = LatentFlowMatching(
        vae,
        num_classes=10,
        hidden_dim=32,
        num_layers=1,
        ema_decay=0.9,
        coupling="ot",
        seed=1,
    )
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = model.fit(X, Y, epochs=8, batch_size=64, verbose=0)
    return model, autoencoder_before, history.history["loss"]


def test_fit_trains_the_flow_only_and_the_loss_falls(trained):
    model, autoencoder_before, losses = trained
    assert np.mean(losses[-3:]) < 0.8 * losses[0]
    # The autoencoder is frozen; the scale factor was estimated once.
    for before, after in zip(
        autoencoder_before, snapshot(model.autoencoder.weights)
    ):
        np.testing.assert_array_equal(before, after)
    z = model.encode(X)
    assert z.shape == (len(X), 4) and 0.6 < z.std() < 1.6
    np.testing.assert_allclose(
        model.decode_latents(z[:8]),
        model.autoencoder.reconstruct(X[:8]),
        atol=1e-5,
    )


def test_guided_samples_reload_identically(trained, tmp_path):
    model, _, _ = trained
    samples = model.generate(
        4,
        labels=[0, 1, 2, 3],
        solver="heun",
        num_steps=4,
        guidance_scale=2.0,
        seed=0,
    )
    assert samples.shape == (4, 8, 8, 1)
    assert samples.min() >= 0.0 and samples.max() <= 1.0
    path = str(tmp_path / "latent_flow.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert restored.flow.coupling == "ot" and not restored.autoencoder.trainable
    np.testing.assert_allclose(
        restored.generate(
            4,
            labels=[0, 1, 2, 3],
            solver="heun",
            num_steps=4,
            guidance_scale=2.0,
            seed=0,
        ),
        samples,
        atol=1e-5,
    )


def test_image_to_image_edits_in_the_latent_space(trained):
    model, _, _ = trained
    # A light edit keeps the latents of `x` nearly as they are; strength 1
    # starts from pure noise and forgets them.
    light, full = latent_edit_distances(
        model, X[:16], (0.05, 1.0), labels=Y[:16], num_steps=20, seed=0
    )
    assert light < 0.5 * full, (light, full)


def test_bad_arguments_are_named(trained):
    model, _, _ = trained
    with pytest.raises(ValueError, match="coupling='sinkhorn'"):
        LatentFlowMatching(model.autoencoder, coupling="sinkhorn")
    with pytest.raises(ValueError, match="autoencoder=None"):
        LatentFlowMatching()
    with pytest.raises(ValueError, match="solver='rk45'"):
        model.generate(2, labels=0, solver="rk45")
    with pytest.raises(ValueError, match="strength"):
        model.image_to_image(X[:2], 1.5, labels=0)


def test_inpaint_steers_every_step_by_the_known_pixels():
    # With an autoencoder whose code is the image, the latents the last
    # Euler step lands on hold the known pixels themselves (not only the
    # pixels copied back afterwards), and the generated pixels depend on
    # them.
    model = LatentFlowMatching(
        identity_autoencoder(),
        hidden_dim=16,
        num_layers=1,
        latent_scale=1.0,
        seed=1,
    )
    mask = np.zeros((8, 8))
    mask[:, 4:] = 1
    known = ~mask.astype(bool)
    options = dict(solver="euler", num_steps=4, seed=0)
    raw, filled = inpainting_before_paste(model, X[:4], mask, **options)
    np.testing.assert_allclose(raw[:, known], X[:4, known], atol=1e-4)
    np.testing.assert_array_equal(filled[:, known], X[:4, known])
    other, _ = inpainting_before_paste(model, X[4:8], mask, **options)
    assert np.abs(raw[:, :, 4:] - other[:, :, 4:]).mean() > 1e-3
    with pytest.raises(ValueError, match="mask"):
        model.inpaint(X[:2], np.full((8, 8), 0.5))
