"""Resolution and channel-width rules shared by StyleGAN2's networks."""

import math


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


def channels_at(resolution, channel_base, channel_max):
    """Feature maps at a resolution: `min(channel_base / res, channel_max)`,
    the rule of the official code (e.g. 32768 / 512 for 1024x1024 FFHQ)."""
    return max(1, min(channel_base // resolution, channel_max))


def block_resolutions(resolution):
    """4, 8, ..., resolution."""
    return [2**i for i in range(2, int(math.log2(resolution)) + 1)]


def num_ws(resolution):
    """Number of per-layer latents `w` the synthesis network consumes: one
    per style convolution plus the last toRGB (the other toRGB layers share
    the latent of the next block's first convolution)."""
    return 2 * int(math.log2(resolution)) - 2
