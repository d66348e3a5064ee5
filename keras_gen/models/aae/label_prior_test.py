import keras
import numpy as np
import pytest

from keras_gen import datasets
from keras_gen.models import AAE, LabelPriorAAE
from keras_gen.testing import contract


def test_family_contract(tmp_path):
    contract.run_family_contract_test("label_prior_aae", tmp_path)


@pytest.fixture(scope="module")
def digits():
    return datasets.load_digits("train", flatten=True, with_labels=True)


def nearest_component(model, codes):
    means = model._mixture_means
    return np.argmin(((codes[:, None] - means[None]) ** 2).sum(-1), axis=1)


def test_labelled_codes_go_to_their_component(digits):
    """Half the digits labelled: the codes of class k (labelled or not) lie
    nearest component k; a mixture AAE without the labels puts them
    anywhere."""
    x, y = digits
    partial = np.where(np.arange(len(y)) % 2 == 0, y, -1)
    kwargs = dict(
        data_shape=(64,),
        latent_dim=2,
        mixture_radius=4.0,
        hidden_units=(128, 128),
        seed=0,
    )
    informed = LabelPriorAAE(num_classes=10, **kwargs)
    informed.compile()
    informed.fit(x, partial, batch_size=64, epochs=40, verbose=0)
    plain = AAE(prior="mixture", num_components=10, **kwargs)
    plain.compile()
    plain.fit(x, batch_size=64, epochs=40, verbose=0)
    agreement = {}
    for name, model in (("informed", informed), ("plain", plain)):
        found = nearest_component(model, model.encode(x))
        agreement[name] = (found[partial >= 0] == y[partial >= 0]).mean()
        if name == "informed":
            agreement["unlabelled"] = (
                found[partial < 0] == y[partial < 0]
            ).mean()
            np.testing.assert_array_equal(found, informed.predict_components(x))
    # Chance is 0.1; the association takes a while to form (0.7 after 40
    # epochs, 0.8 after 50 with (256, 256) units).
    assert agreement["informed"] > 0.5 and agreement["plain"] < 0.3, agreement
    assert agreement["unlabelled"] > 0.3, agreement


def test_generate_draws_from_the_labels_component():
    model = LabelPriorAAE(
        data_shape=(8, 8, 1),
        num_classes=4,
        latent_dim=3,
        mixture_std=0.1,
        seed=0,
    )
    z = model.sample_latents(400, seed=0, labels=2)
    np.testing.assert_allclose(
        z.mean(axis=0), model._mixture_means[2], atol=0.03
    )
    np.testing.assert_allclose(z.std(axis=0), 0.1, rtol=0.15)
    cooled = model.sample_latents(400, seed=0, labels=2, temperature=0.0)
    np.testing.assert_allclose(
        cooled,
        np.broadcast_to(model._mixture_means[2], cooled.shape),
        atol=1e-6,
    )
    mixed = model.sample_latents(400, seed=0)  # no labels: the whole mixture
    assert len(np.unique(nearest_component(model, mixed))) == 4
    samples = model.generate(4, seed=0, labels=[0, 1, 2, 3])
    assert samples.shape == (4, 8, 8, 1)
    np.testing.assert_array_equal(
        samples, model.generate(4, seed=0, labels=[0, 1, 2, 3])
    )


def test_config_round_trip_has_no_free_prior(tmp_path, digits):
    x, y = digits
    model = LabelPriorAAE(
        data_shape=(64,),
        num_classes=10,
        latent_dim=2,
        hidden_units=(16,),
        seed=0,
    )
    config = model.get_config()
    assert "prior" not in config and "num_components" not in config
    model.compile()
    model.fit(
        x[:64],
        np.where(np.arange(64) < 32, y[:64], -1),
        batch_size=32,
        epochs=1,
        verbose=0,
    )
    path = str(tmp_path / "label_prior.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    np.testing.assert_allclose(
        restored.generate(3, seed=0, labels=5),
        model.generate(3, seed=0, labels=5),
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(num_classes=None), "num_classes=None"),
        (dict(num_classes=0), "num_classes=0"),
        (dict(latent_dim=1), "latent_dim=1"),
        (dict(discriminator="dense"), r"latent_dim \+ num_classes \+ 1 = 13"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    if kwargs.get("discriminator") == "dense":  # built here, not at collection
        kwargs = dict(
            discriminator=keras.Sequential(
                [keras.Input((2,)), keras.layers.Dense(1)]
            )
        )
    with pytest.raises(ValueError, match=match):
        LabelPriorAAE(
            data_shape=(64,),
            **dict(dict(num_classes=10, latent_dim=2), **kwargs),
        )
