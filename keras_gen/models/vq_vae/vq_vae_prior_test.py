import os

import keras
import numpy as np
from keras import layers

from keras_gen.models import VQVAE, VQVAEPrior
from keras_gen.models.vq_vae import GatedPixelCNN
from keras_gen.testing import contract

EMBEDDING_DIM = 2


def _fixed_vqvae():
    """A VQ-VAE on 4x4 images whose codes are known: every position of an
    all-0 image gets code 2, of an all-1 image code 5 (pointwise encoder,
    the image mapped to [-1, 1], the codebook set by hand)."""
    encoder = keras.Sequential(
        [
            keras.Input((4, 4, 1)),
            layers.AveragePooling2D(2),
            layers.Conv2D(EMBEDDING_DIM, 1),
        ],
        name="encoder",
    )
    decoder = keras.Sequential(
        [
            keras.Input((2, 2, EMBEDDING_DIM)),
            layers.UpSampling2D(2),
            layers.Conv2D(1, 1),
        ],
        name="decoder",
    )
    vqvae = VQVAE(
        encoder, decoder, num_embeddings=8, embedding_dim=EMBEDDING_DIM, seed=0
    )
    encoder.layers[-1].set_weights(
        [
            np.ones((1, 1, 1, EMBEDDING_DIM), "float32"),
            np.zeros(EMBEDDING_DIM, "float32"),
        ]
    )
    codebook = np.full((8, EMBEDDING_DIM), 10.0, "float32")
    codebook[2], codebook[5] = -1.0, 1.0
    vqvae.quantizer.codebook.assign(codebook)
    return vqvae


def _two_class_data(n=32):
    y = (np.arange(n) % 2).astype("int32")
    x = np.broadcast_to(y[:, None, None, None], (n, 4, 4, 1)).astype("float32")
    return x, y


def test_family_contract(tmp_path):
    contract.run_family_contract_test("vq_vae_prior", tmp_path)


def test_the_pixelcnn_is_causal_in_raster_order():
    network = GatedPixelCNN(
        (3, 4), num_embeddings=5, hidden_dim=4, num_layers=2
    )
    grid = np.random.RandomState(0).randint(0, 5, (1, 3, 4)).astype("int32")
    before = keras.ops.convert_to_numpy(network(grid))
    changed = grid.copy()
    changed[0, 1, 1] = (grid[0, 1, 1] + 1) % 5
    after = keras.ops.convert_to_numpy(network(changed))
    differs = np.abs(after - before).max(axis=-1)[0] > 1e-7
    order = np.arange(12).reshape(3, 4)
    # Logits at (1, 1) and before it do not see the change; some after do.
    assert not differs[order <= order[1, 1]].any(), differs
    assert differs[order > order[1, 1]].any(), differs


def test_prior_learns_where_the_codes_are():
    vqvae = _fixed_vqvae()
    x, y = _two_class_data()
    codes = vqvae.encode(x)
    assert (codes[y == 0] == 2).all() and (codes[y == 1] == 5).all()
    prior = VQVAEPrior(vqvae, num_classes=2, hidden_dim=8, num_layers=1, seed=0)
    prior.compile(optimizer=keras.optimizers.Adam(0.05))
    history = prior.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert history.history["nll"][-1] < 0.5 * history.history["nll"][0]
    for label, code in ((0, 2), (1, 5)):
        sampled = prior.sample_indices(16, seed=0, labels=label)
        assert sampled.shape == (16, 2, 2) and sampled.dtype == np.int32
        assert (sampled == code).mean() > 0.8, np.bincount(
            sampled.ravel(), minlength=8
        )
    samples = prior.generate(4, seed=0, labels=[0, 1, 0, 1])
    assert (
        samples.shape == (4, 4, 4, 1)
        and samples.min() >= 0.0
        and samples.max() <= 1.0
    )
    # The VQ-VAE is frozen: fitting the prior leaves it as it was.
    assert not vqvae.trainable
    np.testing.assert_array_equal(vqvae.encode(x), codes)
    # Its log-likelihood prefers each class's own code.
    right = prior.log_prob(x, labels=y)
    wrong = prior.log_prob(x, labels=1 - y)
    assert (right > wrong).all()


def test_save_and_load_round_trip(tmp_path):
    vqvae = _fixed_vqvae()
    x, y = _two_class_data(16)
    prior = VQVAEPrior(vqvae, num_classes=2, hidden_dim=4, num_layers=1, seed=0)
    prior.compile(optimizer=keras.optimizers.Adam(0.05))
    prior.fit(x, y, epochs=2, batch_size=8, verbose=0)
    path = os.path.join(str(tmp_path), "prior.keras")
    prior.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, VQVAEPrior) and loaded.num_classes == 2
    np.testing.assert_allclose(
        loaded.log_prob(x, labels=y), prior.log_prob(x, labels=y), atol=1e-5
    )
    np.testing.assert_array_equal(
        loaded.sample_indices(6, seed=3, labels=1),
        prior.sample_indices(6, seed=3, labels=1),
    )
    np.testing.assert_array_equal(loaded.vqvae.encode(x), vqvae.encode(x))


def test_bad_arguments_are_named():
    for kwargs, text in (
        (dict(vqvae=None), "VQVAE"),
        (dict(hidden_dim=0), "hidden_dim"),
    ):
        try:
            VQVAEPrior(**{"vqvae": _fixed_vqvae(), **kwargs})
        except ValueError as e:
            assert text in str(e), str(e)
        else:
            raise AssertionError(f"no error for {kwargs}")
