"""Bad inputs to every family: each gets an error naming the argument and
the value received, before anything trains or is written."""

import keras
import numpy as np
import pytest

from keras_gen import models

def tiny(cls, **defaults):
    """A constructor of a tiny `cls`; keyword arguments override the defaults."""
    return lambda **kwargs: cls(**{**defaults, **kwargs})


FAMILIES = {
    "vae": tiny(models.VAE, data_shape=(8, 8, 1), latent_dim=2),
    "autoencoder": tiny(models.AutoEncoder, data_shape=(8, 8, 1), latent_dim=2),
    "gan": tiny(models.GAN, data_shape=(8, 8, 1), latent_dim=4),
    "wgan_gp": tiny(models.WGANGP, data_shape=(2,), latent_dim=2),
    "aae": tiny(models.AAE, data_shape=(8, 8, 1), latent_dim=2),
    "ddpm": tiny(
        models.DDPM, data_shape=(8, 8, 1), width=8, channel_multipliers=(1,), num_res_blocks=1, attention_resolutions=()
    ),
    "real_nvp": tiny(models.RealNVP, data_shape=(2,), num_coupling_layers=2, hidden_units=(8,)),
    "stylegan2": tiny(
        models.StyleGAN2, resolution=4, latent_dim=8, w_dim=8, mapping_layers=1, channel_base=32, channel_max=8
    ),
    "cyclegan": tiny(
        models.CycleGAN, image_shape=(8, 8, 3), generator_filters=4, num_residual_blocks=1, num_downsampling=1,
        discriminator_filters=4, discriminator_layers=1,
    ),
    "latent_diffusion": lambda seed=None, **kwargs: models.LatentDiffusion(
        models.VAE(data_shape=(8, 8, 1), latent_dim=2, seed=seed), hidden_dim=8, num_layers=1, seed=seed, **kwargs
    ),
}
SINGLE_OPTIMIZER = ("vae", "autoencoder", "ddpm", "real_nvp", "latent_diffusion")
_cache = {}


def compiled(family):
    """One compiled model per family (building some of them takes seconds)."""
    if family not in _cache:
        model = FAMILIES[family](seed=0)
        if family in SINGLE_OPTIMIZER:
            model.compile(optimizer="adam")
        else:
            model.compile()
        _cache[family] = model
    return _cache[family]


def fit(model, x, y=None):
    if isinstance(model, models.CycleGAN):
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
        x = np.zeros((n,) + shape[:-1] if len(shape) > 1 else (n,) + shape + (1,), "float32")
        return x, f"Received: {{name}}.shape={x.shape}"
    if case == "wrong_shape":
        x = np.zeros((n,) + tuple(d + 1 for d in shape), "float32")
        return x, f"Received: {{name}}.shape={x.shape}"
    if case == "uint8_pixels":
        return np.full((n,) + shape, 255, "uint8"), "Received: {name}.dtype=uint8, {name}.max()=255"
    if case == "strings":
        return np.full((n,) + shape, "a"), "must hold numbers. Received: {name}.dtype=<U1"
    if case == "nan":
        x = np.zeros((n,) + shape, "float32")
        x[1] = np.nan
        return x, "NaN or infinite values"
    if case == "empty_array":
        x = np.zeros((0,) + shape, "float32")
        return x, f"is empty. Received: {{name}}.shape={x.shape}"
    raise AssertionError(case)


DATA_CASES = ("wrong_rank", "wrong_shape", "uint8_pixels", "strings", "nan", "empty_array")


@pytest.mark.parametrize("case", DATA_CASES)
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_bad_data_is_refused_before_training(family, case):
    model = compiled(family)
    x, expected = bad_data(case, tuple(model._expected_data_shape()))
    before = snapshot(model)
    name = "x_a" if family == "cyclegan" else "x"
    with pytest.raises(ValueError, match=np_escape(expected.format(name=name))):
        fit(model, x)
    for a, b in zip(before, snapshot(model)):  # nothing half-trained
        np.testing.assert_array_equal(a, b)


def np_escape(text):
    import re

    return re.escape(text)


@pytest.mark.parametrize("family", sorted(set(FAMILIES) - {"cyclegan"}))
def test_an_empty_dataset_is_refused(family):
    with pytest.raises(ValueError, match=r"`x` is an empty dataset: it yields no batches. Received: x=NoBatches"):
        compiled(family).fit(NoBatches(), epochs=1, verbose=0)


