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
    np.testing.assert_allclose(
        y, ops.convert_to_numpy(reference(up)), rtol=1e-5, atol=1e-5
    )


def test_bilinear_resize_conv_matches_keras_bilinear_upsampling():
    x = _images((2, 4, 4, 2))
    layer = layers.UpsampleConv2D(3, 3, size=3, interpolation="bilinear")
    y = ops.convert_to_numpy(layer(x))
    assert y.shape == (2, 12, 12, 3)
    reference = keras.layers.Conv2D(3, 3, padding="same")
    up = keras.layers.UpSampling2D(3, interpolation="bilinear")(x)
    reference.build(up.shape)
    reference.set_weights(layer.get_weights())
    np.testing.assert_allclose(
        y, ops.convert_to_numpy(reference(up)), rtol=1e-4, atol=1e-4
    )


def test_depth_to_space_is_a_pixel_shuffle_of_a_convolution():
    x = _images((2, 3, 4, 2))
    layer = layers.UpsampleConv2D(5, 3, method="depth_to_space", use_bias=False)
    y = ops.convert_to_numpy(layer(x))
    assert y.shape == (2, 6, 8, 5)
    conv = keras.layers.Conv2D(20, 3, padding="same", use_bias=False)
    conv.build(x.shape)
    conv.set_weights(layer.get_weights())
    z = ops.convert_to_numpy(conv(x)).reshape(
        2, 3, 4, 2, 2, 5
    )  # (.., dy, dx, c)
    # Output pixel (2i + dy, 2j + dx) holds channel block (dy, dx) of (i, j).
    shuffled = z.transpose(0, 1, 3, 2, 4, 5).reshape(2, 6, 8, 5)
    np.testing.assert_allclose(y, shuffled, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("method", ["resize_conv", "depth_to_space"])
def test_channels_first_gives_the_channels_last_outputs(method):
    x = _images((2, 4, 4, 3))
    last = layers.UpsampleConv2D(
        4, 3, method=method, data_format="channels_last"
    )
    first = layers.UpsampleConv2D(
        4, 3, method=method, data_format="channels_first"
    )
    y_last = ops.convert_to_numpy(last(x))
    first.build((None, 3, 4, 4))
    first.set_weights(last.get_weights())
    y_first = ops.convert_to_numpy(first(np.transpose(x, (0, 3, 1, 2))))
    np.testing.assert_allclose(
        np.transpose(y_first, (0, 2, 3, 1)), y_last, rtol=1e-5, atol=1e-5
    )
    assert first.compute_output_shape((None, 3, 4, 4)) == (None, 4, 8, 8)


def test_the_layer_saves_and_reloads_in_a_model(tmp_path):
    inputs = keras.Input((4, 4, 8))
    outputs = layers.UpsampleConv2D(
        2, 3, method="depth_to_space", activation="tanh"
    )(inputs)
    model = keras.Model(inputs, outputs)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = _images((3, 4, 4, 8))
    np.testing.assert_allclose(
        ops.convert_to_numpy(loaded(x)),
        ops.convert_to_numpy(model(x)),
        rtol=1e-6,
    )
    assert loaded.layers[-1].get_config()["method"] == "depth_to_space"


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="method"):
        layers.UpsampleConv2D(4, method="transposed")
    with pytest.raises(ValueError, match="interpolation"):
        layers.UpsampleConv2D(4, interpolation="cubic")
    with pytest.raises(ValueError, match="size"):
        layers.UpsampleConv2D(4, size=0)


