"""Default encoder and decoder of the VQ-VAE (van den Oord et al., 2017,
sec. 4.1): strided 4x4 convolutions and 3x3 / 1x1 residual blocks."""

import keras
from keras import layers

from keras_gen.models.network import Network
from keras_gen.utils import validation


def check_image_shape(data_shape, num_stages):
    """The default networks take images whose sides divide by 2**num_stages."""
    data_shape = validation.check_data_shape(data_shape, allow_none=False)
    factor = 2**num_stages
    if len(data_shape) != 3 or data_shape[0] % factor or data_shape[1] % factor:
        raise ValueError(
            "The default VQ-VAE networks take images `(height, width, channels)` whose sides divide by "
            f"{factor} (one stride-2 stage per entry of `filters`); pass your own networks for other "
            f"shapes. Received: data_shape={data_shape}"
        )
    return data_shape


def _residual_stack(h, hidden, num_blocks):
    """ReLU, 3x3 conv, ReLU, 1x1 conv, added to the input (sec. 4.1)."""
    for _ in range(num_blocks):
        r = layers.ReLU()(h)
        r = layers.Conv2D(hidden, 3, padding="same", activation="relu")(r)
        r = layers.Conv2D(h.shape[-1], 1)(r)
        h = layers.Add()([h, r])
    return layers.ReLU()(h)


@keras.saving.register_keras_serializable(package="keras_gen")
class VQEncoder(Network):
    """The VQ-VAE encoder: an image to a grid of `embedding_dim` vectors.

    One stride-2 4x4 ReLU convolution per entry of `filters`, a 3x3
    convolution, `num_res_blocks` residual blocks, and a 1x1 convolution to
    `embedding_dim` channels (the vectors to quantize). An `(H, W, C)` image
    gives an `(H / 2^k, W / 2^k, embedding_dim)` grid.

    Args:
        data_shape: `(height, width, channels)`, sides divisible by
            `2 ** len(filters)`.
        embedding_dim: D, the size of the codebook vectors.
        filters: channels of the strided convolutions (the last one is the
            width of the residual blocks).
        num_res_blocks: residual blocks.
        name: the network's name.

    Example:

    ```python
    encoder = keras_gen.models.vq_vae.VQEncoder((28, 28, 1), embedding_dim=16)
    z_e = encoder(keras.random.uniform((2, 28, 28, 1)))   # (2, 7, 7, 16)
    ```
    """

    def __init__(self, data_shape, embedding_dim, filters=(128, 256), num_res_blocks=2, name="encoder", **kwargs):
        filters = validation.check_int_sequence(filters, "filters")
        data_shape = check_image_shape(data_shape, len(filters))
        config = dict(
            data_shape=data_shape,
            embedding_dim=validation.check_positive_int(embedding_dim, "embedding_dim"),
            filters=filters,
            num_res_blocks=validation.check_positive_int(num_res_blocks, "num_res_blocks", allow_zero=True),
        )
        inputs = keras.Input(data_shape)
        h = inputs
        for f in filters:
            h = layers.Conv2D(f, 4, strides=2, padding="same", activation="relu")(h)
        h = layers.Conv2D(filters[-1], 3, padding="same")(h)
        h = _residual_stack(h, filters[-1], num_res_blocks)
        outputs = layers.Conv2D(embedding_dim, 1)(h)
        super().__init__(inputs, outputs, config, name=name, **kwargs)


@keras.saving.register_keras_serializable(package="keras_gen")
class VQDecoder(Network):
    """The VQ-VAE decoder: a grid of code vectors back to an image.

    A 3x3 convolution, `num_res_blocks` residual blocks, then one stride-2
    4x4 transposed convolution per entry of `filters` (in reverse; the last
    one to the image's channels, linear).

    Args:
        data_shape: `(height, width, channels)` of the images.
        embedding_dim: D, the size of the code vectors.
        filters: the encoder's `filters` (mirrored here).
        num_res_blocks: residual blocks.
        name: the network's name.

    Example:

    ```python
    decoder = keras_gen.models.vq_vae.VQDecoder((28, 28, 1), embedding_dim=16)
    x = decoder(keras.random.normal((2, 7, 7, 16)))   # (2, 28, 28, 1)
    ```
    """

    def __init__(self, data_shape, embedding_dim, filters=(128, 256), num_res_blocks=2, name="decoder", **kwargs):
        filters = validation.check_int_sequence(filters, "filters")
        data_shape = check_image_shape(data_shape, len(filters))
        config = dict(
            data_shape=data_shape,
            embedding_dim=validation.check_positive_int(embedding_dim, "embedding_dim"),
            filters=filters,
            num_res_blocks=validation.check_positive_int(num_res_blocks, "num_res_blocks", allow_zero=True),
        )
        factor = 2 ** len(filters)
        inputs = keras.Input((data_shape[0] // factor, data_shape[1] // factor, embedding_dim))
        h = layers.Conv2D(filters[-1], 3, padding="same")(inputs)
        h = _residual_stack(h, filters[-1], num_res_blocks)
        widths = list(reversed(filters))[1:] + [data_shape[-1]]
        for i, f in enumerate(widths):
            last = i == len(widths) - 1
            h = layers.Conv2DTranspose(f, 4, strides=2, padding="same", activation=None if last else "relu")(h)
        super().__init__(inputs, h, config, name=name, **kwargs)
