"""Convolutions that see only the past of a raster scan (PixelCNN)."""

import keras
import numpy as np
from keras import ops

MASK_TYPES = ("A", "B")
STACKS = ("raster", "vertical", "horizontal")


def causal_mask(kernel_size, mask_type="B", stack="raster"):
    """The `(kh, kw)` 0/1 mask of a causal kernel (centre `(kh // 2, kw // 2)`).

    `"vertical"`: the rows above the centre (all columns); `"horizontal"`:
    the centre row left of the centre; `"raster"`: both (the PixelCNN mask,
    van den Oord et al., 2016a, fig. 1). Mask `"B"` also keeps the centre
    (the vertical stack's whole centre row), mask `"A"` does not: the first
    layer must not see the value it predicts.
    """
    kh, kw = kernel_size
    ch, cw = kh // 2, kw // 2
    mask = np.zeros((kh, kw), "float32")
    if stack in ("vertical", "raster"):
        mask[:ch, :] = 1.0
    if stack in ("horizontal", "raster"):
        mask[ch, :cw] = 1.0
    if mask_type == "B":
        if stack == "vertical":
            mask[ch, :] = 1.0
        else:
            mask[ch, cw] = 1.0
    return mask


@keras.saving.register_keras_serializable(package="keras_gen")
class MaskedConv2D(keras.layers.Conv2D):
    """A `Conv2D` whose kernel is masked so that each output sees only the
    inputs before it in raster order (PixelCNN, van den Oord et al., 2016a;
    the vertical and horizontal stacks of the gated PixelCNN, 2016b).

    The kernel is multiplied by a fixed 0/1 mask at every call (the stored
    weights keep their masked-out entries, which receive no gradient), with
    `"same"` padding and stride 1, so that output `(i, j)` depends only on
    inputs `(i', j')` with `i' < i`, or `i' == i and j' < j` (`"A"`), or
    `j' <= j` (`"B"`), within the kernel's reach. `"vertical"` reaches every
    column of the rows above (and, with `"B"`, of its own row: stack it on
    an `"A"` layer so that the row's own values never enter).

    Args:
        filters: output channels.
        kernel_size: an odd int or a pair of odd ints.
        mask_type: `"A"` (excludes the centre) or `"B"` (includes it).
        stack: `"raster"`, `"vertical"` or `"horizontal"`.
        **kwargs: passed to `keras.layers.Conv2D` (not `strides`,
            `padding` or `dilation_rate`).

    Example:

    ```python
    conv = keras_gen.layers.MaskedConv2D(16, 3, mask_type="A")
    y = conv(keras.random.normal((2, 8, 8, 4)))  # y[:, 0, 0] sees no input
    ```
    """

    def __init__(
        self, filters, kernel_size, mask_type="B", stack="raster", **kwargs
    ):
        fixed = {
            k: kwargs.pop(k)
            for k in ("strides", "padding", "dilation_rate")
            if k in kwargs
        }
        if any(v not in (1, (1, 1), [1, 1], "same") for v in fixed.values()):
            raise ValueError(
                f"`MaskedConv2D` is stride 1 with 'same' padding. Received: {fixed}"
            )
        if mask_type not in MASK_TYPES:
            raise ValueError(
                f"`mask_type` must be one of {MASK_TYPES}. Received: mask_type={mask_type!r}"
            )
        if stack not in STACKS:
            raise ValueError(
                f"`stack` must be one of {STACKS}. Received: stack={stack!r}"
            )
        super().__init__(filters, kernel_size, padding="same", **kwargs)
        if any(k % 2 == 0 for k in self.kernel_size):
            raise ValueError(
                f"`kernel_size` must be odd. Received: kernel_size={kernel_size!r}"
            )
        self.mask_type = mask_type
        self.stack = stack
        self.mask = causal_mask(self.kernel_size, mask_type, stack)[
            :, :, None, None
        ]

    def convolution_op(self, inputs, kernel):
        kernel = kernel * ops.cast(self.mask, kernel.dtype)
        return super().convolution_op(inputs, kernel)

    def get_config(self):
        config = super().get_config()
        for fixed in ("strides", "padding", "dilation_rate"):
            config.pop(fixed, None)
        config.update(mask_type=self.mask_type, stack=self.stack)
        return config
