import keras
import numpy as np
import pytest
from keras import ops

from keras_gen.models import ProgressiveGAN
from keras_gen.models.progan import (
    ProgressiveDiscriminator,
    ProgressiveGenerator,
    growth_at,
)
from keras_gen.testing import contract


def test_family_contract(tmp_path):
    contract.run_family_contract_test("progan", tmp_path)


def numpy(x):
    return ops.convert_to_numpy(x)


def tiny(**kwargs):
    # 8x8 from 4x4: two levels; each step of 4 images moves a fade by 0.25.
    config = dict(
        data_shape=(8, 8, 1),
        latent_dim=8,
        channel_base=32,
        channel_max=8,
        stable_images=4,
        fade_images=16,
        seed=0,
    )
    config.update(kwargs)
    return ProgressiveGAN(**config)


def data(n=8):
    return (
        np.random.RandomState(0).uniform(-1, 1, (n, 8, 8, 1)).astype("float32")
    )


def test_schedule_gives_stage_and_alpha_from_images_seen():
    # 3 levels; level 0 stable for 10, each later level fades over 20 and
    # stays stable for 10.
    seen = [0, 9, 10, 15, 20, 30, 39, 40, 45, 60, 70, 10_000]
    expected = [0, 0, 0, 0.25, 0.5, 1, 1, 1, 1.25, 2, 2, 2]
    got = [float(numpy(growth_at(s, 10, 20, 3))) for s in seen]
    np.testing.assert_allclose(got, expected, atol=1e-6)
    # The model reads its own counter.
    model = tiny()
    assert model.resolutions == [4, 8] and model.schedule_images == 4 + 16 + 4
    expected = {
        0: (0.0, 4, 1.0),
        4: (0.0, 4, 1.0),
        8: (0.25, 8, 0.25),
        16: (0.75, 8, 0.75),
        20: (1.0, 8, 1.0),
    }
    for images, (growth, resolution, alpha) in expected.items():
        model.images_seen.assign(images)
        assert (
            model.growth,
            model.current_resolution,
            model.fade_alpha,
        ) == pytest.approx((growth, resolution, alpha))
    with pytest.raises(ValueError, match="fade_images"):
        tiny(fade_images=0)


def test_generator_fade_in_blends_the_two_resolutions():
    generator = ProgressiveGenerator(
        latent_dim=8, resolution=16, channel_base=32, channel_max=8
    )
    assert generator.num_levels == 3 and generator.base_resolution == 4
    z = keras.random.normal((2, 8), seed=1)
    out = {g: numpy(generator(z, growth=g)) for g in (0.0, 0.3, 1.0, 1.6, 2.0)}
    for image in out.values():
        assert image.shape == (2, 16, 16, 1)
    # growth 0: a 4x4 image repeated up to 16x16.
    np.testing.assert_array_equal(
        out[0.0], np.repeat(np.repeat(out[0.0][:, ::4, ::4], 4, 1), 4, 2)
    )
    np.testing.assert_allclose(
        out[0.3], 0.7 * out[0.0] + 0.3 * out[1.0], atol=1e-5
    )
    np.testing.assert_allclose(
        out[1.6], 0.4 * out[1.0] + 0.6 * out[2.0], atol=1e-5
    )
    assert not np.allclose(out[1.0], out[2.0])
    np.testing.assert_array_equal(numpy(generator(z)), out[2.0])


def test_discriminator_sees_only_the_active_resolution():
    discriminator = ProgressiveDiscriminator(
        resolution=8, channel_base=32, channel_max=8
    )
    x = data(4)
    # Detail below 4x4 (zero-mean within each 2x2 block) is invisible at
    # growth 0 and seen from growth > 0 on.
    detail = np.tile(
        np.array([[1.0, -1.0], [-1.0, 1.0]], "float32")[None, :, :, None],
        (4, 4, 4, 1),
    )
    at = lambda images, g: numpy(discriminator(images, growth=g))
    np.testing.assert_allclose(at(x, 0.0), at(x + detail, 0.0), atol=1e-5)
    assert not np.allclose(at(x, 0.5), at(x + detail, 0.5), atol=1e-4)
    assert not np.allclose(at(x, 0.5), at(x, 0.0)) and not np.allclose(
        at(x, 0.5), at(x, 1.0)
    )


