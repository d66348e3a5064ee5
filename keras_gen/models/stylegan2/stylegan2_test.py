import keras
import numpy as np
import pytest
from keras import ops

from keras_gen.models import StyleGAN2
from keras_gen.testing import contract


def test_family_contract(tmp_path):
    contract.run_family_contract_test("stylegan2", tmp_path)


def tiny(**kwargs):
    config = dict(
        resolution=8,
        latent_dim=8,
        w_dim=8,
        mapping_layers=2,
        channel_base=32,
        channel_max=8,
        seed=0,
    )
    config.update(kwargs)
    return StyleGAN2(**config)


def numpy(x):
    return ops.convert_to_numpy(x)


@pytest.fixture(scope="module")
def trained():
    """Six steps of one batch each (one epoch = one step): R1 every 2 steps,
    path length every 3, DiffAugment on."""
    x = np.random.RandomState(0).uniform(-1, 1, (16, 8, 8, 1)).astype("float32")
    model = tiny(
        r1_interval=2,
        pl_interval=3,
        ema_decay=0.9,
        diff_augment="color,translation,cutout",
    )
    model.compile()
    before = [numpy(v).copy() for v in model.generator.trainable_variables]
    history = model.fit(x, batch_size=16, epochs=6, verbose=0, shuffle=False)
    return model, history.history, before, x


def test_lazy_regularisers_run_on_their_schedule(trained):
    model, history, _, _ = trained
    r1 = np.array(history["r1_penalty"])
    pl = np.array(history["pl_penalty"])
    assert (r1[[0, 2, 4]] > 0).all() and (r1[[1, 3, 5]] == 0).all(), r1
    assert (pl[[0, 3]] > 0).all() and (pl[[1, 2, 4, 5]] == 0).all(), pl
    # The running mean `a` of the path lengths is model state.
    assert float(numpy(model.pl_mean)) > 0


def test_each_optimizer_advances_and_tracks_w(trained):
    model, history, before, _ = trained
    assert [
        int(model.get_optimizer(n).iterations)
        for n in ("discriminator", "generator")
    ] == [6, 6]
    assert int(model.optimizer.iterations) == 6
    moved = [
        np.abs(numpy(v) - b).max()
        for b, v in zip(before, model.generator.trainable_variables)
    ]
    assert max(moved) > 1e-4
    assert np.abs(numpy(model.generator.mapping.w_avg)).max() > 0
    np.testing.assert_array_equal(
        numpy(model.generator_ema.network.mapping.w_avg),
        numpy(model.generator.mapping.w_avg),
    )
    assert (
        np.isfinite(history["d_loss"]).all()
        and np.isfinite(history["g_loss"]).all()
    )
    # `generate` uses the EMA generator, which lags behind.
    assert not np.allclose(
        model.generate(4, seed=0), model.generate(4, seed=0, use_ema=False)
    )


