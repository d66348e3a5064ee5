import keras
import numpy as np
import pytest
from keras import ops

from keras_gen import datasets
from keras_gen.losses import ADVERSARIAL_LOSSES
from keras_gen.models import GAN
from keras_gen.testing import contract


def test_family_contract(tmp_path):
    contract.run_family_contract_test("gan", tmp_path)


CENTERS = np.array(
    [[2.0, 2.0], [-2.0, 2.0], [-2.0, -2.0], [2.0, -2.0]], dtype="float32"
)


def labelled_clusters(n=1024, seed=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 4, size=n).astype("int32")
    return (CENTERS[y] + 0.1 * rng.randn(n, 2)).astype("float32"), y


def numpy_vars(variables):
    return [ops.convert_to_numpy(v).copy() for v in variables]


def small_gan(**kwargs):
    kwargs.setdefault("data_shape", (2,))
    kwargs.setdefault("latent_dim", 4)
    kwargs.setdefault("seed", 0)
    return GAN(**kwargs)


def test_both_optimizers_advance():
    x, _ = labelled_clusters(256)
    gan = small_gan(d_steps=2)
    gan.compile()
    gan.fit(x, batch_size=64, epochs=1, verbose=0)
    assert int(gan.get_optimizer("discriminator").iterations) == 8
    assert int(gan.get_optimizer("generator").iterations) == 4


@pytest.mark.parametrize("frozen", ["discriminator", "generator"])
def test_each_phase_moves_only_its_network(frozen):
    x, _ = labelled_clusters(256)
    gan = small_gan()
    optimizers = {
        "discriminator_optimizer": keras.optimizers.SGD(0.05),
        "generator_optimizer": keras.optimizers.SGD(0.05),
    }
    optimizers[
        "discriminator_optimizer"
        if frozen == "discriminator"
        else "generator_optimizer"
    ] = keras.optimizers.SGD(0.0)
    gan.compile(**optimizers)
    still = getattr(gan, frozen)
    moving = gan.generator if frozen == "discriminator" else gan.discriminator
    before_still, before_moving = (
        numpy_vars(still.trainable_variables),
        numpy_vars(moving.trainable_variables),
    )
    gan.fit(x, batch_size=64, epochs=1, verbose=0)
    for b, v in zip(before_still, still.trainable_variables):
        np.testing.assert_array_equal(ops.convert_to_numpy(v), b)
    assert (
        max(
            np.abs(ops.convert_to_numpy(v) - b).max()
            for b, v in zip(before_moving, moving.trainable_variables)
        )
        > 1e-5
    )


def test_samples_move_towards_the_data():
    x = (np.random.RandomState(0).randn(2048, 2) * 0.1 + [1.5, -1.0]).astype(
        "float32"
    )
    gan = small_gan()
    gan.compile(
        discriminator_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
        generator_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
    )
    before = np.linalg.norm(
        gan.generate(512, seed=0).mean(axis=0) - x.mean(axis=0)
    )
    gan.fit(x, batch_size=128, epochs=8, verbose=0)
    after = np.linalg.norm(
        gan.generate(512, seed=0).mean(axis=0) - x.mean(axis=0)
    )
    assert after < 0.5 * before and after < 0.4


@pytest.mark.parametrize("loss", ADVERSARIAL_LOSSES)
def test_every_loss_trains(loss):
    x, _ = labelled_clusters(256)
    gan = small_gan(loss=loss)
    gan.compile()
    history = gan.fit(x, batch_size=64, epochs=1, verbose=0)
    assert (
        np.isfinite(history.history["d_loss"]).all()
        and np.isfinite(history.history["g_loss"]).all()
    )


def test_conditional_generation_returns_the_requested_classes():
    x, y = labelled_clusters(2048)
    gan = small_gan(num_classes=4, conditioning="projection", latent_dim=2)
    gan.compile(
        discriminator_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
        generator_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
    )
    gan.fit(x, y, batch_size=128, epochs=12, verbose=0)
    for label in range(4):
        samples = gan.generate(200, seed=label, labels=label)
        nearest = np.argmin(
            ((samples[:, None] - CENTERS[None]) ** 2).sum(-1), axis=1
        )
        assert np.mean(nearest == label) > 0.8, label


