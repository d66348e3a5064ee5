"""Parzen-window (Gaussian kernel density) log-likelihood of test data under
generated samples."""

import math

import numpy as np

from keras_gen.utils import validation

# Goodfellow et al. (2014) searched sigma over 10 log-spaced values in
# [0.1, 1] (`numpy.logspace(-1, 0, 10)`) on the validation set.
DEFAULT_BANDWIDTHS = tuple(np.logspace(-1.0, 0.0, 10))


def parzen_log_prob(samples, x, bandwidth, chunk=256):
    """Per-point log-density of `x` under an isotropic Gaussian kernel
    density on `samples`, in nats:

        log p(x) = logsumexp_i(-||x - s_i||^2 / (2 sigma^2)) - log N
                   - (D / 2) log(2 pi sigma^2)
    """
    samples = np.asarray(samples, "float64").reshape(len(samples), -1)
    x = np.asarray(x, "float64").reshape(len(x), -1)
    n, d = samples.shape
    s2 = (samples**2).sum(1)
    out = []
    for start in range(0, len(x), chunk):
        q = x[start : start + chunk]
        sq = np.maximum(
            (q**2).sum(1)[:, None] + s2[None] - 2.0 * q @ samples.T, 0.0
        )
        a = -sq / (2.0 * bandwidth**2)
        top = a.max(axis=1, keepdims=True)
        out.append(top[:, 0] + np.log(np.exp(a - top).sum(axis=1)))
    return (
        np.concatenate(out)
        - math.log(n)
        - 0.5 * d * math.log(2.0 * math.pi * bandwidth**2)
    )


def parzen_log_likelihood(
    samples,
    x,
    validation_data=None,
    bandwidth=None,
    bandwidths=DEFAULT_BANDWIDTHS,
):
    """Mean Parzen-window log-likelihood of `x` under generated `samples`.

    The protocol of Goodfellow et al. (2014, sec. 5) and the AAE paper
    (Makhzani et al., 2016, sec. 3): fit a Gaussian kernel density to the
    generated samples (10,000 in the papers), choose its bandwidth sigma by
    the log-likelihood of a validation split, then report the mean
    log-likelihood of the test split and its standard error. The estimate
    is crude in high dimension (Theis et al., 2016); use it to compare with
    those papers, not as a likelihood.

    Args:
        samples: generated samples `(N, ...)`.
        x: test data `(M, ...)`, in the same space as the samples.
        validation_data: data used to choose sigma (required unless
            `bandwidth` is given).
        bandwidth: a fixed sigma; skips the search.
        bandwidths: the sigmas searched.

    Returns:
        A dict: `log_likelihood` (nats, mean over `x`), `standard_error`
        and `bandwidth`.

    Example:

    ```python
    x_val, x_test = (keras_gen.datasets.load_digits(s) for s in ("val", "test"))
    keras_gen.metrics.parzen_log_likelihood(vae.generate(10000), x_test, x_val)
    ```
    """
    if bandwidth is None:
        if validation_data is None:
            raise ValueError(
                "Pass `validation_data` to choose the bandwidth, or a fixed "
                "`bandwidth`. Received: validation_data=None, bandwidth=None"
            )
        scores = [
            parzen_log_prob(samples, validation_data, s).mean()
            for s in bandwidths
        ]
        bandwidth = float(bandwidths[int(np.argmax(scores))])
    bandwidth = validation.check_in_range(
        bandwidth, "bandwidth", 0.0, description="a positive number"
    )
    if bandwidth == 0.0:
        raise ValueError(
            f"`bandwidth` must be a positive number. Received: bandwidth={bandwidth}"
        )
    log_p = parzen_log_prob(samples, x, bandwidth)
    return {
        "log_likelihood": float(log_p.mean()),
        "standard_error": float(log_p.std() / math.sqrt(len(log_p))),
        "bandwidth": bandwidth,
    }
