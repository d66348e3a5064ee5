import keras
import numpy as np
import pytest
from keras import ops

from keras_gen.models.real_nvp import (
    ActNorm,
    AffineCoupling,
    InvertibleConv1x1,
    LogitTransform,
    Squeeze,
)
from keras_gen.models.real_nvp.invertible_conv import lu_decomposition


def numpy(t):
    return ops.convert_to_numpy(t)


def test_squeeze_moves_each_2x2_block_to_channels_and_back():
    x = np.arange(2 * 4 * 4 * 3, dtype="float32").reshape(2, 4, 4, 3)
    layer = Squeeze()
    y, log_det = layer.forward(x)
    assert y.shape == (2, 2, 2, 12)
    np.testing.assert_array_equal(numpy(log_det), [0.0, 0.0])
    # The top-left output position holds the top-left 2x2 block.
    np.testing.assert_array_equal(
        numpy(y)[0, 0, 0].reshape(2, 2, 3), x[0, :2, :2]
    )
    np.testing.assert_array_equal(numpy(layer.inverse(y)[0]), x)
    np.testing.assert_array_equal(numpy(layer(x)), numpy(y))  # `__call__` too
    with pytest.raises(ValueError, match=r"x.shape=\(1, 3, 4, 1\)"):
        layer.forward(np.zeros((1, 3, 4, 1), "float32"))


@pytest.mark.parametrize(
    "mask_type, shape",
    [
        ("alternating", (5,)),
        ("checkerboard", (4, 4, 2)),
        ("channel", (2, 2, 4)),
    ],
)
def test_coupling_keeps_the_masked_entries_and_inverts(mask_type, shape):
    rng = np.random.RandomState(0)
    for parity in (0, 1):
        layer = AffineCoupling(
            mask_type, parity, hidden_units=(16,), filters=4, num_blocks=1
        )
        layer.build((None,) + shape)
        for v in layer.trainable_variables:
            v.assign(numpy(v) + 0.3 * rng.randn(*v.shape).astype("float32"))
        x = rng.randn(3, *shape).astype("float32")
        y, log_det = layer.forward(x)
        y = numpy(y)
        kept = np.broadcast_to(layer._mask, x.shape[1:]).astype(bool)
        np.testing.assert_array_equal(y[:, kept], x[:, kept])
        assert not np.allclose(y[:, ~kept], x[:, ~kept])
        x_back, inverse_log_det = layer.inverse(y)
        np.testing.assert_allclose(numpy(x_back), x, atol=1e-5)
        np.testing.assert_allclose(
            numpy(inverse_log_det), -numpy(log_det), atol=1e-5
        )
        # The scale is bounded: |s| <= |scale_factor| per entry.
        bound = (
            np.abs(numpy(layer.scale_factor)).sum() * np.prod(shape[:-1])
            if len(shape) == 3
            else np.abs(numpy(layer.scale_factor)).sum()
        )
        assert np.all(np.abs(numpy(log_det)) <= bound)


def test_coupling_rejects_shapes_its_mask_cannot_split():
    with pytest.raises(ValueError, match=r"input_shape=\(None, 1\)"):
        AffineCoupling("alternating").build((None, 1))
    with pytest.raises(ValueError, match=r"input_shape=\(None, 4, 4, 1\)"):
        AffineCoupling("channel").build((None, 4, 4, 1))
    with pytest.raises(ValueError, match=r"mask_type='diagonal'"):
        AffineCoupling("diagonal")
    config = AffineCoupling("checkerboard", 1, filters=8).get_config()
    restored = AffineCoupling.from_config(config)
    assert (restored.mask_type, restored.parity, restored.filters) == (
        "checkerboard",
        1,
        8,
    )


def test_actnorm_data_init_gives_zero_mean_unit_variance_per_channel():
    x = (
        np.random.RandomState(0).randn(64, 3, 3, 2) * [2.0, 0.5] + [1.0, -3.0]
    ).astype("float32")
    layer = ActNorm()
    layer.build(x.shape)
    layer.initialize(x)
    y, log_det = layer.forward(x)
    y = numpy(y).reshape(-1, 2)
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(y.std(axis=0), 1.0, atol=1e-4)
    # Nine positions per sample share each channel's scale.
    expected = -9 * np.log(x.reshape(-1, 2).std(axis=0)).sum()
    np.testing.assert_allclose(numpy(log_det), expected, rtol=1e-4)
    np.testing.assert_allclose(numpy(layer.inverse(layer(x))[0]), x, atol=1e-5)


