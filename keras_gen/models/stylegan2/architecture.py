"""Resolution and channel-width rules shared by StyleGAN2's networks.

The official networks start from a 4x4 constant and double up to a power
of two. Here the start side (the base) may be 4, 5, 6 or 7, so a 28x28
image (Fashion-MNIST) grows 7 -> 14 -> 28 without padding, as in
Progressive GAN (`keras_gen.layers.resample.base_resolution_of`). Widths
follow the official rule at the power-of-two side of the same depth, so a
28x28 network is as wide, block for block, as a 16x16 one.
"""

from keras_gen.layers.resample import base_resolution_of


def check_power_of_two(value, name, minimum=1):
    """A power of two >= `minimum`, or a ValueError naming the argument."""
    ok = (
        isinstance(value, int)
        and not isinstance(value, bool)
        and value >= minimum
    )
    ok = ok and (value & (value - 1)) == 0
    if not ok:
        raise ValueError(
            f"`{name}` must be a power of two >= {minimum}. Received: {name}={value!r}"
        )
    return int(value)


def check_resolution(value, name="resolution"):
    """A side `base * 2**k` with a base of 4 to 7 (4, 8, 16, 28, 32, 48,
    ...), or a ValueError naming the argument."""
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 4
    if not ok or not 4 <= base_resolution_of(value) <= 7:
        raise ValueError(
            f"`{name}` must be 4, 5, 6 or 7 times a power of two (e.g. 16, "
            f"28, 32, 64). Received: {name}={value!r}"
        )
    return int(value)


def base_of(resolution):
    """The side of the learned constant (and of the discriminator's last
    block): `resolution` halved while it stays >= 4 (16 -> 4, 28 -> 7)."""
    return base_resolution_of(resolution)


def channels_at(resolution, channel_base, channel_max, base=4):
    """Feature maps of the block at `resolution`: `min(channel_base / r,
    channel_max)` with `r` the power-of-two side of the same depth
    (`4 * resolution / base`), the rule of the official code (e.g.
    32768 / 512 for 1024x1024 FFHQ)."""
    nominal = 4 * resolution // base
    return max(1, min(channel_base // nominal, channel_max))


def block_resolutions(resolution):
    """The sides of the blocks: base, 2 base, ..., resolution (4, 8, 16)."""
    sides = [resolution]
    while sides[0] > base_of(resolution):
        sides.insert(0, sides[0] // 2)
    return sides


def num_ws(resolution):
    """Number of per-layer latents `w` the synthesis network consumes: one
    per style convolution plus the last toRGB (the other toRGB layers share
    the latent of the next block's first convolution): two per block."""
    return 2 * len(block_resolutions(resolution))
