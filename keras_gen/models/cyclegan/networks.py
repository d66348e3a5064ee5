"""CycleGAN's default networks: a ResNet generator and a PatchGAN discriminator.

Zhu et al. (2017, sec. 7.2, after Johnson et al., 2016), in their notation:

- generator: `c7s1-64, d128, d256, R256 x N, u128, u64, c7s1-3`, where
  `c7s1-k` is a 7x7 convolution with stride 1 (reflection padding), `dk` a
  3x3 stride-2 convolution, `Rk` a residual block of two 3x3 convolutions
  (reflection padding), `uk` a 3x3 stride-2 transposed convolution; each
  followed by instance normalisation and ReLU, the last by tanh. N = 6 for
  128x128 images, 9 for 256x256 and larger.
- discriminator: the 70x70 PatchGAN `C64-C128-C256-C512`, 4x4 convolutions
  (stride 2 except C512), instance normalisation (none on C64),
  LeakyReLU(0.2), then a 4x4 convolution to one logit per patch.

Widths, the number of residual blocks, of down-sampling stages and of
discriminator layers are arguments, so that small images train on a CPU.
The `uk` stages are a nearest resize and a 3x3 convolution by default
(`upsampling="resize_conv"`, fast on every backend; see
`keras_gen.layers.UpsampleConv2D`); `upsampling="transposed"` gives the
paper's transposed convolutions.
Instance normalisation is `keras.layers.GroupNormalization(groups=-1)`.
Weights start from N(0, 0.02), as in the authors' code.
"""

import keras
from keras import ops

from keras_gen.layers import upsampling as upsampling_lib
from keras_gen.models.network import Network
from keras_gen.utils import validation


@keras.saving.register_keras_serializable(package="keras_gen")
class ReflectionPadding2D(keras.layers.Layer):
    """Pads the two spatial axes by mirroring (channels-last images).

    Args:
        padding: pixels added on each side of both spatial axes.
        **kwargs: passed to `keras.layers.Layer`.

    Example:

    ```python
    y = ReflectionPadding2D(3)(x)  # (b, h, w, c) -> (b, h + 6, w + 6, c)
    ```
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = validation.check_positive_int(padding, "padding")

    def call(self, x):
        p = self.padding
        return ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        grow = lambda d: None if d is None else d + 2 * self.padding  # noqa: E731
        return (b, grow(h), grow(w), c)

    def get_config(self):
        config = super().get_config()
        config.update(padding=self.padding)
        return config


def _init():
    return keras.initializers.RandomNormal(stddev=0.02)


def _instance_norm():
    return keras.layers.GroupNormalization(groups=-1, epsilon=1e-5)


def default_num_residual_blocks(image_size):
    """6 residual blocks below 256x256 images, 9 from 256x256 (sec. 7.2)."""
    return 9 if image_size >= 256 else 6


def _check_image_shape(image_shape, factor, what):
    image_shape = tuple(int(d) for d in image_shape)
    if (
        len(image_shape) != 3
        or image_shape[0] % factor
        or image_shape[1] % factor
    ):
        raise ValueError(
            f"The default CycleGAN {what} takes images `(height, width, channels)` "
            f"whose sides divide by {factor}. Received: data_shape={image_shape}"
        )
    return image_shape


@keras.saving.register_keras_serializable(package="keras_gen")
class ResNetGenerator(Network):
    """The ResNet generator, from images to images of the same shape.

    Args:
        data_shape: `(height, width, channels)`; the sides must divide by
            `2**num_downsampling`.
        filters: width of the first convolution (64 in the paper); each
            down-sampling stage doubles it.
        num_residual_blocks: N residual blocks at the lowest resolution.
        num_downsampling: stride-2 stages (2 in the paper: d128, d256).
        upsampling: how the `uk` stages upsample: `"resize_conv"`,
            `"depth_to_space"` or `"transposed"` (the paper's 3x3 stride-2
            `Conv2DTranspose`, many times slower to train on JAX's CPU
            backend; the built-in preset uses it).
        name: the network's name.

    It ends in tanh (images in [-1, 1]).

    Example:

    ```python
    g = keras_gen.models.cyclegan.ResNetGenerator((32, 32, 3), filters=16, num_residual_blocks=3)
    y = g(keras.random.uniform((2, 32, 32, 3), -1, 1))   # (2, 32, 32, 3)
    ```
    """

    def __init__(
        self,
        data_shape,
        filters=64,
        num_residual_blocks=9,
        num_downsampling=2,
        upsampling="resize_conv",
        name="generator",
        **kwargs,
    ):
        config = dict(
            data_shape=tuple(data_shape),
            filters=filters,
            num_residual_blocks=num_residual_blocks,
            num_downsampling=num_downsampling,
            upsampling=upsampling_lib.check_network_upsampling(upsampling),
        )
        inputs, outputs = _resnet_graph(**config)
        super().__init__(inputs, outputs, config, name=name, **kwargs)

    @classmethod
    def from_config(cls, config):
        # Saved before `upsampling` existed: transposed convolutions.
        return cls(**{"upsampling": "transposed", **config})


def _resnet_graph(
    data_shape, filters, num_residual_blocks, num_downsampling, upsampling
):
    image_shape = data_shape
    filters = validation.check_positive_int(filters, "generator_filters")
    num_residual_blocks = validation.check_positive_int(
        num_residual_blocks, "num_residual_blocks", allow_zero=True
    )
    num_downsampling = validation.check_positive_int(
        num_downsampling, "num_downsampling", allow_zero=True
    )
    image_shape = _check_image_shape(
        image_shape, 2**num_downsampling, "generator"
    )
    if min(image_shape[:2]) // 2**num_downsampling < 2:
        raise ValueError(
            "`num_downsampling` leaves images smaller than 2x2 at the lowest "
            f"resolution. Received: num_downsampling={num_downsampling}, data_shape={image_shape}"
        )

    def conv_norm_relu(h, width, kernel, strides=1, transpose=False):
        if transpose:
            h = upsampling_lib.upsample(
                h,
                width,
                kernel,
                upsampling,
                use_bias=False,
                kernel_initializer=_init(),
            )
        else:
            padding = "same" if strides > 1 else "valid"
            h = keras.layers.Conv2D(
                width,
                kernel,
                strides=strides,
                padding=padding,
                use_bias=False,
                kernel_initializer=_init(),
            )(h)
        return keras.layers.ReLU()(_instance_norm()(h))

    x = keras.Input(image_shape, name="images")
    h = ReflectionPadding2D(3)(x)
    h = conv_norm_relu(h, filters, 7)  # c7s1-64
    for i in range(num_downsampling):  # d128, d256
        h = conv_norm_relu(h, filters * 2 ** (i + 1), 3, strides=2)
    width = filters * 2**num_downsampling
    for _ in range(num_residual_blocks):  # R256
        r = ReflectionPadding2D(1)(h)
        r = conv_norm_relu(r, width, 3)
        r = ReflectionPadding2D(1)(r)
        r = keras.layers.Conv2D(
            width, 3, use_bias=False, kernel_initializer=_init()
        )(r)
        h = keras.layers.Add()([h, _instance_norm()(r)])
    for i in reversed(range(num_downsampling)):  # u128, u64
        h = conv_norm_relu(h, filters * 2**i, 3, strides=2, transpose=True)
    h = ReflectionPadding2D(3)(h)
    y = keras.layers.Conv2D(
        image_shape[-1], 7, activation="tanh", kernel_initializer=_init()
    )(h)  # c7s1-3
    return x, y


def patch_output_size(image_size, num_layers):
    """Side of the PatchGAN's output map (<= 0: the image is too small)."""
    size = image_size
    for _ in range(num_layers):  # 4x4, stride 2, padding 1
        size = (size + 2 - 4) // 2 + 1
    for _ in range(2):  # C512 and the output layer: 4x4, stride 1, padding 1
        size = size + 2 - 4 + 1
    return size


