import keras
import numpy as np
import pytest
from keras import ops

from keras_gen import datasets
from keras_gen.models import CycleGAN
from keras_gen.testing import contract


def test_family_contract(tmp_path):
    contract.run_family_contract_test("cyclegan", tmp_path)


SHAPE = (8, 8, 3)


def numpy_vars(variables):
    return [ops.convert_to_numpy(v).copy() for v in variables]


def linear_network(scale, shift, name):
    """x -> scale * x + shift per pixel (a 1x1 convolution), fixed weights."""
    channels_out = 1 if scale == 0 else 3
    net = keras.Sequential(
        [keras.Input(SHAPE), keras.layers.Conv2D(channels_out, 1)], name=name
    )
    kernel = (scale * np.eye(3, dtype="float32"))[:, :channels_out].reshape(
        1, 1, 3, channels_out
    )
    net.set_weights([kernel, np.full((channels_out,), shift, dtype="float32")])
    return net


def fixed_cyclegan(**kwargs):
    # G(x) = 2x, F(x) = 0.5x + 0.1, D_A = 0.3, D_B = -0.2 everywhere.
    return CycleGAN(
        generator_ab=linear_network(2.0, 0.0, "g"),
        generator_ba=linear_network(0.5, 0.1, "f"),
        discriminator_a=linear_network(0, 0.3, "d_a"),
        discriminator_b=linear_network(0, -0.2, "d_b"),
        value_range=None,  # unbounded: G(x) = 2x leaves [-1, 1]
        seed=0,
        **kwargs,
    )


def tiny_cyclegan(**kwargs):
    config = dict(
        data_shape=(8, 8, 3),
        generator_filters=4,
        num_residual_blocks=1,
        num_downsampling=1,
        discriminator_filters=4,
        discriminator_layers=1,
        pool_size=20,
        seed=0,
    )
    config.update(kwargs)
    return CycleGAN(**config)


def random_domains(n_a=16, n_b=16, shape=SHAPE, seed=0):
    rng = np.random.RandomState(seed)
    return (
        rng.uniform(-1, 1, (n_a,) + shape).astype("float32"),
        rng.uniform(-1, 1, (n_b,) + shape).astype("float32"),
    )


def test_losses_equal_hand_computed_values():
    a, b = random_domains(4, 4)
    model = fixed_cyclegan()
    terms, (fake_a, fake_b) = model.generator_losses(a, b)
    terms = {k: float(ops.convert_to_numpy(v)) for k, v in terms.items()}
    np.testing.assert_allclose(ops.convert_to_numpy(fake_b), 2 * a, rtol=1e-6)
    np.testing.assert_allclose(
        ops.convert_to_numpy(fake_a), 0.5 * b + 0.1, rtol=1e-6, atol=1e-7
    )
    # Cycles: F(G(a)) = a + 0.1 and G(F(b)) = b + 0.2, so lambda * (0.1 + 0.2).
    np.testing.assert_allclose(terms["cycle_loss"], 10 * (0.1 + 0.2), rtol=1e-5)
    # Identity: |G(b) - b| = |b| and |F(a) - a| = |0.1 - 0.5a|, weighted 0.5 * lambda.
    identity = 5 * (np.abs(b).mean() + np.abs(0.1 - 0.5 * a).mean())
    np.testing.assert_allclose(terms["identity_loss"], identity, rtol=1e-5)
    # Least squares: (D_B(G(a)) - 1)^2 + (D_A(F(b)) - 1)^2.
    np.testing.assert_allclose(
        terms["adversarial_loss"], (-0.2 - 1) ** 2 + (0.3 - 1) ** 2, rtol=1e-5
    )
    d_a, d_b = (
        float(ops.convert_to_numpy(t))
        for t in model.discriminator_losses(a, b, fake_a, fake_b)
    )
    np.testing.assert_allclose(d_a, 0.5 * ((0.3 - 1) ** 2 + 0.3**2), rtol=1e-5)
    np.testing.assert_allclose(d_b, 0.5 * ((-0.2 - 1) ** 2 + 0.2**2), rtol=1e-5)
    # The weights are arguments: lambda = 4 and no identity term.
    terms, _ = fixed_cyclegan(
        cycle_weight=4.0, identity_weight=0.0
    ).generator_losses(a, b)
    np.testing.assert_allclose(
        float(ops.convert_to_numpy(terms["cycle_loss"])), 4 * 0.3, rtol=1e-5
    )
    assert float(ops.convert_to_numpy(terms["identity_loss"])) == 0.0


@pytest.mark.parametrize("frozen", ["generator", "discriminator"])
def test_each_phase_moves_only_its_networks(frozen):
    tf = pytest.importorskip("tensorflow")
    a, b = random_domains()
    model = fixed_cyclegan(pool_size=4)
    rates = {"generator_optimizer": 0.05, "discriminator_optimizer": 0.05}
    rates[f"{frozen}_optimizer"] = 0.0
    model.compile(**{k: keras.optimizers.SGD(v) for k, v in rates.items()})
    variables = model.phase_variables()
    other = "discriminator" if frozen == "generator" else "generator"
    before_frozen, before_other = (
        numpy_vars(variables[frozen]),
        numpy_vars(variables[other]),
    )
    # A stream of (a, b) batches, as a user would zip two datasets.
    stream = tf.data.Dataset.zip(
        (
            tf.data.Dataset.from_tensor_slices(a).batch(8),
            tf.data.Dataset.from_tensor_slices(b).batch(8),
        )
    )
    model.fit(stream, epochs=1, verbose=0)
    for before, v in zip(before_frozen, variables[frozen]):
        np.testing.assert_array_equal(ops.convert_to_numpy(v), before)
    moved = [
        np.abs(ops.convert_to_numpy(v) - x).max()
        for x, v in zip(before_other, variables[other])
    ]
    assert max(moved) > 1e-4
    assert int(model.get_optimizer(frozen).iterations) == 2
    assert int(model.get_optimizer(other).iterations) == 2


