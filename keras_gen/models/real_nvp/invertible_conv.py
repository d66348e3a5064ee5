"""Glow's invertible 1x1 convolution, LU-decomposed (Kingma & Dhariwal,
2018, sec. 3.2)."""

import random as python_random

import keras
import numpy as np
from keras import ops

from keras_gen.models.real_nvp.bijector import BijectorMixin
from keras_gen.utils import validation


def lu_decomposition(a):
    """`(p, l, u)` with `a = p @ l @ u`: `p` a permutation matrix, `l` unit
    lower triangular, `u` upper triangular (Gaussian elimination with
    partial pivoting, in float64 NumPy; the same on every backend)."""
    u = np.array(a, dtype="float64")
    n = len(u)
    lower = np.eye(n)
    rows = np.arange(n)
    for k in range(n - 1):
        pivot = k + int(np.argmax(np.abs(u[k:, k])))
        if pivot != k:
            u[[k, pivot]] = u[[pivot, k]]
            lower[[k, pivot], :k] = lower[[pivot, k], :k]
            rows[[k, pivot]] = rows[[pivot, k]]
        factors = u[k + 1 :, k] / u[k, k]
        lower[k + 1 :, k] = factors
        u[k + 1 :] -= factors[:, None] * u[k]
    # Row i of `l @ u` is row `rows[i]` of `a`, so a = p @ l @ u with
    # p = (the rows permutation matrix) transposed.
    return np.eye(n)[rows].T, lower, np.triu(u)


@keras.saving.register_keras_serializable(package="keras_gen")
class InvertibleConv1x1(BijectorMixin, keras.layers.Layer):
    """A learned invertible linear map of the channels (last axis).

    Glow's generalisation of RealNVP's fixed channel permutations (Kingma &
    Dhariwal, 2018, sec. 3.2): every position of an image `(H, W, C)`
    (every vector `(D,)`) is multiplied by the same `C x C` matrix `W`,
    a 1x1 convolution, `y = W x` per position. `W` is kept in its LU form
    (eq. 10),

        W = P L (U + diag(s)),

    with `P` a fixed permutation, `L` unit lower triangular, `U` strictly
    upper triangular and `s` a vector, so that (Glow, table 1)

        log|det dy/dx| = H * W * sum(log|s|),

    costs O(C) instead of the O(C^3) of a determinant. `s` is stored as
    its fixed sign and the trainable `log|s|`. `W` starts as a random
    rotation (log-determinant 0) whose LU decomposition gives `P`, `L`,
    `U` and `s`.

    Args:
        seed: int seed of the random rotation, or `None` to draw one from
            Python's `random` (which a `RealNVP` seeds with its own seed).

    Example:

    ```python
    layer = InvertibleConv1x1(seed=0)
    layer.build((None, 4, 4, 3))
    y, log_det = layer.forward(images)  # images: (batch, 4, 4, 3)
    x, _ = layer.inverse(y)
    ```
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = validation.check_seed(seed)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(
                "`InvertibleConv1x1` needs a known number of channels (last "
                f"axis). Received: input_shape={tuple(input_shape)}"
            )
        seed = self.seed
        if seed is None:
            seed = python_random.randint(0, 2**31 - 1)
        rng = np.random.RandomState(seed)
        # A random rotation and its LU decomposition (Glow, sec. 3.2).
        rotation = np.linalg.qr(rng.randn(channels, channels))[0]
        p, lower, upper = lu_decomposition(rotation)
        s = np.diag(upper)

        def weight(name, value, trainable):
            variable = self.add_weight(
                shape=value.shape,
                initializer="zeros",
                trainable=trainable,
                name=name,
            )
            variable.assign(value.astype("float32"))
            return variable

        self.permutation = weight("permutation", p, False)
        self.lower = weight("lower", lower, True)
        self.upper = weight("upper", np.triu(upper, k=1), True)
        self.sign_s = weight("sign_s", np.sign(s), False)
        self.log_s = weight("log_s", np.log(np.abs(s)), True)
        self._lower_mask = np.tril(np.ones((channels, channels)), k=-1).astype(
            "float32"
        )
        self.built = True

    def _factors(self):
        """`(P, L, U + diag(s))` with the masks applied (eq. 10)."""
        eye = ops.eye(self._lower_mask.shape[0], dtype="float32")
        lower = self.lower * self._lower_mask + eye
        upper = self.upper * ops.transpose(self._lower_mask) + eye * (
            self.sign_s * ops.exp(self.log_s)
        )
        return self.permutation, lower, upper

    def matrix(self):
        """`W = P L (U + diag(s))`, a `(C, C)` tensor."""
        p, lower, upper = self._factors()
        return ops.matmul(p, ops.matmul(lower, upper))

    def _log_det(self, x):
        # H * W * sum(log|s|) (Glow, table 1): one term per position.
        positions = int(np.prod(x.shape[1:-1]))
        per_sample = ops.sum(
            ops.zeros_like(x), axis=tuple(range(1, len(x.shape)))
        )
        return per_sample + positions * ops.sum(self.log_s)

    def _forward(self, x):
        """`(y, log|det dy/dx|)` per sample: y = W x at every position."""
        y = ops.matmul(x, ops.transpose(ops.cast(self.matrix(), x.dtype)))
        return y, self._log_det(x)

    def _inverse(self, y):
        """`(x, log|det dx/dy|)`: W^-1 = (U + diag(s))^-1 L^-1 P^T, two
        triangular solves."""
        p, lower, upper = self._factors()
        inverse = ops.solve_triangular(
            upper,
            ops.solve_triangular(lower, ops.transpose(p), lower=True),
            lower=False,
        )
        x = ops.matmul(y, ops.transpose(ops.cast(inverse, y.dtype)))
        return x, -self._log_det(y)

    def call(self, inputs):
        return self._forward(inputs)[0]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["seed"] = self.seed
        return config
