"""StyleGAN2's residual discriminator."""

import math

import keras
from keras import ops

from keras_gen.layers.equalized import EqualizedConv2D, EqualizedDense
from keras_gen.layers.minibatch_stddev import MinibatchStdDev
from keras_gen.models.stylegan2 import architecture
from keras_gen.utils import validation


@keras.saving.register_keras_serializable(package="keras_gen")
class StyleGAN2Discriminator(keras.Model):
    """The residual discriminator of Karras et al. (2020), fig. 7c.

    fromRGB (1x1 conv) at full resolution, then one residual block per
    resolution down to 8x8: two 3x3 convolutions (the second after a
    [1, 3, 3, 1] downsampling) plus a 1x1 downsampled skip, summed and
    scaled by 1/sqrt(2). At 4x4 (7x7 for a 28x28 input, as the synthesis
    network's base) a minibatch standard-deviation channel
    (Karras et al., 2018, sec. 3), a 3x3 convolution and two dense layers
    give one logit per image. All layers have an equalised learning rate.

    Args:
        resolution: input side, 4 to 7 times a power of two (16, 28,
            32...).
        image_channels: channels of the input images.
        channel_base, channel_max: as in `SynthesisNetwork`.
        mbstd_group_size: samples per minibatch-stddev group (the official
            code uses 4); `None` (default) takes the whole batch, which
            works for every batch size.

    Example:

    ```python
    discriminator = StyleGAN2Discriminator(resolution=16)
    logits = discriminator(images)   # (batch,)
    ```
    """

    def __init__(
        self,
        resolution=16,
        image_channels=1,
        channel_base=1024,
        channel_max=128,
        mbstd_group_size=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.resolution = architecture.check_resolution(resolution)
        self.base = b = architecture.base_of(self.resolution)
        self.image_channels = validation.check_positive_int(
            image_channels, "image_channels"
        )
        self.channel_base = architecture.check_power_of_two(
            channel_base, "channel_base"
        )
        self.channel_max = architecture.check_power_of_two(
            channel_max, "channel_max"
        )
        self.mbstd_group_size = (
            None
            if mbstd_group_size is None
            else validation.check_positive_int(
                mbstd_group_size, "mbstd_group_size"
            )
        )
        ch = self._channels
        self.from_rgb = EqualizedConv2D(
            ch(self.resolution), 1, activation="lrelu", name="from_rgb"
        )
        self.blocks = []
        res = self.resolution
        while res > b:
            self.blocks.append(
                (
                    EqualizedConv2D(
                        ch(res), 3, activation="lrelu", name=f"b{res}_conv0"
                    ),
                    EqualizedConv2D(
                        ch(res // 2),
                        3,
                        activation="lrelu",
                        downsample=True,
                        name=f"b{res}_conv1",
                    ),
                    EqualizedConv2D(
                        ch(res // 2),
                        1,
                        use_bias=False,
                        downsample=True,
                        name=f"b{res}_skip",
                    ),
                )
            )
            res //= 2
        self.mbstd = MinibatchStdDev(self.mbstd_group_size, name="mbstd")
        self.epilogue_conv = EqualizedConv2D(
            ch(b), 3, activation="lrelu", name=f"b{b}_conv"
        )
        self.epilogue_dense = EqualizedDense(
            ch(b), activation="lrelu", name=f"b{b}_fc"
        )
        self.out = EqualizedDense(1, name=f"b{b}_out")
        self.build(
            (None, self.resolution, self.resolution, self.image_channels)
        )

    def _channels(self, res):
        return architecture.channels_at(
            res, self.channel_base, self.channel_max, self.base
        )

    def build(self, input_shape):
        r, c = self.resolution, self.image_channels
        self.from_rgb.build((None, r, r, c))
        shape = self.from_rgb.compute_output_shape((None, r, r, c))
        for conv0, conv1, skip in self.blocks:
            conv0.build(shape)
            skip.build(shape)
            shape = conv0.compute_output_shape(shape)
            conv1.build(shape)
            shape = conv1.compute_output_shape(shape)
        self.mbstd.build(shape)
        shape = shape[:-1] + (shape[-1] + 1,)  # the minibatch-stddev channel
        self.epilogue_conv.build(shape)
        c4 = self._channels(self.base)
        self.epilogue_dense.build((None, self.base * self.base * c4))
        self.out.build((None, c4))
        self.built = True

    def call(self, images):
        x = self.from_rgb(images)
        for conv0, conv1, skip in self.blocks:
            y = skip(x)
            x = conv1(conv0(x))
            x = (x + y) * math.sqrt(0.5)
        x = self.mbstd(x)
        x = self.epilogue_conv(x)
        x = self.epilogue_dense(ops.reshape(x, (ops.shape(x)[0], -1)))
        return ops.reshape(self.out(x), (-1,))

    def compute_output_shape(self, input_shape):
        return (input_shape[0],)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "resolution": self.resolution,
            "image_channels": self.image_channels,
            "channel_base": self.channel_base,
            "channel_max": self.channel_max,
            "mbstd_group_size": self.mbstd_group_size,
        }
