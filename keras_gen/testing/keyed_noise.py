"""Training noise that follows the samples, for the data-parallel tests.

Under data parallelism each replica (`tf.distribute`) or process
(`torch.distributed`) draws the noise of its shard of the batch from its own
copy of the model's seed generator, so the noise differs from what one device
draws for the whole batch and the weights of the two runs cannot be compared.
A model that mixes in `KeyedNoise` draws each sample's noise as a fixed,
smooth function of that sample's data and of the draw's rank within the
step: however a batch is split, every sample gets the same noise row. Every
keras_gen model draws its training noise through `random_normal` /
`random_uniform`, so nothing else changes.
"""

import math
import threading

import keras
from keras import ops

# `MirroredStrategy` traces its replicas in threads of their own.
_state = threading.local()


class KeyedNoise:
    """Mixin for a keras_gen model: per-sample noise keyed by the data.

    The noise is `sqrt(2) * sin(key_i + phase_jk)` (mean 0, variance 1) for
    `random_normal` and `(1 + sin(...)) / 2` for `random_uniform`, where
    `key_i` is the mean of sample `i`'s features and `phase_jk` depends on
    the column `j` and the rank `k` of the draw. Both are computed in a
    way that does not depend on the batch size, so float rounding is the
    only difference between a split and a whole batch.
    """

    def _key_noise(self, data):
        x = keras.tree.flatten(data)[0]
        flat = ops.reshape(ops.cast(x, "float32"), (ops.shape(x)[0], -1))
        _state.key = 3.0 * ops.mean(flat, axis=1)
        _state.draws = 0

    def _keyed(self, shape):
        k = _state.draws
        _state.draws += 1
        width = math.prod(shape[1:])
        phase = ops.arange(width, dtype="float32") * 0.7548 + 1.3 * k + 0.4
        values = ops.sin(_state.key[:, None] + phase[None, :])
        return ops.reshape(values, shape)

    def random_normal(self, shape, dtype="float32"):
        return ops.cast(math.sqrt(2.0) * self._keyed(shape), dtype)

    def random_uniform(self, shape, dtype="float32"):
        return ops.cast(0.5 + 0.5 * self._keyed(shape), dtype)

    # The two training routes: `train_step_logic` (several optimizers) and
    # `compute_loss` (one optimizer; `call` draws no noise in the models
    # used here).
    def train_step_logic(self, data):
        self._key_noise(data)
        return super().train_step_logic(data)

    def compute_loss(self, x=None, *args, **kwargs):
        self._key_noise(x)
        return super().compute_loss(x, *args, **kwargs)
