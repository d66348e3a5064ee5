"""Disentanglement of a code against known factors of variation: the
mutual information gap (MIG, Chen et al., 2018)."""

import numpy as np

from keras_gen.utils import validation


def discretize(codes, num_bins=20):
    """Each column of `codes` cut into `num_bins` equal-width bins over its
    own range (a constant column falls in one bin): int array, same shape."""
    codes = np.asarray(codes, dtype="float64")
    low, high = codes.min(axis=0), codes.max(axis=0)
    width = np.where(high > low, high - low, 1.0)
    bins = np.floor((codes - low) / width * num_bins).astype("int64")
    return np.clip(bins, 0, num_bins - 1)


def discrete_mutual_information(a, b):
    """Mutual information, in nats, of two int sequences (their joint
    histogram, plug-in estimate)."""
    a = np.unique(np.asarray(a), return_inverse=True)[1].ravel()
    b = np.unique(np.asarray(b), return_inverse=True)[1].ravel()
    joint = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(joint, (a, b), 1.0)
    joint /= joint.sum()
    pa, pb = joint.sum(axis=1, keepdims=True), joint.sum(axis=0, keepdims=True)
    nz = joint > 0
    return float(np.sum(joint[nz] * np.log(joint[nz] / (pa @ pb)[nz])))


def discrete_entropy(a):
    """Entropy, in nats, of an int sequence (plug-in estimate)."""
    _, counts = np.unique(np.asarray(a), return_counts=True)
    p = counts / counts.sum()
    return float(-np.sum(p * np.log(p)))


def mutual_information_gap(codes, factors, num_bins=20):
    """The mutual information gap (MIG) of a code (Chen et al., 2018, eq. 6).

    For each factor `v_k`, the mutual informations `I(z_j; v_k)` between
    every (discretised) code dimension and the factor are sorted; the gap
    between the largest two, divided by the factor's entropy `H(v_k)`, says
    how much one code dimension alone captures that factor. MIG is the mean
    gap over the factors: 1 for a code whose dimensions each copy one factor,
    near 0 when every factor is spread over several dimensions. The code
    dimensions are discretised into `num_bins` equal-width bins and the
    mutual informations estimated from histograms (as in Locatello et al.,
    2019), so pass posterior means, e.g. `model.encode(x)[0]`.

    Args:
        codes: `(n, d)` array, `d >= 2`, one code per sample.
        factors: `(n, K)` int array of the true factors (or `(n,)`).
        num_bins: bins of each code dimension.

    Returns:
        A dict: `mig` (float in [0, 1]), `per_factor` (the gap of each
        factor), `mutual_information` (`(d, K)` normalised mutual
        informations `I(z_j; v_k) / H(v_k)`).

    Example:

    ```python
    x, factors = keras_gen.datasets.load_sprites(image_size=16, num_positions=8)
    z_mean, _ = vae.encode(x)
    keras_gen.metrics.mutual_information_gap(z_mean, factors)["mig"]
    ```
    """
    codes = np.asarray(codes, dtype="float64")
    factors = np.asarray(factors)
    if factors.ndim == 1:
        factors = factors[:, None]
    if codes.ndim != 2 or codes.shape[1] < 2:
        raise ValueError(
            "`codes` must be an (n, d) array with d >= 2 code dimensions. "
            f"Received: codes.shape={codes.shape}"
        )
    if factors.ndim != 2 or len(factors) != len(codes):
        raise ValueError(
            f"`factors` must hold one row of factors per code, ({len(codes)}, K). "
            f"Received: factors.shape={factors.shape}"
        )
    num_bins = validation.check_positive_int(num_bins, "num_bins")
    binned = discretize(codes, num_bins)
    entropy = np.array([discrete_entropy(f) for f in factors.T])
    if np.any(entropy <= 0):
        raise ValueError(
            "Every factor must vary (non-zero entropy). Received constant "
            f"factor columns {np.flatnonzero(entropy <= 0).tolist()}"
        )
    mi = np.array(
        [
            [discrete_mutual_information(z, f) for f in factors.T]
            for z in binned.T
        ]
    )
    normalised = mi / entropy
    top = np.sort(normalised, axis=0)[::-1]
    gaps = top[0] - top[1]
    return {
        "mig": float(gaps.mean()),
        "per_factor": gaps.tolist(),
        "mutual_information": normalised,
    }