@pytest.mark.parametrize("method", ["resize_conv", "depth_to_space"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_output_shapes(method, data_format):
    layer = layers.UpsampleConv2D(
        6, 3, size=2, method=method, data_format=data_format
    )
    shape = (
        (None, 5, 7, 3) if data_format == "channels_last" else (None, 3, 5, 7)
    )
    expected = (
        (None, 10, 14, 6)
        if data_format == "channels_last"
        else (None, 6, 10, 14)
    )
    assert layer.compute_output_shape(shape) == expected
    assert tuple(layer(keras.Input(shape[1:])).shape) == expected  # builds it
    kernel = layer.conv.kernel
    assert tuple(kernel.shape) == (
        3,
        3,
        3,
        6 * (4 if method == "depth_to_space" else 1),
    )


def test_size_one_is_a_convolution():
    x = _images((2, 4, 4, 3))
    for method in ("resize_conv", "depth_to_space"):
        assert layers.UpsampleConv2D(2, 3, size=1, method=method)(x).shape == (
            2,
            4,
            4,
            2,
        )


@pytest.mark.parametrize("method", ["resize_conv", "depth_to_space"])
def test_config_round_trip_gives_the_same_layer(method):
    layer = layers.UpsampleConv2D(
        4,
        5,
        size=3,
        method=method,
        interpolation="bilinear",
        activation="relu",
        use_bias=False,
        kernel_initializer="he_normal",
        name="up",
    )
    x = _images((2, 3, 3, 2))
    y = ops.convert_to_numpy(layer(x))
    config = layer.get_config()
    clone = layers.UpsampleConv2D.from_config(config)
    assert clone.get_config() == config
    clone.build(x.shape)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(ops.convert_to_numpy(clone(x)), y, rtol=1e-6)
    # Through Keras' registry as well (what a saved model does).
    again = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(layer)
    )
    assert (
        isinstance(again, layers.UpsampleConv2D)
        and again.get_config() == config
    )


def test_the_gradient_reaches_the_kernel_and_the_input():
    x = keras.Variable(_images((2, 4, 4, 3)))
    for method in ("resize_conv", "depth_to_space"):
        layer = layers.UpsampleConv2D(2, 3, method=method)
        layer.build(x.shape)
        grads = _gradients(
            lambda: ops.sum(layer(x) ** 2), [layer.conv.kernel, x]
        )
        assert all(np.abs(g).sum() > 0 for g in grads)


def _gradients(loss_fn, variables):
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = loss_fn()
        return [
            g.numpy() for g in tape.gradient(loss, [v.value for v in variables])
        ]
    if backend == "torch":
        loss = loss_fn()
        loss.backward()
        return [v.value.grad.cpu().numpy() for v in variables]
    import jax

    values = [v.value for v in variables]

    def f(vals):
        for v, val in zip(variables, vals):
            v.assign(val)
        return loss_fn()

    # Stateless: trace with the values as arguments.
    def pure(vals):
        with keras.StatelessScope(state_mapping=list(zip(variables, vals))):
            return loss_fn()

    return [np.asarray(g) for g in jax.grad(pure)(values)]


# -- the default networks' `upsampling` option --------------------------------

IMAGE_FAMILIES = {
    "vae": dict(latent_dim=2, hidden_units=(8,), filters=(4, 8)),
    "autoencoder": dict(latent_dim=2, hidden_units=(8,), filters=(4, 8)),
    "aae": dict(latent_dim=2, hidden_units=(8,), filters=(4, 8)),
    "gan": dict(
        latent_dim=4,
        hidden_units=(8,),
        generator_filters=(8, 4),
        discriminator_filters=(4, 8),
    ),
    "wgan_gp": dict(
        latent_dim=4,
        hidden_units=(8,),
        generator_filters=(8, 4),
        discriminator_filters=(4, 8),
        n_critic=1,
    ),
    "cyclegan": dict(
        generator_filters=4,
        num_residual_blocks=1,
        discriminator_filters=4,
        discriminator_layers=1,
    ),
}


def _family_model(family, **kwargs):
    from keras_gen.models import registry

    return registry.get(family).model_class(
        data_shape=(8, 8, 1), seed=0, **IMAGE_FAMILIES[family], **kwargs
    )


def _upsampling_layers(model):
    found = []
    for network in model.layers:
        for layer in getattr(network, "layers", []):
            if isinstance(
                layer, (keras.layers.Conv2DTranspose, layers.UpsampleConv2D)
            ):
                found.append(layer)
    return found


@pytest.mark.parametrize("family", sorted(IMAGE_FAMILIES))
@pytest.mark.parametrize(
    "upsampling", ["resize_conv", "depth_to_space", "transposed"]
)
def test_default_networks_honour_the_upsampling_option(family, upsampling):
    model = _family_model(family, upsampling=upsampling)
    found = _upsampling_layers(model)
    assert found, "no learned upsampling in the default networks"
    if upsampling == "transposed":
        assert all(
            isinstance(layer, keras.layers.Conv2DTranspose) for layer in found
        )
    else:
        assert all(
            isinstance(layer, layers.UpsampleConv2D)
            and layer.method == upsampling
            for layer in found
        )
    config = model.get_config()
    assert config["upsampling"] == upsampling
    clone = type(model).from_config(config)
    assert [type(layer) for layer in _upsampling_layers(clone)] == [
        type(layer) for layer in found
    ]


@pytest.mark.parametrize("family", sorted(IMAGE_FAMILIES))
def test_new_models_resize_and_legacy_configs_transpose(family):
    model = _family_model(family)
    assert model.upsampling == "resize_conv"
    config = model.get_config()
    del config["upsampling"]  # saved before the option existed
    legacy = type(model).from_config(config)
    assert legacy.upsampling == "transposed"
    assert all(
        isinstance(layer, keras.layers.Conv2DTranspose)
        for layer in _upsampling_layers(legacy)
    )


def test_the_networks_refuse_an_unknown_upsampling():
    from keras_gen.models.autoencoder import Decoder
    from keras_gen.models.gan import GANGenerator

    with pytest.raises(ValueError, match="upsampling"):
        GANGenerator(4, (8, 8, 1), filters=(8, 4), upsampling="deconv")
    with pytest.raises(ValueError, match="upsampling"):
        Decoder(2, (8, 8, 1), filters=(4, 8), upsampling="bicubic")
    with pytest.raises(ValueError, match="upsampling"):
        _family_model("vae", upsampling="nearest")


def test_a_keras_io_generator_with_the_layer_trains_saves_and_reloads(tmp_path):
    # keras.io's DCGAN generator with `UpsampleConv2D` in place of its
    # stride-2 `Conv2DTranspose`, in a user's own Sequential network.
    from keras_gen.models import GAN

    generator = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(2 * 2 * 16),
            keras.layers.LeakyReLU(0.2),
            keras.layers.Reshape((2, 2, 16)),
            layers.UpsampleConv2D(16, 3),
            keras.layers.LeakyReLU(0.2),
            layers.UpsampleConv2D(8, 3, method="depth_to_space"),
            keras.layers.LeakyReLU(0.2),
            keras.layers.Conv2D(1, 3, padding="same", activation="tanh"),
        ],
        name="generator",
    )
    discriminator = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(8, 3, strides=2, padding="same"),
            keras.layers.LeakyReLU(0.2),
            keras.layers.GlobalMaxPooling2D(),
            keras.layers.Dense(1),
        ],
        name="discriminator",
    )
    gan = GAN(
        generator=generator, discriminator=discriminator, latent_dim=8, seed=0
    )
    gan.compile()
    x = np.random.RandomState(0).uniform(-1, 1, (16, 8, 8, 1)).astype("float32")
    before = [
        ops.convert_to_numpy(w).copy() for w in generator.trainable_weights
    ]
    history = gan.fit(x, batch_size=8, epochs=1, verbose=0)
    assert all(np.isfinite(v[-1]) for v in history.history.values())
    after = [ops.convert_to_numpy(w) for w in generator.trainable_weights]
    assert any(not np.allclose(a, b) for a, b in zip(before, after))
    path = str(tmp_path / "gan.keras")
    gan.save(path)
    restored = keras.models.load_model(path)
    z = np.random.RandomState(1).randn(4, 8).astype("float32")
    np.testing.assert_allclose(
        ops.convert_to_numpy(restored.generator(z)),
        ops.convert_to_numpy(gan.generator(z)),
        rtol=1e-5,
        atol=1e-6,
    )
    assert (
        sum(
            isinstance(layer, layers.UpsampleConv2D)
            for layer in restored.generator.layers
        )
        == 2
    )
