import keras
import numpy as np
import pytest
from keras import ops

from keras_gen.layers import MaskedConv2D, VectorQuantizer
from keras_gen.layers.masked_conv2d import causal_mask


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def test_quantizer_picks_the_nearest_entry_and_returns_the_eq3_loss():
    quantizer = VectorQuantizer(
        num_embeddings=6, embedding_dim=3, commitment_cost=0.25
    )
    z = np.random.RandomState(0).randn(2, 4, 4, 3).astype("float32")
    quantized, indices, loss = quantizer(z)
    codebook = _numpy(quantizer.embeddings())
    distances = ((z[..., None, :] - codebook) ** 2).sum(-1)
    np.testing.assert_array_equal(_numpy(indices), distances.argmin(-1))
    np.testing.assert_allclose(
        _numpy(quantized), codebook[distances.argmin(-1)], atol=1e-5
    )
    # ||sg[z] - e||^2 + β ||z - sg[e]||^2, each a mean (eq. 3): (1 + β) MSE.
    mse = ((z - codebook[distances.argmin(-1)]) ** 2).mean()
    np.testing.assert_allclose(float(_numpy(loss)), 1.25 * mse, rtol=1e-5)


def test_ema_codebook_moves_to_the_mean_of_its_vectors():
    quantizer = VectorQuantizer(
        num_embeddings=4, embedding_dim=2, ema_decay=0.5, commitment_cost=1.0
    )
    z = np.random.RandomState(1).randn(64, 2).astype("float32")
    _, indices, loss = quantizer(z, training=False)
    before = _numpy(quantizer.embeddings())
    # Without training the EMA loss is the commitment term alone.
    np.testing.assert_allclose(
        float(_numpy(loss)),
        ((z - before[_numpy(indices)]) ** 2).mean(),
        rtol=1e-5,
    )
    for _ in range(30):
        _, indices, _ = quantizer(
            z, training=True, seed=keras.random.SeedGenerator(0)
        )
    indices = _numpy(indices)
    after = _numpy(quantizer.embeddings())
    for k in np.unique(indices):
        np.testing.assert_allclose(after[k], z[indices == k].mean(0), atol=0.05)


def test_dead_codes_restart_on_encoder_outputs():
    quantizer = VectorQuantizer(
        num_embeddings=8, embedding_dim=2, dead_code_threshold=1.0
    )
    # Every vector sits at one far point: seven entries are never used.
    z = np.tile(
        np.array([[50.0, -50.0]], "float32"), (16, 1)
    ) + 0.01 * np.random.RandomState(0).randn(16, 2)
    z = z.astype("float32")
    _, first, _ = quantizer(
        z, training=True, seed=keras.random.SeedGenerator(0)
    )
    codebook = _numpy(quantizer.embeddings())
    used = np.unique(_numpy(first))
    restarted = [k for k in range(8) if k not in used]
    # Each restarted entry is now one of the batch's vectors.
    for k in restarted:
        assert np.abs(z - codebook[k]).sum(-1).min() < 1e-4
    _, second, _ = quantizer(z, training=False)
    assert len(np.unique(_numpy(second))) > len(used)


def test_quantizer_config_round_trip_and_bad_arguments():
    quantizer = VectorQuantizer(
        5,
        3,
        commitment_cost=0.5,
        ema_decay=0.9,
        dead_code_threshold=0.5,
        name="vq",
    )
    config = quantizer.get_config()
    again = VectorQuantizer.from_config(config)
    assert again.get_config() == config
    with pytest.raises(ValueError, match="ema_decay"):
        VectorQuantizer(5, 3, ema_decay=1.0)
    with pytest.raises(ValueError, match="commitment_cost"):
        VectorQuantizer(5, 3, commitment_cost=-1.0)


@pytest.mark.parametrize("stack", ["raster", "vertical", "horizontal"])
@pytest.mark.parametrize("mask_type", ["A", "B"])
def test_masked_convolution_sees_only_the_past(stack, mask_type):
    kernel = (1, 3) if stack == "horizontal" else (3, 3)
    conv = MaskedConv2D(
        2, kernel, mask_type=mask_type, stack=stack, use_bias=False
    )
    x = np.zeros((1, 5, 5, 1), "float32")
    conv(x)
    conv.set_weights([np.ones_like(w) for w in conv.get_weights()])
    # One input at the centre: the outputs that see it are those whose
    # kernel reaches it through the mask.
    x[0, 2, 2, 0] = 1.0
    reached = _numpy(conv(x))[0, :, :, 0] != 0
    mask = causal_mask(kernel, mask_type, stack)
    expected = np.zeros((5, 5), bool)
    ch, cw = kernel[0] // 2, kernel[1] // 2
    for i in range(5):
        for j in range(5):
            di, dj = 2 - i + ch, 2 - j + cw
            expected[i, j] = (
                0 <= di < kernel[0] and 0 <= dj < kernel[1] and mask[di, dj] > 0
            )
    np.testing.assert_array_equal(reached, expected)
    # Causality: no output before the centre in raster order sees it (nor
    # the centre's own output with "A"); the vertical stack's outputs see it
    # only from the rows below (or its own row with "B").
    order = np.arange(25).reshape(5, 5)
    if stack == "vertical":
        blind = order // 5 <= 2 if mask_type == "A" else order // 5 < 2
    else:
        blind = (
            order <= order[2, 2] if mask_type == "A" else order < order[2, 2]
        )
    assert not reached[blind].any()
    assert reached.any()
    config = conv.get_config()
    assert MaskedConv2D.from_config(config).get_config() == config
