import os

import keras
import numpy as np
import pytest
from keras import ops

from keras_gen import callbacks, datasets
from keras_gen.models import VAE
from keras_gen.testing import contract


def test_family_contract(tmp_path):
    contract.run_family_contract_test("vae", tmp_path)


@pytest.fixture(scope="module")
def digits():
    return (
        datasets.load_digits("train", binarize=True)[:512],
        datasets.load_digits("test", binarize=True)[:128],
    )


def small_vae(**kwargs):
    kwargs.setdefault("data_shape", (8, 8, 1))
    kwargs.setdefault("latent_dim", 4)
    kwargs.setdefault("seed", 0)
    return VAE(**kwargs)


def test_fit_lowers_the_negative_elbo_and_beats_chance(digits):
    x, x_test = digits
    vae = small_vae()
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = -vae.log_prob(x_test, num_samples=1).mean()
    history = vae.fit(x, epochs=20, batch_size=32, verbose=0)
    after = -vae.log_prob(x_test, num_samples=1).mean()
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert after < before - 10
    # An independent-pixel Bernoulli baseline fitted on the training split.
    p = np.clip(x.mean(axis=0), 1e-3, 1 - 1e-3)
    baseline = (
        -(x_test * np.log(p) + (1 - x_test) * np.log(1 - p))
        .sum(axis=(1, 2, 3))
        .mean()
    )
    assert after < baseline


def test_importance_weighting_tightens_the_bound(digits):
    x, x_test = digits
    vae = small_vae()
    vae.compile(optimizer=keras.optimizers.Adam(2e-3))
    vae.fit(x, epochs=2, batch_size=64, verbose=0)
    elbo = vae.log_prob(x_test, num_samples=1, seed=1).mean()
    iwae = vae.log_prob(x_test, num_samples=50, seed=1).mean()
    assert iwae > elbo


def test_encode_reconstruct_and_interpolate_shapes(digits):
    _, x_test = digits
    vae = small_vae()
    z_mean, z_log_var = vae.encode(x_test[:5])
    assert z_mean.shape == (5, 4) and z_log_var.shape == (5, 4)
    assert vae.reconstruct(x_test[:5]).shape == (5, 8, 8, 1)
    path = vae.interpolate(7, start=z_mean[0], end=z_mean[1], method="linear")
    assert path.shape == (7, 8, 8, 1)
    np.testing.assert_allclose(
        path[0], vae.reconstruct(x_test[:1])[0], atol=1e-5
    )
    np.testing.assert_allclose(
        path[-1], vae.reconstruct(x_test[1:2])[0], atol=1e-5
    )


def test_value_range_maps_the_data_and_the_samples(digits):
    x, _ = digits
    # The same model on the same data in two ranges: the same training, the
    # samples mapped between the ranges (Bernoulli means live in [0, 1] inside).
    unit, signed = small_vae(), small_vae(value_range=(-1.0, 1.0))
    for vae, data in ((unit, x[:64]), (signed, x[:64] * 2 - 1)):
        vae.compile(optimizer="adam")
        vae.fit(data, epochs=1, batch_size=32, verbose=0, shuffle=False)
    # Not bit for bit: the data differ by float32 round-off (x * 2 - 1 mapped
    # back), which Adam's normalised steps can turn into lr-sized weight
    # differences where a gradient is near zero.
    np.testing.assert_allclose(
        signed.generate(16, seed=0),
        unit.generate(16, seed=0) * 2 - 1,
        atol=1e-2,
    )
    with pytest.raises(
        ValueError,
        match=r"value_range=\(-1, 1\).*Received: x.min\(\)=0, x.max\(\)=255",
    ):
        vae.fit(x[:64] * 255, epochs=1, verbose=0)


def test_kl_warmup_ramps_the_kl_weight_over_epochs(digits):
    x, _ = digits
    vae = small_vae(beta=2.0, kl_warmup_epochs=2)
    vae.compile()
    seen = []
    record = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: seen.append(
            float(ops.convert_to_numpy(vae.kl_weight))
        )
    )
    vae.fit(x[:128], epochs=4, batch_size=64, verbose=0, callbacks=[record])
    assert seen == [0.0, 1.0, 2.0, 2.0]


