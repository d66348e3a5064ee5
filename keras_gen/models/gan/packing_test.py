import os

import keras
import numpy as np
import pytest
from keras import ops

from keras_gen.models import GAN, WGANGP
from keras_gen.models.gan import networks, packing


def test_vectors_are_concatenated_in_row_order():
    x = np.arange(12, dtype="float32").reshape(6, 2)
    packed = ops.convert_to_numpy(
        packing.pack_samples(ops.convert_to_tensor(x), 3)
    )
    np.testing.assert_array_equal(
        packed, [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]
    )


def test_images_are_stacked_along_channels():
    x = np.random.RandomState(0).randn(4, 3, 3, 2).astype("float32")
    packed = ops.convert_to_numpy(
        packing.pack_samples(ops.convert_to_tensor(x), 2)
    )
    assert packed.shape == (2, 3, 3, 4)
    np.testing.assert_array_equal(
        packed[1], np.concatenate([x[2], x[3]], axis=-1)
    )


def test_a_partial_batch_completes_its_last_pack_from_its_start():
    x = np.arange(5, dtype="float32").reshape(5, 1)
    packed = ops.convert_to_numpy(
        packing.pack_samples(ops.convert_to_tensor(x), 2)
    )
    np.testing.assert_array_equal(packed, [[0, 1], [2, 3], [4, 0]])


def test_default_networks_take_packed_inputs():
    model = GAN(data_shape=(2,), latent_dim=4, pack=4)
    assert model.discriminator.input_shape == (None, 8)
    assert model.data_shape == (2,)
    assert model.generate(3, seed=0).shape == (3, 2)
    images = WGANGP(data_shape=(8, 8, 1), latent_dim=4, pack=2)
    assert images.discriminator.input_shape == (None, 8, 8, 2)


def test_packed_gan_trains_and_samples_move_towards_the_data():
    x = (np.random.RandomState(0).randn(1024, 2) * 0.1 + [1.0, -1.0]).astype(
        "float32"
    )
    model = GAN(data_shape=(2,), latent_dim=4, pack=2, seed=0)
    model.compile(
        discriminator_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
        generator_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
    )
    before = np.linalg.norm(model.generate(512, seed=0).mean(0) - x.mean(0))
    # 1,024 rows in batches of 100: the last batch (24 rows) is not a
    # multiple of the pack and must train too.
    history = model.fit(x, batch_size=100, epochs=6, verbose=0)
    after = np.linalg.norm(model.generate(512, seed=0).mean(0) - x.mean(0))
    assert np.all(np.isfinite(history.history["d_loss"]))
    assert after < 0.3 * before


def test_the_penalty_is_taken_per_pack():
    # A linear critic w . x over a pack of 3 two-feature samples has input
    # gradient w (6 values) everywhere, so GP = (||w|| - 1)^2 exactly. A
    # per-sample penalty would see only 2 of the 6 weights.
    w = np.array([0.5, -1.0, 2.0, 0.0, 1.0, 0.5], dtype="float32")
    critic = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(1, use_bias=False)]
    )
    critic.layers[0].kernel.assign(w[:, None])
    generator = networks.GANGenerator(2, (2,), hidden_units=(8,))
    model = WGANGP(generator, critic, latent_dim=2, n_critic=1, pack=3, seed=0)
    model.compile(
        discriminator_optimizer=keras.optimizers.SGD(0.0),
        generator_optimizer=keras.optimizers.SGD(0.0),
    )
    x = np.random.RandomState(0).randn(30, 2).astype("float32")
    history = model.fit(x, batch_size=30, epochs=1, verbose=0)
    expected = 10.0 * (np.linalg.norm(w) - 1.0) ** 2
    assert history.history["gradient_penalty"][0] == pytest.approx(
        expected, rel=1e-4
    )
    assert model.data_shape == (2,)


def test_pack_survives_save_and_load(tmp_path):
    model = WGANGP(data_shape=(2,), latent_dim=4, pack=2, seed=0)
    model.compile()
    model.fit(
        np.random.RandomState(0).randn(64, 2).astype("float32"),
        batch_size=32,
        epochs=1,
        verbose=0,
    )
    path = os.path.join(tmp_path, "wgan.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.pack == 2 and loaded.data_shape == (2,)
    np.testing.assert_allclose(
        loaded.generate(8, seed=1), model.generate(8, seed=1), atol=1e-6
    )


def test_bad_packs_are_refused_with_the_received_value():
    with pytest.raises(ValueError, match="pack"):
        GAN(data_shape=(2,), pack=0)
    with pytest.raises(ValueError, match="num_classes=3"):
        GAN(data_shape=(8, 8, 1), num_classes=3, pack=2)
    critic = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1)])
    generator = networks.GANGenerator(2, (2,), hidden_units=(8,))
    with pytest.raises(ValueError, match=r"input shape \(5,\)"):
        GAN(generator, critic, latent_dim=2, pack=2)
