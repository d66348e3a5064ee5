"""The two DDPM U-Nets compared in `speed_ddpm.py`, sized to match.

keras_gen's `build_unet` and diffusers' `UNet2DModel` with the same image
size, channel widths and blocks per level, and self-attention at the lowest
resolution only (one wide head in both: many narrow heads are slow under XLA
on CPUs, docs/design.md section 7). The parameter counts are reported next to
every timing; the configurations below agree to within 10 %.
"""

IMAGE_SIZE = 32
WIDTHS = (32, 64, 64)
LAYERS_PER_BLOCK = 1


def keras_gen_unet(image_size=IMAGE_SIZE, data_format="channels_last"):
    """keras_gen's U-Net: widths 32/64/64, attention at the lowest level
    (channels-first inside on torch: `speed_ddpm.py`)."""
    from keras_gen.models.ddpm import networks

    lowest = image_size // 2 ** (len(WIDTHS) - 1)
    return networks.UNet(
        (image_size, image_size, 1),
        width=WIDTHS[0],
        channel_multipliers=tuple(w // WIDTHS[0] for w in WIDTHS),
        num_res_blocks=LAYERS_PER_BLOCK,
        attention_resolutions=(lowest,),
        data_format=data_format,
    )


def diffusers_unet(image_size=IMAGE_SIZE, **overrides):
    """diffusers' `UNet2DModel` with the same widths and attention;
    `overrides` go to `UNet2DModel` (e.g. `num_class_embeds`)."""
    from diffusers import UNet2DModel

    return UNet2DModel(
        sample_size=image_size,
        in_channels=1,
        out_channels=1,
        block_out_channels=WIDTHS,
        layers_per_block=LAYERS_PER_BLOCK,
        down_block_types=("DownBlock2D", "DownBlock2D", "AttnDownBlock2D"),
        up_block_types=("AttnUpBlock2D", "UpBlock2D", "UpBlock2D"),
        attention_head_dim=WIDTHS[-1],  # one head as wide as the channels
        norm_num_groups=8,
        **overrides,
    )
