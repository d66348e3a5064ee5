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


def identity_autoencoder(data_shape=(8, 8, 1)):
    """An `AutoEncoder` whose code is the image itself, flattened: with it a
    latent model works on pixels, so what its inpainting does to the known
    pixels can be read off its latents."""
    import keras

    from keras_gen.models import AutoEncoder

    size = int(np.prod(data_shape))
    encoder = keras.Sequential(
        [keras.Input(data_shape), keras.layers.Flatten()], name="flatten"
    )
    decoder = keras.Sequential(
        [keras.Input((size,)), keras.layers.Reshape(data_shape)],
        name="reshape",
    )
    return AutoEncoder(
        encoder,
        decoder,
        latent_dim=size,
        data_shape=data_shape,
        value_range=(0.0, 1.0),
    )


def inpainting_before_paste(model, x, mask, **options):
    """`model.inpaint(x, mask, **options)` and the decoding of the latents
    its sampler ended at, before `inpaint` copies the known pixels back."""
    decode = model.decode_latents
    captured = []

    def spy(z, batch_size=256):
        decoded = decode(z, batch_size=batch_size)
        captured.append(decoded)
        return decoded

    model.decode_latents = spy
    try:
        filled = model.inpaint(x, mask, **options)
    finally:
        del model.decode_latents
    return captured[-1], filled
