"""Default encoder and decoder networks of the autoencoder family.

An MLP for vectors; a small strided CNN for images (one stride-2 stage per
entry of `filters`, so the sides must divide by 2**len(filters)). The AE,
VAE and AAE share them.
"""

import keras

from keras_gen.utils import validation


def build_encoder(data_shape, output_dim, hidden_units=(256, 256), filters=(32, 64), name="encoder"):
    """An encoder from `data_shape` to `output_dim` linear outputs."""
    data_shape = validation.check_default_network_shape(data_shape, len(filters), "autoencoder")
    inputs = keras.Input(data_shape)
    h = inputs
    if len(data_shape) == 1:
        for units in hidden_units:
            h = keras.layers.Dense(units, activation="relu")(h)
    else:
        for f in filters:
            h = keras.layers.Conv2D(f, 3, strides=2, padding="same", activation="relu")(h)
        h = keras.layers.Flatten()(h)
        h = keras.layers.Dense(hidden_units[-1], activation="relu")(h)
    outputs = keras.layers.Dense(output_dim)(h)
    return keras.Model(inputs, outputs, name=name)


def build_decoder(latent_dim, data_shape, hidden_units=(256, 256), filters=(32, 64), output_activation=None, name="decoder"):
    """A decoder from `latent_dim` to `data_shape` (linear outputs by default)."""
    data_shape = validation.check_default_network_shape(data_shape, len(filters), "autoencoder")
    inputs = keras.Input((latent_dim,))
    h = inputs
    if len(data_shape) == 1:
        for units in reversed(hidden_units):
            h = keras.layers.Dense(units, activation="relu")(h)
        outputs = keras.layers.Dense(data_shape[0], activation=output_activation)(h)
    else:
        height, width, channels = data_shape
        factor = 2 ** len(filters)
        h = keras.layers.Dense(hidden_units[-1], activation="relu")(h)
        h = keras.layers.Dense(height // factor * width // factor * filters[-1], activation="relu")(h)
        h = keras.layers.Reshape((height // factor, width // factor, filters[-1]))(h)
        for f in reversed(filters):
            h = keras.layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu")(h)
        outputs = keras.layers.Conv2D(channels, 3, padding="same", activation=output_activation)(h)
    return keras.Model(inputs, outputs, name=name)


def require_data_shape(data_shape, encoder, decoder):
    """The default networks need the shape of one sample."""
    if (encoder is None or decoder is None) and data_shape is None:
        raise ValueError(
            "Pass `data_shape` (the shape of one sample) to build the "
            "default networks, or pass both `encoder` and `decoder`. "
            f"Received: data_shape=None, encoder={encoder!r}, decoder={decoder!r}"
        )
