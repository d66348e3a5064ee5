"""StyleGAN2's synthesis network: constant input, style convs, skip toRGB."""

import keras
from keras import ops

from keras_gen.layers.resample import upsample_2x
from keras_gen.models.stylegan2 import architecture
from keras_gen.models.stylegan2.synthesis_layers import (
    SynthesisLayer,
    ToRGB,
    check_noise_mode,
)
from keras_gen.utils import validation


@keras.saving.register_keras_serializable(package="keras_gen")
class SynthesisNetwork(keras.Model):
    """Maps per-layer latents `ws` to images (Karras et al., 2020, fig. 7).

    A learned 4x4 constant enters a stack of blocks, one per resolution
    4, 8, ..., `resolution`; each block has two modulated 3x3 convolutions
    with weight demodulation and noise injection (one at 4x4, the first one
    of the others upsamples), and a toRGB layer. A side that is 5, 6 or 7
    times a power of two starts from a constant of that side instead
    (28: 7 -> 14 -> 28). The "skip" architecture
    sums the toRGB outputs of all resolutions, each upsampled to the next
    (fig. 7b). The output is linear (images in about [-1, 1]).

    Args:
        w_dim: size of each `w`.
        resolution: output side, 4 to 7 times a power of two (16, 28,
            32...).
        image_channels: channels of the output images.
        channel_base, channel_max: feature maps at resolution `r` are
            `min(channel_base // r, channel_max)`, with `r` counted as the
            power of two of the same depth (28 as 16); powers of two.

    Call arguments:
        ws: `(batch, num_ws, w_dim)`, one latent per layer.
        noise_mode: `"random"`, `"const"` (fixed noise, deterministic) or
            `"none"`.
        seed: a `keras.random.SeedGenerator` for `noise_mode="random"`.

    Example:

    ```python
    synthesis = SynthesisNetwork(w_dim=64, resolution=16)
    images = synthesis(ops.zeros((2, synthesis.num_ws, 64)))   # (2, 16, 16, 1)
    ```
    """

    def __init__(
        self,
        w_dim=128,
        resolution=16,
        image_channels=1,
        channel_base=1024,
        channel_max=128,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.w_dim = validation.check_positive_int(w_dim, "w_dim")
        self.resolution = architecture.check_resolution(resolution)
        self.base = architecture.base_of(self.resolution)
        self.image_channels = validation.check_positive_int(
            image_channels, "image_channels"
        )
        self.channel_base = architecture.check_power_of_two(
            channel_base, "channel_base"
        )
        self.channel_max = architecture.check_power_of_two(
            channel_max, "channel_max"
        )
        self.num_ws = architecture.num_ws(self.resolution)
        self.resolutions = architecture.block_resolutions(self.resolution)
        self.conv_layers = []
        self.torgb_layers = []
        for res in self.resolutions:
            filters = self._channels(res)
            if res > self.base:
                self.conv_layers.append(
                    SynthesisLayer(
                        filters, res, upsample=True, name=f"b{res}_conv0"
                    )
                )
            self.conv_layers.append(
                SynthesisLayer(filters, res, name=f"b{res}_conv1")
            )
            self.torgb_layers.append(
                ToRGB(self.image_channels, name=f"b{res}_torgb")
            )
        self.build((None, self.num_ws, self.w_dim))

    def _channels(self, res):
        return architecture.channels_at(
            res, self.channel_base, self.channel_max, self.base
        )

    def build(self, input_shape):
        b = self.base
        c4 = self._channels(b)
        self.const = self.add_weight(
            shape=(b, b, c4),
            initializer=keras.initializers.RandomNormal(stddev=1.0),
            name="const",
        )
        w_shape = (None, self.w_dim)
        shape = (None, b, b, c4)
        convs = iter(self.conv_layers)
        for res, torgb in zip(self.resolutions, self.torgb_layers):
            for _ in range(1 if res == self.base else 2):
                conv = next(convs)
                conv.build(shape, w_shape)
                shape = conv.compute_output_shape(shape)
            torgb.build(shape, w_shape)
        self.built = True

    def call(self, ws, noise_mode="const", seed=None):
        check_noise_mode(noise_mode)
        x = ops.broadcast_to(
            self.const[None], (ops.shape(ws)[0],) + tuple(self.const.shape)
        )
        image = None
        convs = iter(self.conv_layers)
        index = 0  # the w of the next layer
        for res, torgb in zip(self.resolutions, self.torgb_layers):
            for _ in range(1 if res == self.base else 2):
                x = next(convs)(
                    x, ws[:, index], noise_mode=noise_mode, seed=seed
                )
                index += 1
            # The toRGB of this block shares its w with the next block's
            # first convolution; skip architecture: upsample and add.
            rgb = torgb(x, ws[:, index])
            image = rgb if image is None else upsample_2x(image) + rgb
        return image

    def compute_output_shape(self, input_shape):
        return (
            input_shape[0],
            self.resolution,
            self.resolution,
            self.image_channels,
        )

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "w_dim": self.w_dim,
            "resolution": self.resolution,
            "image_channels": self.image_channels,
            "channel_base": self.channel_base,
            "channel_max": self.channel_max,
        }
