"""PacGAN packing: the discriminator judges `pack` samples at once.

Lin et al. (2018, "PacGAN", sec. 3) concatenate `m` samples, all real or
all generated, into one discriminator input. A generator that drops modes
makes packs with too little variety, which a packed discriminator can see
and a per-sample one cannot: packing penalises mode collapse (sec. 4).

Samples are concatenated along the last axis, so a vector of `d` features
becomes `m * d` features, and an image `(H, W, C)` becomes `(H, W, m * C)`:
the default networks need only their input shape changed.
"""

from keras import ops


def packed_shape(data_shape, pack):
    """The discriminator's per-input shape for samples of `data_shape`."""
    data_shape = tuple(data_shape)
    return data_shape[:-1] + (data_shape[-1] * pack,)


def unpacked_shape(input_shape, pack, name="discriminator"):
    """The per-sample shape a discriminator with `input_shape` judges in
    packs of `pack`; an error if its last axis is not a multiple of it."""
    input_shape = tuple(input_shape)
    if input_shape[-1] is None or input_shape[-1] % pack:
        raise ValueError(
            f"With `pack={pack}` the {name}'s input must have pack x the "
            f"sample's features on its last axis (a multiple of {pack}). "
            f"Received: {name} input shape {input_shape}"
        )
    return input_shape[:-1] + (input_shape[-1] // pack,)


def pack_samples(x, pack):
    """`(batch, ..., c)` -> `(ceil(batch / pack), ..., pack * c)`.

    Rows `[i * pack, (i + 1) * pack)` form pack `i`. A batch that is not a
    multiple of `pack` (the last, partial batch of an epoch) completes its
    last pack with rows from its start, so every pack holds `pack` samples
    of one kind and no batch is left without a pack.
    """
    if pack == 1:
        return x
    shape = ops.shape(x)
    batch = shape[0]
    if not isinstance(batch, int) or batch % pack:
        x = ops.take(x, ops.arange(-(-batch // pack) * pack) % batch, axis=0)
    rank = len(x.shape)
    x = ops.reshape(x, (-1, pack) + tuple(shape[1:]))
    # Move the pack axis next to the features: (n, ..., pack, c).
    x = ops.transpose(x, (0,) + tuple(range(2, rank)) + (1, rank))
    return ops.reshape(x, (-1,) + tuple(shape[1:-1]) + (pack * shape[-1],))
