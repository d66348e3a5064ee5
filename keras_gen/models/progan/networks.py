"""Progressive GAN's growing generator and discriminator (Karras et al., 2018).

Both networks hold every resolution from construction on and take the
growth state as a call argument: `growth` is a float in `[0, num_levels - 1]`,
where level `k` works at `base_resolution * 2**k`. An integer `growth = k`
uses the levels up to `k`; a fractional `growth = k - 1 + alpha` fades
level `k` in with weight `alpha` (sec. 3, fig. 2). The output (generator)
and the input (discriminator) always have the full resolution: a lower
level's image is repeated (nearest neighbour) up to it, and the
discriminator average-pools its input down to the active level, as the
official code does.

The levels above the active one are skipped with `ops.cond`, so one
compiled graph serves the whole schedule: JAX and TensorFlow trace every
level once (compile time grows with the number of levels) and run only the
active ones; the full-resolution resampling of the images is the only cost
that does not shrink at the low levels.

Why `ops.cond` rather than the alternatives, on all three backends:
- Computing every level and blending by masks would also give one graph,
  but every step would pay for the full-resolution network, even at 4x4.
- A train function per stage (re-traced when the stage changes) fights
  Keras' trainer, which caches one `train_function` per `fit`: JAX and
  TensorFlow would have to drop and rebuild it mid-`fit`, and alpha would
  still have to be a tensor to avoid a retrace each step.
- `ops.cond` is `jax.lax.cond` under `jit` (both branches traced once,
  one executed, differentiable twice over for the gradient penalty),
  `tf.cond` in a `tf.function`, and a plain Python branch on the
  predicate's value in eager PyTorch, so the same code gives fixed shapes
  in the compiled step and runs only the active levels everywhere. The
  tests check fit, fade and resumption on each backend.
"""

import keras
from keras import ops

from keras_gen.layers.equalized import EqualizedConv2D, EqualizedDense
from keras_gen.layers.minibatch_stddev import MinibatchStdDev
from keras_gen.layers.pixel_norm import pixel_norm
from keras_gen.layers.resample import (
    base_resolution_of,
    downsample_average,
    upsample_nearest,
)
from keras_gen.utils import validation


