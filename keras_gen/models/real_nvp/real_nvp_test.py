import math

import keras
import numpy as np
import pytest
from keras import ops

from keras_gen import datasets
from keras_gen.backend import input_gradient
from keras_gen.models import RealNVP
from keras_gen.testing import contract


def test_family_contract(tmp_path):
    contract.run_family_contract_test("real_nvp", tmp_path)


def randomize(model, scale=0.1, seed=0):
    """Moves every weight off its (identity) initial value."""
    rng = np.random.RandomState(seed)
    for v in model.trainable_variables:
        value = ops.convert_to_numpy(v)
        v.assign((value + scale * rng.randn(*value.shape)).astype("float32"))
    return model


def vector_flow(**kwargs):
    kwargs.setdefault("data_shape", (2,))
    kwargs.setdefault("num_coupling_layers", 4)
    kwargs.setdefault("hidden_units", (32, 32))
    kwargs.setdefault("seed", 0)
    return RealNVP(**kwargs)


def image_flow(**kwargs):
    kwargs.setdefault("data_shape", (4, 4, 1))
    kwargs.setdefault("num_scales", 2)
    kwargs.setdefault("filters", 8)
    kwargs.setdefault("num_blocks", 1)
    kwargs.setdefault("num_bins", 17)
    kwargs.setdefault("seed", 0)
    return RealNVP(**kwargs)


def dequantized_digits(n, size=8, seed=0):
    """Continuous points inside the discrete model's box [0, 1 + 1/16)."""
    x = datasets.load_digits("train")[:n]
    if size != 8:
        x = x[:, :size, :size]
    u = np.random.RandomState(seed).uniform(0.05, 0.95, x.shape)
    return (x + u / 16.0).astype("float32")


@pytest.fixture(scope="module")
def trained_2d():
    """A small flow fitted for a few epochs on eight Gaussians."""
    x = datasets.toy_2d("8gaussians", 4096, seed=0)
    flow = vector_flow(hidden_units=(64, 64))
    flow.compile(optimizer=keras.optimizers.Adam(3e-3))
    flow.initialize(x)
    before = flow.generate(1000, seed=1)
    history = flow.fit(x, epochs=8, batch_size=256, verbose=0)
    return flow, history, before


def near_mode_share(points):
    centers, sigma = datasets.toy_2d_modes("8gaussians")
    d = np.linalg.norm(points[:, None] - centers[None], axis=-1).min(axis=1)
    return float(np.mean(d < 3 * sigma))


def test_fit_lowers_the_nll_and_moves_samples_to_the_modes(trained_2d):
    flow, history, before = trained_2d
    loss = history.history["loss"]
    assert loss[-1] < loss[0] - 0.2
    x_test = datasets.toy_2d("8gaussians", 2000, seed=1)
    nll = -flow.log_prob(x_test).mean()
    # A Gaussian with the data's covariance: the flow's starting point.
    cov = np.cov(x_test.T)
    gauss_nll = 0.5 * np.log(np.linalg.det(2 * np.pi * math.e * cov))
    assert nll < gauss_nll - 0.3
    assert (
        near_mode_share(flow.generate(1000, seed=1))
        > near_mode_share(before) + 0.1
    )
    bpd = history.history["bits_per_dim"][-1]
    np.testing.assert_allclose(bpd, loss[-1] / (2 * math.log(2)), rtol=0.05)


def test_density_of_a_2d_flow_integrates_to_one(trained_2d):
    flow, _, _ = trained_2d
    step = 0.05
    grid = np.arange(-8.0, 8.0, step) + step / 2  # cell midpoints
    xx, yy = np.meshgrid(grid, grid)
    points = np.stack([xx.ravel(), yy.ravel()], axis=1).astype("float32")
    mass = (
        np.exp(flow.log_prob(points, batch_size=16384).astype("float64")).sum()
        * step**2
    )
    assert abs(mass - 1.0) < 0.02


@pytest.mark.parametrize(
    "kind, permutation",
    [
        ("vector", "alternate"),
        ("image", "alternate"),
        ("vector", "1x1_conv"),  # images: see the parity test below
    ],
)
def test_inverse_of_forward_returns_the_input(kind, permutation):
    if kind == "vector":
        flow = randomize(
            vector_flow(
                data_shape=(5,), num_coupling_layers=6, permutation=permutation
            )
        )
        x = np.random.RandomState(0).randn(16, 5).astype("float32")
    else:
        flow = randomize(image_flow(permutation=permutation))
        x = dequantized_digits(16, size=4)
    z, log_det = flow.forward(x)
    x_back, inverse_log_det = flow.inverse(z)
    np.testing.assert_allclose(ops.convert_to_numpy(x_back), x, atol=1e-5)
    np.testing.assert_allclose(
        ops.convert_to_numpy(inverse_log_det),
        -ops.convert_to_numpy(log_det),
        atol=1e-3,
    )
    assert not np.allclose(ops.convert_to_numpy(z), x, atol=1e-2)  # a real map


