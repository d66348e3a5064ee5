"""Default encoder and decoder networks of the autoencoder family.

An MLP for vectors; a small strided CNN for images (one stride-2 stage per
entry of `filters`, so the sides must divide by 2**len(filters)). The AE,
VAE and AAE share them.
"""

import keras
from keras import ops

from keras_gen.layers import upsampling as upsampling_lib
from keras_gen.models.network import Network
from keras_gen.utils import validation


@keras.saving.register_keras_serializable(package="keras_gen")
class Encoder(Network):
    """An encoder from a sample to `output_dim` linear outputs.

    Images: stride-2 3x3 ReLU convolutions (`filters`), then a ReLU dense
    layer of `hidden_units[-1]`; vectors: `hidden_units` ReLU layers.

    Args:
        data_shape: `(features,)` or `(height, width, channels)`, sides
            divisible by `2 ** len(filters)`.
        output_dim: size of the output (e.g. `2 * latent_dim` for a VAE:
            the posterior's mean, then its log-variance).
        hidden_units: hidden layer sizes.
        filters: channels of the convolution stages.
        name: the network's name.

    Example:

    ```python
    encoder = keras_gen.models.autoencoder.Encoder((28, 28, 1), output_dim=16)
    codes = encoder(keras.random.uniform((2, 28, 28, 1)))   # (2, 16)
    ```
    """

    def __init__(
        self,
        data_shape,
        output_dim,
        hidden_units=(256, 256),
        filters=(32, 64),
        name="encoder",
        **kwargs,
    ):
        data_shape = validation.check_default_network_shape(
            data_shape, len(filters), "autoencoder"
        )
        config = dict(
            data_shape=data_shape,
            output_dim=validation.check_positive_int(output_dim, "output_dim"),
            hidden_units=tuple(hidden_units),
            filters=tuple(filters),
        )
        inputs = keras.Input(data_shape)
        h = inputs
        if len(data_shape) == 1:
            for units in hidden_units:
                h = keras.layers.Dense(units, activation="relu")(h)
        else:
            for f in filters:
                h = keras.layers.Conv2D(
                    f, 3, strides=2, padding="same", activation="relu"
                )(h)
            h = keras.layers.Flatten()(h)
            h = keras.layers.Dense(hidden_units[-1], activation="relu")(h)
        outputs = keras.layers.Dense(output_dim)(h)
        super().__init__(inputs, outputs, config, name=name, **kwargs)


@keras.saving.register_keras_serializable(package="keras_gen")
class Decoder(Network):
    """A decoder from a `latent_dim` code to a sample (the encoder mirrored).

    Images: dense layers to a `(H / 2^k, W / 2^k, filters[-1])` map, 2x
    ReLU upsamplings (`upsampling`), then a 3x3 convolution to the
    channels; vectors: `hidden_units` ReLU layers, then a dense output.

    Args:
        latent_dim: size of the code.
        data_shape: `(features,)` or `(height, width, channels)`.
        hidden_units: hidden layer sizes.
        filters: channels of the convolution stages (mirrored).
        output_activation: activation of the output (`None`: linear, e.g.
            logits or a Gaussian mean).
        upsampling: how images are upsampled: `"resize_conv"` (nearest
            resize, then a 3x3 convolution), `"depth_to_space"` (a 3x3
            convolution, then a pixel shuffle) or `"transposed"` (3x3
            stride-2 `Conv2DTranspose`, many times slower to train on
            JAX's CPU backend; the built-in presets use it). See
            `keras_gen.layers.UpsampleConv2D`.
        name: the network's name.

    Example:

    ```python
    decoder = keras_gen.models.autoencoder.Decoder(8, (28, 28, 1))
    logits = decoder(keras.random.normal((2, 8)))   # (2, 28, 28, 1)
    ```
    """

    def __init__(
        self,
        latent_dim,
        data_shape,
        hidden_units=(256, 256),
        filters=(32, 64),
        output_activation=None,
        upsampling="resize_conv",
        name="decoder",
        **kwargs,
    ):
        data_shape = validation.check_default_network_shape(
            data_shape, len(filters), "autoencoder"
        )
        config = dict(
            latent_dim=validation.check_positive_int(latent_dim, "latent_dim"),
            data_shape=data_shape,
            hidden_units=tuple(hidden_units),
            filters=tuple(filters),
            output_activation=output_activation,
            upsampling=upsampling_lib.check_network_upsampling(upsampling),
        )
        inputs = keras.Input((latent_dim,))
        h = inputs
        if len(data_shape) == 1:
            for units in reversed(hidden_units):
                h = keras.layers.Dense(units, activation="relu")(h)
            outputs = keras.layers.Dense(
                data_shape[0], activation=output_activation
            )(h)
        else:
            height, width, channels = data_shape
            factor = 2 ** len(filters)
            h = keras.layers.Dense(hidden_units[-1], activation="relu")(h)
            h = keras.layers.Dense(
                height // factor * width // factor * filters[-1],
                activation="relu",
            )(h)
            h = keras.layers.Reshape(
                (height // factor, width // factor, filters[-1])
            )(h)
            for f in reversed(filters):
                h = upsampling_lib.upsample(
                    h, f, 3, upsampling, activation="relu"
                )
            outputs = keras.layers.Conv2D(
                channels, 3, padding="same", activation=output_activation
            )(h)
        super().__init__(inputs, outputs, config, name=name, **kwargs)

    @classmethod
    def from_config(cls, config):
        # Saved before `upsampling` existed: transposed convolutions.
        return cls(**{"upsampling": "transposed", **config})


def require_data_shape(data_shape, encoder, decoder):
    """The default networks need the shape of one sample."""
    if (encoder is None or decoder is None) and data_shape is None:
        raise ValueError(
            "Pass `data_shape` (the shape of one sample) to build the "
            "default networks, or pass both `encoder` and `decoder`. "
            f"Received: data_shape=None, encoder={encoder!r}, decoder={decoder!r}"
        )


def check_decoder_input(decoder, size, what="latent_dim"):
    """A user's decoder must take codes of `size` values."""
    shape = validation.network_input_shape(decoder)
    if tuple(shape) != (size,):
        raise ValueError(
            f"`decoder` must take codes of shape (batch, {size}) ({what}). "
            f"Received: decoder with input shape {(None,) + tuple(shape)}"
        )


def append_labels(x, labels, num_classes):
    """`x` with the one-hot `labels` appended: `num_classes` more features of
    a vector, or `num_classes` constant channels of an image (how a
    conditional VAE's encoder and decoder see the class, Sohn et al., 2015).

    Args:
        x: a batch of vectors `(n, features)` or images `(n, h, w, c)`.
        labels: `(n,)` integer classes.
        num_classes: the number of classes.

    Returns:
        `(n, features + num_classes)` or `(n, h, w, c + num_classes)`.
    """
    one_hot = ops.one_hot(ops.cast(labels, "int32"), num_classes, dtype=x.dtype)
    if len(x.shape) == 4:
        one_hot = ops.ones_like(x[..., :1]) * one_hot[:, None, None, :]
    return ops.concatenate([x, one_hot], axis=-1)


def labelled_shape(shape, num_classes):
    """The shape `append_labels` gives a sample of `shape`."""
    if not num_classes:
        return tuple(shape)
    return tuple(shape[:-1]) + (shape[-1] + num_classes,)
