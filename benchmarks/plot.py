"""A tiny line-plot helper for the benchmark PNGs (pillow only).

Example:

```python
line_plot("cost.png", {"jax": ([1, 2, 4], [0.1, 0.2, 0.4])},
          title="time per epoch", xlabel="dataset size", ylabel="s")
```
"""

import math
import os

from PIL import Image, ImageDraw

COLORS = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
]
WIDTH, HEIGHT = 640, 420
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 40, 60


def _ticks(low, high, count=5):
    if high <= low:
        high = low + 1.0
    span = (high - low) / count
    step = 10 ** math.floor(math.log10(span))
    for m in (1, 2, 5, 10):
        if span <= m * step:
            step *= m
            break
    start = math.floor(low / step) * step
    ticks = [start]
    while (
        ticks[-1] < high - 1e-9 * step
    ):  # the last tick covers the highest value
        ticks.append(ticks[-1] + step)
    return ticks


def _label(v):
    return f"{v:g}" if abs(v) < 1e5 else f"{v:.1e}"


def line_plot(path, series, title="", xlabel="", ylabel="", logx=False):
    """Writes a PNG line plot of `series` (name -> (xs, ys)) to `path`.

    Args:
        path: output PNG file (written atomically: temp file, then rename).
        series: dict name -> (xs, ys); points with a `None` y are skipped.
        title, xlabel, ylabel: text.
        logx: log2 x axis (batch sizes, dataset sizes).

    Returns:
        `path`.
    """
    points = {
        name: [(float(x), float(y)) for x, y in zip(xs, ys) if y is not None]
        for name, (xs, ys) in series.items()
    }
    points = {name: p for name, p in points.items() if p}
    fx = (lambda v: math.log2(v)) if logx else (lambda v: v)
    all_x = [fx(x) for p in points.values() for x, _ in p] or [0.0, 1.0]
    all_y = [y for p in points.values() for _, y in p] or [0.0, 1.0]
    x0, x1 = min(all_x), max(all_x)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    yticks = _ticks(0.0, max(all_y) * 1.05)
    y0, y1 = yticks[0], yticks[-1]

    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def to_px(x, y):
        return (
            LEFT + (fx(x) - x0) / (x1 - x0) * pw,
            TOP + ph - (y - y0) / (y1 - y0) * ph,
        )

    draw.rectangle([LEFT, TOP, LEFT + pw, TOP + ph], outline="black")
    for t in yticks:
        _, py = to_px(2**x0 if logx else x0, t)
        draw.line([LEFT - 4, py, LEFT, py], fill="black")
        draw.line([LEFT, py, LEFT + pw, py], fill=(230, 230, 230))
        draw.text((4, py - 6), _label(t), fill="black")
    xs_all = sorted({x for p in points.values() for x, _ in p})
    for x in xs_all:
        px, _ = to_px(x, y0)
        draw.line([px, TOP + ph, px, TOP + ph + 4], fill="black")
        draw.text((px - 10, TOP + ph + 8), _label(x), fill="black")
    draw.text((LEFT, 12), title, fill="black")
    draw.text((LEFT + pw // 2 - 40, HEIGHT - 24), xlabel, fill="black")
    draw.text((4, TOP - 20), ylabel, fill="black")
    for i, (name, p) in enumerate(points.items()):
        color = COLORS[i % len(COLORS)]
        pixels = [to_px(x, y) for x, y in sorted(p)]
        if len(pixels) > 1:
            draw.line(pixels, fill=color, width=2)
        for px, py in pixels:
            draw.ellipse([px - 3, py - 3, px + 3, py + 3], fill=color)
        draw.text((LEFT + pw - 150, TOP + 8 + 14 * i), f"-- {name}", fill=color)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    image.save(tmp, format="PNG")
    os.replace(tmp, path)
    return path


def bar_plot(path, values, title="", ylabel=""):
    """Writes a PNG bar chart of `values` (label -> number) to `path`."""
    labels = [k for k, v in values.items() if v is not None]
    nums = [float(values[k]) for k in labels]
    yticks = _ticks(0.0, (max(nums) if nums else 1.0) * 1.05)
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = yticks[-1]
    draw.rectangle([LEFT, TOP, LEFT + pw, TOP + ph], outline="black")
    for t in yticks:
        py = TOP + ph - t / top * ph
        draw.line([LEFT, py, LEFT + pw, py], fill=(230, 230, 230))
        draw.text((4, py - 6), _label(t), fill="black")
    slot = pw / max(1, len(labels))
    for i, (label, v) in enumerate(zip(labels, nums)):
        px = LEFT + i * slot
        draw.rectangle(
            [
                px + slot * 0.15,
                TOP + ph - v / top * ph,
                px + slot * 0.85,
                TOP + ph,
            ],
            fill=COLORS[i % len(COLORS)],
        )
        draw.text(
            (px + slot * 0.15, TOP + ph - v / top * ph - 12),
            f"{v:.3g}",
            fill="black",
        )
        draw.text(
            (px + 4, TOP + ph + 8 + 12 * (i % 2)), label[:18], fill="black"
        )
    draw.text((LEFT, 12), title, fill="black")
    draw.text((4, TOP - 20), ylabel, fill="black")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    image.save(tmp, format="PNG")
    os.replace(tmp, path)
    return path
