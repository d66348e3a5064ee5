"""Networks of the VQ-VAE (van den Oord et al., 2017, sec. 4.1): the
encoder and decoder (strided 4x4 convolutions, 3x3 / 1x1 residual blocks)
and the gated PixelCNN prior over the code indices."""

import keras
from keras import layers, ops

from keras_gen.layers.masked_conv2d import MaskedConv2D
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


def _checked_config(data_shape, embedding_dim, filters, num_res_blocks):
    """The hyper-parameters the encoder and the decoder share, checked."""
    filters = validation.check_int_sequence(filters, "filters")
    return dict(
        data_shape=check_image_shape(data_shape, len(filters)),
        embedding_dim=validation.check_positive_int(
            embedding_dim, "embedding_dim"
        ),
        filters=filters,
        num_res_blocks=validation.check_positive_int(
            num_res_blocks, "num_res_blocks", allow_zero=True
        ),
    )


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

    def __init__(
        self,
        data_shape,
        embedding_dim,
        filters=(128, 256),
        num_res_blocks=2,
        name="encoder",
        **kwargs,
    ):
        config = _checked_config(
            data_shape, embedding_dim, filters, num_res_blocks
        )
        data_shape, filters = config["data_shape"], config["filters"]
        inputs = keras.Input(data_shape)
        h = inputs
        for f in filters:
            h = layers.Conv2D(
                f, 4, strides=2, padding="same", activation="relu"
            )(h)
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

    def __init__(
        self,
        data_shape,
        embedding_dim,
        filters=(128, 256),
        num_res_blocks=2,
        name="decoder",
        **kwargs,
    ):
        config = _checked_config(
            data_shape, embedding_dim, filters, num_res_blocks
        )
        data_shape, filters = config["data_shape"], config["filters"]
        factor = 2 ** len(filters)
        inputs = keras.Input(
            (data_shape[0] // factor, data_shape[1] // factor, embedding_dim)
        )
        h = layers.Conv2D(filters[-1], 3, padding="same")(inputs)
        h = _residual_stack(h, filters[-1], num_res_blocks)
        widths = list(reversed(filters))[1:] + [data_shape[-1]]
        for i, f in enumerate(widths):
            last = i == len(widths) - 1
            h = layers.Conv2DTranspose(
                f,
                4,
                strides=2,
                padding="same",
                activation=None if last else "relu",
            )(h)
        super().__init__(inputs, h, config, name=name, **kwargs)


def _gate(x):
    """tanh(a) * sigmoid(b) of the two halves of the channels (van den Oord
    et al., 2016b, eq. 2)."""
    a, b = ops.split(x, 2, axis=-1)
    return ops.tanh(a) * ops.sigmoid(b)


@keras.saving.register_keras_serializable(package="keras_gen")
class GatedPixelCNN(Network):
    """A gated PixelCNN over a grid of code indices: the VQ-VAE's prior.

    The prior of van den Oord et al. (2017, sec. 3.3 and 4.1), a gated
    PixelCNN (van den Oord et al., 2016b): the indices are embedded, then
    `num_layers` gated blocks with a vertical stack (the rows above) and a
    horizontal stack (the row so far, left of the position), both masked
    convolutions (`keras_gen.layers.MaskedConv2D`), so that the logits at
    `(i, j)` depend only on the indices before `(i, j)` in raster order
    (eq. 1: p(c) = prod_ij p(c_ij | c_<ij)). Each block computes

        y = tanh(W_f * x + V_f h) ⊙ σ(W_g * x + V_g h)           (2016b, eq. 4)

    with `h` the class embedding when `num_classes` is set.

    Args:
        index_shape: `(height, width)` of the index grid.
        num_embeddings: K, the number of codes (the logits' size).
        hidden_dim: channels of the stacks.
        num_layers: gated blocks (the first one masked "A").
        kernel_size: the stacks' kernel size (odd).
        num_classes: classes to condition on, or `None`.
        name: the network's name.

    Call arguments:
        `indices` `(n, height, width)` int32, or `[indices, labels]` with
        `labels` `(n,)` int32 when conditional.

    Returns:
        Logits `(n, height, width, num_embeddings)`.

    Example:

    ```python
    prior = keras_gen.models.vq_vae.GatedPixelCNN((7, 7), num_embeddings=128)
    logits = prior(np.zeros((2, 7, 7), "int32"))   # (2, 7, 7, 128)
    ```
    """

    def __init__(
        self,
        index_shape,
        num_embeddings,
        hidden_dim=64,
        num_layers=4,
        kernel_size=3,
        num_classes=None,
        name="prior_network",
        **kwargs,
    ):
        index_shape = validation.check_int_sequence(index_shape, "index_shape")
        if len(index_shape) != 2:
            raise ValueError(
                f"`index_shape` must be (height, width). Received: index_shape={index_shape}"
            )
        kernel_size = validation.check_positive_int(kernel_size, "kernel_size")
        if kernel_size % 2 == 0:
            raise ValueError(
                f"`kernel_size` must be odd. Received: kernel_size={kernel_size}"
            )
        config = dict(
            index_shape=index_shape,
            num_embeddings=validation.check_positive_int(
                num_embeddings, "num_embeddings"
            ),
            hidden_dim=validation.check_positive_int(hidden_dim, "hidden_dim"),
            num_layers=validation.check_positive_int(num_layers, "num_layers"),
            kernel_size=kernel_size,
            num_classes=validation.check_num_classes(num_classes),
        )
        indices = keras.Input(index_shape, dtype="int32", name="indices")
        inputs = indices
        labels = None
        if num_classes is not None:
            labels = keras.Input((), dtype="int32", name="labels")
            inputs = [indices, labels]
        x = layers.Embedding(num_embeddings, hidden_dim, name="code_embedding")(
            indices
        )
        v = h = x
        for i in range(num_layers):
            mask = "A" if i == 0 else "B"
            v_pre = MaskedConv2D(
                2 * hidden_dim,
                kernel_size,
                mask,
                "vertical",
                name=f"block_{i}_vertical_conv2d",
            )(v)
            h_pre = MaskedConv2D(
                2 * hidden_dim,
                (1, kernel_size),
                mask,
                "horizontal",
                name=f"block_{i}_horizontal_conv2d",
            )(h)
            # The vertical stack feeds the horizontal one (2016b, fig. 2): at
            # row i it has seen only the rows above, so causality holds.
            h_pre = h_pre + layers.Conv2D(
                2 * hidden_dim, 1, name=f"block_{i}_link_conv2d"
            )(v_pre)
            if labels is not None:
                bias = layers.Embedding(
                    num_classes,
                    2 * hidden_dim,
                    name=f"block_{i}_label_embedding",
                )(labels)
                bias = layers.Reshape((1, 1, 2 * hidden_dim))(bias)
                v_pre, h_pre = v_pre + bias, h_pre + bias
            v = _gate(v_pre)
            out = layers.Conv2D(hidden_dim, 1, name=f"block_{i}_out_conv2d")(
                _gate(h_pre)
            )
            # Residual on the horizontal stack, except where the input is the
            # position's own code (the "A" block).
            h = out if i == 0 else h + out
        y = layers.Conv2D(hidden_dim, 1, activation="relu", name="head_conv2d")(
            ops.relu(h)
        )
        logits = layers.Conv2D(num_embeddings, 1, name="logits_conv2d")(y)
        super().__init__(inputs, logits, config, name=name, **kwargs)
