"""Path-length regularisation (Karras et al., 2020, sec. 3.2)."""

import math

from keras import ops

from keras_gen.backend import input_gradient


def path_length_penalty(synthesis_fn, ws, noise, pl_mean, decay=0.01):
    """The path-length penalty `E[(||J_w^T y||_2 - a)^2]` (eq. 4).

    `J_w` is the Jacobian of the generator output with respect to `w` and
    `y` a random image with normally distributed pixels, scaled by
    `1 / sqrt(height * width)` so the lengths do not depend on the
    resolution. `J_w^T y` is computed without the Jacobian, as the input
    gradient of `sum(g(w) * y)` (one backward pass, differentiable again).
    `a` is a running mean of the lengths, `a <- a + decay * (mean - a)`; the
    penalty uses the updated value, held constant. For per-layer latents
    `(batch, num_ws, w_dim)` the squared gradient is summed over `w_dim` and
    averaged over the layers, as in the official code.

    Args:
        synthesis_fn: callable mapping `ws` to images `(batch, H, W, C)`.
        ws: the latents, `(batch, w_dim)` or `(batch, num_ws, w_dim)`.
        noise: standard normal images shaped like the output.
        pl_mean: the current running mean `a` (a scalar tensor).
        decay: the running mean's step (0.01 in the paper).

    Returns:
        `(penalty, new_pl_mean)`; multiply the penalty by the weight (2) and,
        when it is applied lazily, by the interval.

    Example:

    ```python
    penalty, pl_mean = path_length_penalty(synthesis, ws, noise, pl_mean)
    ```
    """
    noise = ops.convert_to_tensor(noise)
    scale = 1.0 / math.sqrt(noise.shape[1] * noise.shape[2])
    y = ops.stop_gradient(noise) * scale
    # The images in float32 under a mixed policy too (TF does not promote).
    grads = input_gradient(
        lambda w: ops.cast(synthesis_fn(w), "float32") * y, ws
    )
    squared = ops.sum(ops.square(ops.cast(grads, "float32")), axis=-1)
    if len(squared.shape) > 1:
        squared = ops.mean(squared, axis=tuple(range(1, len(squared.shape))))
    lengths = ops.sqrt(squared + 1e-12)
    new_mean = ops.stop_gradient(
        pl_mean + decay * (ops.mean(lengths) - pl_mean)
    )
    penalty = ops.mean(ops.square(lengths - new_mean))
    return penalty, new_mean
