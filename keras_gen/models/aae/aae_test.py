import keras
import numpy as np
import pytest
from keras import ops

from keras_gen import datasets
from keras_gen.metrics import gaussian_mmd as mmd
from keras_gen.models import AAE
from keras_gen.testing import contract


def test_family_contract(tmp_path):
    contract.run_family_contract_test("aae", tmp_path)


@pytest.fixture(scope="module")
def digits():
    return datasets.load_digits("train", flatten=True, with_labels=True)


def test_three_phases_each_advance_their_optimizer(digits):
    x, _ = digits
    aae = AAE(data_shape=(64,), latent_dim=2, seed=0)
    aae.compile()
    history = aae.fit(x[:256], batch_size=64, epochs=1, verbose=0)
    for name in ("autoencoder", "discriminator", "generator"):
        assert int(aae.get_optimizer(name).iterations) == 4, name
    assert set(history.history) == {"reconstruction_loss", "d_loss", "g_loss"}


@pytest.mark.parametrize("prior", ["gaussian", "mixture", "uniform"])
def test_codes_match_the_prior_unlike_a_plain_autoencoder(digits, prior):
    """The adversarial phases shape the codes like the prior; the same
    autoencoder with those phases frozen does not."""
    x, _ = digits
    mmds = {}
    for adversarial in (True, False):
        aae = AAE(
            data_shape=(64,),
            latent_dim=2,
            prior=prior,
            mixture_radius=2.0,
            seed=0,
        )
        if adversarial:
            aae.compile()
        else:
            aae.compile(
                discriminator_optimizer=keras.optimizers.SGD(0.0),
                generator_optimizer=keras.optimizers.SGD(0.0),
            )
        reference = ops.convert_to_numpy(aae.sample_prior(500, seed=1))
        history = aae.fit(x, batch_size=64, epochs=15, verbose=0)
        mmds[adversarial] = mmd(aae.encode(x[:500]), reference)
        assert (
            history.history["reconstruction_loss"][-1]
            < history.history["reconstruction_loss"][0]
        )
    assert mmds[True] < 0.1 and mmds[True] < 0.4 * mmds[False], mmds


def test_custom_prior_callable(digits):
    x, _ = digits

    def ring(num_samples, latent_dim, seed):
        angle = keras.random.uniform((num_samples,), maxval=6.2832, seed=seed)
        return ops.stack([ops.cos(angle), ops.sin(angle)], axis=1)

    aae = AAE(data_shape=(64,), latent_dim=2, prior=ring, seed=0)
    aae.compile()
    aae.fit(x[:128], batch_size=64, epochs=1, verbose=0)
    assert aae.generate(3, seed=0).shape == (3, 64)


def test_supervised_decoder_uses_the_label(digits, tmp_path):
    x, y = digits
    aae = AAE(data_shape=(64,), latent_dim=2, num_classes=10, seed=0)
    aae.compile()
    aae.fit(x, y, batch_size=64, epochs=5, verbose=0)
    z = np.zeros((2, 2), "float32")
    a, b = aae.decode(z, labels=[0, 1])
    assert np.abs(a - b).mean() > 0.05  # the same code, two classes, two images
    with pytest.raises(ValueError, match="y=None"):
        aae.fit(x[:64], verbose=0)
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        aae.generate(2, labels=[12])
    path = str(tmp_path / "aae.keras")
    aae.save(path)
    restored = keras.models.load_model(path)
    np.testing.assert_allclose(
        restored.generate(3, seed=0, labels=2),
        aae.generate(3, seed=0, labels=2),
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(prior="laplace"), "prior='laplace'"),
        (dict(prior="mixture", latent_dim=1), "latent_dim=1"),
        (dict(latent_dim=0), "latent_dim=0"),
        (dict(reconstruction_loss="l1"), "reconstruction_loss='l1'"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AAE(data_shape=(64,), **kwargs)
