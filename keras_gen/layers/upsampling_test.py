import keras
import numpy as np
import pytest
from keras import ops

from keras_gen import layers


def _images(shape, seed=0):
    return np.random.RandomState(seed).randn(*shape).astype("float32")


def test_resize_conv_is_a_nearest_upsampling_then_a_convolution():
    x = _images((2, 5, 4, 3))
    layer = layers.UpsampleConv2D(6, 3, activation="relu")
    y = ops.convert_to_numpy(layer(x))
    assert y.shape == (2, 10, 8, 6)
    reference = keras.layers.Conv2D(6, 3, padding="same", activation="relu")
    up = keras.layers.UpSampling2D(2, interpolation="nearest")(x)
    reference.build(up.shape)
    reference.set_weights(layer.get_weights())
    np.testing.assert_allclose(y, ops.convert_to_numpy(reference(up)), rtol=1e-5, atol=1e-5)


def test_bilinear_resize_conv_matches_keras_bilinear_upsampling():
    x = _images((2, 4, 4, 2))
    layer = layers.UpsampleConv2D(3, 3, size=3, interpolation="bilinear")
    y = ops.convert_to_numpy(layer(x))
    assert y.shape == (2, 12, 12, 3)
    reference = keras.layers.Conv2D(3, 3, padding="same")
    up = keras.layers.UpSampling2D(3, interpolation="bilinear")(x)
    reference.build(up.shape)
    reference.set_weights(layer.get_weights())
    np.testing.assert_allclose(y, ops.convert_to_numpy(reference(up)), rtol=1e-4, atol=1e-4)


def test_depth_to_space_is_a_pixel_shuffle_of_a_convolution():
    x = _images((2, 3, 4, 2))
    layer = layers.UpsampleConv2D(5, 3, method="depth_to_space", use_bias=False)
    y = ops.convert_to_numpy(layer(x))
    assert y.shape == (2, 6, 8, 5)
    conv = keras.layers.Conv2D(20, 3, padding="same", use_bias=False)
    conv.build(x.shape)
    conv.set_weights(layer.get_weights())
    z = ops.convert_to_numpy(conv(x)).reshape(2, 3, 4, 2, 2, 5)  # (.., dy, dx, c)
    # Output pixel (2i + dy, 2j + dx) holds channel block (dy, dx) of (i, j).
    shuffled = z.transpose(0, 1, 3, 2, 4, 5).reshape(2, 6, 8, 5)
    np.testing.assert_allclose(y, shuffled, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("method", ["resize_conv", "depth_to_space"])
def test_channels_first_gives_the_channels_last_outputs(method):
    if keras.backend.backend() == "tensorflow":
        pytest.skip("channels-first convolutions add their bias on the wrong axis on TensorFlow (Keras 3.15)")
    x = _images((2, 4, 4, 3))
    last = layers.UpsampleConv2D(4, 3, method=method, data_format="channels_last")
    first = layers.UpsampleConv2D(4, 3, method=method, data_format="channels_first")
    y_last = ops.convert_to_numpy(last(x))
    first.build((None, 3, 4, 4))
    first.set_weights(last.get_weights())
    y_first = ops.convert_to_numpy(first(np.transpose(x, (0, 3, 1, 2))))
    np.testing.assert_allclose(np.transpose(y_first, (0, 2, 3, 1)), y_last, rtol=1e-5, atol=1e-5)
    assert first.compute_output_shape((None, 3, 4, 4)) == (None, 4, 8, 8)


def test_the_layer_saves_and_reloads_in_a_model(tmp_path):
    inputs = keras.Input((4, 4, 8))
    outputs = layers.UpsampleConv2D(2, 3, method="depth_to_space", activation="tanh")(inputs)
    model = keras.Model(inputs, outputs)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = _images((3, 4, 4, 8))
    np.testing.assert_allclose(ops.convert_to_numpy(loaded(x)), ops.convert_to_numpy(model(x)), rtol=1e-6)
    assert loaded.layers[-1].get_config()["method"] == "depth_to_space"


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="method"):
        layers.UpsampleConv2D(4, method="transposed")
    with pytest.raises(ValueError, match="interpolation"):
        layers.UpsampleConv2D(4, interpolation="cubic")
    with pytest.raises(ValueError, match="size"):
        layers.UpsampleConv2D(4, size=0)
