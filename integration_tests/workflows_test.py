"""Real workflows, as a Keras user runs them (1, 2, 3 and 6 of issue 10;
4 is `cross_backend_test.py`, 5 is `resume_after_kill_test.py`)."""

import csv
import os

import keras
import numpy as np
import pytest

from keras_gen import datasets, models

# -- 1. An existing Keras project: tf.data, augmentation layers, callbacks -------


def test_tf_data_with_augmentation_into_vae_fit_with_the_usual_callbacks(
    tmp_path,
):
    tf = pytest.importorskip("tensorflow")
    x_train = datasets.load_digits("train")[:192]
    x_val = datasets.load_digits("val")[:64]
    # Keras' augmentation layers run inside tf.data on every backend (called
    # one by one: a `Sequential` of them would run on the model's backend).
    augment = [
        keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=0),
        keras.layers.RandomContrast(0.1, seed=0),
    ]

    def prepare(x):
        for layer in augment:
            x = layer(x, training=True)
        return tf.clip_by_value(x, 0.0, 1.0)

    train = (
        tf.data.Dataset.from_tensor_slices(x_train)
        .shuffle(192, seed=0)
        .batch(32)
        .map(prepare)
    )
    val = tf.data.Dataset.from_tensor_slices((x_val,)).batch(32)
    vae = models.VAE(data_shape=(8, 8, 1), latent_dim=4, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(2e-3))
    vae(x_train[:1])  # BackupAndRestore needs a built model
    best = str(tmp_path / "best.weights.h5")
    log = str(tmp_path / "log.csv")
    history = vae.fit(
        train,
        validation_data=val,
        epochs=4,
        verbose=0,
        callbacks=[
            keras.callbacks.ModelCheckpoint(
                best,
                save_weights_only=True,
                monitor="val_loss",
                save_best_only=True,
            ),
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=2, restore_best_weights=True
            ),
            keras.callbacks.CSVLogger(log),
            keras.callbacks.BackupAndRestore(str(tmp_path / "backup")),
        ],
    )
    assert history.history["val_loss"][-1] < history.history["val_loss"][0]
    with open(log) as f:
        rows = list(csv.DictReader(f))
    assert (
        len(rows) == len(history.history["loss"])
        and "reconstruction_loss" in rows[0]
    )
    reloaded = models.VAE(data_shape=(8, 8, 1), latent_dim=4, seed=0)
    reloaded(x_train[:1])
    reloaded.load_weights(best)
    np.testing.assert_allclose(
        reloaded.encode(x_val)[0], vae.encode(x_val)[0], rtol=1e-5, atol=1e-5
    )  # the best checkpoint is the restored model


# -- 2. A torch DataLoader into a GAN (torch backend) ---------------------------------


@pytest.mark.skipif(
    keras.backend.backend() != "torch",
    reason="a torch DataLoader feeds the torch backend",
)
def test_torch_dataloader_into_gan():
    import torch

    points = datasets.toy_2d("8gaussians", 1024, seed=0)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(points)),
        batch_size=128,
        shuffle=True,
    )
    gan = models.GAN(data_shape=(2,), latent_dim=2, seed=0)
    gan.compile(
        discriminator_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
        generator_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
    )
    spread_before = gan.generate(1000, seed=0).std(axis=0).mean()
    gan.fit(loader, epochs=4, verbose=0)
    assert int(gan.get_optimizer("generator").iterations) == 4 * len(loader)
    # The untrained generator puts everything near 0; the data spread ~2.
    spread_after = gan.generate(1000, seed=0).std(axis=0).mean()
    assert spread_after > 2 * spread_before and spread_after > 0.8


# -- 3. A folder of PNG images into CycleGAN via image_dataset_from_directory ---------


def write_pngs(folder, color, n=8, size=12):
    from PIL import Image

    os.makedirs(folder)
    rng = np.random.RandomState(len(folder))
    for i in range(n):
        image = np.clip(
            np.array(color) + rng.randint(-30, 30, (size, size, 3)), 0, 255
        ).astype("uint8")
        Image.fromarray(image).save(os.path.join(folder, f"{i}.png"))


def test_png_folders_into_cyclegan(tmp_path):
    tf = pytest.importorskip("tensorflow")
    write_pngs(str(tmp_path / "red"), (200, 40, 40))
    write_pngs(str(tmp_path / "blue"), (40, 40, 200))

    def domain(name):
        ds = keras.utils.image_dataset_from_directory(
            str(tmp_path / name),
            labels=None,
            image_size=(8, 8),
            batch_size=4,
            shuffle=True,
            seed=0,
        )
        return ds.map(
            lambda x: x / 127.5 - 1.0
        )  # uint8 pixels to the generators' [-1, 1]

    pairs = tf.data.Dataset.zip((domain("red"), domain("blue")))
    cyclegan = models.CycleGAN(
        data_shape=(8, 8, 3),
        generator_filters=8,
        num_residual_blocks=1,
        num_downsampling=1,
        discriminator_filters=8,
        discriminator_layers=1,
        seed=0,
    )
    cyclegan.compile(
        generator_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
        discriminator_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
    )
    red = next(iter(domain("red"))).numpy()
    history = cyclegan.fit(pairs, epochs=5, verbose=0)
    assert history.history["cycle_loss"][-1] < history.history["cycle_loss"][0]
    # Red images translated to the blue domain: the blue channel rises
    # (from about -0.7 towards the blue images' 0.57).
    fake_blue = cyclegan.translate_a_to_b(red)
    assert fake_blue[..., 2].mean() > red[..., 2].mean() + 0.5


# -- 6. keras-cv augmentation layers in a keras_gen pipeline (optional extra) ---------


def test_keras_cv_augmentation_in_a_gan_pipeline():
    keras_cv = pytest.importorskip(
        "keras_cv",
        reason="keras-cv is an optional extra (pip install keras-cv)",
    )
    tf = pytest.importorskip("tensorflow")
    x = datasets.load_digits("train")[:128] * 2.0 - 1.0
    flip = keras_cv.layers.RandomFlip("horizontal", seed=0)
    data = (
        tf.data.Dataset.from_tensor_slices(x)
        .batch(32)
        .map(lambda b: flip(b, training=True))
    )
    gan = models.GAN(data_shape=(8, 8, 1), latent_dim=8, seed=0)
    gan.compile()
    history = gan.fit(data, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"]).all()
