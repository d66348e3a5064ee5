"""The layers of StyleGAN2's synthesis network: noise, style convs, toRGB."""

import keras
from keras import ops

from keras_gen.layers.equalized import lrelu
from keras_gen.models.stylegan2.modulated_conv import ModulatedConv2D
from keras_gen.utils import validation

NOISE_MODES = ("random", "const", "none")


def check_noise_mode(noise_mode):
    return validation.check_choice(noise_mode, "noise_mode", NOISE_MODES)


@keras.saving.register_keras_serializable(package="keras_gen")
class NoiseInjection(keras.layers.Layer):
    """Adds per-pixel Gaussian noise times a learned strength.

    One noise image per sample is broadcast over the channels and scaled by
    a learned scalar that starts at 0 (Karras et al., 2019, sec. 2; 2020,
    fig. 2c). A fixed noise image (`noise_mode="const"`, drawn once with a
    fixed seed and saved with the weights) makes sampling deterministic.

    Args:
        resolution: side of the feature maps it is applied to.

    Call arguments:
        inputs: `(batch, resolution, resolution, channels)`.
        noise_mode: `"random"` (fresh noise from `seed`), `"const"` or
            `"none"`.
        seed: a `keras.random.SeedGenerator`, needed for `"random"`.
    """

    def __init__(self, resolution, **kwargs):
        super().__init__(**kwargs)
        self.resolution = validation.check_positive_int(
            resolution, "resolution"
        )

    def build(self, input_shape):
        r = self.resolution
        self.strength = self.add_weight(
            shape=(), initializer="zeros", name="strength"
        )
        self.noise_const = self.add_weight(
            shape=(r, r, 1),
            initializer=keras.initializers.RandomNormal(stddev=1.0, seed=r),
            trainable=False,
            name="noise_const",
        )

    def call(self, inputs, noise_mode="random", seed=None):
        check_noise_mode(noise_mode)
        if noise_mode == "none":
            return inputs
        if noise_mode == "const":
            noise = self.noise_const[None]
        else:
            if seed is None:
                raise ValueError(
                    "`noise_mode='random'` needs a `seed` (a "
                    "`keras.random.SeedGenerator`). Received: seed=None"
                )
            shape = (ops.shape(inputs)[0], self.resolution, self.resolution, 1)
            noise = keras.random.normal(shape, dtype=inputs.dtype, seed=seed)
        return inputs + self.strength * noise

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["resolution"] = self.resolution
        return config


@keras.saving.register_keras_serializable(package="keras_gen")
class SynthesisLayer(keras.layers.Layer):
    """Modulated 3x3 convolution, noise, bias and leaky ReLU (fig. 2c).

    Args:
        filters: output channels.
        resolution: output resolution.
        upsample: double the input resolution first.
    """

    def __init__(self, filters, resolution, upsample=False, **kwargs):
        super().__init__(**kwargs)
        self.filters = validation.check_positive_int(filters, "filters")
        self.resolution = validation.check_positive_int(
            resolution, "resolution"
        )
        self.upsample = bool(upsample)
        self.conv = ModulatedConv2D(
            filters, 3, demodulate=True, upsample=upsample, name="conv"
        )
        self.noise = NoiseInjection(resolution, name="noise")

    def build(self, inputs_shape, w_shape=None):
        self.conv.build(inputs_shape, w_shape)
        out_shape = self.conv.compute_output_shape(inputs_shape)
        self.noise.build(out_shape)
        self.bias = self.add_weight(
            shape=(self.filters,), initializer="zeros", name="bias"
        )

    def call(self, inputs, w, noise_mode="random", seed=None):
        x = self.conv(inputs, w)
        x = self.noise(x, noise_mode=noise_mode, seed=seed)
        return lrelu(x + self.bias)

    def compute_output_shape(self, inputs_shape, w_shape=None):
        return self.conv.compute_output_shape(inputs_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            resolution=self.resolution,
            upsample=self.upsample,
        )
        return config


@keras.saving.register_keras_serializable(package="keras_gen")
class ToRGB(keras.layers.Layer):
    """Modulated 1x1 convolution to image channels, without demodulation.

    Args:
        channels: image channels.
    """

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self.channels = validation.check_positive_int(channels, "channels")
        self.conv = ModulatedConv2D(channels, 1, demodulate=False, name="conv")

    def build(self, inputs_shape, w_shape=None):
        self.conv.build(inputs_shape, w_shape)
        self.bias = self.add_weight(
            shape=(self.channels,), initializer="zeros", name="bias"
        )

    def call(self, inputs, w):
        return self.conv(inputs, w) + self.bias

    def compute_output_shape(self, inputs_shape, w_shape=None):
        return tuple(inputs_shape[:-1]) + (self.channels,)

    def get_config(self):
        config = super().get_config()
        config["channels"] = self.channels
        return config
