"""Bad inputs to every family: each gets an error naming the argument and
the value received, before anything trains or is written. (The family
contract test checks uint8 pixels, out-of-range values, wrong shapes and
labels through NumPy and `tf.data` for every family too.)"""

import re

import keras
import numpy as np
import pytest

from keras_gen import models
from keras_gen.models import registry

_cache = {}


def compiled(family):
    """One compiled tiny model per family (building some takes seconds)."""
    if family not in _cache:
        f = registry.get(family)
        _cache[family] = f.compile(f.build("tiny", seed=0))
    return _cache[family]


def fit(model, x, y=None):
    if registry.family_of(model).pairs:
        return model.fit((x, x), epochs=1, batch_size=4, verbose=0)
    return model.fit(x, y, epochs=1, batch_size=4, verbose=0)


def snapshot(model):
    return [np.array(keras.ops.convert_to_numpy(v)) for v in model.weights]


class NoBatches(keras.utils.PyDataset):
    def __len__(self):
        return 0

    def __getitem__(self, index):
        raise IndexError(index)


def bad_data(case, shape):
    """`(data, expected text)` for one kind of bad data."""
    n = 8
    if case == "wrong_rank":
        x = np.zeros(
            (n,) + shape[:-1] if len(shape) > 1 else (n,) + shape + (1,),
            "float32",
        )
        return x, f"Received: {{name}}.shape={x.shape}"
    if case == "strings":
        return np.full(
            (n,) + shape, "a"
        ), "must hold numbers. Received: {name}.dtype=<U1"
    if case == "nan":
        x = np.zeros((n,) + shape, "float32")
        x[1] = np.nan
        return x, "NaN or infinite values"
    if case == "empty_array":
        x = np.zeros((0,) + shape, "float32")
        return x, f"is empty. Received: {{name}}.shape={x.shape}"
    raise AssertionError(case)


DATA_CASES = ("wrong_rank", "strings", "nan", "empty_array")


@pytest.mark.parametrize("case", DATA_CASES)
@pytest.mark.parametrize("family", registry.names())
def test_bad_data_is_refused_before_training(family, case):
    model = compiled(family)
    x, expected = bad_data(case, tuple(model.data_shape))
    before = snapshot(model)
    name = "x_a" if registry.get(family).pairs else "x"
    with pytest.raises(ValueError, match=re.escape(expected.format(name=name))):
        fit(model, x)
    for a, b in zip(before, snapshot(model)):  # nothing half-trained
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "family", [f for f in registry.names() if not registry.get(f).pairs]
)
def test_an_empty_dataset_is_refused(family):
    with pytest.raises(
        ValueError,
        match=r"`x` is an empty dataset: it yields no batches. Received: x=NoBatches",
    ):
        compiled(family).fit(NoBatches(), epochs=1, verbose=0)


@pytest.mark.parametrize("family", ["vae", "gan"])
def test_bad_fit_arguments_are_named(family):
    model = compiled(family)
    x = np.zeros((8,) + tuple(model.data_shape), "float32")
    for kwargs, text in (
        (dict(batch_size=0), "batch_size=0"),
        (dict(epochs=-1), "epochs=-1"),
        (dict(steps_per_epoch=0), "steps_per_epoch=0"),
    ):
        with pytest.raises(ValueError, match=re.escape(text)):
            model.fit(x, verbose=0, **kwargs)


def test_cyclegan_needs_two_domains():
    x = np.zeros((8, 8, 8, 3), "float32")
    with pytest.raises(
        ValueError,
        match=r"two unpaired domains.*Received: one array x.shape=\(8, 8, 8, 3\)",
    ):
        compiled("cyclegan").fit(x, epochs=1, verbose=0)


HYPERPARAMETERS = [
    ("vae", dict(latent_dim=0), "latent_dim=0"),
    ("vae", dict(beta=-1.0), "beta=-1.0"),
    ("vae", dict(likelihood="poisson"), "likelihood='poisson'"),
    ("vae", dict(data_shape=(8, 8, -1)), "data_shape=(8, 8, -1)"),
    ("vae", dict(data_shape="8,8,1"), "data_shape='8,8,1'"),
    ("vae", dict(data_shape=(0, 8, 1)), "data_shape=(0, 8, 1)"),
    ("vae", dict(value_range="01"), "value_range='01'"),
    ("vae", dict(hidden_units=()), "hidden_units=()"),
    ("autoencoder", dict(corruption="salt"), "corruption='salt'"),
    (
        "autoencoder",
        dict(corruption="masking", corruption_level=1.5),
        "corruption_level=1.5",
    ),
    ("gan", dict(loss="hinge2"), "loss='hinge2'"),
    ("gan", dict(d_steps=0), "d_steps=0"),
    ("gan", dict(label_smoothing=0.9), "label_smoothing=0.9"),
    ("gan", dict(value_range=(1.0, 0.0)), "value_range=(1.0, 0.0)"),
    ("wgan_gp", dict(n_critic=0), "n_critic=0"),
    (
        "wgan_gp",
        dict(gradient_penalty_weight=-10.0),
        "gradient_penalty_weight=-10.0",
    ),
    ("aae", dict(prior="laplace"), "prior='laplace'"),
    ("aae", dict(reconstruction_loss="l1"), "reconstruction_loss='l1'"),
    ("ddpm", dict(label_dropout=1.5), "label_dropout=1.5"),
    ("ddpm", dict(value_range=(1.0, 0.0)), "value_range=(1.0, 0.0)"),
    ("ddpm", dict(channel_multipliers=()), "channel_multipliers=()"),
    ("ddpm", dict(dropout=1.0), "dropout=1.0"),
    ("real_nvp", dict(num_coupling_layers=0), "num_coupling_layers=0"),
    ("real_nvp", dict(hidden_units=(8, 0)), "hidden_units=(8, 0)"),
    ("stylegan2", dict(style_mixing_prob=2.0), "style_mixing_prob=2.0"),
    ("stylegan2", dict(r1_gamma=-1.0), "r1_gamma=-1.0"),
    ("cyclegan", dict(cycle_weight=-1.0), "cycle_weight=-1.0"),
    ("cyclegan", dict(pool_size=-1), "pool_size=-1"),
    ("latent_diffusion", dict(latent_scale=-1.0), "latent_scale=-1.0"),
]


@pytest.mark.parametrize(
    "family, kwargs, expected",
    HYPERPARAMETERS,
    ids=[f"{f}-{next(iter(k))}" for f, k, _ in HYPERPARAMETERS],
)
def test_invalid_hyperparameters_name_the_argument(family, kwargs, expected):
    with pytest.raises(ValueError, match=re.escape(f"Received: {expected}")):
        registry.get(family).build("tiny", **kwargs)


@pytest.mark.parametrize("family", ["gan", "aae", "stylegan2", "cyclegan"])
def test_unknown_optimizer_phase_is_refused(family):
    model = registry.get(family).build("tiny", seed=0)
    with pytest.raises(
        ValueError,
        match=r"takes the optimizers .*Received: critic_optimizer='adam'",
    ):
        model.compile(critic_optimizer="adam")
    with pytest.raises(TypeError):
        model.compile("adam", "adam")  # keyword-only


def test_single_optimizer_models_refuse_a_loss():
    with pytest.raises(
        ValueError, match=r"defines its own training loss.*Received: loss='mse'"
    ):
        registry.get("vae").build("tiny").compile(optimizer="adam", loss="mse")


def test_multi_optimizer_base_is_exported():
    assert issubclass(models.GAN, models.MultiOptimizerModel)