def test_logit_transform_log_det_matches_its_derivative():
    layer = LogitTransform(low=0.0, width=256.0, alpha=0.05)
    x = np.array([[0.0, 10.5, 128.0, 255.99]], "float32")
    h, log_det = layer.forward(x)
    y = x.astype("float64") / 256.0
    p = 0.05 + 0.9 * y
    np.testing.assert_allclose(numpy(h), np.log(p / (1 - p)), rtol=1e-5)
    derivative = 0.9 / 256.0 / (p * (1 - p))  # d logit(p) / dx
    np.testing.assert_allclose(
        numpy(log_det), [np.log(derivative).sum()], rtol=1e-5
    )
    x_back, inverse_log_det = layer.inverse(h)
    np.testing.assert_allclose(numpy(x_back), x, atol=1e-3)
    np.testing.assert_allclose(
        numpy(inverse_log_det), -numpy(log_det), rtol=1e-5
    )
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(layer)
    )
    assert (restored.low, restored.width, restored.alpha) == (0.0, 256.0, 0.05)


def test_lu_decomposition_rebuilds_the_matrix():
    a = np.random.RandomState(0).randn(5, 5)
    p, lower, upper = lu_decomposition(a)
    np.testing.assert_allclose(p @ lower @ upper, a, atol=1e-12)
    np.testing.assert_array_equal(np.sort(p.sum(axis=0)), np.ones(5))
    np.testing.assert_array_equal(np.diag(lower), np.ones(5))
    np.testing.assert_array_equal(np.triu(lower, k=1), 0.0)
    np.testing.assert_array_equal(np.tril(upper, k=-1), 0.0)


def test_invertible_1x1_conv_matches_numpy_and_inverts():
    layer = InvertibleConv1x1(seed=0)
    layer.build((None, 3, 2, 4))
    w0 = numpy(layer.matrix())
    np.testing.assert_allclose(w0 @ w0.T, np.eye(4), atol=1e-6)  # a rotation
    rng = np.random.RandomState(1)
    for v in layer.trainable_variables:
        v.assign(numpy(v) + 0.3 * rng.randn(*v.shape).astype("float32"))
    # W = P L (U + diag(s)) from the stored factors, in NumPy (eq. 10):
    # every backend must give the same map (the cross-backend reference).
    p, lower, upper, sign, log_s = (
        numpy(v).astype("float64")
        for v in (
            layer.permutation,
            layer.lower,
            layer.upper,
            layer.sign_s,
            layer.log_s,
        )
    )
    w = (
        p
        @ (np.tril(lower, k=-1) + np.eye(4))
        @ (np.triu(upper, k=1) + np.diag(sign * np.exp(log_s)))
    )
    x = rng.randn(2, 3, 2, 4).astype("float32")
    y, log_det = layer.forward(x)
    np.testing.assert_allclose(numpy(y), x @ w.T, atol=1e-5)
    np.testing.assert_allclose(numpy(layer(x)), numpy(y))  # `__call__` too
    # Six positions: log|det| = 6 log|det W| = 6 sum(log|s|) (table 1).
    expected = 6 * np.linalg.slogdet(w)[1]
    assert abs(expected) > 0.1
    np.testing.assert_allclose(numpy(log_det), [expected] * 2, rtol=1e-5)
    x_back, inverse_log_det = layer.inverse(y)
    np.testing.assert_allclose(numpy(x_back), x, atol=1e-5)
    np.testing.assert_allclose(numpy(inverse_log_det), -numpy(log_det))
    # Vectors: a dense invertible matrix, one position.
    dense = InvertibleConv1x1(seed=0)
    dense.build((None, 4))
    np.testing.assert_allclose(numpy(dense.matrix()), w0, atol=1e-7)
    restored = InvertibleConv1x1.from_config(layer.get_config())
    assert restored.seed == 0
    with pytest.raises(ValueError, match=r"seed='a'"):
        InvertibleConv1x1(seed="a")
