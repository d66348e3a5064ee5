"""The options every image loader shares: binarize, flatten, labels."""


def finish(images, labels, binarize=False, flatten=False, with_labels=False):
    """Applies a loader's common options to float32 images in [0, 1].

    Args:
        images: float32 `(n, height, width, channels)` images in [0, 1].
        labels: int32 `(n,)` labels.
        binarize: threshold at 0.5 to {0, 1} (for Bernoulli likelihoods).
        flatten: return `(n, height * width * channels)` vectors.
        with_labels: return `(images, labels)` instead of the images.
    """
    if binarize:
        images = (images >= 0.5).astype("float32")
    if flatten:
        images = images.reshape(len(images), -1)
    return (images, labels) if with_labels else images
