import keras
import numpy as np
import pytest
from keras import ops

from keras_gen import datasets
from keras_gen.models import AutoEncoder
from keras_gen.testing import contract


def test_family_contract(tmp_path):
    contract.run_family_contract_test("autoencoder", tmp_path)


@pytest.fixture(scope="module")
def x():
    return datasets.load_digits("train", flatten=True)[:512]


def fit(model, x, epochs=8):
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    return model.fit(x, epochs=epochs, batch_size=64, verbose=0, shuffle=False)


def mean_abs_code(model, x):
    return float(np.abs(model.encode(x)).mean())


def test_plain_autoencoder_learns_to_reconstruct(x):
    ae = AutoEncoder(data_shape=(64,), latent_dim=8, seed=0)
    history = fit(ae, x)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    error = np.mean((ae.reconstruct(x) - x) ** 2)
    assert error < np.mean(
        (x.mean(axis=0) - x) ** 2
    )  # better than the mean image


def test_generates_from_the_gaussian_of_its_training_codes(x):
    """Ex-post density estimation (Ghosh et al., 2020): samples decoded from
    the codes' running Gaussian look like the data on average, far more than
    an untrained model's."""
    ae = AutoEncoder(data_shape=(64,), latent_dim=8, seed=0)
    untrained = np.abs(ae.generate(256, seed=0).mean(0) - x.mean(0)).mean()
    fit(ae, x)
    codes = ae.encode(x)
    np.testing.assert_allclose(
        ops.convert_to_numpy(ae.code_mean),
        codes.mean(0),
        atol=0.5 * codes.std(),
    )
    trained = np.abs(ae.generate(256, seed=0).mean(0) - x.mean(0)).mean()
    assert trained < 0.5 * untrained


def test_image_autoencoder_with_bce():
    x = datasets.load_digits("train")[:256]
    ae = AutoEncoder(
        data_shape=(8, 8, 1),
        latent_dim=8,
        reconstruction_loss="binary_crossentropy",
        seed=0,
    )
    history = fit(ae, x, epochs=4)
    assert history.history["loss"][-1] < history.history["loss"][0]
    r = ae.reconstruct(x[:4])
    assert r.shape == (4, 8, 8, 1) and r.min() >= 0 and r.max() <= 1


def test_sparsity_penalty_shrinks_the_code(x):
    plain = AutoEncoder(data_shape=(64,), latent_dim=16, seed=0)
    sparse = AutoEncoder(
        data_shape=(64,), latent_dim=16, sparsity_weight=0.5, seed=0
    )
    fit(plain, x)
    fit(sparse, x)
    assert mean_abs_code(sparse, x) < 0.5 * mean_abs_code(plain, x)


@pytest.mark.parametrize(
    "corruption, level", [("gaussian", 0.3), ("masking", 0.4)]
)
def test_denoising_corrupts_only_in_training(x, corruption, level):
    ae = AutoEncoder(
        data_shape=(64,),
        latent_dim=8,
        corruption=corruption,
        corruption_level=level,
        seed=0,
    )
    clean = ops.convert_to_numpy(ae(x[:8], training=False))
    np.testing.assert_allclose(
        clean, ops.convert_to_numpy(ae(x[:8], training=False))
    )
    noisy = ops.convert_to_numpy(ae(x[:8], training=True))
    assert not np.allclose(clean, noisy)
    history = fit(ae, x)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_denoising_autoencoder_removes_noise_better_than_a_plain_one(x):
    rng = np.random.RandomState(0)
    noisy = np.where(rng.rand(*x.shape) < 0.4, 0.0, x).astype("float32")
    plain = AutoEncoder(data_shape=(64,), latent_dim=8, seed=0)
    dae = AutoEncoder(
        data_shape=(64,),
        latent_dim=8,
        corruption="masking",
        corruption_level=0.4,
        seed=0,
    )
    fit(plain, x, epochs=12)
    fit(dae, x, epochs=12)
    err = lambda m: np.mean((m.reconstruct(noisy) - x) ** 2)
    assert err(dae) < err(plain)


def test_contractive_penalty_equals_the_jacobian_norm_of_a_linear_encoder():
    encoder = keras.Sequential(
        [keras.Input((5,)), keras.layers.Dense(3, use_bias=False)]
    )
    decoder = keras.Sequential([keras.Input((3,)), keras.layers.Dense(5)])
    ae = AutoEncoder(
        encoder=encoder, decoder=decoder, latent_dim=3, contractive_weight=1.0
    )
    w = ops.convert_to_numpy(encoder.weights[0])
    xs = np.random.RandomState(0).randn(4, 5).astype("float32")
    # h = x W, so J = W^T and ||J||_F^2 = sum(W^2) at every x.
    np.testing.assert_allclose(
        float(
            ops.convert_to_numpy(
                ae.contractive_penalty(ops.convert_to_tensor(xs))
            )
        ),
        float((w**2).sum()),
        rtol=1e-5,
    )


def test_contractive_training_flattens_the_encoder(x):
    plain = AutoEncoder(data_shape=(64,), latent_dim=4, seed=0)
    cae = AutoEncoder(
        data_shape=(64,), latent_dim=4, contractive_weight=0.1, seed=0
    )
    history = fit(cae, x, epochs=4)
    fit(plain, x, epochs=4)
    assert np.isfinite(history.history["loss"]).all()
    xt = ops.convert_to_tensor(x[:64])
    penalty = lambda m: float(ops.convert_to_numpy(m.contractive_penalty(xt)))
    assert penalty(cae) < penalty(plain)


def test_save_and_load_keeps_the_configuration(tmp_path, x):
    ae = AutoEncoder(
        data_shape=(64,),
        latent_dim=8,
        sparsity_weight=0.1,
        corruption="gaussian",
        corruption_level=0.1,
        seed=0,
    )
    fit(ae, x, epochs=1)
    path = str(tmp_path / "ae.keras")
    ae.save(path)
    restored = keras.models.load_model(path)
    assert restored.get_config()["corruption"] == "gaussian"
    # The optimizer state comes back with the model (training resumes).
    assert (
        int(restored.optimizer.iterations) == int(ae.optimizer.iterations) > 0
    )
    np.testing.assert_allclose(
        restored.reconstruct(x[:8]), ae.reconstruct(x[:8]), atol=1e-6
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(latent_dim=0), "latent_dim=0"),
        (dict(sparsity_weight=-0.1), "sparsity_weight=-0.1"),
        (dict(corruption="salt"), "corruption='salt'"),
        (
            dict(corruption="masking", corruption_level=1.5),
            "corruption_level=1.5",
        ),
        (dict(contractive_weight=float("nan")), "contractive_weight=nan"),
        (dict(reconstruction_loss="l1"), "reconstruction_loss='l1'"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AutoEncoder(data_shape=(64,), **kwargs)
