"""Presets saved by keras_gen 0.1.0 (the fixtures under testdata/ were
written by that release, commit ac50d8b) still load, and upgrade."""

import json
import os

import numpy as np
import pytest

from keras_gen import models, presets
from keras_gen.presets import reference

TESTDATA = os.path.join(os.path.dirname(__file__), "testdata")


def test_a_legacy_gan_loads_with_its_moving_average():
    with pytest.warns(
        UserWarning, match=r"saved by keras_gen 0.1.0.*upgrade_preset"
    ):
        gan = models.GAN.from_preset(os.path.join(TESTDATA, "legacy_gan"))
    z = np.random.default_rng(0).standard_normal((3, 2)).astype("float32")
    # `decode` samples with the EMA generator: its weights found their place.
    np.testing.assert_allclose(
        gan.decode(z),
        np.load(os.path.join(TESTDATA, "legacy_gan_decode.npy")),
        atol=1e-5,
    )
    assert gan.skipped_weights == ()


def test_a_legacy_ddpm_loads_and_gives_its_recorded_outputs():
    directory = os.path.join(TESTDATA, "legacy_ddpm")
    with pytest.warns(UserWarning, match="0.1.0"):
        ddpm = models.DDPM.from_preset(directory)
    assert ddpm.num_classes == 3 and ddpm.value_range == (0.0, 1.0)
    stored = presets.load_metadata(directory)["reference_outputs"]
    ok, message = reference.check_reference(ddpm, stored)
    assert ok, message


def test_upgrade_preset_writes_the_current_form(tmp_path):
    target = str(tmp_path / "ddpm")
    presets.upgrade_preset(os.path.join(TESTDATA, "legacy_ddpm"), target)
    with open(os.path.join(target, "config.json")) as f:
        text = f.read()
    assert (
        len(text) < 3000
        and "keras.src" not in text
        and "denoiser" not in json.loads(text)["config"]
    )
    upgraded = models.DDPM.from_preset(
        target
    )  # no warning: pytest errors on unexpected ones? checked below
    metadata = presets.load_metadata(target)
    assert (
        metadata["upgraded_from"] == "0.1.0"
        and metadata["keras_gen_version"] != "0.1.0"
    )
    ok, message = reference.check_reference(
        upgraded,
        presets.load_metadata(os.path.join(TESTDATA, "legacy_ddpm"))[
            "reference_outputs"
        ],
    )
    assert ok, message
