"""Minibatch standard deviation (Karras et al., 2018, sec. 3)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gen")
class MinibatchStdDev(keras.layers.Layer):
    """Appends the batch's average feature standard deviation as a feature.

    The discriminator sees how varied the batch is, which penalises a
    generator that collapses to few modes. The standard deviation of every
    feature is taken over a group of samples, averaged, and appended: as one
    more feature for vectors, or one more constant channel for images.

    Args:
        group_size: samples per group; `None` uses the whole batch. The batch
            size must divide by it.

    Example:

    ```python
    h = keras.layers.Dense(64)(inputs)
    h = keras_gen.layers.MinibatchStdDev()(h)   # (batch, 65)
    ```
    """

    def __init__(self, group_size=None, **kwargs):
        super().__init__(**kwargs)
        self.group_size = group_size

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        feature_shape = tuple(x.shape[1:])
        if self.group_size is None:
            groups = x[None]
        else:
            groups = ops.reshape(x, (-1, self.group_size) + feature_shape)
        std = ops.sqrt(ops.var(groups, axis=1) + 1e-8)  # (num_groups, ...)
        stat = ops.mean(
            std, axis=tuple(range(1, len(std.shape)))
        )  # (num_groups,)
        group = ops.shape(x)[0] if self.group_size is None else self.group_size
        stat = ops.repeat(stat, group, axis=0)  # one value per sample
        stat = ops.reshape(stat, (-1,) + (1,) * len(feature_shape))
        stat = ops.broadcast_to(stat, ops.shape(x)[:-1] + (1,))
        return ops.cast(ops.concatenate([x, stat], axis=-1), inputs.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (input_shape[-1] + 1,)

    def get_config(self):
        config = super().get_config()
        config["group_size"] = self.group_size
        return config
