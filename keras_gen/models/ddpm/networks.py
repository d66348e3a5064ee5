"""Denoisers for DDPM: a U-Net for images and an MLP for vectors.

Both are called as `denoiser([x_t, t])`, or `denoiser([x_t, t, labels])`
when class-conditional, and return a tensor shaped like `x_t` (the
predicted noise, x_0 or v), or with `output_channels` channels (e.g. twice
x_t's: the prediction and a learned variance). The timestep `t` is a float32 vector
`(batch,)` of training-step indices in [0, T) (fractional values occur with
continuous-time samplers); the label `num_classes` is the "no label" token
of classifier-free guidance, so a label embedding needs `num_classes + 1`
rows.
"""

import keras
from keras import layers

from keras_gen import backend
from keras_gen.layers.group_normalization import GroupNormalization
from keras_gen.layers.timestep_embedding import SinusoidalEmbedding
from keras_gen.models.network import Network
from keras_gen.utils import validation


def _inputs(data_shape, num_classes):
    x = keras.Input(data_shape, name="x_t")
    t = keras.Input((), dtype="float32", name="timestep")
    inputs = [x, t]
    if num_classes is not None:
        inputs.append(keras.Input((), dtype="int32", name="label"))
    return inputs


def _conditioning(inputs, num_classes, embedding_dim, sinusoid_dim):
    """Timestep embedding (sinusoids, then an MLP; Ho et al., appendix B),
    plus a learned class embedding when conditional."""
    emb = SinusoidalEmbedding(sinusoid_dim, name="time_sinusoids")(inputs[1])
    emb = layers.Dense(embedding_dim, activation="silu", name="time_dense_1")(
        emb
    )
    emb = layers.Dense(embedding_dim, name="time_dense_2")(emb)
    if num_classes is not None:
        # One extra row: the null label of classifier-free guidance. Rows
        # drawn from N(0, 1), as torch's `nn.Embedding` (and so diffusers'
        # and the ADM code's class embeddings) start: Keras' default
        # uniform(±0.05) (std 0.03) is about 8x smaller than the timestep
        # embedding it is added to (RMS 0.24 when built), so the classes
        # took hundreds of steps to matter.
        # Fashion-MNIST, 900 CPU-s: 37.8 % of samples read as the
        # requested class against 18.2 %, classifier FD 88.9 against 101.6
        # (benchmarks/ddpm_time_to_quality_results.md).
        label_emb = layers.Embedding(
            num_classes + 1,
            embedding_dim,
            embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0),
            name="label_embedding",
        )(inputs[2])
        emb = layers.Add(name="conditioning")([emb, label_emb])
    return emb


def _residual_block(x, emb, width, groups, dropout, name, data_format):
    """GroupNorm → SiLU → conv, plus the embedding, GroupNorm → SiLU →
    dropout → conv, with a 1×1 skip when the width changes (Ho et al.,
    appendix B, after the Wide ResNet block)."""
    axis = _channel_axis(data_format)
    h = GroupNormalization(groups, axis=axis, name=f"{name}_norm_1")(x)
    h = layers.Activation("silu")(h)
    h = layers.Conv2D(
        width, 3, padding="same", data_format=data_format, name=f"{name}_conv_1"
    )(h)
    e = layers.Dense(width, name=f"{name}_embedding")(
        layers.Activation("silu")(emb)
    )
    e_shape = (1, 1, width) if data_format == "channels_last" else (width, 1, 1)
    h = layers.Add()([h, layers.Reshape(e_shape)(e)])
    h = GroupNormalization(groups, axis=axis, name=f"{name}_norm_2")(h)
    h = layers.Activation("silu")(h)
    if dropout:
        h = layers.Dropout(dropout)(h)
    # Zero-initialised last conv: each block starts as the identity.
    h = layers.Conv2D(
        width,
        3,
        padding="same",
        kernel_initializer="zeros",
        data_format=data_format,
        name=f"{name}_conv_2",
    )(h)
    if x.shape[axis] != width:
        x = layers.Conv2D(
            width, 1, data_format=data_format, name=f"{name}_skip"
        )(x)
    return layers.Add()([x, h])


def _attention_block(x, groups, name, data_format):
    """Self-attention over the pixels with one wide head: on CPUs, XLA is
    far slower with many narrow heads (see docs/design.md, section 7)."""
    axis = _channel_axis(data_format)
    h = GroupNormalization(groups, axis=axis, name=f"{name}_norm")(x)
    if data_format == "channels_first":
        h = layers.Permute((2, 3, 1))(h)
    height, width, channels = h.shape[1:]
    h = layers.Reshape((height * width, channels))(h)
    h = layers.MultiHeadAttention(1, channels, name=f"{name}_attention")(h, h)
    h = layers.Reshape((height, width, channels))(h)
    if data_format == "channels_first":
        h = layers.Permute((3, 1, 2))(h)
    return layers.Add()([x, h])