def test_cyclegan_needs_two_domains():
    x = np.zeros((8, 8, 8, 3), "float32")
    with pytest.raises(ValueError, match=r"two unpaired domains.*Received: one array x.shape=\(8, 8, 8, 3\)"):
        compiled("cyclegan").fit(x, epochs=1, verbose=0)


CONDITIONAL = {
    "gan": lambda: models.GAN(data_shape=(2,), latent_dim=2, num_classes=3, seed=0),
    "wgan_gp": lambda: models.WGANGP(data_shape=(2,), latent_dim=2, num_classes=3, seed=0),
    "aae": lambda: models.AAE(data_shape=(2,), latent_dim=2, num_classes=3, reconstruction_loss="mse", seed=0),
    "ddpm": lambda: models.DDPM(data_shape=(2,), num_classes=3, hidden_dim=8, num_layers=1, value_range=None, seed=0),
}


@pytest.mark.parametrize("family", sorted(CONDITIONAL))
def test_conditional_models_need_labels(family):
    model = CONDITIONAL[family]()
    model.compile(**({"optimizer": "adam"} if family == "ddpm" else {}))
    x = np.zeros((8, 2), "float32")
    with pytest.raises(ValueError, match=r"is conditional \(num_classes=3\).*Received: labels=None"):
        model.fit(x, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"Labels must be integers in \[0, 3\). Received: labels with values \[7\]"):
        model.fit(x, np.full((8,), 7), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"Expected one label per sample \(8\). Received: labels.shape=\(5,\)"):
        model.fit(x, np.zeros((5,), "int32"), epochs=1, verbose=0)


HYPERPARAMETERS = [
    ("vae", dict(latent_dim=0), "latent_dim=0"),
    ("vae", dict(beta=-1.0), "beta=-1.0"),
    ("vae", dict(likelihood="poisson"), "likelihood='poisson'"),
    ("autoencoder", dict(corruption="salt"), "corruption='salt'"),
    ("autoencoder", dict(corruption="masking", corruption_level=1.5), "corruption_level=1.5"),
    ("gan", dict(loss="hinge2"), "loss='hinge2'"),
    ("gan", dict(d_steps=0), "d_steps=0"),
    ("gan", dict(label_smoothing=0.9), "label_smoothing=0.9"),
    ("wgan_gp", dict(n_critic=0), "n_critic=0"),
    ("wgan_gp", dict(gradient_penalty_weight=-10.0), "gradient_penalty_weight=-10.0"),
    ("aae", dict(prior="laplace"), "prior='laplace'"),
    ("aae", dict(reconstruction_loss="l1"), "reconstruction_loss='l1'"),
    ("ddpm", dict(label_dropout=1.5), "label_dropout=1.5"),
    ("ddpm", dict(value_range=(1.0, 0.0)), "value_range=(1.0, 0.0)"),
    ("real_nvp", dict(num_coupling_layers=0), "num_coupling_layers=0"),
    ("real_nvp", dict(hidden_units=(8, 0)), "hidden_units=(8, 0)"),
    ("stylegan2", dict(style_mixing_prob=2.0), "style_mixing_prob=2.0"),
    ("stylegan2", dict(r1_gamma=-1.0), "r1_gamma=-1.0"),
    ("cyclegan", dict(cycle_weight=-1.0), "cycle_weight=-1.0"),
    ("cyclegan", dict(pool_size=-1), "pool_size=-1"),
    ("latent_diffusion", dict(latent_scale=-1.0), "latent_scale=-1.0"),
]


@pytest.mark.parametrize(
    "family, kwargs, expected", HYPERPARAMETERS, ids=[f"{f}-{next(iter(k))}" for f, k, _ in HYPERPARAMETERS]
)
def test_invalid_hyperparameters_name_the_argument(family, kwargs, expected):
    with pytest.raises(ValueError, match=np_escape(f"Received: {expected}")):
        FAMILIES[family](**kwargs)


@pytest.mark.parametrize("family", ["gan", "aae", "stylegan2", "cyclegan"])
def test_unknown_optimizer_phase_is_refused(family):
    model = FAMILIES[family](seed=0)
    with pytest.raises(ValueError, match=r"Unknown optimizer name\(s\) \['critic'\]"):
        models.MultiOptimizerModel.compile(model, optimizers={"critic": "adam"})
