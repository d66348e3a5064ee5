"""Every built-in preset loads on the current backend and reproduces the
outputs recorded when it was saved (trained) on another."""

import os

import pytest

from keras_gen import presets
from keras_gen.presets import handles

NAMES = presets.list_presets()


def test_the_built_in_presets_are_there_and_small():
    assert {"vae_digits", "ddpm_digits", "digits_classifier"} <= set(NAMES)
    total = sum(
        os.path.getsize(os.path.join(handles.BUILTIN_DIR, name, f))
        for name in NAMES
        for f in handles.PRESET_FILES
    )
    assert total <= 30 * 2**20


@pytest.mark.parametrize("name", NAMES)
def test_a_built_in_preset_reproduces_its_recorded_outputs(name):
    metadata = presets.load_metadata(name)
    assert metadata["metrics"], "each preset records its measured quality"
    model = presets.from_preset(name)
    ok, message = presets.check_reference(model, metadata["reference_outputs"])
    assert ok, f"{name} (saved on {metadata['backend']}): {message}"
