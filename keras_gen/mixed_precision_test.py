"""Mixed precision: every family trains a couple of steps under
`mixed_bfloat16` and `mixed_float16` (with loss scaling) without NaNs, keeps
float32 variables, and samples finite values under the policy."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_gen import models
from keras_gen.schedulers import DDPMScheduler

POLICIES = ("mixed_bfloat16", "mixed_float16")


@pytest.fixture
def policy(request):
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(request.param)
    yield request.param
    keras.config.set_dtype_policy(previous)


def conv(filters, name, shape=(4, 4, 3)):
    return keras.Sequential([keras.Input(shape), keras.layers.Conv2D(filters, 1)], name=name)


def vectors(dim, low=0.0):
    return np.random.RandomState(0).uniform(low, 1.0, (8, dim)).astype("float32")


# name -> (tiny model, training data, sampling call)
FAMILIES = {
    "AutoEncoder": (
        lambda: models.AutoEncoder(data_shape=(4,), latent_dim=2, seed=0),
        lambda: vectors(4),
        lambda m: m.reconstruct(vectors(4)[:2]),
    ),
    "VAE": (
        lambda: models.VAE(data_shape=(4,), latent_dim=2, seed=0),
        lambda: vectors(4),
        lambda m: m.generate(2, seed=0),
    ),
    "GAN": (
        lambda: models.GAN(data_shape=(4,), latent_dim=2, seed=0),
        lambda: vectors(4, -1.0),
        lambda m: m.generate(2, seed=0),
    ),
    "WGANGP": (
        lambda: models.WGANGP(data_shape=(2,), latent_dim=2, n_critic=1, seed=0),
        lambda: vectors(2, -1.0),
        lambda m: m.generate(2, seed=0),
    ),
    "AAE": (
        lambda: models.AAE(data_shape=(4,), latent_dim=2, seed=0),
        lambda: vectors(4),
        lambda m: m.generate(2, seed=0),
    ),
    "RealNVP": (
        lambda: models.RealNVP(data_shape=(2,), num_coupling_layers=2, hidden_units=(8,), seed=0),
        lambda: vectors(2, -1.0),
        lambda m: m.generate(2, seed=0),
    ),
    "CycleGAN": (
        lambda: models.CycleGAN(
            generator_ab=conv(3, "g"), generator_ba=conv(3, "f"),
            discriminator_a=conv(1, "d_a"), discriminator_b=conv(1, "d_b"), pool_size=4, seed=0,
        ),
        lambda: tuple(np.random.RandomState(i).uniform(-1, 1, (8, 4, 4, 3)).astype("float32") for i in (0, 1)),
        lambda m: m.translate_a_to_b(np.zeros((2, 4, 4, 3), "float32")),
    ),
    "StyleGAN2": (
        lambda: models.StyleGAN2(
            resolution=4, latent_dim=4, w_dim=4, mapping_layers=1, channel_base=8, channel_max=4, seed=0
        ),
        lambda: np.random.RandomState(0).uniform(-1, 1, (8, 4, 4, 1)).astype("float32"),
        lambda m: m.generate(2, seed=0),
    ),
    "DDPM": (
        lambda: models.DDPM(
            data_shape=(2,), value_range=None, hidden_dim=8, num_layers=2,
            scheduler=DDPMScheduler(num_train_timesteps=20, clip_sample=False), seed=0,
        ),
        lambda: vectors(2, -1.0),
        lambda m: m.generate(2, seed=0, num_steps=4),
    ),
}


@pytest.mark.parametrize("policy", POLICIES, indirect=True)
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_trains_and_samples_under_the_policy(family, policy):
    make, data, sample = FAMILIES[family]
    model = make()
    model.compile()
    x = data()
    history = model.fit(*(x if isinstance(x, tuple) else (x,)), batch_size=4, epochs=1, verbose=0)
    for name, values in history.history.items():
        assert np.isfinite(values).all(), (name, values)
    # Variables stay float32: only the computation is in low precision.
    float_dtypes = {v.dtype for v in model.variables if "float" in str(v.dtype)}
    assert float_dtypes == {"float32"}, float_dtypes
    if policy == "mixed_float16":
        # One dynamic loss scale per optimizer (each phase of a
        # multi-optimizer model has its own).
        optimizers = [model.get_optimizer(n) for n in model.optimizer_names] if isinstance(
            model, models.MultiOptimizerModel
        ) else [model.optimizer]
        if family != "RealNVP":  # computes in float32 but for its networks
            assert all(isinstance(o, keras.optimizers.LossScaleOptimizer) for o in optimizers)
            # (A step whose scaled gradients overflow is skipped and the
            # scale halved, so early steps may not count.)
            assert all(0 < float(ops.convert_to_numpy(o.dynamic_scale)) <= 2.0**15 for o in optimizers)
    samples = np.asarray(sample(model), dtype="float32")
    assert samples.shape[0] == 2 and np.isfinite(samples).all()


@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_an_overflowing_phase_is_skipped_and_its_scale_halved(policy, tmp_path):
    """Keras' `LossScaleOptimizer` semantics, per phase: the discriminator's
    scaled gradients overflow float16, so its step is skipped and its scale
    halved, while the generator's phase goes on."""
    gan = models.GAN(data_shape=(2,), latent_dim=2, seed=0)
    huge = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1), initial_scale=1e30)
    gan.compile(discriminator_optimizer=huge, generator_optimizer=keras.optimizers.SGD(0.1))
    g_scale = gan.get_optimizer("generator").dynamic_scale
    before_d = [ops.convert_to_numpy(v).copy() for v in gan.discriminator.trainable_variables]
    before_g = [ops.convert_to_numpy(v).copy() for v in gan.generator.trainable_variables]
    gan.fit(vectors(2, -1.0)[:4], batch_size=4, epochs=1, verbose=0)
    for b, v in zip(before_d, gan.discriminator.trainable_variables):
        np.testing.assert_array_equal(ops.convert_to_numpy(v), b)
    assert max(np.abs(ops.convert_to_numpy(v) - b).max() for b, v in zip(before_g, gan.generator.trainable_variables)) > 0
    assert float(ops.convert_to_numpy(huge.dynamic_scale)) == pytest.approx(5e29, rel=1e-6)
    assert float(ops.convert_to_numpy(g_scale)) == 2.0**15
    # The wrapped optimizers, and their scales, survive a reload.
    path = str(tmp_path / "gan.keras")
    gan.save(path)
    restored = keras.models.load_model(path)
    scale = restored.get_optimizer("discriminator").dynamic_scale
    assert float(ops.convert_to_numpy(scale)) == pytest.approx(5e29, rel=1e-6)
