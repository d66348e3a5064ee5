"""Mode coverage of samples from a 2-D Gaussian mixture (PacGAN protocol)."""

import numpy as np


def mode_coverage(samples, centers, sigma, min_count=20):
    """How well samples cover the modes of an equal-weight Gaussian mixture.

    The protocol of VEEGAN and PacGAN (Lin et al., 2018, sec. 5.1): each
    sample is assigned to its nearest mode; it is *high quality* if it lies
    within 3 standard deviations of that mode; a mode is *covered* if at
    least `min_count` high-quality samples fall in it (20 of 2,500 in the
    paper). The reverse KL divergence compares the share of samples per mode
    with the uniform share, `sum_k p_k log(p_k * K)`, over the modes that
    receive samples.

    Args:
        samples: `(N, d)` generated points.
        centers: `(K, d)` mode centres.
        sigma: the modes' standard deviation.
        min_count: high-quality samples a mode needs to count as covered.

    Returns:
        A dict with `modes` (number covered), `num_modes`, `high_quality`
        (fraction of samples) and `reverse_kl` (nats).

    Example:

    ```python
    centers, sigma = keras_gen.datasets.toy_2d_modes("grid25")
    stats = mode_coverage(gan.generate(2500), centers, sigma)
    ```
    """
    samples = np.asarray(samples, dtype="float64")
    centers = np.asarray(centers, dtype="float64")
    if samples.ndim != 2 or samples.shape[1] != centers.shape[1]:
        raise ValueError(
            f"`samples` must have shape (N, {centers.shape[1]}). "
            f"Received: samples.shape={samples.shape}"
        )
    distances = np.linalg.norm(samples[:, None] - centers[None], axis=-1)
    nearest = distances.argmin(axis=1)
    good = distances[np.arange(len(samples)), nearest] < 3 * sigma
    counts = np.bincount(nearest[good], minlength=len(centers))
    share = np.bincount(nearest, minlength=len(centers)) / len(samples)
    used = share > 0
    return {
        "modes": int((counts >= min_count).sum()),
        "num_modes": int(len(centers)),
        "high_quality": float(good.mean()),
        "reverse_kl": float(
            np.sum(share[used] * np.log(share[used] * len(centers)))
        ),
    }