def test_default_networks_train_fill_the_pools_and_reload(tmp_path):
    x_a, x_b = datasets.load_sample_photos("train", image_size=8)
    x_a, x_b = (
        x_a[::12][:24],
        x_b[::20][:15],
    )  # unequal sizes: epochs cover the larger
    model = tiny_cyclegan()
    model.compile()
    history = model.fit((x_a, x_b), batch_size=8, epochs=2, verbose=0)
    assert history.history["cycle_loss"][-1] < history.history["cycle_loss"][0]
    for name in model.optimizer_names:
        assert int(model.get_optimizer(name).iterations) == 6
    # 48 translations went through each pool of 20: full, and holding
    # translations (tanh outputs, no longer the zeros it started with).
    for pool in (model.pool_a, model.pool_b):
        assert int(ops.convert_to_numpy(pool.count)) == 20
        stored = ops.convert_to_numpy(pool.images)
        assert np.all(np.abs(stored) <= 1) and np.all(
            np.abs(stored).reshape(20, -1).max(axis=1) > 0
        )
    path = str(tmp_path / "cyclegan.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    # Same networks (reflection padding, instance norm, ...) and weights,
    # pools included, so the same translations.
    assert [type(layer) for layer in restored.generator_ab.layers] == [
        type(layer) for layer in model.generator_ab.layers
    ]
    for x, y in zip(model.weights, restored.weights):
        np.testing.assert_array_equal(
            ops.convert_to_numpy(x), ops.convert_to_numpy(y)
        )
    assert int(restored.get_optimizer("discriminator").iterations) == 6


def test_a_reloaded_model_resumes_exactly(tmp_path):
    a, b = random_domains(24, 16)
    model = fixed_cyclegan(pool_size=8)
    model.compile()
    model.fit((a, b), batch_size=4, epochs=1, verbose=0)
    path = str(tmp_path / "cyclegan.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    # Same weights, optimizer state, pools, coin flips and data order.
    model.fit((a, b), batch_size=4, epochs=2, verbose=0)
    restored.fit((a, b), batch_size=4, epochs=2, verbose=0)
    for x, y in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_allclose(x, y, atol=1e-6)
    assert int(restored.get_optimizer("generator").iterations) == 18


def test_translate_returns_numpy_batches_of_the_input_shape():
    model = fixed_cyclegan()
    a, b = random_domains(5, 3)
    out = model.translate_a_to_b(a, batch_size=2)
    assert isinstance(out, np.ndarray) and out.shape == a.shape
    np.testing.assert_allclose(out, 2 * a, rtol=1e-6)
    np.testing.assert_allclose(
        model.translate_b_to_a(b), 0.5 * b + 0.1, rtol=1e-6, atol=1e-7
    )
    with pytest.raises(ValueError, match=r"x.shape=\(5, 4, 4, 3\)"):
        model.translate_a_to_b(np.zeros((5, 4, 4, 3), "float32"))


def test_domains_of_different_sizes_or_channels_are_refused():
    model = fixed_cyclegan()
    model.compile()
    a, b = random_domains()
    with pytest.raises(
        ValueError,
        match=r"same size and number of channels.*x_b.shape=\(16, 4, 4, 3\)",
    ):
        model.fit((a, b[:, :4, :4]), verbose=0)
    with pytest.raises(ValueError, match=r"x_b.shape=\(16, 8, 8, 1\)"):
        model.fit((a, b[..., :1]), verbose=0)
    with pytest.raises(ValueError, match=r"x_a.shape=\(16, 4, 4, 3\)"):
        model.fit((a[:, :4, :4], b[:, :4, :4]), verbose=0)
    with pytest.raises(ValueError, match=r"fit\(\(x_a, x_b\)\)"):
        model.fit(a, verbose=0)
    tf = pytest.importorskip("tensorflow")
    with pytest.raises(ValueError, match="pairs of unpaired batches"):
        model.fit(tf.data.Dataset.from_tensor_slices(a).batch(8), verbose=0)
    gray = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(1, 1)])
    nets = dict(
        generator_ab=model.generator_ab,
        generator_ba=model.generator_ba,
        discriminator_a=model.discriminator_a,
        discriminator_b=gray,
    )
    with pytest.raises(
        ValueError,
        match=r"same image shape.*discriminator_b with input shape \(8, 8, 1\)",
    ):
        CycleGAN(**nets)
    nets.update(
        discriminator_b=model.discriminator_b,
        generator_ab=keras.Sequential(
            [keras.Input(SHAPE), keras.layers.Conv2D(1, 1)]
        ),
    )
    with pytest.raises(
        ValueError, match=r"generator_ab.*output shape \(8, 8, 1\)"
    ):
        CycleGAN(**nets)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(data_shape=None), "data_shape=None"),
        (dict(data_shape=(16, 16)), r"data_shape=\(16, 16\)"),
        (dict(data_shape=(9, 9, 3)), r"data_shape=\(9, 9, 3\)"),
        (dict(discriminator_layers=2), "discriminator_layers=2"),
        (dict(cycle_weight=-1.0), "cycle_weight=-1.0"),
        (dict(identity_weight=float("nan")), "identity_weight=nan"),
        (dict(pool_size=-1), "pool_size=-1"),
        (dict(num_residual_blocks=1.5), "num_residual_blocks=1.5"),
        (dict(lr_decay_steps=0), "lr_decay_steps=0"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tiny_cyclegan(**kwargs)