def test_fit_follows_the_schedule_and_resumes_mid_fade(tmp_path):
    x = data(8)
    model = tiny()
    model.compile()
    # 2 steps of 4 images: level 0 stable, then the fade's first step.
    history = model.fit(x, epochs=1, batch_size=4, shuffle=False, verbose=0)
    assert int(numpy(model.images_seen)) == 8
    assert model.growth == pytest.approx(0.25) and model.current_resolution == 8
    assert (
        np.isfinite(history.history["d_loss"]).all()
        and np.isfinite(history.history["gradient_penalty"]).all()
    )
    # `growth` is logged as the mean over the epoch's steps (0, then 0).
    assert history.history["growth"][-1] == pytest.approx(0.0)

    path = str(tmp_path / "progan.weights.h5")
    model.save_weights(path)
    resumed = tiny(seed=1)
    resumed.compile()
    assert resumed.growth == 0.0
    resumed.load_weights(path)
    assert int(
        numpy(resumed.images_seen)
    ) == 8 and resumed.fade_alpha == pytest.approx(0.25)
    np.testing.assert_allclose(
        resumed.generate(2, seed=0), model.generate(2, seed=0), atol=1e-5
    )
    # The resumed fit continues the same fade: 0.25 -> 0.75 in two steps.
    history = resumed.fit(x, epochs=1, batch_size=4, shuffle=False, verbose=0)
    assert history.history["growth"][-1] == pytest.approx(0.375)
    assert resumed.growth == pytest.approx(
        0.75
    ) and resumed.fade_alpha == pytest.approx(0.75)

    # Through to the end of the schedule and beyond: the last level stays.
    resumed.fit(x, epochs=2, batch_size=4, shuffle=False, verbose=0)
    assert (
        resumed.growth == 1.0
        and resumed.current_resolution == 8
        and resumed.fade_alpha == 1.0
    )
    samples = resumed.generate(5, seed=0)
    assert samples.shape == (5, 8, 8, 1) and np.isfinite(samples).all()
    assert samples.min() >= -1.0 and samples.max() <= 1.0
    # At full resolution the samples are no longer 4x4 blocks.
    assert not np.allclose(
        samples, np.repeat(np.repeat(samples[:, ::2, ::2], 2, 1), 2, 2)
    )


def test_generate_in_value_range_at_the_final_resolution():
    model = tiny(value_range=(0.0, 1.0), data_shape=(8, 8, 3), ema_decay=None)
    model.images_seen.assign(model.schedule_images)
    samples = model.generate(4, seed=0)
    assert samples.shape == (4, 8, 8, 3)
    assert samples.min() >= 0.0 and samples.max() <= 1.0
    with pytest.raises(ValueError, match="data_shape"):
        tiny(data_shape=(8, 4, 1))
    with pytest.raises(ValueError, match="power of two"):
        ProgressiveGenerator(resolution=24, base_resolution=5)


class _InterruptAfter(keras.callbacks.Callback):
    """Raises after `steps` training steps: a kill in the middle of `fit`."""

    def __init__(self, steps):
        super().__init__()
        self.steps, self.seen = steps, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.steps:
            raise KeyboardInterrupt(f"interrupted after {self.steps} steps")


class _GrowthAtEachStep(keras.callbacks.Callback):
    """Records `(images_seen, growth)` before each step that runs."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_begin(self, batch, logs=None):
        self.seen.append(
            (int(numpy(self.model.images_seen)), self.model.growth)
        )


def test_a_fit_killed_mid_fade_resumes_the_fade_where_it_stopped(tmp_path):
    from keras_gen.callbacks import BackupAndRestore

    x = data(8)  # 2 steps of 4 images an epoch; the fade: images 4 to 20

    def run(backup, *callbacks):
        keras.utils.set_random_seed(0)
        model = tiny()
        model.compile()
        model.fit(
            x,
            epochs=3,
            batch_size=4,
            shuffle=False,
            verbose=0,
            callbacks=[BackupAndRestore(str(backup), save_freq=1), *callbacks],
        )
        return model

    def state(model):
        # In order (the optimizers' paths differ by their instance number).
        variables = list(model.variables) + list(model.optimizer.variables)
        return [(v.path, numpy(v)) for v in variables]

    reference = run(tmp_path / "reference")
    # Killed after its third step, the first of epoch 2: 12 images seen,
    # the 8x8 level half faded in.
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "backup", _InterruptAfter(3))
    probe = _GrowthAtEachStep()
    resumed = run(tmp_path / "backup", probe)
    # The resumed run restarts at the kill, at the same alpha (its first
    # batch, trained on before the kill, is skipped and changes nothing),
    # and goes on through the rest of the fade.
    assert [seen for seen, _ in probe.seen] == [12, 12, 16, 20]
    np.testing.assert_allclose(
        [growth for _, growth in probe.seen], [0.5, 0.5, 0.75, 1.0]
    )
    assert int(numpy(resumed.images_seen)) == 24 and resumed.growth == 1.0
    # ... and ends where the uninterrupted run does, bit for bit.
    expected, got = state(reference), state(resumed)
    assert len(got) == len(expected)
    for (path, value), (_, resumed_value) in zip(expected, got):
        np.testing.assert_array_equal(resumed_value, value, err_msg=path)
