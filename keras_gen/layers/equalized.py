"""Layers with an equalised learning rate (Karras et al., 2018, sec. 4.1)."""

import math

import keras
from keras import ops

from keras_gen.layers.resample import downsample_2x
from keras_gen.utils import validation

# Gain of the leaky ReLU (slope 0.2) that keeps unit variance: the official
# StyleGAN2 code multiplies its output by sqrt(2).
LRELU_GAIN = math.sqrt(2.0)


def lrelu(x):
    """Leaky ReLU (slope 0.2) times sqrt(2), StyleGAN2's activation."""
    return ops.leaky_relu(x, negative_slope=0.2) * LRELU_GAIN


def _check_activation(activation):
    return validation.check_choice(
        activation, "activation", ("linear", "lrelu")
    )


@keras.saving.register_keras_serializable(package="keras_gen")
class EqualizedDense(keras.layers.Layer):
    """A dense layer whose weights are scaled at run time, not at init.

    The kernel is drawn from `N(0, 1 / lr_multiplier^2)` and multiplied at
    every call by `lr_multiplier / sqrt(fan_in)` (He's constant), so Adam's
    scale-free steps move every layer at the same relative speed.
    `lr_multiplier < 1` slows a layer down (0.01 in StyleGAN's mapping
    network, Karras et al., 2019, appendix C).

    Args:
        units: output size.
        activation: `"linear"` or `"lrelu"` (leaky ReLU 0.2 with gain sqrt 2).
        lr_multiplier: learning-rate multiplier of this layer.
        bias_init: initial value of the (effective) bias.
        use_bias: whether to add a bias.

    Example:

    ```python
    layer = EqualizedDense(64, activation="lrelu", lr_multiplier=0.01)
    w = layer(z)
    ```
    """

    def __init__(
        self,
        units,
        activation="linear",
        lr_multiplier=1.0,
        bias_init=0.0,
        use_bias=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = validation.check_positive_int(units, "units")
        self.activation = _check_activation(activation)
        self.lr_multiplier = validation.check_in_range(
            lr_multiplier, "lr_multiplier", 0.0, description="a positive number"
        )
        if self.lr_multiplier == 0:
            raise ValueError(
                f"`lr_multiplier` must be positive. Received: lr_multiplier={lr_multiplier!r}"
            )
        self.bias_init = float(bias_init)
        self.use_bias = bool(use_bias)

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self.kernel = self.add_weight(
            shape=(fan_in, self.units),
            initializer=keras.initializers.RandomNormal(
                stddev=1.0 / self.lr_multiplier
            ),
            name="kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,),
                initializer=keras.initializers.Constant(
                    self.bias_init / self.lr_multiplier
                ),
                name="bias",
            )
        self.weight_gain = self.lr_multiplier / math.sqrt(fan_in)

    def call(self, inputs):
        y = ops.matmul(inputs, self.kernel * self.weight_gain)
        if self.bias is not None:
            y = y + self.bias * self.lr_multiplier
        return lrelu(y) if self.activation == "lrelu" else y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            activation=self.activation,
            lr_multiplier=self.lr_multiplier,
            bias_init=self.bias_init,
            use_bias=self.use_bias,
        )
        return config


@keras.saving.register_keras_serializable(package="keras_gen")
class EqualizedConv2D(keras.layers.Layer):
    """A "same"-padded convolution with an equalised learning rate.

    Kernel `N(0, 1)`, multiplied at every call by `1 / sqrt(fan_in)`
    (`fan_in = kernel_size^2 * in_channels`).

    Args:
        filters: output channels.
        kernel_size: side of the square kernel.
        activation: `"linear"` or `"lrelu"`.
        use_bias: whether to add a bias.
        downsample: halve the resolution (with the [1, 3, 3, 1] filter)
            before the convolution.

    Example:

    ```python
    h = EqualizedConv2D(64, 3, activation="lrelu")(images)
    ```
    """

    def __init__(
        self,
        filters,
        kernel_size=3,
        activation="linear",
        use_bias=True,
        downsample=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = validation.check_positive_int(filters, "filters")
        self.kernel_size = validation.check_positive_int(
            kernel_size, "kernel_size"
        )
        self.activation = _check_activation(activation)
        self.use_bias = bool(use_bias)
        self.downsample = bool(downsample)

    def build(self, input_shape):
        in_channels = int(input_shape[-1])
        k = self.kernel_size
        self.kernel = self.add_weight(
            shape=(k, k, in_channels, self.filters),
            initializer=keras.initializers.RandomNormal(stddev=1.0),
            name="kernel",
        )
        self.bias = (
            self.add_weight(
                shape=(self.filters,), initializer="zeros", name="bias"
            )
            if self.use_bias
            else None
        )
        self.weight_gain = 1.0 / math.sqrt(k * k * in_channels)

    def call(self, inputs):
        x = downsample_2x(inputs) if self.downsample else inputs
        y = ops.conv(x, self.kernel * self.weight_gain, padding="same")
        if self.bias is not None:
            y = y + self.bias
        return lrelu(y) if self.activation == "lrelu" else y

    def compute_output_shape(self, input_shape):
        b, h, w, _ = input_shape
        if self.downsample:
            h, w = (
                (None if h is None else h // 2),
                (None if w is None else w // 2),
            )
        return (b, h, w, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=self.kernel_size,
            activation=self.activation,
            use_bias=self.use_bias,
            downsample=self.downsample,
        )
        return config
