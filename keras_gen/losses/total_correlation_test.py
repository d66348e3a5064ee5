import math

import numpy as np
import pytest
from keras import ops

from keras_gen import losses


def normal_log_pdf(z, mean, log_var):
    return -0.5 * (
        np.log(2 * np.pi) + log_var + (z - mean) ** 2 / np.exp(log_var)
    )


def posterior_batch(m=6, d=3, seed=0):
    rng = np.random.RandomState(seed)
    mean = rng.randn(m, d).astype("float32")
    log_var = rng.uniform(-2, 0.5, (m, d)).astype("float32")
    z = (mean + np.exp(0.5 * log_var) * rng.randn(m, d)).astype("float32")
    return z, mean, log_var


def decompose(z, mean, log_var, n, estimator):
    return [
        ops.convert_to_numpy(t)
        for t in losses.kl_decomposition(z, mean, log_var, n, estimator)
    ]


def test_minibatch_weighted_sampling_matches_the_formula_written_out():
    z, mean, log_var = posterior_batch()
    m, d = z.shape
    n = 1000
    mi, tc, dwkl = decompose(z, mean, log_var, n, "mws")
    for i in range(m):
        # Chen et al. (2018), appendix C.1, for sample i, written with loops.
        joint = [
            math.exp(normal_log_pdf(z[i], mean[j], log_var[j]).sum())
            for j in range(m)
        ]
        log_qz = math.log(sum(joint)) - math.log(n * m)
        log_prod = sum(
            math.log(
                sum(
                    math.exp(normal_log_pdf(z[i, k], mean[j, k], log_var[j, k]))
                    for j in range(m)
                )
            )
            - math.log(n * m)
            for k in range(d)
        )
        log_qzx = normal_log_pdf(z[i], mean[i], log_var[i]).sum()
        log_pz = normal_log_pdf(z[i], 0.0, 0.0).sum()
        np.testing.assert_allclose(
            [mi[i], tc[i], dwkl[i]],
            [log_qzx - log_qz, log_qz - log_prod, log_prod - log_pz],
            rtol=1e-4,
            atol=1e-4,
        )


@pytest.mark.parametrize("estimator", ["mws", "mss"])
def test_the_three_terms_sum_to_the_sampled_kl(estimator):
    z, mean, log_var = posterior_batch(m=8, d=4, seed=1)
    mi, tc, dwkl = decompose(z, mean, log_var, 50, estimator)
    kl = (normal_log_pdf(z, mean, log_var) - normal_log_pdf(z, 0.0, 0.0)).sum(
        axis=1
    )
    np.testing.assert_allclose(mi + tc + dwkl, kl, rtol=1e-4, atol=1e-4)


def test_identical_factorised_posteriors_have_no_mi_and_no_tc_with_mss_but_an_offset_with_mws():
    # q(z|x) is the same factorised Gaussian for every x: q(z) = q(z|x), so
    # the mutual information and the total correlation are 0 exactly.
    m, d, n = 10, 3, 500
    rng = np.random.RandomState(2)
    mean = np.tile(rng.randn(1, d), (m, 1)).astype("float32")
    log_var = np.tile(rng.uniform(-1, 0, (1, d)), (m, 1)).astype("float32")
    z = (mean + np.exp(0.5 * log_var) * rng.randn(m, d)).astype("float32")
    mi, tc, _ = decompose(z, mean, log_var, n, "mss")
    np.testing.assert_allclose(mi, 0.0, atol=1e-4)
    np.testing.assert_allclose(tc, 0.0, atol=1e-4)
    # MWS weighs every term by 1 / (N M): log q(z) is off by -log N, each
    # log q(z_j) too, so its TC is (D - 1) log N too high (a constant).
    mi, tc, _ = decompose(z, mean, log_var, n, "mws")
    np.testing.assert_allclose(mi, math.log(n), rtol=1e-4)
    np.testing.assert_allclose(tc, (d - 1) * math.log(n), rtol=1e-4)


def test_total_correlation_is_large_for_dependent_codes_and_small_for_independent_ones():
    rng = np.random.RandomState(3)
    m = 400
    independent = rng.randn(m, 2).astype("float32")
    dependent = np.repeat(rng.randn(m, 1), 2, axis=1).astype(
        "float32"
    )  # z_2 = z_1
    log_var = np.full((m, 2), math.log(0.2**2), "float32")
    tcs = []
    for mean in (independent, dependent):
        z = (mean + 0.2 * rng.randn(m, 2)).astype("float32")
        _, tc, _ = decompose(z, mean, log_var, m, "mss")
        tcs.append(tc.mean())
    assert abs(tcs[0]) < 0.25 and tcs[1] > 0.8


def test_bad_arguments_are_named():
    z, mean, log_var = posterior_batch()
    with pytest.raises(ValueError, match=r"dataset_size=0"):
        losses.kl_decomposition(z, mean, log_var, 0)
    with pytest.raises(ValueError, match=r"estimator='mcmc'"):
        losses.kl_decomposition(z, mean, log_var, 10, estimator="mcmc")


def test_a_batch_of_one_estimates_q_z_by_its_own_posterior():
    z, mean, log_var = posterior_batch(m=1)
    for estimator in ("mws", "mss"):
        mi, tc, dwkl = decompose(z, mean, log_var, 10, estimator)
        assert np.isfinite([mi, tc, dwkl]).all()
    np.testing.assert_allclose([mi[0], tc[0]], [0.0, 0.0], atol=1e-5)
