import numpy as np
import pytest
from keras import ops

from keras_gen import backend, losses

R = np.array([2.0, -1.0, 0.5], dtype="float32")
F = np.array([-0.5, 1.5, 0.0], dtype="float32")


def softplus(x):
    return np.log1p(np.exp(x))


EXPECTED = {
    "non_saturating": (
        softplus(-R).mean() + softplus(F).mean(),
        softplus(-F).mean(),
    ),
    "minimax": (softplus(-R).mean() + softplus(F).mean(), -softplus(F).mean()),
    "least_squares": (
        0.5 * (((R - 1) ** 2).mean() + (F**2).mean()),
        0.5 * ((F - 1) ** 2).mean(),
    ),
    "hinge": (
        np.maximum(0, 1 - R).mean() + np.maximum(0, 1 + F).mean(),
        -F.mean(),
    ),
    "wasserstein": (F.mean() - R.mean(), -F.mean()),
}


@pytest.mark.parametrize("name", losses.ADVERSARIAL_LOSSES)
def test_adversarial_losses_equal_their_formulas(name):
    d = losses.discriminator_loss(
        name, ops.convert_to_tensor(R), ops.convert_to_tensor(F)
    )
    g = losses.generator_loss(name, ops.convert_to_tensor(F))
    np.testing.assert_allclose(float(d), EXPECTED[name][0], rtol=1e-5)
    np.testing.assert_allclose(float(g), EXPECTED[name][1], rtol=1e-5)


def test_one_sided_label_smoothing_moves_only_the_real_target():
    a = 0.1
    d = losses.discriminator_loss(
        "non_saturating",
        ops.convert_to_tensor(R),
        ops.convert_to_tensor(F),
        label_smoothing=a,
    )
    expected = ((1 - a) * softplus(-R) + a * softplus(R)).mean() + softplus(
        F
    ).mean()
    np.testing.assert_allclose(float(d), expected, rtol=1e-5)


def test_unknown_loss_is_named():
    with pytest.raises(ValueError, match="loss='vanilla'"):
        losses.generator_loss("vanilla", ops.convert_to_tensor(F))


def test_gradient_penalty_of_a_linear_critic_is_analytic():
    # D(x) = x . w has gradient w everywhere: GP = (||w|| - 1)^2.
    w = np.array([0.3, -1.2, 2.0], dtype="float32")
    wt = ops.convert_to_tensor(w)
    rng = np.random.RandomState(0)
    real, fake = (
        rng.randn(5, 3).astype("float32"),
        rng.randn(5, 3).astype("float32"),
    )
    eps = rng.rand(5).astype("float32")
    gp = losses.gradient_penalty(
        lambda t: ops.sum(t * wt, axis=-1),
        real,
        fake,
        ops.convert_to_tensor(eps),
    )
    np.testing.assert_allclose(
        float(gp), (np.linalg.norm(w) - 1) ** 2, rtol=1e-5
    )


def test_gradient_penalty_uses_the_uniform_interpolates():
    # D(x) = ||x||^2 / 2 has gradient x: GP = mean((||x_hat|| - 1)^2) with
    # x_hat = eps * real + (1 - eps) * fake.
    rng = np.random.RandomState(1)
    real, fake = (
        rng.randn(6, 4).astype("float32"),
        rng.randn(6, 4).astype("float32"),
    )
    eps = rng.rand(6).astype("float32")
    gp = losses.gradient_penalty(
        lambda t: 0.5 * ops.sum(ops.square(t), axis=-1),
        real,
        fake,
        ops.convert_to_tensor(eps),
    )
    x_hat = eps[:, None] * real + (1 - eps[:, None]) * fake
    np.testing.assert_allclose(
        float(gp), np.mean((np.linalg.norm(x_hat, axis=1) - 1) ** 2), rtol=1e-5
    )


def test_r1_penalty_is_the_squared_gradient_norm_on_real_data():
    real = np.random.RandomState(2).randn(4, 3).astype("float32")
    r1 = losses.r1_penalty(
        lambda t: 0.5 * ops.sum(ops.square(t), axis=-1), real
    )
    np.testing.assert_allclose(
        float(r1), np.mean(np.sum(real**2, axis=1)), rtol=1e-5
    )


def test_input_gradient_is_exposed_at_the_top_level():
    import keras_gen

    assert keras_gen.input_gradient is backend.input_gradient
