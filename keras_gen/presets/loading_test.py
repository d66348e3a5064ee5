import warnings

import keras
import numpy as np
import pytest

from keras_gen import presets
from keras_gen.models import GAN, VAE, GenerativeModel


def tiny_vae(**kwargs):
    return VAE(data_shape=(6,), latent_dim=2, seed=0, **kwargs)


def tiny_gan(**kwargs):
    kwargs.setdefault("num_classes", 3)
    return GAN(data_shape=(2,), latent_dim=2, seed=0, **kwargs)


def _data(n=64, dim=6):
    return (np.random.default_rng(0).uniform(size=(n, dim)) > 0.5).astype(
        "float32"
    )


def test_round_trip_gives_the_same_samples(tmp_path):
    model = tiny_vae()
    model.compile(optimizer="adam")
    model.fit(_data(), epochs=1, batch_size=32, verbose=0)
    model.save_to_preset(str(tmp_path / "vae"))
    loaded = VAE.from_preset(str(tmp_path / "vae"))
    np.testing.assert_allclose(
        loaded.generate(5, seed=3), model.generate(5, seed=3), atol=1e-6
    )
    assert loaded.skipped_weights == ()
    assert not loaded.compiled  # no optimizer settings or state in a preset


def test_multi_optimizer_round_trip_and_the_base_class_returns_the_preset_class(
    tmp_path,
):
    model = tiny_gan()
    model.save_to_preset(str(tmp_path / "gan"))
    loaded = GenerativeModel.from_preset(str(tmp_path / "gan"))
    assert type(loaded) is GAN
    np.testing.assert_allclose(
        loaded.generate(6, seed=1, labels=[0, 1, 2, 0, 1, 2]),
        model.generate(6, seed=1, labels=[0, 1, 2, 0, 1, 2]),
        atol=1e-6,
    )


def test_a_subclass_refuses_a_preset_of_another_class(tmp_path):
    tiny_gan().save_to_preset(str(tmp_path / "gan"))
    with pytest.raises(
        ValueError, match=r"holds a GAN, which is not a VAE.*GAN.from_preset"
    ):
        VAE.from_preset(str(tmp_path / "gan"))


def test_config_overrides_keep_the_weights(tmp_path):
    model = tiny_vae()
    model.save_to_preset(str(tmp_path / "vae"))
    loaded = VAE.from_preset(str(tmp_path / "vae"), beta=4.0)
    assert loaded.beta == 4.0
    assert loaded.skipped_weights == ()
    np.testing.assert_allclose(
        loaded.generate(4, seed=0), model.generate(4, seed=0), atol=1e-6
    )


def test_a_new_head_skips_and_reports_the_mismatched_weights(tmp_path):
    model = tiny_gan(num_classes=3)
    model.save_to_preset(str(tmp_path / "gan"))
    with pytest.warns(
        UserWarning,
        match=r"generator/embedding\[0\]/embeddings: preset \(3, 2\), model \(5, 2\)",
    ):
        loaded = GAN.from_preset(str(tmp_path / "gan"), num_classes=5)
    assert loaded.num_classes == 5
    assert sorted(loaded.skipped_weights) == [
        "discriminator/embedding[0]/embeddings",
        "generator/embedding[0]/embeddings",
    ]
    # Every other weight came from the preset.
    for ours, theirs in zip(loaded.generator.layers, model.generator.layers):
        if isinstance(ours, keras.layers.Dense):
            np.testing.assert_array_equal(
                keras.ops.convert_to_numpy(ours.kernel),
                keras.ops.convert_to_numpy(theirs.kernel),
            )


def test_custom_networks_are_kept_under_overrides(tmp_path):
    encoder = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(4, name="custom_code")],
        name="enc",
    )
    decoder = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(6)], name="dec"
    )
    VAE(encoder=encoder, decoder=decoder, latent_dim=2, seed=0).save_to_preset(
        str(tmp_path / "vae")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # nothing skipped
        loaded = VAE.from_preset(str(tmp_path / "vae"), beta=2.0)
    assert loaded.encoder.layers[-1].name == "custom_code"


def test_freezing_a_pretrained_encoder_before_compiling(tmp_path):
    tiny_vae().save_to_preset(str(tmp_path / "vae"))
    vae = VAE.from_preset(str(tmp_path / "vae"))
    vae.encoder.trainable = False
    vae.compile(optimizer=keras.optimizers.Adam(1e-2))
    encoder_before = [
        keras.ops.convert_to_numpy(w) for w in vae.encoder.weights
    ]
    decoder_before = [
        keras.ops.convert_to_numpy(w) for w in vae.decoder.weights
    ]
    vae.fit(_data(), epochs=1, batch_size=32, verbose=0)
    for before, w in zip(encoder_before, vae.encoder.weights):
        np.testing.assert_array_equal(before, keras.ops.convert_to_numpy(w))
    assert any(
        not np.allclose(before, keras.ops.convert_to_numpy(w))
        for before, w in zip(decoder_before, vae.decoder.weights)
    )


def test_list_presets_filters_by_class():
    everything = presets.list_presets()
    gans = presets.list_presets(GAN)
    assert set(gans) <= set(everything)
    assert presets.list_presets("GAN") == gans
    assert not set(gans) & set(presets.list_presets(VAE))
    assert presets.list_presets(keras.Model) == everything
    for name in gans:
        assert issubclass(type(GAN.from_preset(name, load_weights=False)), GAN)
    with pytest.raises(ValueError, match="model_class='NoSuchModel'"):
        presets.list_presets("NoSuchModel")
