"""Paths through latent space."""

import numpy as np

from keras_gen.utils import validation


def interpolate(z_start, z_end, num_steps=8, method="linear"):
    """Points from `z_start` to `z_end` (both included).

    Args:
        z_start, z_end: latent vectors of the same shape.
        num_steps: number of points (>= 2).
        method: `"linear"`, or `"slerp"` (spherical, which keeps the norm of
            Gaussian latents typical; White, 2016).

    Returns:
        A float32 NumPy array `(num_steps, *z_start.shape)`.
    """
    validation.check_choice(method, "method", {"linear", "slerp"})
    num_steps = validation.check_positive_int(num_steps, "num_steps")
    if num_steps < 2:
        raise ValueError(
            f"`num_steps` must be at least 2. Received: num_steps={num_steps}"
        )
    a = np.asarray(z_start, dtype="float64")
    b = np.asarray(z_end, dtype="float64")
    if a.shape != b.shape:
        raise ValueError(
            "`z_start` and `z_end` must have the same shape. "
            f"Received: z_start.shape={a.shape}, z_end.shape={b.shape}"
        )
    t = np.linspace(0.0, 1.0, num_steps).reshape((-1,) + (1,) * a.ndim)
    if method == "linear":
        return ((1 - t) * a + t * b).astype("float32")
    cos = np.dot(a.ravel(), b.ravel()) / (
        np.linalg.norm(a) * np.linalg.norm(b) + 1e-12
    )
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-6:
        return ((1 - t) * a + t * b).astype("float32")
    return (
        (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
    ).astype("float32")
