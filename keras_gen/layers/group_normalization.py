"""Group normalization with a fused kernel where the backend has one."""

import keras

from keras_gen import backend


@keras.saving.register_keras_serializable(package="keras_gen")
class GroupNormalization(keras.layers.GroupNormalization):
    """`keras.layers.GroupNormalization` (Wu & He, 2018), fused on torch.

    The same layer, arguments and weights as Keras's; on the torch backend
    a channels-first float32 input (`axis=1`) goes through torch's fused
    `group_norm` kernel instead of Keras's reshape / moments / scale ops
    (on the DDPM U-Net those elementwise ops took about a third of a
    training step). Elsewhere, and for other layouts and dtypes, it is
    Keras's own implementation; XLA fuses those ops already.

    Args:
        groups, axis, epsilon, center, scale, ...: as
            `keras.layers.GroupNormalization`.

    Example:

    ```python
    h = keras_gen.layers.GroupNormalization(8, axis=1)(h)  # (batch, channels, height, width)
    ```
    """

    def call(self, inputs):
        fused = backend.fused_group_norm(
            inputs,
            self.groups,
            self.gamma if self.scale else None,
            self.beta if self.center else None,
            self.epsilon,
            self.axis,
        )
        if fused is not None:
            return fused
        return super().call(inputs)