def test_beta_weights_the_kl_term(digits):
    x, x_test = digits
    kls = []
    for beta in (0.5, 8.0):
        vae = small_vae(beta=beta)
        vae.compile(optimizer=keras.optimizers.Adam(2e-3))
        history = vae.fit(x, epochs=3, batch_size=64, verbose=0)
        kls.append(history.history["kl_loss"][-1])
    # A larger beta squeezes the posterior towards the prior.
    assert kls[1] < kls[0]


def test_gaussian_likelihood_trains_on_continuous_data():
    x = datasets.load_digits("train", flatten=True)[:256]
    x = x + np.random.RandomState(0).uniform(0, 1 / 16, x.shape).astype(
        "float32"
    )
    vae = small_vae(data_shape=(64,), likelihood="gaussian")
    vae.compile(optimizer=keras.optimizers.Adam(2e-3))
    history = vae.fit(x, epochs=3, batch_size=64, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert np.isfinite(vae.log_prob(x[:16], num_samples=10)).all()


def test_save_load_gives_the_same_outputs_and_resumes(tmp_path, digits):
    x, x_test = digits
    vae = small_vae()
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    vae.fit(x, epochs=1, batch_size=64, verbose=0)
    path = str(tmp_path / "vae.keras")
    vae.save(path)
    restored = keras.models.load_model(path)
    np.testing.assert_allclose(
        restored.generate(8, seed=0), vae.generate(8, seed=0), atol=1e-6
    )
    np.testing.assert_allclose(
        restored.log_prob(x_test[:8], num_samples=5),
        vae.log_prob(x_test[:8], num_samples=5),
        atol=1e-4,
    )
    vae.fit(x, epochs=1, batch_size=64, verbose=0, shuffle=False)
    restored.fit(x, epochs=1, batch_size=64, verbose=0, shuffle=False)
    for a, b in zip(vae.get_weights(), restored.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_keras_io_networks_are_accepted_and_checked():
    # The keras.io VAE encoder returns [z_mean, z_log_var, z].
    inputs = keras.Input((10,))
    h = keras.layers.Dense(16, activation="relu")(inputs)
    z_mean, z_log_var = keras.layers.Dense(3)(h), keras.layers.Dense(3)(h)
    z = keras.layers.Add()(
        [z_mean, z_log_var]
    )  # stands in for its Sampling layer
    encoder = keras.Model(inputs, [z_mean, z_log_var, z])
    decoder = keras.Sequential([keras.Input((3,)), keras.layers.Dense(10)])
    vae = VAE(encoder=encoder, decoder=decoder, latent_dim=3)
    vae.compile()
    vae.fit(
        (np.random.RandomState(0).rand(16, 10) > 0.5).astype("float32"),
        epochs=1,
        verbose=0,
    )
    with pytest.raises(
        ValueError,
        match=r"`decoder` must take codes of shape \(batch, 4\).*\(None, 3\)",
    ):
        VAE(
            encoder=keras.Sequential(
                [keras.Input((10,)), keras.layers.Dense(8)]
            ),
            decoder=decoder,
            latent_dim=4,
        )
    with pytest.raises(
        ValueError,
        match=r"`encoder` must return 2 \* latent_dim = 6 values.*\[\(5,\)\]",
    ):
        VAE(
            encoder=keras.Sequential(
                [keras.Input((10,)), keras.layers.Dense(5)]
            ),
            decoder=decoder,
            latent_dim=3,
        )
    sigmoid = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(10, activation="sigmoid")]
    )
    with pytest.raises(
        ValueError, match=r"`decoder` ends in a sigmoid.*logits"
    ):
        VAE(encoder=encoder, decoder=sigmoid, latent_dim=3)


def test_custom_networks_with_two_outputs():
    inputs = keras.Input((10,))
    h = keras.layers.Dense(16, activation="relu")(inputs)
    encoder = keras.Model(
        inputs, [keras.layers.Dense(3)(h), keras.layers.Dense(3)(h)]
    )
    decoder = keras.Sequential([keras.Input((3,)), keras.layers.Dense(10)])
    vae = VAE(encoder=encoder, decoder=decoder, latent_dim=3)
    vae.compile()
    x = (np.random.RandomState(0).rand(64, 10) > 0.5).astype("float32")
    vae.fit(x, epochs=1, batch_size=32, verbose=0)
    assert vae.generate(2, seed=0).shape == (2, 10)


