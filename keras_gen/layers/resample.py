"""Resampling of NHWC image batches: by 2 with the [1, 3, 3, 1] filter
(StyleGAN2), and nearest-neighbour / average pooling (Progressive GAN).

StyleGAN2 up- and downsamples with a separable [1, 3, 3, 1] low-pass filter
(Zhang, 2019). Upsampling by 2 with it is bilinear interpolation; here both
directions are written with slices and sums only, so they are linear, cheap
and twice differentiable on every backend (R1 and path-length regularisation
differentiate through them twice). Borders repeat the edge pixel.
"""

from keras import ops

from keras_gen.utils import validation


def _pad_edge(x, axis):
    n = x.shape[axis]
    first = ops.take(x, [0], axis=axis)
    last = ops.take(x, [n - 1], axis=axis)
    return ops.concatenate([first, x, last], axis=axis)


def _slice(x, axis, start, stop, step=1):
    index = [slice(None)] * len(x.shape)
    index[axis] = slice(start, stop, step)
    return x[tuple(index)]


def _upsample_axis(x, axis):
    n = x.shape[axis]
    padded = _pad_edge(x, axis)
    before, center, after = (_slice(padded, axis, i, i + n) for i in range(3))
    # Output pixel 2i sits a quarter pixel before input pixel i, 2i + 1 a
    # quarter pixel after it: weights (1, 3) / 4 and (3, 1) / 4.
    even = 0.25 * before + 0.75 * center
    odd = 0.75 * center + 0.25 * after
    stacked = ops.stack([even, odd], axis=axis + 1)
    shape = list(ops.shape(x))
    shape[axis] = 2 * n
    return ops.reshape(stacked, shape)


def _downsample_axis(x, axis):
    n = x.shape[axis]
    padded = _pad_edge(x, axis)
    # out[i] = (x[2i-1] + 3 x[2i] + 3 x[2i+1] + x[2i+2]) / 8.
    taps = [_slice(padded, axis, k, k + n, 2) for k in range(4)]
    return (taps[0] + 3.0 * taps[1] + 3.0 * taps[2] + taps[3]) / 8.0


def upsample_2x(x):
    """Doubles the height and width of an NHWC batch (bilinear)."""
    return _upsample_axis(_upsample_axis(x, 1), 2)


def downsample_2x(x):
    """Halves the height and width of an NHWC batch (blur, then stride 2)."""
    return _downsample_axis(_downsample_axis(x, 1), 2)


def _check_factor(factor):
    if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
        raise ValueError(
            f"`factor` must be a positive int. Received: factor={factor!r}"
        )
    return factor


def upsample_nearest(x, factor=2):
    """Repeats every pixel of an NHWC batch `factor` times along height and
    width (nearest neighbour, the upsampling of Karras et al., 2018)."""
    if _check_factor(factor) == 1:
        return x
    return ops.repeat(ops.repeat(x, factor, axis=1), factor, axis=2)


def downsample_average(x, factor=2):
    """Averages `factor` x `factor` blocks of an NHWC batch (average pooling,
    the downsampling of Karras et al., 2018). The sides must divide by
    `factor`. Written as a reshape and a mean, so it is twice
    differentiable on every backend (gradient penalties)."""
    if _check_factor(factor) == 1:
        return x
    _, h, w, c = x.shape
    if h % factor or w % factor:
        raise ValueError(
            f"`downsample_average` needs sides divisible by `factor` ({factor}). Received: x.shape={tuple(x.shape)}"
        )
    blocks = ops.reshape(x, (-1, h // factor, factor, w // factor, factor, c))
    return ops.mean(blocks, axis=(2, 4))


def base_resolution_of(resolution, base_resolution=None):
    """The lowest resolution of the growth: `base_resolution`, or (`None`)
    `resolution` halved while it stays even and at least 4 (16 -> 4,
    28 -> 7, 24 -> 6). `resolution` must be `base * 2**k`."""
    resolution = validation.check_positive_int(resolution, "resolution")
    if base_resolution is None:
        base_resolution = resolution
        while base_resolution % 2 == 0 and base_resolution // 2 >= 4:
            base_resolution //= 2
        return base_resolution
    base_resolution = validation.check_positive_int(
        base_resolution, "base_resolution"
    )
    ratio = resolution // base_resolution
    if resolution % base_resolution or ratio & (ratio - 1):
        raise ValueError(
            "The resolution must be `base_resolution` times a power of two (the networks grow by "
            f"doubling). Received: base_resolution={base_resolution} for resolution={resolution}"
        )
    return base_resolution
