import numpy as np
from keras import ops

from keras_gen.losses import gaussian_kl, gaussian_log_likelihood


def test_kl_is_zero_for_equal_gaussians_and_matches_the_closed_form():
    mean = ops.convert_to_tensor(np.array([0.3, -1.0], "float32"))
    log_var = ops.convert_to_tensor(np.array([-2.0, 0.5], "float32"))
    np.testing.assert_allclose(
        ops.convert_to_numpy(gaussian_kl(mean, log_var, mean, log_var)),
        0.0,
        atol=1e-7,
    )
    # KL(N(0, 1) || N(1, 4)) = log 2 + (1 + 1) / 8 − 1/2.
    kl = gaussian_kl(0.0, 0.0, 1.0, ops.log(4.0))
    np.testing.assert_allclose(
        ops.convert_to_numpy(kl), np.log(2.0) - 0.25, rtol=1e-6
    )


def test_discretised_decoder_sums_to_one_over_the_levels():
    levels = np.linspace(-1.0, 1.0, 17).astype("float32")
    log_p = gaussian_log_likelihood(
        ops.convert_to_tensor(levels), 0.1, np.float32(np.log(0.3**2)), 17
    )
    np.testing.assert_allclose(
        np.exp(ops.convert_to_numpy(log_p)).sum(), 1.0, rtol=1e-5
    )
