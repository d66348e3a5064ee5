"""Mixed precision: every family trains a couple of steps under
`mixed_bfloat16` and `mixed_float16` (with loss scaling) without NaNs, keeps
float32 variables, and samples finite values under the policy."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_gen import models
from keras_gen.models import registry

POLICIES = ("mixed_bfloat16", "mixed_float16")


@pytest.fixture
def policy(request):
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(request.param)
    yield request.param
    keras.config.set_dtype_policy(previous)


def vectors(dim, low=0.0):
    return (
        np.random.RandomState(0).uniform(low, 1.0, (8, dim)).astype("float32")
    )


@pytest.mark.parametrize("policy", POLICIES, indirect=True)
@pytest.mark.parametrize("family", registry.names())
def test_every_family_trains_and_samples_under_the_policy(family, policy):
    if (
        family == "ddpm"
        and policy == "mixed_float16"
        and keras.backend.backend() == "jax"
    ):
        # The U-Net's self-attention calls jax.nn.dot_product_attention, whose
        # CPU dot_general has no float16 x float16 -> float32 kernel.
        pytest.xfail(
            "jax 0.10.2 on CPU: \"The precision 'F16_F16_F32' is not supported by dot_general on CPU\" "
            "(float16 attention; mixed_bfloat16 and GPUs are fine)"
        )
    family = registry.get(family)
    model = family.compile(family.build("tiny", seed=0))
    x, y = family.sample_data(model, 8)
    try:
        history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    except RuntimeError as e:
        if (
            keras.backend.backend() == "torch"
            and "grad_weight must be contiguous" in str(e)
        ):
            # Only this exact upstream error: torch's CPU float16 convolution
            # backward (slow_conv2d) with a one-channel input, whose strides
            # are both contiguous and channels-last. mixed_bfloat16 (the CPU
            # choice) and CUDA's convolutions are fine.
            pytest.xfail(
                "torch 2.13 on CPU: float16 slow_conv2d backward raises 'grad_weight must be contiguous'"
            )
        raise
    for name, values in history.history.items():
        assert np.isfinite(values).all(), (name, values)
    # Variables stay float32: only the computation is in low precision.
    float_dtypes = {v.dtype for v in model.variables if "float" in str(v.dtype)}
    assert float_dtypes == {"float32"}, float_dtypes
    if policy == "mixed_float16":
        # One dynamic loss scale per optimizer (each phase of a
        # multi-optimizer model has its own).
        optimizers = (
            [model.get_optimizer(n) for n in model.optimizer_names]
            if isinstance(model, models.MultiOptimizerModel)
            else [model.optimizer]
        )
        if (
            family.name != "real_nvp"
        ):  # computes in float32 but for its networks
            assert all(
                isinstance(o, keras.optimizers.LossScaleOptimizer)
                for o in optimizers
            )
            # (A step whose scaled gradients overflow is skipped and the
            # scale halved, so early steps may not count.)
            assert all(
                0 < float(ops.convert_to_numpy(o.dynamic_scale)) <= 2.0**15
                for o in optimizers
            )
    samples = model.generate(2, seed=0, **family.generate_options("tiny", x))
    assert (
        samples.shape[0] == 2
        and samples.dtype == np.float32
        and np.isfinite(samples).all()
    )


@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_an_overflowing_phase_is_skipped_and_its_scale_halved(policy, tmp_path):
    """Keras' `LossScaleOptimizer` semantics, per phase: the discriminator's
    scaled gradients overflow float16, so its step is skipped and its scale
    halved, while the generator's phase goes on."""
    gan = models.GAN(data_shape=(2,), latent_dim=2, seed=0)
    huge = keras.optimizers.LossScaleOptimizer(
        keras.optimizers.SGD(0.1), initial_scale=1e30
    )
    gan.compile(
        discriminator_optimizer=huge,
        generator_optimizer=keras.optimizers.SGD(0.1),
    )
    g_scale = gan.get_optimizer("generator").dynamic_scale
    before_d = [
        ops.convert_to_numpy(v).copy()
        for v in gan.discriminator.trainable_variables
    ]
    before_g = [
        ops.convert_to_numpy(v).copy()
        for v in gan.generator.trainable_variables
    ]
    gan.fit(vectors(2, -1.0)[:4], batch_size=4, epochs=1, verbose=0)
    for b, v in zip(before_d, gan.discriminator.trainable_variables):
        np.testing.assert_array_equal(ops.convert_to_numpy(v), b)
    assert (
        max(
            np.abs(ops.convert_to_numpy(v) - b).max()
            for b, v in zip(before_g, gan.generator.trainable_variables)
        )
        > 0
    )
    assert float(ops.convert_to_numpy(huge.dynamic_scale)) == pytest.approx(
        5e29, rel=1e-6
    )
    assert float(ops.convert_to_numpy(g_scale)) == 2.0**15
    # The wrapped optimizers, and their scales, survive a reload.
    path = str(tmp_path / "gan.keras")
    gan.save(path)
    restored = keras.models.load_model(path)
    scale = restored.get_optimizer("discriminator").dynamic_scale
    assert float(ops.convert_to_numpy(scale)) == pytest.approx(5e29, rel=1e-6)