def _channel_axis(data_format):
    return -1 if data_format == "channels_last" else 1


def _height(x, data_format):
    return x.shape[1] if data_format == "channels_last" else x.shape[2]


def _resolve_data_format(data_format):
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "`data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )
    return data_format


@keras.saving.register_keras_serializable(package="keras_gen")
class UNet(Network):
    """The DDPM U-Net (Ho et al., 2020, appendix B), sized by arguments.

    Per resolution: `num_res_blocks` residual blocks (with self-attention at
    the sizes in `attention_resolutions`), then a strided-conv downsample;
    a middle of block, attention, block; the mirror image upwards with skip
    connections; GroupNorm → SiLU → conv out.

    Args:
        data_shape: `(height, width, channels)`; height and width divisible
            by `2 ** (len(channel_multipliers) - 1)`.
        width: channels of the first level.
        channel_multipliers: width multiplier per resolution level.
        num_res_blocks: residual blocks per level.
        attention_resolutions: feature-map sizes (height) with attention.
        num_classes: number of classes for a conditional denoiser.
        dropout: dropout rate inside residual blocks.
        groups: GroupNorm groups (must divide every level's width).
        output_channels: the output's channels; default the input's
            (twice them for a learned variance, Nichol & Dhariwal, 2021).
        data_format: the layout inside the network, `"channels_last"` or
            `"channels_first"`; inputs and outputs are channels-last
            either way and the weights are the same, so the two are
            interchangeable. Channels-first trains faster on torch, whose
            convolutions and GroupNorm want NCHW tensors (benchmarks/
            RESULTS.md); it is refused on TensorFlow, where Keras 3.15
            adds convolution biases along the wrong axis in that layout
            (see `keras_gen.backend.check_image_data_format`).
        name: the network's name.

    Called as `unet([x_t, t(, label)])`; returns a tensor shaped like `x_t`.

    Example:

    ```python
    unet = keras_gen.models.ddpm.UNet((28, 28, 1), width=32, num_classes=10)
    out = unet([keras.random.normal((2, 28, 28, 1)), keras.ops.array([10.0, 500.0]), keras.ops.array([3, 10])])
    ```
    """

    def __init__(
        self,
        data_shape,
        width=64,
        channel_multipliers=(1, 2),
        num_res_blocks=2,
        attention_resolutions=(4,),
        num_classes=None,
        dropout=0.0,
        groups=8,
        data_format="channels_last",
        output_channels=None,
        name="unet",
        **kwargs,
    ):
        config = dict(
            data_shape=tuple(data_shape),
            width=width,
            channel_multipliers=tuple(channel_multipliers),
            num_res_blocks=num_res_blocks,
            attention_resolutions=tuple(attention_resolutions),
            num_classes=num_classes,
            dropout=dropout,
            groups=groups,
            data_format=data_format,
        )
        if output_channels is not None:
            # Only when set: the default networks' configs stay as they were.
            config["output_channels"] = validation.check_positive_int(
                output_channels, "output_channels"
            )
        inputs, outputs = _unet_graph(**config)
        super().__init__(inputs, outputs, config, name=name, **kwargs)
        backend.check_image_data_format(self, "denoiser")