@keras.saving.register_keras_serializable(package="keras_gen")
class PatchGANDiscriminator(Network):
    """The PatchGAN discriminator: one least-squares logit per image patch.

    With `num_layers=3` (the paper's `C64-C128-C256-C512`) each logit sees a
    70x70 patch; 2 layers see 34x34 patches, 1 layer 16x16.

    Args:
        data_shape: `(height, width, channels)`.
        filters: width of the first layer (64); it doubles per layer, up to
            8x.
        num_layers: stride-2 layers before the stride-1 layer (3).
        name: the network's name.

    Maps images to `(batch, h', w', 1)` logits.

    Example:

    ```python
    d = keras_gen.models.cyclegan.PatchGANDiscriminator((32, 32, 3), filters=32, num_layers=2)
    logits = d(keras.random.uniform((2, 32, 32, 3), -1, 1))
    ```
    """

    def __init__(
        self,
        data_shape,
        filters=64,
        num_layers=3,
        name="discriminator",
        **kwargs,
    ):
        config = dict(
            data_shape=tuple(data_shape), filters=filters, num_layers=num_layers
        )
        inputs, outputs = _patch_graph(**config)
        super().__init__(inputs, outputs, config, name=name, **kwargs)


def _patch_graph(data_shape, filters, num_layers):
    image_shape = data_shape
    filters = validation.check_positive_int(filters, "discriminator_filters")
    num_layers = validation.check_positive_int(
        num_layers, "discriminator_layers"
    )
    image_shape = _check_image_shape(image_shape, 1, "discriminator")
    if patch_output_size(min(image_shape[:2]), num_layers) < 1:
        raise ValueError(
            f"`discriminator_layers={num_layers}` is too deep for {image_shape[0]}x"
            f"{image_shape[1]} images (each stride-2 layer halves them; 3 layers need "
            f"at least 24x24, 2 at least 12x12). Received: discriminator_layers={num_layers}, "
            f"data_shape={image_shape}"
        )

    def conv(h, width, strides, **kwargs):
        h = keras.layers.ZeroPadding2D(1)(h)
        return keras.layers.Conv2D(
            width, 4, strides=strides, kernel_initializer=_init(), **kwargs
        )(h)

    x = keras.Input(image_shape, name="images")
    h = keras.layers.LeakyReLU(0.2)(
        conv(x, filters, 2)
    )  # C64, no normalisation
    for n in range(1, num_layers + 1):  # C128, C256 (stride 2), C512 (stride 1)
        width = filters * min(2**n, 8)
        h = conv(h, width, 2 if n < num_layers else 1, use_bias=False)
        h = keras.layers.LeakyReLU(0.2)(_instance_norm()(h))
    logits = conv(h, 1, 1)
    return x, logits
