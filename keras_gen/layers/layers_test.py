import keras
import numpy as np
import pytest
from keras import ops

from keras_gen import layers


def test_minibatch_stddev_appends_the_mean_feature_std():
    x = np.random.RandomState(0).randn(6, 5).astype("float32")
    out = ops.convert_to_numpy(layers.MinibatchStdDev()(x))
    assert out.shape == (6, 6)
    np.testing.assert_allclose(out[:, :5], x)
    np.testing.assert_allclose(
        out[:, 5], np.sqrt(x.var(axis=0) + 1e-8).mean(), rtol=1e-5
    )


def test_minibatch_stddev_groups_and_images():
    x = np.random.RandomState(1).randn(8, 4, 4, 3).astype("float32")
    out = ops.convert_to_numpy(layers.MinibatchStdDev(group_size=4)(x))
    assert out.shape == (8, 4, 4, 4)
    first = np.sqrt(x[:4].var(axis=0) + 1e-8).mean()
    np.testing.assert_allclose(out[:4, ..., 3], first, rtol=1e-5)
    assert not np.allclose(out[4:, ..., 3], first)


def test_spectral_normalization_bounds_the_largest_singular_value():
    keras.utils.set_random_seed(0)
    dense = keras.layers.Dense(6)
    sn = layers.SpectralNormalization(dense, power_iterations=5)
    x = np.random.RandomState(0).randn(4, 5).astype("float32")
    sn(x)
    kernel_before = ops.convert_to_numpy(dense.kernel).copy()
    for _ in range(20):  # u converges over calls in training mode
        sn(x, training=True)
    normalized = ops.convert_to_numpy(sn.normalized_kernel())
    np.testing.assert_allclose(
        np.linalg.svd(normalized, compute_uv=False)[0], 1.0, rtol=1e-3
    )
    # The wrapped kernel itself is never overwritten.
    np.testing.assert_array_equal(
        ops.convert_to_numpy(dense.kernel), kernel_before
    )
    y = ops.convert_to_numpy(sn(x))
    np.testing.assert_allclose(
        y,
        x @ normalized + ops.convert_to_numpy(dense.bias),
        rtol=1e-4,
        atol=1e-5,
    )


def test_ema_moves_its_copy_towards_the_network_and_counts():
    net = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    ema = layers.ExponentialMovingAverage(net, decay=0.75, warmup=False)
    assert not ema.network.trainable_variables and not ema.trainable_weights
    start = [ops.convert_to_numpy(w).copy() for w in ema.network.weights]
    net.set_weights([w + 1.0 for w in net.get_weights()])
    ema.update(net)
    for s, w in zip(start, ema.network.weights):
        np.testing.assert_allclose(ops.convert_to_numpy(w), s + 0.25, rtol=1e-6)
    assert int(ops.convert_to_numpy(ema.num_updates)) == 1
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(
        ops.convert_to_numpy(ema(x)), ops.convert_to_numpy(ema.network(x))
    )
    ema.reset(net)
    np.testing.assert_allclose(
        ops.convert_to_numpy(ema(x)), ops.convert_to_numpy(net(x)), rtol=1e-6
    )
    assert int(ops.convert_to_numpy(ema.num_updates)) == 0


def test_ema_warm_up_follows_the_weights_early_and_reaches_the_decay():
    from keras_gen.layers.ema import warmup_decay

    decays = [
        float(ops.convert_to_numpy(warmup_decay(0.999, n)))
        for n in (0, 1, 90, 10**6)
    ]
    np.testing.assert_allclose(decays, [0.1, 2 / 11, 0.91, 0.999], rtol=1e-6)
    net = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    ema = layers.ExponentialMovingAverage(net, decay=0.999)
    start = [ops.convert_to_numpy(w).copy() for w in ema.network.weights]
    net.set_weights([w + 1.0 for w in net.get_weights()])
    ema.update(net)  # first update: decay 0.1
    for s, w in zip(start, ema.network.weights):
        np.testing.assert_allclose(ops.convert_to_numpy(w), s + 0.9, rtol=1e-5)


def test_sinusoidal_embedding_matches_the_formula():
    from keras_gen.layers import SinusoidalEmbedding

    layer = SinusoidalEmbedding(6, max_period=100.0)
    t = np.array([0, 3, 50], "int32")
    got = keras.ops.convert_to_numpy(layer(t))
    freqs = 100.0 ** (-np.arange(3) / 3)
    want = np.concatenate(
        [np.sin(t[:, None] * freqs), np.cos(t[:, None] * freqs)], axis=-1
    )
    np.testing.assert_allclose(got, want, atol=1e-5)
    restored = SinusoidalEmbedding.from_config(layer.get_config())
    assert restored.dim == 6 and restored.max_period == 100.0
    with pytest.raises(ValueError, match="dim"):
        SinusoidalEmbedding(5)


@pytest.mark.parametrize("axis", [1, -1])
def test_group_normalization_equals_keras_values_and_gradients(axis):
    # Fused on torch for channels-first inputs; Keras's ops elsewhere. Same
    # outputs and input gradients as keras.layers.GroupNormalization.
    from keras_gen import backend

    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, size=(3, 8, 5, 8)).astype("float32")
    ours = layers.GroupNormalization(4, axis=axis)
    reference = keras.layers.GroupNormalization(4, axis=axis)
    ours.build(x.shape)
    reference.build(x.shape)
    weights = [
        rng.normal(size=w.shape).astype("float32") for w in reference.weights
    ]
    ours.set_weights(weights)
    reference.set_weights(weights)
    np.testing.assert_allclose(
        ops.convert_to_numpy(ours(x)),
        ops.convert_to_numpy(reference(x)),
        atol=1e-5,
    )

    probe = ops.convert_to_tensor(rng.normal(size=x.shape).astype("float32"))
    grad_ours = backend.input_gradient(
        lambda v: ours(v) * probe, ops.convert_to_tensor(x)
    )
    grad_reference = backend.input_gradient(
        lambda v: reference(v) * probe, ops.convert_to_tensor(x)
    )
    np.testing.assert_allclose(
        ops.convert_to_numpy(grad_ours),
        ops.convert_to_numpy(grad_reference),
        atol=1e-4,
    )
    assert np.abs(ops.convert_to_numpy(grad_ours)).max() > 1e-3
    restored = layers.GroupNormalization.from_config(ours.get_config())
    assert restored.axis == axis and restored.groups == 4
