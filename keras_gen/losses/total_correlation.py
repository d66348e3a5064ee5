"""The decomposition of a VAE's KL term into index-code mutual information,
total correlation and dimension-wise KL (Chen et al., 2018)."""

import math

from keras import ops

from keras_gen.utils import validation

ESTIMATORS = ("mws", "mss")
_LOG_2PI = math.log(2.0 * math.pi)


def gaussian_log_density(z, mean, log_var):
    """log N(z; mean, exp(log_var)), elementwise (nothing summed)."""
    return -0.5 * (
        _LOG_2PI + log_var + ops.square(z - mean) * ops.exp(-log_var)
    )


def _log_weights(batch_size, dataset_size, estimator):
    """`(M, M)` log importance weights of `q(z_i|x_j)` in the estimate of
    `q(z_i)`: `1 / (N M)` everywhere for minibatch-weighted sampling (Chen et
    al., eq. 2 / appendix C.1); for minibatch-stratified sampling (appendix
    C.2) `1 / N` for the sample's own posterior, `(N - M') / (N M')` for one
    other (the stratum's), `1 / M'` for the rest, with `M' = M - 1`."""
    m = ops.cast(batch_size, "float32")
    n = float(dataset_size)
    if estimator == "mws":
        return ops.full((batch_size, batch_size), 0.0) - ops.log(n * m)
    m1 = ops.maximum(m - 1.0, 1.0)
    eye = ops.eye(batch_size)
    # The sample after i (cyclically) stands for the stratum of x_i.
    stratum = ops.roll(eye, 1, axis=1)
    weights = (
        eye / n + stratum * (n - m1) / (n * m1) + (1.0 - eye - stratum) / m1
    )
    # A batch of one (the end of an epoch): q(z) is estimated by q(z|x).
    return ops.log(ops.where(m > 1.0, weights, 1.0))


def kl_decomposition(z, z_mean, z_log_var, dataset_size, estimator="mws"):
    """Per-sample estimates of the three terms of the KL decomposition.

    For a batch of `M` codes `z_i ~ q(z|x_i)` of a diagonal-Gaussian
    posterior and the prior `p(z) = N(0, I)`, Chen et al. (2018, eq. 2):

        E KL(q(z|x) || p(z)) = I_q(z; x)                 (index-code MI)
                             + KL(q(z) || prod_j q(z_j)) (total correlation)
                             + sum_j KL(q(z_j) || p(z_j)) (dimension-wise KL)

    `log q(z_i)` and `log q(z_ij)` are estimated from the batch, weighting
    each `q(z_i|x_j)` by `estimator`: `"mws"`, minibatch-weighted sampling
    (sec. 3 / appendix C.1: `1 / (N M)`), the training estimator of the
    paper; or `"mss"`, minibatch-stratified sampling (appendix C.2), whose
    weights sum to 1, so that the terms have no `log N` offset (use it to
    report a figure). MWS underestimates `log q(z)` and each `log q(z_j)`
    by between `log M` and `log N` (exactly `log N` when every posterior is
    the same), so its TC carries an offset of up to `(D - 1) log N`; it is
    what the paper trains with. The three terms sum, per sample, to
    `log q(z_i|x_i) - log p(z_i)` for either estimator.

    Args:
        z: `(M, D)` codes, `z_i ~ q(z|x_i)`.
        z_mean, z_log_var: `(M, D)` posterior parameters of the batch.
        dataset_size: `N`, the number of training samples.
        estimator: `"mws"` or `"mss"`.

    Returns:
        `(mutual_information, total_correlation, dimension_wise_kl)`, each
        of shape `(M,)`, in nats.

    Example:

    ```python
    z_mean, z_log_var = vae.encode(x_batch)
    z = z_mean + np.exp(0.5 * z_log_var) * np.random.randn(*z_mean.shape)
    mi, tc, dwkl = keras_gen.losses.kl_decomposition(z, z_mean, z_log_var, dataset_size=60000)
    ```
    """
    validation.check_positive_int(dataset_size, "dataset_size")
    validation.check_choice(estimator, "estimator", ESTIMATORS)
    z, z_mean, z_log_var = (
        ops.cast(t, "float32") for t in (z, z_mean, z_log_var)
    )
    batch_size = ops.shape(z)[0]
    # log q(z_i | x_j), per dimension: (M, M, D).
    log_q_ij = gaussian_log_density(
        z[:, None, :], z_mean[None, :, :], z_log_var[None, :, :]
    )
    log_w = _log_weights(batch_size, dataset_size, estimator)
    log_qz = ops.logsumexp(ops.sum(log_q_ij, axis=-1) + log_w, axis=1)
    log_prod_qzj = ops.sum(
        ops.logsumexp(log_q_ij + log_w[:, :, None], axis=1), axis=-1
    )
    log_qz_x = ops.sum(gaussian_log_density(z, z_mean, z_log_var), axis=-1)
    log_pz = ops.sum(gaussian_log_density(z, 0.0, 0.0), axis=-1)
    return log_qz_x - log_qz, log_qz - log_prod_qzj, log_prod_qzj - log_pz
