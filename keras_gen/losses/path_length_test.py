import numpy as np
from keras import ops

from keras_gen.losses import path_length_penalty


def test_path_length_of_a_linear_generator_is_analytic():
    # g(w) = reshape(w @ A): J_w^T y = A y for every sample, so the lengths
    # are ||A y_b / sqrt(H W)|| (summed over w_dim, averaged over layers).
    rng = np.random.RandomState(0)
    a = rng.randn(3, 16).astype("float32")
    at = ops.convert_to_tensor(a)
    ws = rng.randn(5, 2, 3).astype("float32")  # (batch, num_ws, w_dim)
    noise = rng.randn(5, 4, 4, 1).astype("float32")

    def synthesis(w):
        return ops.reshape(ops.matmul(ops.sum(w, axis=1), at), (-1, 4, 4, 1))

    penalty, new_mean = path_length_penalty(
        synthesis, ops.convert_to_tensor(ws), noise, ops.convert_to_tensor(0.5)
    )
    y = noise.reshape(5, 16) / 4.0
    lengths = np.sqrt(
        ((y @ a.T) ** 2).sum(axis=1)
    )  # each of the 2 layers has the same gradient
    expected_mean = 0.5 + 0.01 * (lengths.mean() - 0.5)
    np.testing.assert_allclose(float(new_mean), expected_mean, rtol=1e-5)
    np.testing.assert_allclose(
        float(penalty), np.mean((lengths - expected_mean) ** 2), rtol=1e-4
    )
