"""StyleGAN2 with adaptive discriminator augmentation (`augment="ada"`)."""

import keras
import numpy as np
import pytest

from keras_gen.models import StyleGAN2


def forced_discriminator(logit):
    """A discriminator whose output is `logit` whatever the image."""
    return keras.Sequential(
        [
            keras.Input((4, 4, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(
                1,
                kernel_initializer="zeros",
                bias_initializer=keras.initializers.Constant(logit),
            ),
        ],
        name="forced",
    )


def test_fit_tunes_p_from_the_discriminator_and_p_survives_save_and_load(
    tmp_path,
):
    # 64 images, batch 8: 8 steps per epoch, p adjusted every 4 steps by
    # N * batch / speed = 32 / 320 = 0.1.
    x = np.random.RandomState(0).uniform(-1, 1, (64, 4, 4, 1)).astype("float32")
    model = StyleGAN2(
        discriminator=forced_discriminator(10.0),
        resolution=4,
        latent_dim=4,
        w_dim=4,
        mapping_layers=1,
        channel_base=16,
        channel_max=4,
        r1_gamma=0.0,
        pl_weight=0.0,
        ema_decay=None,
        seed=0,
        augment="ada",
        ada_speed=320.0,
    )
    assert model.augment_probability == 0.0
    model.compile()
    # Overconfident on the reals (r_t = 1 > 0.6): p rises, 0.1 every 4 steps.
    history = model.fit(
        x, batch_size=8, epochs=1, verbose=0, shuffle=False
    ).history
    np.testing.assert_allclose(model.augment_probability, 0.2, atol=1e-6)
    assert 0.0 < history["augment_p"][0] < 0.2  # the step-wise p, averaged
    assert np.isfinite(history["d_loss"][0]) and np.isfinite(
        history["g_loss"][0]
    )

    path = str(tmp_path / "ada.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert restored.augment == "ada" and restored.ada_speed == 320.0
    np.testing.assert_allclose(restored.augment_probability, 0.2, atol=1e-6)

    # The reals now look fake (r_t = -1 < 0.6): p falls, and stays >= 0.
    model.discriminator.layers[-1].bias.assign(np.array([-10.0], "float32"))
    model.fit(x[:32], batch_size=8, epochs=1, verbose=0, shuffle=False)
    np.testing.assert_allclose(model.augment_probability, 0.1, atol=1e-6)
    model.fit(x, batch_size=8, epochs=1, verbose=0, shuffle=False)
    assert model.augment_probability == 0.0


def test_plain_diff_augment_and_no_augment_report_their_probability():
    config = dict(
        resolution=4,
        latent_dim=4,
        w_dim=4,
        mapping_layers=1,
        channel_base=16,
        channel_max=4,
        ema_decay=None,
        seed=0,
    )
    assert StyleGAN2(**config).augment_probability == 0.0
    assert (
        StyleGAN2(diff_augment="translation", **config).augment_probability
        == 1.0
    )
    ada = StyleGAN2(augment="ada", **config)
    assert ada.diff_augment == "color,translation,cutout"  # ADA's default ops


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(augment="adaptive"), "augment='adaptive'"),
        (dict(augment="ada", ada_speed=0), "ada_speed=0"),
        (dict(augment="ada", ada_target=2.0), "ada_target=2.0"),
        (dict(augment="ada", ada_interval=0), "ada_interval=0"),
    ],
)
def test_bad_ada_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        StyleGAN2(
            resolution=4,
            latent_dim=4,
            w_dim=4,
            mapping_layers=1,
            channel_base=16,
            channel_max=4,
            **kwargs,
        )
