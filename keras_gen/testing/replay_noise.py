"""Identical noise on every backend, for the cross-backend parity tests.

Each backend has its own random number generator, so the same seed gives
different noise on TensorFlow, JAX and PyTorch. A model that mixes in
`ReplayNoise` instead reads its k-th draw of training step t from fixed
tables: `normal[t, k]` and `uniform[t, k]`, each `(batch, width)`, cut to the
requested shape. Every keras_gen model draws its training noise through
`random_normal` / `random_uniform`, so nothing else changes.
"""

from keras import ops


class ReplayNoise:
    """Mixin for a `MultiOptimizerModel`; set `noise_tables` before `fit`."""

    noise_tables = None  # {"normal": array, "uniform": array}

    def _train_step(self, data):
        self._draws = 0  # counts the draws of one step (at trace time)
        return super()._train_step(data)

    def _replay(self, kind, shape):
        table = ops.convert_to_tensor(self.noise_tables[kind])
        k = self._draws
        self._draws += 1
        step = ops.cast(self.optimizer.iterations, "int32")
        rows = ops.take(table[:, k], step, axis=0)  # (batch, width)
        if len(shape) == 1:
            return rows[:, 0]
        return rows[:, : shape[1]]

    def random_normal(self, shape, dtype="float32"):
        return ops.cast(self._replay("normal", shape), dtype)

    def random_uniform(self, shape, dtype="float32"):
        return ops.cast(self._replay("uniform", shape), dtype)