def test_sample_grid_writes_pngs(tmp_path, digits):
    x, x_test = digits
    vae = small_vae()
    vae.compile()
    grid = callbacks.SampleGrid(
        str(tmp_path / "s_{epoch}.png"), every=2, num_samples=9
    )
    recon = callbacks.SampleGrid(
        str(tmp_path / "r_{epoch}.png"), every=3, inputs=x_test[:4]
    )
    vae.fit(
        x[:128], epochs=3, batch_size=64, verbose=0, callbacks=[grid, recon]
    )
    assert sorted(os.listdir(tmp_path)) == ["r_3.png", "s_2.png", "s_3.png"]
    from PIL import Image

    assert Image.open(tmp_path / "s_2.png").size[0] >= 3 * 8


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(beta=-1), r"beta=-1"),
        (dict(latent_dim=0), r"latent_dim=0"),
        (dict(likelihood="poisson"), r"likelihood='poisson'"),
        (dict(kl_warmup_epochs=-2), r"kl_warmup_epochs=-2"),
        (dict(data_shape=(7, 7, 1)), r"data_shape=\(7, 7, 1\)"),
        (dict(data_shape=None), r"data_shape=None"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        small_vae(**kwargs)


def test_shape_is_checked_for_streamed_data_too():
    vae = small_vae()
    vae.compile()
    import tensorflow as tf  # noqa: F401  (tf.data is the common stream)

    ds = tf.data.Dataset.from_tensor_slices(np.zeros((8, 64), "float32")).batch(
        4
    )
    with pytest.raises(
        ValueError, match=r"expects batches of shape \(None, 8, 8, 1\)"
    ):
        vae.fit(ds, verbose=0, shuffle=False)


# -- the options: class conditioning, the IWAE objective, free bits --------


@pytest.fixture(scope="module")
def labelled_digits():
    x, y = datasets.load_digits("train", binarize=True, with_labels=True)
    return x[:512], y[:512]


def test_conditional_vae_learns_the_class_it_is_given(labelled_digits):
    x, y = labelled_digits
    vae = small_vae(num_classes=10)
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = vae.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    # The likelihood of a digit is higher under its own class than under
    # another one: the decoder (and encoder) use the label.
    right = vae.log_prob(x[:128], num_samples=10, labels=y[:128]).mean()
    wrong = vae.log_prob(
        x[:128], num_samples=10, labels=(y[:128] + 5) % 10
    ).mean()
    assert right > wrong + 3.0, (right, wrong)
    # The same code decodes to different digits under different labels.
    z = vae.sample_latents(1, seed=0).repeat(2, axis=0)
    a, b = vae.decode(z, labels=[1, 7])
    assert np.abs(a - b).mean() > 0.05
    z_mean, _ = vae.encode(x[:4], labels=y[:4])
    assert z_mean.shape == (4, 4)
    assert vae.reconstruct(x[:4], labels=y[:4]).shape == (4, 8, 8, 1)


def test_conditional_vae_names_missing_or_unwanted_labels(labelled_digits):
    x, y = labelled_digits
    vae = small_vae(num_classes=10)
    with pytest.raises(
        ValueError,
        match=r"conditional \(num_classes=10\).*Received: labels=None",
    ):
        vae.encode(x[:4])
    with pytest.raises(ValueError, match=r"labels in \[0, 10\).*\[12\]"):
        vae.log_prob(x[:4], labels=np.full(4, 12))
    with pytest.raises(
        ValueError, match=r"not conditional \(num_classes=None\)"
    ):
        small_vae().log_prob(x[:4], labels=y[:4])


def test_importance_weighted_objective_is_a_tighter_bound_than_the_elbo(digits):
    x, _ = digits
    trained = small_vae()
    trained.compile(optimizer=keras.optimizers.Adam(3e-3))
    trained.fit(x, epochs=5, batch_size=32, verbose=0)
    # The same weights: only the objective differs. Each training loss is
    # the negative bound `log_prob` estimates with as many samples.
    for k in (1, 20):
        vae = small_vae(num_importance_samples=k)
        vae.set_weights(trained.get_weights())
        vae.compile()
        loss = vae.evaluate(x, batch_size=128, verbose=0, return_dict=True)[
            "loss"
        ]
        bound = vae.log_prob(x, num_samples=k, seed=1).mean()
        assert abs(loss + bound) < 0.25, (k, loss, bound)
    # -IWAE_K <= -ELBO (Burda et al., theorem 1).
    assert (
        vae.log_prob(x, num_samples=20, seed=1).mean()
        > vae.log_prob(x, num_samples=1, seed=1).mean()
    )


def test_importance_weighted_objective_trains(digits):
    x, x_test = digits
    vae = small_vae(num_importance_samples=5)
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = vae.log_prob(x_test, num_samples=5).mean()
    history = vae.fit(x, epochs=5, batch_size=32, verbose=0)
    assert set(history.history) >= {"loss", "reconstruction_loss", "kl_loss"}
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert vae.log_prob(x_test, num_samples=5).mean() > before + 5


def test_free_bits_floor_each_dimension_kl(digits):
    x, _ = digits
    vae = small_vae(free_bits=100.0)
    vae.compile()
    # Far above any dimension's KL: the KL term is latent_dim * λ exactly.
    logs = vae.evaluate(x[:128], batch_size=128, verbose=0, return_dict=True)
    np.testing.assert_allclose(
        logs["loss"] - logs["reconstruction_loss"], 4 * 100.0, rtol=1e-5
    )
    # A floor under the batch-averaged KL of each dimension keeps dimensions
    # in use that a strong beta would collapse to the prior.
    kls = []
    for free_bits in (0.0, 0.5):
        vae = small_vae(beta=4.0, free_bits=free_bits)
        vae.compile(optimizer=keras.optimizers.Adam(3e-3))
        vae.fit(x, epochs=20, batch_size=32, verbose=0)
        z_mean, z_log_var = vae.encode(x)
        per_dim = 0.5 * (np.exp(z_log_var) + z_mean**2 - 1 - z_log_var).mean(
            axis=0
        )
        kls.append(per_dim)
    # beta = 4 collapses every dimension; with λ = 0.5 each keeps about λ.
    assert kls[0].max() < 0.05 and kls[1].min() > 0.25, kls


def test_kl_decomposition_sums_to_the_kl(digits):
    x, x_test = digits
    vae = small_vae()
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    vae.fit(x, epochs=3, batch_size=64, verbose=0)
    terms = vae.kl_decomposition(x_test, seed=0)
    z_mean, z_log_var = vae.encode(x_test)
    closed_form = (
        (0.5 * (np.exp(z_log_var) + z_mean**2 - 1 - z_log_var))
        .sum(axis=1)
        .mean()
    )
    assert terms["kl"] == pytest.approx(
        terms["mutual_information"]
        + terms["total_correlation"]
        + terms["dimension_wise_kl"]
    )
    # One code per sample: a Monte-Carlo estimate of the closed-form KL.
    assert abs(terms["kl"] - closed_form) < 0.1 * closed_form + 0.5, (
        terms,
        closed_form,
    )
    assert vae.total_correlation(x_test, seed=0) == pytest.approx(
        terms["total_correlation"]
    )
    # Minibatch-weighted sampling's log N offsets (see losses.kl_decomposition).
    mws = vae.kl_decomposition(x_test, estimator="mws", seed=0)
    assert mws["total_correlation"] > terms["total_correlation"]
    with pytest.raises(ValueError, match=r"estimator='exact'"):
        vae.kl_decomposition(x_test, estimator="exact")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(num_importance_samples=0), r"num_importance_samples=0"),
        (dict(free_bits=-0.5), r"free_bits=-0.5"),
        (
            dict(free_bits=0.5, num_importance_samples=5),
            r"free_bits=0.5, num_importance_samples=5",
        ),
        (dict(num_classes=0), r"num_classes=0"),
    ],
)
def test_bad_option_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        small_vae(**kwargs)