def channels_at(level, channel_base, channel_max):
    """Feature maps of level `level`: `min(channel_base / (4 * 2**level),
    channel_max)`, the official rule with level 0 counted as 4x4."""
    return max(1, min(channel_base // (4 * 2**level), channel_max))


def _lerp(a, b, t):
    return a + (b - a) * ops.cast(t, a.dtype)


class _Growing(keras.Model):
    """What both networks share: the levels and the growth argument."""

    def __init__(
        self,
        resolution,
        base_resolution,
        image_channels,
        channel_base,
        channel_max,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.resolution = validation.check_positive_int(
            resolution, "resolution"
        )
        self.base_resolution = base_resolution_of(
            self.resolution, base_resolution
        )
        self.image_channels = validation.check_positive_int(
            image_channels, "image_channels"
        )
        self.channel_base = validation.check_positive_int(
            channel_base, "channel_base"
        )
        self.channel_max = validation.check_positive_int(
            channel_max, "channel_max"
        )
        self.num_levels = (self.resolution // self.base_resolution).bit_length()

    def _channels(self, level):
        return channels_at(level, self.channel_base, self.channel_max)

    def _factor(self, level):
        """From level `level`'s resolution to the full one."""
        return 2 ** (self.num_levels - 1 - level)

    def _growth(self, growth):
        """The growth as a float32 tensor in `[0, num_levels - 1]`."""
        top = self.num_levels - 1
        if growth is None:
            growth = top
        return ops.clip(
            ops.cast(ops.convert_to_tensor(growth), "float32"), 0.0, float(top)
        )

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "resolution": self.resolution,
            "base_resolution": self.base_resolution,
            "image_channels": self.image_channels,
            "channel_base": self.channel_base,
            "channel_max": self.channel_max,
        }


@keras.saving.register_keras_serializable(package="keras_gen")
class ProgressiveGenerator(_Growing):
    """Progressive GAN's generator (Karras et al., 2018, table 2).

    `z` is pixel-normalised, mapped by a dense layer to a `base x base`
    map (the paper's 4x4 "convolution" of a 1x1 input) and a 3x3
    convolution; each further level doubles the resolution (nearest
    neighbour) and applies two 3x3 convolutions. Every convolution is
    followed by a leaky ReLU (0.2) and pixel normalisation (sec. 4.2); every
    layer has an equalised learning rate (sec. 4.1). A 1x1 "toRGB"
    convolution per level turns features into an image (linear output).

    Args:
        latent_dim: size of `z`.
        resolution: side of the full-resolution images.
        base_resolution: side at level 0 (`None`: see `base_resolution_of`).
        image_channels: channels of the images.
        channel_base, channel_max: level `k` has
            `min(channel_base // (4 * 2**k), channel_max)` feature maps.

    Call arguments:
        z: `(batch, latent_dim)`.
        growth: the growth state (see the module docstring); `None`: every
            level, fully faded in.

    Example:

    ```python
    generator = ProgressiveGenerator(latent_dim=64, resolution=28)   # 7 -> 14 -> 28
    images = generator(keras.random.normal((4, 64)), growth=1.5)     # (4, 28, 28, 1)
    ```
    """

    def __init__(
        self,
        latent_dim=128,
        resolution=16,
        base_resolution=None,
        image_channels=1,
        channel_base=1024,
        channel_max=128,
        **kwargs,
    ):
        super().__init__(
            resolution,
            base_resolution,
            image_channels,
            channel_base,
            channel_max,
            **kwargs,
        )
        self.latent_dim = validation.check_positive_int(
            latent_dim, "latent_dim"
        )
        ch, base = self._channels, self.base_resolution
        self.dense = EqualizedDense(
            base * base * ch(0), activation="lrelu", name="b0_dense"
        )
        self.conv = EqualizedConv2D(
            ch(0), 3, activation="lrelu", name="b0_conv"
        )
        self.blocks = [
            (
                EqualizedConv2D(
                    ch(k), 3, activation="lrelu", name=f"b{k}_conv0"
                ),
                EqualizedConv2D(
                    ch(k), 3, activation="lrelu", name=f"b{k}_conv1"
                ),
            )
            for k in range(1, self.num_levels)
        ]
        self.to_rgb = [
            EqualizedConv2D(self.image_channels, 1, name=f"to_rgb{k}")
            for k in range(self.num_levels)
        ]
        self.build((None, self.latent_dim))

    def build(self, input_shape=None):
        base = self.base_resolution
        self.dense.build((None, self.latent_dim))
        self.conv.build((None, base, base, self._channels(0)))
        self.to_rgb[0].build((None, base, base, self._channels(0)))
        for k, (conv0, conv1) in enumerate(self.blocks, start=1):
            side = base * 2**k
            conv0.build((None, side, side, self._channels(k - 1)))
            conv1.build((None, side, side, self._channels(k)))
            self.to_rgb[k].build((None, side, side, self._channels(k)))
        self.built = True

    def _level_features(self, level, h):
        """The features of level `level` from those of the level below."""
        if level == 0:
            base = self.base_resolution
            h = pixel_norm(
                self.dense(pixel_norm(h))
            )  # normalised z, then its map
            h = ops.reshape(h, (-1, base, base, self._channels(0)))
            return pixel_norm(self.conv(h))
        conv0, conv1 = self.blocks[level - 1]
        h = pixel_norm(conv0(upsample_nearest(h, 2)))
        return pixel_norm(conv1(h))

    def _image(self, level, h):
        """Level `level`'s image, repeated up to the full resolution."""
        return upsample_nearest(self.to_rgb[level](h), self._factor(level))

    def _grow(self, level, h, growth):
        """The full-resolution image, given the features `h` of `level`."""
        if level == self.num_levels - 1:
            return self._image(level, h)

        def finer():
            h_next = self._level_features(level + 1, h)

            def fade():
                # Fig. 2 (b): the new level's image, blended with weight
                # alpha into the lower level's image doubled.
                low = upsample_nearest(self.to_rgb[level](h), 2)
                high = self.to_rgb[level + 1](h_next)
                blended = _lerp(low, high, growth - level)
                return upsample_nearest(blended, self._factor(level + 1))

            return ops.cond(
                growth < level + 1,
                fade,
                lambda: self._grow(level + 1, h_next, growth),
            )

        return ops.cond(growth > level, finer, lambda: self._image(level, h))

    def call(self, z, growth=None, training=None):
        return self._grow(0, self._level_features(0, z), self._growth(growth))

    def compute_output_shape(self, input_shape):
        return (
            input_shape[0],
            self.resolution,
            self.resolution,
            self.image_channels,
        )

    def get_config(self):
        config = super().get_config()
        config["latent_dim"] = self.latent_dim
        return config


@keras.saving.register_keras_serializable(package="keras_gen")
class ProgressiveDiscriminator(_Growing):
    """Progressive GAN's discriminator (Karras et al., 2018, table 2).

    A 1x1 "fromRGB" convolution per level; each level above 0 applies two
    3x3 convolutions and halves the resolution (average pooling); at level
    0 a minibatch standard-deviation channel (sec. 3), a 3x3 convolution, a
    dense layer over the `base x base` map (the paper's 4x4 convolution) and
    a linear output give one score per image. Leaky ReLU (0.2), equalised
    learning rate, no normalisation.

    Args:
        resolution, base_resolution, image_channels, channel_base,
        channel_max: as in `ProgressiveGenerator`.
        mbstd_group_size: samples per minibatch-stddev group (`None`: the
            whole batch, as in the paper's text).

    Call arguments:
        images: `(batch, resolution, resolution, image_channels)`.
        growth: the growth state; `None`: every level.

    Example:

    ```python
    discriminator = ProgressiveDiscriminator(resolution=28)
    scores = discriminator(images, growth=0.0)   # (batch,): 7x7 only
    ```
    """

    def __init__(
        self,
        resolution=16,
        base_resolution=None,
        image_channels=1,
        channel_base=1024,
        channel_max=128,
        mbstd_group_size=None,
        **kwargs,
    ):
        super().__init__(
            resolution,
            base_resolution,
            image_channels,
            channel_base,
            channel_max,
            **kwargs,
        )
        self.mbstd_group_size = (
            None
            if mbstd_group_size is None
            else validation.check_positive_int(
                mbstd_group_size, "mbstd_group_size"
            )
        )
        ch = self._channels
        self.from_rgb = [
            EqualizedConv2D(ch(k), 1, activation="lrelu", name=f"from_rgb{k}")
            for k in range(self.num_levels)
        ]
        self.blocks = [
            (
                EqualizedConv2D(
                    ch(k), 3, activation="lrelu", name=f"b{k}_conv0"
                ),
                EqualizedConv2D(
                    ch(k - 1), 3, activation="lrelu", name=f"b{k}_conv1"
                ),
            )
            for k in range(1, self.num_levels)
        ]
        self.mbstd = MinibatchStdDev(self.mbstd_group_size, name="mbstd")
        self.epilogue_conv = EqualizedConv2D(
            ch(0), 3, activation="lrelu", name="b0_conv"
        )
        self.epilogue_dense = EqualizedDense(
            ch(0), activation="lrelu", name="b0_dense"
        )
        self.out = EqualizedDense(1, name="b0_out")
        self.build(
            (None, self.resolution, self.resolution, self.image_channels)
        )

    def build(self, input_shape=None):
        base = self.base_resolution
        for k in range(self.num_levels):
            side = base * 2**k
            self.from_rgb[k].build((None, side, side, self.image_channels))
            if k:
                conv0, conv1 = self.blocks[k - 1]
                conv0.build((None, side, side, self._channels(k)))
                conv1.build((None, side, side, self._channels(k)))
        self.mbstd.build((None, base, base, self._channels(0)))
        self.epilogue_conv.build((None, base, base, self._channels(0) + 1))
        self.epilogue_dense.build((None, base * base * self._channels(0)))
        self.out.build((None, self._channels(0)))
        self.built = True

    def _from_image(self, level, images):
        return self.from_rgb[level](
            downsample_average(images, self._factor(level))
        )

    def _features(self, level, images, growth):
        """Features at level `level`'s resolution, from the active levels."""
        if level == self.num_levels - 1:
            return self._from_image(level, images)

        def finer():
            conv0, conv1 = self.blocks[level]  # level + 1 -> level
            h = downsample_average(
                conv1(conv0(self._features(level + 1, images, growth))), 2
            )

            def fade():
                # Fig. 2 (b), mirrored: the new level's features blended
                # with weight alpha into those of the halved image.
                return _lerp(self._from_image(level, images), h, growth - level)

            return ops.cond(growth < level + 1, fade, lambda: h)

        return ops.cond(
            growth > level, finer, lambda: self._from_image(level, images)
        )

    def call(self, images, growth=None, training=None):
        h = self._features(0, images, self._growth(growth))
        h = self.epilogue_conv(self.mbstd(h))
        h = self.epilogue_dense(ops.reshape(h, (ops.shape(h)[0], -1)))
        return ops.reshape(self.out(h), (-1,))

    def compute_output_shape(self, input_shape):
        return (input_shape[0],)

    def get_config(self):
        config = super().get_config()
        config["mbstd_group_size"] = self.mbstd_group_size
        return config
