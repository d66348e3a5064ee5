"""Spectral normalisation that leaves the wrapped kernel untouched."""

import keras
from keras import ops


def _l2_normalize(x):
    return x / ops.sqrt(ops.sum(ops.square(x)) + 1e-12)


@keras.saving.register_keras_serializable(package="keras_gen")
class SpectralNormalization(keras.layers.Wrapper):
    """Divides a layer's kernel by its largest singular value.

    `W_SN = W / sigma(W)`, with `sigma` estimated by power iteration on a
    persistent vector `u` (Miyato et al., 2018, Algorithm 1); gradients flow
    through `sigma(W)` with `u` and `v` held constant, as in the paper.

    Unlike `keras.layers.SpectralNormalization`, the kernel variable is never
    overwritten: the wrapped layer runs statelessly on `W / sigma`. So the
    layer can be called several times in one training step (real and
    generated batches, a gradient penalty) on every backend, and the
    gradient is the same on TensorFlow, JAX and PyTorch. `u` is updated only
    when `training=True`.

    Args:
        layer: a layer with a `kernel` (Dense, Conv, ...).
        power_iterations: power-iteration steps per call.

    Example:

    ```python
    dense = keras_gen.layers.SpectralNormalization(keras.layers.Dense(64))
    ```
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if int(power_iterations) < 1:
            raise ValueError(
                "`power_iterations` must be at least 1. "
                f"Received: power_iterations={power_iterations!r}"
            )
        self.power_iterations = int(power_iterations)

    def build(self, input_shape):
        super().build(input_shape)
        if not hasattr(self.layer, "kernel"):
            raise ValueError(
                "SpectralNormalization wraps layers with a `kernel`. "
                f"Received: layer={self.layer.__class__.__name__}"
            )
        self.vector_u = self.add_weight(
            shape=(1, self.layer.kernel.shape[-1]),
            initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            name="vector_u",
        )

    def normalized_kernel(self, training=False):
        kernel = self.layer.kernel
        w = ops.reshape(kernel.value, (-1, kernel.shape[-1]))
        w_const = ops.stop_gradient(w)
        u = ops.stop_gradient(self.vector_u.value)
        for _ in range(self.power_iterations):
            v = _l2_normalize(ops.matmul(u, ops.transpose(w_const)))
            u = _l2_normalize(ops.matmul(v, w_const))
        if training:
            self.vector_u.assign(u)
        sigma = ops.matmul(ops.matmul(v, w), ops.transpose(u))[0, 0]
        return kernel.value / sigma

    def call(self, inputs, training=False):
        kernel = self.normalized_kernel(training)
        trainable = [
            kernel if v is self.layer.kernel else v.value
            for v in self.layer.trainable_variables
        ]
        non_trainable = [v.value for v in self.layer.non_trainable_variables]
        outputs, _ = self.layer.stateless_call(trainable, non_trainable, inputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config["power_iterations"] = self.power_iterations
        return config
