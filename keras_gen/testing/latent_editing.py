"""A check of image-to-image editing in a latent model's latent space,
shared by the latent families' tests."""

import numpy as np


def latent_edit_distances(model, x, strengths, **options):
    """For each strength, the mean distance between the latents an
    `image_to_image` run hands to the decoder and the latents of `x`
    (`model.encode(x)`), with the decoded images' shape checked.

    The distances are measured in the latent space, where SDEdit works:
    a barely trained decoder maps every code to nearly the same image, so
    distances between decoded images say little.
    """
    codes = model.encode(x)
    decode = model.decode_latents
    captured = []

    def spy(z, batch_size=256):
        captured.append(np.asarray(z))
        return decode(z, batch_size=batch_size)

    model.decode_latents = spy
    try:
        distances = []
        for strength in strengths:
            edited = model.image_to_image(x, strength, **options)
            assert edited.shape == x.shape, (edited.shape, x.shape)
            distances.append(float(np.abs(captured[-1] - codes).mean()))
    finally:
        del model.decode_latents
    return distances