def _unet_graph(
    data_shape,
    width,
    channel_multipliers,
    num_res_blocks,
    attention_resolutions,
    num_classes,
    dropout,
    groups,
    data_format,
    output_channels=None,
):
    data_shape = tuple(data_shape)
    if len(data_shape) != 3:
        raise ValueError(
            f"The U-Net denoises images (height, width, channels). Received: data_shape={data_shape}"
        )
    num_levels = len(channel_multipliers)
    factor = 2 ** (num_levels - 1)
    if data_shape[0] % factor or data_shape[1] % factor:
        raise ValueError(
            f"With {num_levels} levels the image height and width must be divisible "
            f"by {factor}. Received: data_shape={data_shape}"
        )
    widths = [
        validation.check_positive_int(width * m, "width * channel_multiplier")
        for m in channel_multipliers
    ]
    for w in widths:
        if w % groups:
            raise ValueError(
                f"`groups` ({groups}) must divide every level's width. Received: widths={widths}"
            )
    data_format = _resolve_data_format(data_format)
    axis = _channel_axis(data_format)
    inputs = _inputs(data_shape, num_classes)
    emb = _conditioning(inputs, num_classes, 4 * width, width)

    h = inputs[0]
    if data_format == "channels_first":
        # Inputs and outputs stay (height, width, channels); only the
        # inside runs channels-first (one transpose each way).
        h = layers.Permute((3, 1, 2), name="to_channels_first")(h)
    h = layers.Conv2D(
        widths[0], 3, padding="same", data_format=data_format, name="conv_in"
    )(h)
    skips = [h]
    for level, w in enumerate(widths):
        for block in range(num_res_blocks):
            h = _residual_block(
                h, emb, w, groups, dropout, f"down_{level}_{block}", data_format
            )
            if _height(h, data_format) in attention_resolutions:
                h = _attention_block(
                    h, groups, f"down_{level}_{block}_attn", data_format
                )
            skips.append(h)
        if level != num_levels - 1:
            h = layers.Conv2D(
                w,
                3,
                strides=2,
                padding="same",
                data_format=data_format,
                name=f"downsample_{level}",
            )(h)
            skips.append(h)

    h = _residual_block(
        h, emb, widths[-1], groups, dropout, "middle_0", data_format
    )
    h = _attention_block(h, groups, "middle_attn", data_format)
    h = _residual_block(
        h, emb, widths[-1], groups, dropout, "middle_1", data_format
    )

    for level in reversed(range(num_levels)):
        for block in range(num_res_blocks + 1):
            h = layers.Concatenate(axis=axis)([h, skips.pop()])
            h = _residual_block(
                h,
                emb,
                widths[level],
                groups,
                dropout,
                f"up_{level}_{block}",
                data_format,
            )
            if _height(h, data_format) in attention_resolutions:
                h = _attention_block(
                    h, groups, f"up_{level}_{block}_attn", data_format
                )
        if level != 0:
            h = layers.UpSampling2D(
                2, data_format=data_format, interpolation="nearest"
            )(h)
            h = layers.Conv2D(
                widths[level],
                3,
                padding="same",
                data_format=data_format,
                name=f"upsample_{level}",
            )(h)

    h = GroupNormalization(groups, axis=axis, name="norm_out")(h)
    h = layers.Activation("silu")(h)
    outputs = layers.Conv2D(
        output_channels or data_shape[-1],
        3,
        padding="same",
        kernel_initializer="zeros",
        data_format=data_format,
        name="conv_out",
    )(h)
    if data_format == "channels_first":
        outputs = layers.Permute((2, 3, 1), name="to_channels_last")(outputs)
    return inputs, outputs


@keras.saving.register_keras_serializable(package="keras_gen")
class MLPDenoiser(Network):
    """A residual MLP denoiser for vector data (e.g. the 2-D toys).

    Args:
        data_shape: `(dim,)`.
        hidden_dim: width of the hidden layers.
        num_layers: number of residual hidden layers.
        num_classes: number of classes for a conditional denoiser.
        output_channels: the output's size; default the input's (twice it
            for a learned variance).
        name: the network's name.

    Called as `mlp([x_t, t(, label)])`; returns a tensor shaped like `x_t`.

    Example:

    ```python
    mlp = keras_gen.models.ddpm.MLPDenoiser((2,), hidden_dim=64)
    out = mlp([keras.random.normal((4, 2)), keras.ops.full((4,), 10.0)])
    ```
    """

    def __init__(
        self,
        data_shape,
        hidden_dim=256,
        num_layers=4,
        num_classes=None,
        output_channels=None,
        name="mlp_denoiser",
        **kwargs,
    ):
        config = dict(
            data_shape=tuple(data_shape),
            hidden_dim=hidden_dim,
            num_layers=num_layers,
            num_classes=num_classes,
        )
        if output_channels is not None:
            config["output_channels"] = validation.check_positive_int(
                output_channels, "output_channels"
            )
        inputs, outputs = _mlp_graph(**config)
        super().__init__(inputs, outputs, config, name=name, **kwargs)


def _mlp_graph(
    data_shape, hidden_dim, num_layers, num_classes, output_channels=None
):
    data_shape = tuple(data_shape)
    if len(data_shape) != 1:
        raise ValueError(
            f"The MLP denoiser takes vectors (dim,). Received: data_shape={data_shape}"
        )
    hidden_dim = validation.check_positive_int(hidden_dim, "hidden_dim")
    num_layers = validation.check_positive_int(num_layers, "num_layers")
    inputs = _inputs(data_shape, num_classes)
    emb = _conditioning(inputs, num_classes, hidden_dim, 64)
    h = layers.Dense(hidden_dim, name="dense_in")(inputs[0])
    for i in range(num_layers):
        r = layers.Add()([h, emb])
        r = layers.Dense(hidden_dim, activation="silu", name=f"dense_{i}_1")(r)
        r = layers.Dense(hidden_dim, name=f"dense_{i}_2")(r)
        h = layers.Add()([h, r])
    h = layers.Activation("silu")(h)
    outputs = layers.Dense(output_channels or data_shape[0], name="dense_out")(
        h
    )
    return inputs, outputs