def jacobian_log_det(flow, x):
    """log|det J| of `flow.forward` per sample, by autodiff in one gradient.

    Samples do not interact, so row i of each sample's Jacobian is the input
    gradient of output coordinate i summed over the batch. The batch is
    repeated once per row (copy i of the batch selects coordinate i), so a
    single input gradient holds every row.
    """
    n, d = len(x), flow.num_dims
    copies = ops.convert_to_tensor(np.concatenate([x] * d))
    select = ops.convert_to_tensor(np.repeat(np.eye(d, dtype="float32"), n, 0))
    grad = input_gradient(
        lambda t: ops.sum(
            ops.reshape(flow.forward(t)[0], (n * d, d)) * select, axis=-1
        ),
        copies,
    )
    rows = np.reshape(ops.convert_to_numpy(grad), (d, n, d))
    jacobian = np.transpose(rows, (1, 0, 2)).astype("float64")
    return np.linalg.slogdet(jacobian)[1]


@pytest.mark.parametrize(
    "kind, permutation",
    [
        ("vector", "alternate"),
        ("vector", "1x1_conv"),
        # The image flow with the 1x1 convolutions runs every bijector of
        # the default one too (one image case: each costs 16 gradients).
        ("image", "1x1_conv"),
    ],
)
def test_log_det_equals_that_of_the_jacobian(kind, permutation):
    if kind == "vector":
        flow = randomize(
            vector_flow(data_shape=(3,), permutation=permutation), scale=0.3
        )
        x = np.random.RandomState(1).randn(4, 3).astype("float32")
    else:
        # Checkerboard, squeeze, channel couplings, factor-out and the logit
        # (and the 1x1 convolutions at 1, 4 and 2 channels).
        flow = randomize(image_flow(permutation=permutation))
        x = dequantized_digits(3, size=4)
    _, log_det = flow.forward(x)
    expected = jacobian_log_det(flow, x)
    assert np.abs(expected).max() > 0.5  # not the identity
    np.testing.assert_allclose(
        ops.convert_to_numpy(log_det), expected, atol=2e-3, rtol=1e-4
    )


def test_digits_flow_trains_saves_and_reloads(tmp_path):
    # Digits shrunk to 4x4 (the smallest multi-scale shape) keep this quick;
    # `dequantize` rounds them to the 17 levels.
    x = datasets.load_digits("train", image_size=4)[:256]
    flow = image_flow()
    flow.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = flow.bits_per_dim(x[:64]).mean()
    flow.fit(x, epochs=3, batch_size=32, verbose=0)
    after = flow.bits_per_dim(x[:64]).mean()
    # Uniform over 17 grey levels: log2(17) = 4.09 bits per dimension.
    assert after < min(before, math.log2(17)) - 0.5
    path = str(tmp_path / "flow.keras")
    flow.save(path)
    restored = keras.models.load_model(path)
    assert restored.is_initialized
    np.testing.assert_allclose(
        restored.log_prob(x[:16], seed=3),
        flow.log_prob(x[:16], seed=3),
        rtol=1e-5,
        atol=1e-3,
    )


def test_generate_is_reproducible_quantised_and_tempered():
    flow = randomize(image_flow(value_range=(0.0, 255.0), num_bins=256))
    a = flow.generate(5, seed=7)
    np.testing.assert_array_equal(a, flow.generate(5, seed=7))
    assert a.shape == (5, 4, 4, 1) and a.min() >= 0 and a.max() <= 255
    np.testing.assert_array_equal(a, np.round(a))  # on the 256 levels
    assert not np.array_equal(a, flow.generate(5, seed=8))
    frozen = flow.generate(3, temperature=0.0, seed=1)
    np.testing.assert_array_equal(frozen[0], frozen[2])
    vectors = vector_flow().generate(7, seed=0)
    assert vectors.shape == (7, 2) and np.isfinite(vectors).all()


