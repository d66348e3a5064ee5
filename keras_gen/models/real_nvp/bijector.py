"""The shared interface of the flow's bijectors: `forward` and `inverse`."""

import keras
from keras import ops

# On the PyTorch backend every Keras layer is a `torch.nn.Module`: its
# `__call__` runs `self.forward(...)`, and Keras' own `forward` runs
# `keras.Operation.__call__` (hence `call`). Elsewhere `forward` is unused.
_CALL_GOES_THROUGH_FORWARD = hasattr(keras.layers.Layer, "forward")


class BijectorMixin:
    """Lets a Keras layer or model name its bijection `forward`.

    Subclasses implement `_forward(x)` and `_inverse(y)`, each returning the
    output and the log-determinant of its Jacobian per sample, and `call`
    in terms of `_forward`. Where `layer(x)` runs through `forward` (torch),
    `__call__` marks the call and `forward` hands it on to
    `keras.Operation.__call__`, exactly as Keras' own `forward` does; direct
    calls of `forward(x)` return `(y, log_det)` on every backend.
    """

    def __call__(self, *args, **kwargs):
        if not _CALL_GOES_THROUGH_FORWARD:
            return super().__call__(*args, **kwargs)
        object.__setattr__(self, "_module_call_pending", True)
        try:
            return super().__call__(*args, **kwargs)
        finally:
            object.__setattr__(self, "_module_call_pending", False)

    def _is_module_call(self):
        """True once, when `forward` is reached from `__call__`."""
        if getattr(self, "_module_call_pending", False):
            object.__setattr__(self, "_module_call_pending", False)
            return True
        return False

    def forward(self, x, *args, **kwargs):
        """`(y, log|det dy/dx|)`, the log-determinant per sample."""
        if self._is_module_call():
            return keras.Operation.__call__(self, x, *args, **kwargs)
        return self._forward(ops.convert_to_tensor(x))

    def inverse(self, y):
        """`(x, log|det dx/dy|)`, the log-determinant per sample."""
        return self._inverse(ops.convert_to_tensor(y))
