"""Learned 2x (or kx) upsampling that is fast on every backend."""

import keras
from keras import ops

from keras_gen.utils import validation

METHODS = ("resize_conv", "depth_to_space")
INTERPOLATIONS = ("nearest", "bilinear")
# The choices of the default networks' `upsampling` hyper-parameter: these
# layer methods, or Keras' `Conv2DTranspose` (the papers' architectures).
NETWORK_UPSAMPLINGS = METHODS + ("transposed",)


@keras.saving.register_keras_serializable(package="keras_gen")
class UpsampleConv2D(keras.layers.Layer):
    """Upsamples images by `size` and convolves: a transposed convolution's
    job, formulated to be fast on JAX, TensorFlow and PyTorch alike.

    A stride-2 `keras.layers.Conv2DTranspose` trains fast on TensorFlow,
    but on JAX's CPU backend the gradient of its kernel is a convolution
    XLA runs slowly: a whole training step 7-13x TensorFlow's at 28x28
    (`benchmarks/step_times_results.md`). This layer does the same job
    with ordinary stride-1 convolutions (1.6-4.7x faster steps on JAX
    there; on TensorFlow the transposed convolution stays faster):

    - `method="resize_conv"`: resize by `size` (`"nearest"` or
      `"bilinear"`), then a `kernel_size` convolution to `filters`
      channels (Odena et al., 2016, "Deconvolution and Checkerboard
      Artifacts": no checkerboard pattern by construction).
    - `method="depth_to_space"`: a `kernel_size` convolution to
      `filters * size**2` channels at the input resolution, then a
      depth-to-space shuffle (the "sub-pixel convolution" of Shi et al.,
      2016): the same work as `"resize_conv"`, on the smaller map.

    Args:
        filters: output channels.
        kernel_size: side of the convolution's kernel (an int).
        size: the upsampling factor (an int >= 1).
        method: `"resize_conv"` or `"depth_to_space"`.
        interpolation: `"nearest"` or `"bilinear"` (`"resize_conv"` only).
        activation: activation of the output (`None`: linear).
        use_bias: whether the convolution has a bias.
        kernel_initializer, bias_initializer: the convolution's
            initializers.
        data_format: `"channels_last"` or `"channels_first"` (default:
            Keras' image data format).
        **kwargs: passed to `keras.layers.Layer` (`name`, `dtype`...).

    Example:

    ```python
    inputs = keras.Input((7, 7, 128))
    h = keras_gen.layers.UpsampleConv2D(64, 3, activation="relu")(inputs)  # (14, 14, 64)
    images = keras_gen.layers.UpsampleConv2D(1, 3, activation="tanh")(h)     # (28, 28, 1)
    ```
    """

    def __init__(
        self,
        filters,
        kernel_size=3,
        size=2,
        method="resize_conv",
        interpolation="nearest",
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        data_format=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = validation.check_positive_int(filters, "filters")
        self.kernel_size = validation.check_positive_int(
            kernel_size, "kernel_size"
        )
        self.size = validation.check_positive_int(size, "size")
        self.method = validation.check_choice(method, "method", METHODS)
        self.interpolation = validation.check_choice(
            interpolation, "interpolation", INTERPOLATIONS
        )
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        if data_format is None:
            data_format = keras.config.image_data_format()
        self.data_format = validation.check_choice(
            data_format, "data_format", ("channels_last", "channels_first")
        )
        channels = self.filters * (
            self.size**2 if self.method == "depth_to_space" else 1
        )
        self.conv = keras.layers.Conv2D(
            channels,
            self.kernel_size,
            padding="same",
            use_bias=self.use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            data_format=self.data_format,
            dtype=self.dtype_policy,
            name="conv",
        )

    def build(self, input_shape):
        if self.method == "resize_conv":
            self.conv.build(self._resized_shape(input_shape))
        else:
            self.conv.build(input_shape)

    def _resized_shape(self, input_shape):
        shape = list(input_shape)
        axes = (1, 2) if self.data_format == "channels_last" else (2, 3)
        for a in axes:
            shape[a] = None if shape[a] is None else shape[a] * self.size
        return tuple(shape)

    def _resize(self, x):
        if self.size == 1:
            return x
        if self.interpolation == "nearest":
            axes = (1, 2) if self.data_format == "channels_last" else (2, 3)
            for a in axes:
                x = ops.repeat(x, self.size, axis=a)
            return x
        shape = ops.shape(x)
        height, width = (
            (shape[1], shape[2])
            if self.data_format == "channels_last"
            else (shape[2], shape[3])
        )
        return ops.image.resize(
            x,
            (height * self.size, width * self.size),
            interpolation="bilinear",
            data_format=self.data_format,
        )

    def call(self, inputs):
        if self.method == "resize_conv":
            outputs = self.conv(self._resize(inputs))
        else:
            outputs = self.conv(inputs)
            if self.size > 1:
                outputs = self._depth_to_space(outputs)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def _depth_to_space(self, x):
        if self.data_format == "channels_last":
            return ops.depth_to_space(x, self.size)
        # Keras' channels-first `depth_to_space` orders the channels
        # (channel, row, column): shuffle as channels-last does, (row,
        # column, channel), so that the weights work in either layout.
        b, s = ops.shape(x)[0], self.size
        _, channels, height, width = x.shape
        x = ops.reshape(x, (b, s, s, channels // s**2, height, width))
        x = ops.transpose(x, (0, 3, 4, 1, 5, 2))
        return ops.reshape(x, (b, channels // s**2, height * s, width * s))

    def compute_output_shape(self, input_shape):
        shape = list(self._resized_shape(input_shape))
        shape[-1 if self.data_format == "channels_last" else 1] = self.filters
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=self.kernel_size,
            size=self.size,
            method=self.method,
            interpolation=self.interpolation,
            activation=keras.activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=keras.initializers.serialize(
                self.conv.kernel_initializer
            ),
            bias_initializer=keras.initializers.serialize(
                self.conv.bias_initializer
            ),
            data_format=self.data_format,
        )
        return config


def check_network_upsampling(upsampling):
    """The `upsampling` hyper-parameter of a default network."""
    return validation.check_choice(
        upsampling, "upsampling", NETWORK_UPSAMPLINGS
    )


def upsample(
    h,
    filters,
    kernel_size,
    upsampling,
    activation=None,
    use_bias=True,
    kernel_initializer="glorot_uniform",
):
    """One 2x learned upsampling of the default networks: `upsampling` is
    `"transposed"` (a stride-2 `Conv2DTranspose`, the papers' layer, with
    the same weights layout as before the choice existed) or a method of
    `UpsampleConv2D`."""
    if upsampling == "transposed":
        return keras.layers.Conv2DTranspose(
            filters,
            kernel_size,
            strides=2,
            padding="same",
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
        )(h)
    # A transposed convolution of kernel k at stride 2 reads about k/2
    # input pixels per output pixel: an odd kernel of at least that width
    # at the output resolution sees as much (4 -> 3, 3 -> 3).
    return UpsampleConv2D(
        filters,
        kernel_size - 1 if kernel_size % 2 == 0 else kernel_size,
        size=2,
        method=upsampling,
        activation=activation,
        use_bias=use_bias,
        kernel_initializer=kernel_initializer,
    )(h)


def with_legacy_upsampling(config):
    """A model or network config saved before the `upsampling`
    hyper-parameter existed: its default networks were built with
    transposed convolutions, and their weights have that layout."""
    config = dict(config)
    config.setdefault("upsampling", "transposed")
    return config
