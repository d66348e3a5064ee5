"""Scale-and-translation networks of the affine coupling layers.

Each network reads the conditioning part of its input and returns the raw
log-scale and the translation of the other part, stacked on the last axis.
The last layer starts at zero, so every coupling starts as the identity and a
deep flow trains stably from the first step (as in Glow, sec. 3.3).

- Vectors: an MLP (Dinh et al., 2017, use one for their 2-D figures).
- Images: a small ResNet of 3x3 convolutions (Dinh et al., 2017, sec. 4.1,
  without their weight and batch normalisation: the flow must be the same
  bijection at training and inference time). It also reads the mask, so it
  knows which pixels are given.
"""

import keras

from keras_gen.utils import validation


def build_mlp_conditioner(
    num_features, hidden_units=(256, 256), activation="relu", name=None
):
    """MLP from `num_features` inputs to `2 * num_features` outputs.

    Args:
        num_features: size of the vectors.
        hidden_units: sizes of the hidden layers.
        activation: their activation.
        name: name of the `keras.Model`.

    Returns:
        A `keras.Model` `(batch, num_features) -> (batch, 2 * num_features)`.

    Example:

    ```python
    net = build_mlp_conditioner(2, hidden_units=(64, 64))
    ```
    """
    inputs = keras.Input((num_features,))
    h = inputs
    for units in hidden_units:
        h = keras.layers.Dense(units, activation=activation)(h)
    outputs = keras.layers.Dense(2 * num_features, kernel_initializer="zeros")(
        h
    )
    return keras.Model(inputs, outputs, name=name)


def build_resnet_conditioner(
    input_shape,
    output_channels,
    filters=64,
    num_blocks=2,
    activation="relu",
    name=None,
):
    """ResNet of 3x3 convolutions, from masked images to per-pixel outputs.

    Args:
        input_shape: `(height, width, channels)` of the network's input.
        output_channels: channels of the output (twice the flow's channels).
        filters: width of the residual blocks.
        num_blocks: number of residual blocks (conv-act-conv plus skip).
        activation: activation of the convolutions.
        name: name of the `keras.Model`.

    Returns:
        A `keras.Model` `(batch, H, W, C_in) -> (batch, H, W, output_channels)`.

    Example:

    ```python
    net = build_resnet_conditioner((8, 8, 2), 2, filters=32, num_blocks=2)
    ```
    """
    validation.check_positive_int(filters, "filters")
    validation.check_positive_int(num_blocks, "num_blocks", allow_zero=True)
    inputs = keras.Input(tuple(input_shape))
    h = keras.layers.Conv2D(filters, 3, padding="same", activation=activation)(
        inputs
    )
    for _ in range(num_blocks):
        r = keras.layers.Conv2D(
            filters, 3, padding="same", activation=activation
        )(h)
        r = keras.layers.Conv2D(filters, 3, padding="same")(r)
        h = keras.layers.Activation(activation)(keras.layers.Add()([h, r]))
    outputs = keras.layers.Conv2D(
        output_channels, 3, padding="same", kernel_initializer="zeros"
    )(h)
    return keras.Model(inputs, outputs, name=name)
