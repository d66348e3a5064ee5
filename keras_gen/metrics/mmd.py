"""Maximum mean discrepancy with a Gaussian kernel."""

import numpy as np


def gaussian_mmd(x, y, bandwidth=1.0):
    """Unbiased estimate of MMD^2 between samples `x` and `y`.

    `k(a, b) = exp(-||a - b||^2 / (2 bandwidth^2))`; the unbiased estimator
    of Gretton et al. (2012, eq. 3) drops the diagonal terms, so two samples
    of the same distribution give values around 0 (possibly slightly
    negative).

    Args:
        x: `(n, d)` array.
        y: `(m, d)` array.
        bandwidth: the kernel's length scale.

    Returns:
        A float.
    """
    x = np.asarray(x, dtype="float64").reshape(len(x), -1)
    y = np.asarray(y, dtype="float64").reshape(len(y), -1)
    if x.shape[1] != y.shape[1] or len(x) < 2 or len(y) < 2:
        raise ValueError(
            "`x` and `y` need at least 2 samples of the same dimension. "
            f"Received: x.shape={x.shape}, y.shape={y.shape}"
        )

    def kernel(a, b):
        sq = (a**2).sum(1)[:, None] + (b**2).sum(1)[None] - 2 * a @ b.T
        return np.exp(-np.maximum(sq, 0) / (2 * bandwidth**2))

    n, m = len(x), len(y)
    kxx, kyy, kxy = kernel(x, x), kernel(y, y), kernel(x, y)
    return float(
        (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
        + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        - 2 * kxy.mean()
    )
