"""dSprites-like shapes rendered in code: a white shape on a black square,
with independent, known factors of variation (for disentanglement
metrics)."""

import numpy as np

from keras_gen.utils import validation

SPRITE_SHAPES = ("square", "ellipse", "triangle")
SPRITE_FACTORS = ("shape", "scale", "x", "y")


def _shape_mask(shape, dx, dy, half):
    """Boolean mask of one shape, centred at 0, of half-size `half`, at
    the pixel offsets `dx`, `dy` (arrays of one image's pixel centres)."""
    u, v = dx / half, dy / half
    if shape == "square":
        return (np.abs(u) <= 1.0) & (np.abs(v) <= 1.0)
    if shape == "ellipse":
        return u**2 + v**2 <= 1.0
    # An upward isosceles triangle: apex at the top, base at the bottom.
    return (v <= 1.0) & (np.abs(u) <= (v + 1.0) / 2.0)


def load_sprites(
    image_size=32,
    num_scales=4,
    num_positions=16,
    shapes=SPRITE_SHAPES,
    flatten=False,
):
    """Renders every combination of a dSprites-like grid of factors.

    Each image is one shape (white, 1.0) on black (0.0): a square, an
    ellipse (a disc) or a triangle, at one of `num_scales` sizes (half-size
    from 15 % to 30 % of the side) and one of `num_positions` x 2 positions,
    spread so that the largest shape stays inside. The four factors (shape,
    scale, x, y) are independent and each combination appears exactly once,
    in the order of `np.ndindex` (shape slowest, y fastest), as in dSprites
    (Matthey et al., 2017; no rotation here). The images are binary, for a
    Bernoulli VAE.

    Args:
        image_size: side of the square images (at least 8).
        num_scales: how many sizes.
        num_positions: how many x (and y) positions.
        shapes: names from `SPRITE_SHAPES`.
        flatten: return vectors instead of `(image_size, image_size, 1)`
            images.

    Returns:
        `(x, factors)`: float32 images in {0, 1}, and an int32 array
        `(n, 4)` of the factor indices, in the order of `SPRITE_FACTORS`
        (`shape` indexes `shapes`).

    Example:

    ```python
    x, factors = keras_gen.datasets.load_sprites(image_size=16, num_positions=8)
    x.shape, factors.shape                   # (768, 16, 16, 1), (768, 4)
    ```
    """
    image_size = validation.check_positive_int(image_size, "image_size")
    if image_size < 8:
        raise ValueError(
            f"`image_size` must be at least 8. Received: image_size={image_size}"
        )
    num_scales = validation.check_positive_int(num_scales, "num_scales")
    num_positions = validation.check_positive_int(
        num_positions, "num_positions"
    )
    shapes = tuple(shapes)
    unknown = [s for s in shapes if s not in SPRITE_SHAPES]
    if not shapes or unknown:
        raise ValueError(
            f"`shapes` must be names from {SPRITE_SHAPES}. Received: shapes={shapes}"
        )
    halves = image_size * np.linspace(0.15, 0.3, num_scales)
    margin = image_size * 0.3
    centres = np.linspace(margin, image_size - margin, num_positions)
    pixel = np.arange(image_size) + 0.5
    grid = (len(shapes), num_scales, num_positions, num_positions)
    factors = np.array(list(np.ndindex(*grid)), dtype="int32")
    x = np.empty((len(factors), image_size, image_size), "float32")
    for n, (s, k, i, j) in enumerate(factors):
        dx = pixel[None, :] - centres[i]
        dy = pixel[:, None] - centres[j]
        x[n] = _shape_mask(shapes[s], dx, dy, halves[k])
    if flatten:
        return x.reshape(len(x), -1), factors
    return x[..., None], factors
