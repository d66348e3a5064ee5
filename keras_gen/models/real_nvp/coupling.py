"""Affine coupling layer (Dinh et al., 2017, sec. 3.3-3.5)."""

import keras
import numpy as np
from keras import ops

from keras_gen.models.real_nvp import networks
from keras_gen.models.real_nvp.bijector import BijectorMixin
from keras_gen.utils import validation

MASK_TYPES = ("alternating", "checkerboard", "channel")


def coupling_mask(mask_type, shape, parity):
    """The binary mask `b` of a coupling layer, shaped to broadcast on `shape`.

    `b = 1` marks the entries that are kept (and condition the network),
    `b = 0` those that are transformed.

    - `"alternating"` (vectors `(D,)`): `b_i = 1` for the indices `i` with
      `i % 2 == parity`.
    - `"checkerboard"` (images `(H, W, C)`): `b = 1` where `(row + column)
      % 2 == parity`, the same for every channel (Dinh et al., fig. 3, left).
    - `"channel"` (images): `b = 1` on the first half of the channels for
      parity 0, on the second half for parity 1 (fig. 3, right).
    """
    if mask_type == "alternating":
        return (np.arange(shape[0]) % 2 == parity).astype("float32")
    if mask_type == "checkerboard":
        rows, cols = np.meshgrid(
            np.arange(shape[0]), np.arange(shape[1]), indexing="ij"
        )
        return ((rows + cols) % 2 == parity).astype("float32")[..., None]
    half = shape[-1] // 2
    first = (np.arange(shape[-1]) < half).astype("float32")
    return (first if parity == 0 else 1.0 - first).reshape(1, 1, -1)


@keras.saving.register_keras_serializable(package="keras_gen")
class AffineCoupling(BijectorMixin, keras.layers.Layer):
    """Affine coupling bijector with a tanh-bounded scale.

    With the binary mask `b` (1: kept, 0: transformed), Dinh et al. (2017,
    eq. 9):

        y = b * x + (1 - b) * (x * exp(s(b * x)) + t(b * x)),

    whose Jacobian is triangular with log-determinant `sum((1 - b) * s)`
    (eq. 6), and whose inverse (eq. 8) needs only the same networks:

        x = b * y + (1 - b) * (y - t(b * y)) * exp(-s(b * y)).

    The log-scale is bounded, `s = scale_factor * tanh(raw)`, with a learned
    per-channel `scale_factor` that starts at 1 (the `scale * tanh` of the
    authors' code): a single layer cannot blow up at the start of training,
    yet can learn large scales for sharp densities.

    Args:
        mask_type: `"alternating"` (vectors), `"checkerboard"` or
            `"channel"` (images `(H, W, C)`).
        parity: 0 or 1; consecutive layers alternate it so that every entry
            is transformed.
        hidden_units: hidden layers of the MLP (vectors).
        filters: width of the ResNet (images).
        num_blocks: residual blocks of the ResNet (images).
        activation: activation of the network.

    Example:

    ```python
    layer = AffineCoupling("alternating", parity=0, hidden_units=(64, 64))
    layer.build((None, 2))
    y, log_det = layer.forward(ops.ones((4, 2)))
    x, _ = layer.inverse(y)
    ```
    """

    def __init__(
        self,
        mask_type,
        parity=0,
        hidden_units=(256, 256),
        filters=64,
        num_blocks=2,
        activation="relu",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.mask_type = validation.check_choice(
            mask_type, "mask_type", MASK_TYPES
        )
        self.parity = validation.check_choice(parity, "parity", (0, 1))
        self.hidden_units = tuple(
            validation.check_positive_int(u, "hidden_units")
            for u in hidden_units
        )
        self.filters = validation.check_positive_int(filters, "filters")
        self.num_blocks = validation.check_positive_int(
            num_blocks, "num_blocks", allow_zero=True
        )
        self.activation = activation

    def build(self, input_shape):
        shape = tuple(input_shape[1:])
        image = self.mask_type != "alternating"
        if len(shape) != (3 if image else 1):
            raise ValueError(
                f"A {self.mask_type!r} coupling needs "
                f"{'images (batch, H, W, C)' if image else 'vectors (batch, D)'}. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        if (self.mask_type == "channel" and shape[-1] < 2) or (
            not image and shape[0] < 2
        ):
            raise ValueError(
                f"A {self.mask_type!r} coupling needs at least 2 "
                f"{'channels' if image else 'features'}. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        self._mask = coupling_mask(self.mask_type, shape, self.parity)
        channels = shape[-1]
        if image:
            # The network also reads the (checkerboard or channel) mask.
            self.network = networks.build_resnet_conditioner(
                shape[:2] + (channels + 1,),
                2 * channels,
                filters=self.filters,
                num_blocks=self.num_blocks,
                activation=self.activation,
                name="resnet",
            )
        else:
            self.network = networks.build_mlp_conditioner(
                channels, self.hidden_units, self.activation, name="mlp"
            )
        self.scale_factor = self.add_weight(
            shape=(channels,), initializer="ones", name="scale_factor"
        )
        self.built = True

    def _scale_and_shift(self, kept):
        """`(s, t)` from the kept part, zero where the mask keeps."""
        mask = ops.convert_to_tensor(self._mask, dtype=kept.dtype)
        if self.mask_type == "alternating":
            net_in = kept
        else:
            # One more input channel that shows the network the mask.
            shown = (
                mask if self.mask_type == "checkerboard" else float(self.parity)
            )
            net_in = ops.concatenate(
                [kept, ops.zeros_like(kept[..., :1]) + shown], axis=-1
            )
        # The flow computes in float32 even under a mixed policy: the
        # network's float16/bfloat16 output is cast up.
        raw_s, t = ops.split(
            ops.cast(self.network(net_in), kept.dtype), 2, axis=-1
        )
        s = self.scale_factor * ops.tanh(raw_s)
        return s * (1.0 - mask), t * (1.0 - mask), mask

    def _forward(self, x):
        """`(y, log|det dy/dx|)` per sample (eqs. 6 and 9)."""
        mask = ops.convert_to_tensor(self._mask, dtype=x.dtype)
        s, t, _ = self._scale_and_shift(x * mask)
        y = x * ops.exp(s) + t  # s = t = 0 where b = 1: those entries pass
        return y, ops.sum(s, axis=tuple(range(1, len(x.shape))))

    def _inverse(self, y):
        """`(x, log|det dx/dy|)` per sample (eq. 8)."""
        mask = ops.convert_to_tensor(self._mask, dtype=y.dtype)
        s, t, _ = self._scale_and_shift(y * mask)
        x = (y - t) * ops.exp(-s)
        return x, -ops.sum(s, axis=tuple(range(1, len(y.shape))))

    def call(self, inputs):
        return self._forward(inputs)[0]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            mask_type=self.mask_type,
            parity=self.parity,
            hidden_units=self.hidden_units,
            filters=self.filters,
            num_blocks=self.num_blocks,
            activation=self.activation,
        )
        return config
