import keras
import pytest

from keras_gen import datasets
from keras_gen.models import VAE, BetaTCVAE
from keras_gen.testing import contract


def test_family_contract(tmp_path):
    contract.run_family_contract_test("beta_tcvae", tmp_path)


@pytest.fixture(scope="module")
def digits():
    return datasets.load_digits("train", binarize=True)[
        :512
    ], datasets.load_digits("test", binarize=True)[:256]


def small(**kwargs):
    kwargs.setdefault("data_shape", (8, 8, 1))
    kwargs.setdefault("latent_dim", 4)
    kwargs.setdefault("seed", 0)
    return BetaTCVAE(**kwargs)


def test_logs_the_three_terms_which_sum_to_the_sampled_kl(digits):
    x, _ = digits
    model = small(dataset_size=len(x))
    model.compile()
    history = model.fit(x, epochs=2, batch_size=64, verbose=0)
    logs = {k: v[-1] for k, v in history.history.items()}
    assert {
        "mutual_information",
        "total_correlation",
        "dimension_wise_kl",
        "kl_loss",
    } <= set(logs)
    # MWS's terms sum to log q(z|x) - log p(z), whose mean is the KL.
    total = (
        logs["mutual_information"]
        + logs["total_correlation"]
        + logs["dimension_wise_kl"]
    )
    assert total == pytest.approx(logs["kl_loss"], rel=0.1, abs=0.3)


def test_unit_weights_give_the_vae_loss(digits):
    x, _ = digits
    # alpha = beta = gamma = 1: the decomposed term is log q(z|x) - log p(z)
    # for the same z, whose mean is the VAE's closed-form KL.
    tc = small(alpha=1.0, beta=1.0, gamma=1.0, dataset_size=len(x))
    vae = VAE(data_shape=(8, 8, 1), latent_dim=4, seed=0)
    for model in (tc, vae):
        model.compile()
    a = tc.evaluate(x, batch_size=512, verbose=0, return_dict=True)
    b = vae.evaluate(x, batch_size=512, verbose=0, return_dict=True)
    assert a["loss"] == pytest.approx(b["loss"], rel=0.02)


def test_dataset_size_comes_from_the_arrays_and_is_saved(tmp_path, digits):
    x, _ = digits
    model = small()
    model.compile()
    model.fit(x[:100], epochs=1, batch_size=50, verbose=0)
    assert model.dataset_size == 100
    path = str(tmp_path / "tc.keras")
    model.save(path)
    assert keras.saving.load_model(path).dataset_size == 100


def test_dataset_size_is_required_for_a_stream(digits):
    import tensorflow as tf

    x, _ = digits
    model = small()
    model.compile()
    with pytest.raises(ValueError, match=r"Received: dataset_size=None"):
        model.fit(
            tf.data.Dataset.from_tensor_slices(x[:64]).batch(32),
            epochs=1,
            verbose=0,
        )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(alpha=-1), r"alpha=-1"),
        (dict(gamma=float("nan")), r"gamma=nan"),
        (dict(dataset_size=0), r"dataset_size=0"),
        (dict(estimator="exact"), r"estimator='exact'"),
        (dict(num_importance_samples=5), r"num_importance_samples=5"),
        (dict(free_bits=1.0), r"free_bits=1.0"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        small(**kwargs)