def test_save_and_load_give_the_same_samples(trained, tmp_path):
    model, _, _, x = trained
    path = str(tmp_path / "stylegan2.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    for kwargs in ({}, {"truncation_psi": 0.5, "noise_mode": "random"}):
        np.testing.assert_allclose(
            restored.generate(3, seed=1, **kwargs),
            model.generate(3, seed=1, **kwargs),
            atol=1e-5,
        )
    assert (
        restored.diff_augment == "color,translation,cutout"
        and restored.r1_interval == 2
    )
    assert int(restored.get_optimizer("generator").iterations) == 6
    np.testing.assert_allclose(
        float(numpy(restored.pl_mean)), float(numpy(model.pl_mean))
    )


def test_truncation_changes_what_it_should_and_nothing_else():
    model = tiny(ema_decay=None)
    w_avg = np.random.RandomState(3).randn(8).astype("float32")
    model.generator.mapping.w_avg.assign(w_avg)
    z = model.sample_latents(4, seed=0)
    plain = model.decode(z)
    # psi = 1: unchanged, and equal to mapping + synthesis by hand.
    np.testing.assert_allclose(
        model.decode(z, truncation_psi=1.0), plain, atol=1e-6
    )
    # (Samples are clipped to value_range, as the official code clamps its
    # images to [-1, 1].)
    ws = model.generator.broadcast(model.generator.mapping(z))
    np.testing.assert_allclose(
        np.clip(numpy(model.generator.synthesis(ws)), -1, 1), plain, atol=1e-5
    )
    # psi = 0: every sample is the image of the average w.
    average = numpy(
        model.generator.synthesis(
            model.generator.broadcast(ops.convert_to_tensor(w_avg[None]))
        )
    )
    average = np.clip(average, -1, 1)
    collapsed = model.decode(z, truncation_psi=0.0)
    np.testing.assert_allclose(
        collapsed, np.repeat(average, 4, axis=0), atol=1e-5
    )
    assert plain.std(axis=0).mean() > 1e-3
    # A cutoff truncates only the layers before it.
    w = numpy(model.generator.map(z))
    wt = numpy(model.generator.map(z, truncation_psi=0.5, truncation_cutoff=2))
    np.testing.assert_allclose(
        wt[:, :2], w_avg + 0.5 * (w[:, :2] - w_avg), atol=1e-5
    )
    np.testing.assert_array_equal(wt[:, 2:], w[:, 2:])


def test_style_mixing_changes_what_it_should_and_nothing_else():
    model = tiny(ema_decay=None)
    z1, z2 = model.sample_latents(3, seed=0), model.sample_latents(3, seed=1)
    a, b = model.decode(z1), model.decode(z2)
    np.testing.assert_allclose(
        model.decode(z1, z_mix=z1, mixing_cutoff=2), a, atol=1e-6
    )
    np.testing.assert_allclose(
        model.decode(z1, z_mix=z2, mixing_cutoff=model.num_ws), a, atol=1e-6
    )
    np.testing.assert_allclose(
        model.decode(z1, z_mix=z2, mixing_cutoff=0), b, atol=1e-6
    )
    mixed = model.decode(z1, z_mix=z2, mixing_cutoff=2)
    assert np.abs(mixed - a).max() > 1e-4 and np.abs(mixed - b).max() > 1e-4


@pytest.mark.parametrize("prob", [0.0, 1.0])
def test_training_latents_mix_at_one_crossover(prob):
    model = tiny(style_mixing_prob=prob)
    for _ in range(3):
        ws, w1 = model._training_ws(4)
        ws, w1 = numpy(ws), numpy(w1)
        same = np.all(np.isclose(ws, w1[:, None, :]), axis=(0, 2))  # per layer
        if prob == 0.0:
            assert same.all()
        else:
            # Layers [0, c) from the first latent, [c, num_ws) from another.
            c = int(np.argmin(same))
            assert (
                1 <= c < model.num_ws and same[:c].all() and not same[c:].any()
            ), same


def test_networks_follow_the_requested_sizes():
    model = tiny(resolution=16, channel_base=64, channel_max=8)
    assert model.num_ws == 6
    channels = [
        layer.filters for layer in model.generator.synthesis.conv_layers
    ]
    assert channels == [8, 8, 8, 4, 4]  # min(64 / res, 8) at 4, 8, 8, 16, 16
    assert [conv0.filters for conv0, _, _ in model.discriminator.blocks] == [
        4,
        8,
    ]
    assert model.data_shape == (16, 16, 1)
    assert (
        StyleGAN2(
            data_shape=(16, 16, 3),
            latent_dim=8,
            w_dim=8,
            channel_base=64,
            channel_max=8,
        ).resolution
        == 16
    )


def test_a_28x28_model_grows_from_7x7_and_trains_without_padding():
    """Fashion-MNIST's side: a 7x7 constant, blocks at 7, 14, 28 as wide as
    a 16x16 model's at 4, 8, 16; one training step on 28x28 images (the
    lazy regularisers off: their second derivatives are tested at 8x8 and
    would triple the step's compile time here)."""
    model = tiny(
        data_shape=(28, 28, 1),
        channel_base=64,
        ema_decay=None,
        r1_gamma=0.0,
        pl_weight=0.0,
    )
    synthesis = model.generator.synthesis
    assert synthesis.resolutions == [7, 14, 28]
    assert tuple(synthesis.const.shape) == (7, 7, 8)
    assert model.num_ws == 6
    assert [layer.filters for layer in synthesis.conv_layers] == [8, 8, 8, 4, 4]
    assert [conv0.filters for conv0, _, _ in model.discriminator.blocks] == [
        4,
        8,
    ]
    x = np.random.RandomState(0).uniform(-1, 1, (8, 28, 28, 1))
    model.compile()
    history = model.fit(x.astype("float32"), batch_size=8, verbose=0)
    assert np.isfinite(history.history["d_loss"][-1])
    assert model.generate(2, seed=0).shape == (2, 28, 28, 1)
    assert numpy(model.discriminator(x[:2])).shape == (2,)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(resolution=9), "resolution=9"),
        (dict(resolution=36), "resolution=36"),
        (dict(resolution=2), "resolution=2"),
        (dict(channel_base=100), "channel_base=100"),
        (dict(channel_max=0), "channel_max=0"),
        (dict(style_mixing_prob=1.5), "style_mixing_prob=1.5"),
        (dict(r1_interval=-1), "r1_interval=-1"),
        (dict(r1_interval=0), "r1_interval=0"),
        (dict(pl_interval=0), "pl_interval=0"),
        (dict(data_shape=(16, 8, 1)), r"data_shape=\(16, 8, 1\)"),
        (dict(pl_weight=-2.0), "pl_weight=-2.0"),
        (dict(diff_augment="flip"), "policy='flip'"),
        (
            dict(generator=keras.Sequential([keras.layers.Dense(2)])),
            "generator=",
        ),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tiny(**kwargs)


def test_bad_sampling_arguments_are_named():
    model = tiny(ema_decay=None)
    z = model.sample_latents(2, seed=0)
    with pytest.raises(ValueError, match="noise_mode='blurry'"):
        model.generate(2, noise_mode="blurry")
    with pytest.raises(ValueError, match="mixing_cutoff=None"):
        model.decode(z, z_mix=z)
    with pytest.raises(ValueError, match=r"z.shape=\(2, 3\)"):
        model.decode(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"x.shape=\(4, 16, 16, 1\)"):
        model.compile()
        model.fit(np.zeros((4, 16, 16, 1), "float32"), verbose=0)