def test_actnorm_is_initialised_from_the_first_fit_only():
    x = (datasets.toy_2d("moons", 512, seed=0) * 3.0 + 5.0).astype("float32")
    flow = vector_flow()
    assert not flow.is_initialized
    flow.compile(optimizer=keras.optimizers.SGD(0.0))
    flow.fit(x, epochs=1, batch_size=256, verbose=0)
    assert flow.is_initialized
    first = flow.bijectors[0]
    y = ops.convert_to_numpy(first.forward(ops.convert_to_tensor(x))[0])
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-3)
    np.testing.assert_allclose(y.std(axis=0), 1.0, atol=1e-3)
    # A second fit on other data keeps the (trained) actnorm parameters.
    flow.fit(x * 0.1, epochs=1, batch_size=256, verbose=0)
    y2 = ops.convert_to_numpy(first.forward(ops.convert_to_tensor(x))[0])
    np.testing.assert_allclose(y2, y, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(data_shape=(7, 7, 1)), r"data_shape=\(7, 7, 1\)"),
        (dict(data_shape=(8, 8, 1), num_scales=4), r"num_scales=4"),
        (dict(data_shape=(1,)), r"data_shape=\(1,\)"),
        (dict(data_shape=None), r"data_shape=None"),
        (dict(data_shape=(4, 4)), r"data_shape=\(4, 4\)"),
        (dict(num_bins=1), r"num_bins=1"),
        (dict(logit_alpha=0.5), r"logit_alpha=0.5"),
        (dict(value_range=(1.0, 0.0)), r"value_range=\(1.0, 0.0\)"),
        (dict(num_coupling_layers=0), r"num_coupling_layers=0"),
        (dict(hidden_units=(0,)), r"hidden_units=\(0,\)"),
        (dict(permutation="shuffle"), r"permutation='shuffle'"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    kwargs.setdefault("data_shape", (4, 4, 1))
    with pytest.raises(ValueError, match=match):
        image_flow(**kwargs)


def test_bad_data_and_calls_are_named():
    flow = vector_flow()
    flow.compile()
    with pytest.raises(ValueError, match=r"x.shape=\(16, 3\)"):
        flow.fit(np.zeros((16, 3), "float32"), verbose=0)
    with pytest.raises(ValueError, match=r"x.shape=\(4, 2, 1\)"):
        flow.log_prob(np.zeros((4, 2, 1), "float32"))
    with pytest.raises(ValueError, match=r"z.shape=\(4, 3\)"):
        flow.inverse(np.zeros((4, 3), "float32"))
    with pytest.raises(ValueError, match="NaN"):
        flow.log_prob(np.array([[0.0, np.nan]], "float32"))
    with pytest.raises(ValueError, match=r"num_samples=0"):
        flow.generate(0)
    with pytest.raises(ValueError, match=r"temperature=-1"):
        flow.generate(2, temperature=-1)


def glow_flow():
    """A tiny image flow with the 1x1 convolutions, every weight from NumPy."""
    flow = image_flow(permutation="1x1_conv")
    rng = np.random.default_rng(0)
    for v in flow.weights:
        if "float" not in str(v.dtype) or "initialized" in v.path:
            continue
        if v.path.endswith("permutation"):  # a fixed permutation matrix
            value = np.eye(v.shape[0])[rng.permutation(v.shape[0])]
        elif v.path.endswith("sign_s"):
            value = rng.choice([-1.0, 1.0], v.shape)
        else:
            value = rng.normal(0.0, 0.2, v.shape)
        v.assign(value.astype("float32"))
    return flow


# `glow_flow()` on `dequantized_digits(3, size=4)`, computed on JAX: the
# log-determinants and |z|^2; the other backends must agree (cross-backend
# parity).
GLOW_REFERENCE_LOG_DET = [25.852917, 29.552694, 28.113577]
GLOW_REFERENCE_SQUARED_NORM = [242.98221, 112.69838, 312.61865]


def test_glow_flow_gives_the_same_numbers_on_every_backend():
    flow = glow_flow()
    x = dequantized_digits(3, size=4)
    z, log_det = flow.forward(x)
    np.testing.assert_allclose(
        ops.convert_to_numpy(log_det), GLOW_REFERENCE_LOG_DET, rtol=1e-5
    )
    np.testing.assert_allclose(
        ops.convert_to_numpy(ops.sum(ops.square(z), axis=(1, 2, 3))),
        GLOW_REFERENCE_SQUARED_NORM,
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        ops.convert_to_numpy(flow.inverse(z)[0]), x, atol=1e-5
    )


def test_glow_flow_trains_and_round_trips_as_a_preset(tmp_path):
    x = datasets.toy_2d("moons", 128, seed=0)
    flow = vector_flow(num_coupling_layers=2, permutation="1x1_conv")
    flow.compile(optimizer=keras.optimizers.Adam(3e-3))
    convs = [v for v in flow.trainable_variables if "1x1_conv" in v.path]
    before = [ops.convert_to_numpy(v) for v in convs]
    history = flow.fit(x, epochs=1, batch_size=64, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert any(
        not np.allclose(ops.convert_to_numpy(v), b)
        for v, b in zip(convs, before)
    )
    flow.save_to_preset(str(tmp_path / "glow"))
    restored = RealNVP.from_preset(str(tmp_path / "glow"))
    assert restored.permutation == "1x1_conv"
    np.testing.assert_array_equal(restored.log_prob(x), flow.log_prob(x))
    # A config from before the option (no `permutation`) is the RealNVP.
    config = vector_flow().get_config()
    assert config.pop("permutation") == "alternate"
    assert len(RealNVP.from_config(config).weights) == len(
        vector_flow().weights
    )