def test_dcgan_with_every_option_saves_loads_and_resumes(tmp_path):
    x = datasets.load_digits("train")[:256] * 2 - 1
    y = datasets.load_digits("train", with_labels=True)[1][:256]
    gan = GAN(
        data_shape=(8, 8, 1),
        latent_dim=8,
        num_classes=10,
        conditioning="concat",
        spectral_norm=True,
        minibatch_stddev=True,
        ema_decay=0.9,
        feature_matching_weight=0.1,
        label_smoothing=0.1,
        seed=1,
    )
    gan.compile()
    gan.fit(x, y, batch_size=64, epochs=1, verbose=0, shuffle=False)
    path = str(tmp_path / "gan.keras")
    gan.save(path)
    restored = keras.models.load_model(path)
    np.testing.assert_allclose(
        restored.generate(4, seed=0, labels=3),
        gan.generate(4, seed=0, labels=3),
        atol=1e-6,
    )
    gan.fit(x, y, batch_size=64, epochs=1, verbose=0, shuffle=False)
    restored.fit(x, y, batch_size=64, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(gan.get_weights(), restored.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)
    # The EMA generator lags behind the trained one.
    assert not np.allclose(
        gan.generate(4, seed=0, labels=3),
        gan.generate(4, seed=0, labels=3, use_ema=False),
    )


def test_calling_the_model_on_latent_codes_decodes_them():
    gan = small_gan(
        num_classes=3,
        data_shape=(8, 8, 1),
        value_range=(0.0, 1.0),
        ema_decay=0.9,
    )
    z = gan.sample_latents(4, seed=0)
    labels = np.array([0, 1, 2, 0], "int32")
    expected = gan.decode(z, labels=labels)
    np.testing.assert_allclose(
        ops.convert_to_numpy(gan([z, labels])), expected, atol=1e-6
    )
    np.testing.assert_allclose(
        gan.predict([z, labels], verbose=0), expected, atol=1e-6
    )
    assert expected.min() >= 0.0 and expected.max() <= 1.0


def test_keras_io_networks_that_break_the_contract_are_named():
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    sigmoid = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")]
    )
    with pytest.raises(
        ValueError,
        match=r"`discriminator` ends in a sigmoid.*one logit per sample",
    ):
        GAN(generator=generator, discriminator=sigmoid, latent_dim=4)
    wrong = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(
        ValueError,
        match=r"`generator` must return one sample of shape \(2,\).*\(2, 3\)",
    ):
        GAN(generator=wrong, discriminator=critic, latent_dim=4)
    with pytest.raises(
        ValueError,
        match=r"`generator` must map latent codes `z` of shape \(batch, 5\)",
    ):
        GAN(generator=generator, discriminator=critic, latent_dim=5)
    images = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(64),
            keras.layers.Reshape((8, 8, 1)),
            keras.layers.Activation("sigmoid"),
        ]
    )
    image_critic = keras.Sequential(
        [keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(1)]
    )
    with pytest.raises(
        ValueError, match=r"`generator` ends in a sigmoid.*end in tanh"
    ):
        GAN(generator=images, discriminator=image_critic, latent_dim=4)


def test_conditional_errors_name_the_labels():
    x, y = labelled_clusters(64)
    gan = small_gan(num_classes=4)
    gan.compile()
    with pytest.raises(
        ValueError, match=r"conditional \(num_classes=4\).*Received: y=None"
    ):
        gan.fit(x, verbose=0)
    with pytest.raises(ValueError, match=r"values \[4, 7\]"):
        gan.fit(x, np.where(y == 0, 7, np.where(y == 1, 4, y)), verbose=0)
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        gan.generate(3, labels=[5])
    with pytest.raises(ValueError, match="not conditional"):
        small_gan().generate(3, labels=[1])


def test_missing_labels_in_a_stream_are_named():
    tf = pytest.importorskip("tensorflow")
    x, _ = labelled_clusters(64)
    gan = small_gan(num_classes=4)
    gan.compile()
    with pytest.raises(
        ValueError, match="fit\\(x, labels\\).*Received: y=None"
    ):
        gan.fit(tf.data.Dataset.from_tensor_slices(x).batch(16), verbose=0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(data_shape=(6, 6, 1)), r"data_shape=\(6, 6, 1\)"),
        (dict(data_shape=None), "data_shape=None"),
        (dict(loss="vanilla"), "loss='vanilla'"),
        (dict(d_steps=0), "d_steps=0"),
        (dict(label_smoothing=0.9), "label_smoothing=0.9"),
        (dict(conditioning="film"), "conditioning='film'"),
        (dict(ema_decay=1.5), "ema_decay=1.5"),
        (dict(num_classes=0), "num_classes=0"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        small_gan(**kwargs)


def test_feature_matching_needs_a_features_layer():
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    discriminator = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(1)], name="plain"
    )
    with pytest.raises(ValueError, match="'features'"):
        GAN(
            generator=generator,
            discriminator=discriminator,
            latent_dim=4,
            feature_matching_weight=1.0,
        )


def test_a_failed_fit_keeps_the_weights():
    """A batch rejected inside the training step (here: labels missing from
    a stream) must not leave the model without its weights (JAX empties the
    variables during `fit`)."""
    tf = pytest.importorskip("tensorflow")
    x, y = labelled_clusters(64)
    gan = small_gan(num_classes=4)
    gan.compile()
    before = gan.generate(4, seed=0, labels=1)
    with pytest.raises(ValueError, match="y=None"):
        gan.fit(tf.data.Dataset.from_tensor_slices(x).batch(16), verbose=0)
    np.testing.assert_allclose(gan.generate(4, seed=0, labels=1), before)
    gan.fit(x, y, batch_size=16, epochs=1, verbose=0)  # and it still trains
