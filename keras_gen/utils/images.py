"""Writing images and image grids as PNG files."""

import numpy as np

from keras_gen.utils import atomic


def make_grid(images, num_cols=None, value_range=(0.0, 1.0), padding=1):
    """Tiles a batch of images into one uint8 array.

    Args:
        images: array `(N, H, W)`, `(N, H, W, C)` with C in {1, 3}.
        num_cols: images per row (default: about sqrt(N)).
        value_range: the values that map to black and white.
        padding: pixels between images.

    Returns:
        A uint8 array `(rows, cols)` or `(rows, cols, 3)`.
    """
    images = np.asarray(images, dtype="float32")
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(
            "`images` must have shape (N, H, W), (N, H, W, 1) or (N, H, W, 3). "
            f"Received: images.shape={images.shape}"
        )
    lo, hi = value_range
    images = np.clip((images - lo) / (hi - lo), 0.0, 1.0)
    n, h, w, c = images.shape
    num_cols = num_cols or int(np.ceil(np.sqrt(n)))
    num_rows = int(np.ceil(n / num_cols))
    grid = np.ones(
        (
            num_rows * (h + padding) + padding,
            num_cols * (w + padding) + padding,
            c,
        ),
        dtype="float32",
    )
    for i in range(n):
        r, col = divmod(i, num_cols)
        top, left = padding + r * (h + padding), padding + col * (w + padding)
        grid[top : top + h, left : left + w] = images[i]
    grid = (grid * 255).round().astype("uint8")
    return grid[..., 0] if c == 1 else grid


def save_image(array, path, scale=1):
    """Writes a uint8 array as PNG, atomically (never a half-written file).

    The image is written to a temporary file beside `path` and renamed over
    it (see `keras_gen.utils.atomic`); a new file gets the permissions the
    umask allows, a replaced one keeps its own.

    Args:
        array: uint8 array `(H, W)` or `(H, W, 3)`.
        path: destination file.
        scale: integer upscaling factor (nearest neighbour), so that small
            images such as 8x8 digits are visible.
    """
    from PIL import Image

    image = Image.fromarray(np.asarray(array))
    if scale > 1:
        image = image.resize(
            (image.width * scale, image.height * scale), Image.NEAREST
        )
    # A temporary file in the same directory, renamed over `path` once
    # complete: a kill leaves the old image (the next write removes the
    # dead temporary file), and the file gets the umask's permissions.
    with atomic.atomic_path(path, label="image") as tmp:
        image.save(tmp, format="PNG")
    return path


def save_image_grid(
    images, path, num_cols=None, value_range=(0.0, 1.0), scale=None
):
    """Tiles `images` (see `make_grid`) and writes the grid to `path`.

    `scale` defaults to a factor that makes each image at least 64 pixels.
    """
    images = np.asarray(images)
    if scale is None:
        scale = max(1, int(np.ceil(64 / max(images.shape[1], 1))))
    return save_image(make_grid(images, num_cols, value_range), path, scale)


_PALETTE = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (20, 20, 20),
    (188, 189, 34),
    (23, 190, 207),
]


def save_scatter(points, path, labels=None, size=400, value_range=None):
    """Writes a scatter plot of 2-D points as PNG (no plotting library).

    Args:
        points: `(N, 2)` array.
        path: destination file.
        labels: optional integer labels: 0-9 get 10 distinct colours, a
            negative label light grey (e.g. reference points behind).
        size: image side in pixels.
        value_range: `(low, high)` shown on both axes (default: the data's).
    """
    from PIL import Image, ImageDraw

    points = np.asarray(points, dtype="float64")
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(
            f"`points` must have shape (N, 2). Received: points.shape={points.shape}"
        )
    low, high = value_range or (points.min(), points.max())
    scaled = (points - low) / max(high - low, 1e-12) * (size - 8) + 4
    palette = _PALETTE
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    for i, (px, py) in enumerate(scaled):
        if labels is None:
            colour = (30, 30, 30)
        elif labels[i] < 0:
            colour = (200, 200, 200)
        else:
            colour = palette[int(labels[i]) % 10]
        draw.ellipse(
            [px - 1.5, size - py - 1.5, px + 1.5, size - py + 1.5], fill=colour
        )
    return save_image(np.asarray(image), path)


def save_loss_curves(history, path, size=(480, 300)):
    """Writes the curves of a `History.history` dict as PNG (no plotting
    library): one coloured line per logged value, each scaled to its own
    range (named with its first and last value in the legend).

    Args:
        history: dict of name -> list of per-epoch values.
        path: destination file.
        size: `(width, height)` in pixels.
    """
    from PIL import Image, ImageDraw

    curves = {
        k: np.asarray(v, "float64")
        for k, v in history.items()
        if len(v) and np.all(np.isfinite(v))
    }
    if not curves:
        raise ValueError(
            f"`history` has no finite curves to plot. Received keys: {list(history)}"
        )
    width, height = size
    left, right, top, bottom = (
        10,
        width - 10,
        14 * len(curves) + 10,
        height - 10,
    )
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([left, top, right, bottom], outline=(180, 180, 180))
    for i, (name, values) in enumerate(curves.items()):
        colour = _PALETTE[i % len(_PALETTE)]
        low, high = values.min(), values.max()
        span = max(high - low, 1e-12)
        xs = (
            np.linspace(left, right, len(values))
            if len(values) > 1
            else np.array([left])
        )
        ys = bottom - (values - low) / span * (bottom - top)
        if len(values) > 1:
            draw.line(list(zip(xs, ys)), fill=colour, width=2)
        draw.text(
            (left, 4 + 14 * i),
            f"{name}: {values[0]:.4g} -> {values[-1]:.4g}",
            fill=colour,
        )
    return save_image(np.asarray(image), path)


def open_image(path, argument="path"):
    """Opens and fully decodes the image file `path` with Pillow.

    A truncated or unreadable file is a `ValueError` that names the file
    and the `argument` it came from (Pillow's own `OSError: image file is
    truncated` names neither). Use it as a context manager, like
    `PIL.Image.open`.
    """
    from PIL import Image

    try:
        image = Image.open(path)
        image.load()  # decode now: truncation shows only when pixels are read
    except (OSError, SyntaxError, ValueError) as e:
        raise ValueError(
            f"`{argument}`: cannot read the image file {path!r} ({e}); is it "
            f"truncated or not an image? Received: {argument}={path!r}"
        ) from None
    return image
