"""Every `from_preset` override takes effect or is refused by name, for
every family (each family's tiny configuration from the registry)."""

import inspect

import keras
import numpy as np
import pytest

from keras_gen import models
from keras_gen.models import registry

_WIDTHS = (
    "width",
    "hidden_units",
    "hidden_dim",
    "generator_filters",
    "channel_max",
    "filters",
)


def _bigger(value):
    if isinstance(value, (tuple, list)):
        return tuple(2 * v for v in value)
    return 2 * value


def _width_override(family):
    arguments = family.configuration("tiny").arguments
    for key in _WIDTHS:
        if key in arguments:
            return key, _bigger(arguments[key])
    raise AssertionError(
        f"{family.name}: no width argument in its tiny configuration"
    )


def _data_shape_override(shape):
    if len(shape) == 1:
        return (shape[0] + 1,)
    return (2 * shape[0], 2 * shape[1]) + tuple(shape[2:])


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    root = tmp_path_factory.mktemp("presets")
    cache = {}

    def get(name):
        if name not in cache:
            family = registry.get(name)
            model = family.build("tiny", seed=0)
            directory = str(root / name)
            model.save_to_preset(directory)
            cache[name] = (model, directory)
        return cache[name]

    return get


@pytest.mark.parametrize(
    "name",
    [
        n
        for n in registry.names()
        if n not in ("latent_diffusion", "latent_flow_matching", "vq_vae_prior")
    ],
)
def test_shape_and_width_overrides_take_effect(name, saved):
    family = registry.get(name)
    model, directory = saved(name)
    key, width = _width_override(family)
    shape = _data_shape_override(model.data_shape)
    loaded = family.model_class.from_preset(
        directory, data_shape=shape, **{key: width}
    )
    assert loaded.data_shape == shape
    assert tuple(np.atleast_1d(loaded.get_config()[key])) == tuple(
        np.atleast_1d(width)
    )
    assert loaded.skipped_weights, (
        "wider networks cannot take every stored weight"
    )
    x, y = family.sample_data(loaded, 4)
    samples = loaded.generate(2, seed=0, **family.generate_options("tiny", x))
    assert samples.shape == (2,) + shape


@pytest.mark.parametrize(
    "name",
    [
        n
        for n in registry.names()
        if "num_classes"
        in inspect.signature(registry.get(n).model_class.__init__).parameters
    ],
)
def test_a_new_number_of_classes_takes_effect(name, saved):
    family = registry.get(name)
    _, directory = saved(name)
    loaded = family.model_class.from_preset(directory, num_classes=2)
    assert loaded.num_classes == 2
    x, y = family.sample_data(loaded, 4)
    assert (
        loaded.generate(
            2, seed=0, labels=1, **family.generate_options("tiny", x)
        ).shape[0]
        == 2
    )


def test_ddpm_digits_transfers_to_28x28_and_new_classes():
    ddpm = models.DDPM.from_preset(
        "ddpm_digits", data_shape=(28, 28, 1), num_classes=2
    )
    assert ddpm.data_shape == (28, 28, 1) and ddpm.num_classes == 2
    # The convolutions do not depend on the image size: only the label
    # embedding (11 rows -> 3) and the 4x4 attention (absent at 28x28) change.
    assert all("embedding" in key for key in ddpm.skipped_weights), (
        ddpm.skipped_weights
    )
    assert ddpm.generate(
        2, seed=0, labels=1, num_steps=2, scheduler="ddim"
    ).shape == (2, 28, 28, 1)


def test_an_override_a_preset_cannot_take_is_refused(tmp_path):
    denoiser_in = [keras.Input((2,)), keras.Input(())]
    h = keras.layers.Concatenate()(
        [denoiser_in[0], keras.layers.Reshape((1,))(denoiser_in[1])]
    )
    denoiser = keras.Model(denoiser_in, keras.layers.Dense(2)(h))
    ddpm = models.DDPM(denoiser=denoiser, value_range=None, seed=0)
    ddpm.save_to_preset(str(tmp_path / "custom"))
    with pytest.raises(
        ValueError,
        match=r"override `hidden_dim` has no effect.*denoiser is a network of its own",
    ):
        models.DDPM.from_preset(str(tmp_path / "custom"), hidden_dim=32)
    with pytest.raises(
        ValueError, match=r"unexpected keyword|Received: color=3|color"
    ):
        models.DDPM.from_preset(str(tmp_path / "custom"), color=3)
