"""Every built-in preset loads on the current backend and reproduces the
outputs recorded when it was saved (trained) on another."""

import os

import numpy as np
import pytest
from keras import ops

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
    # Well under 100 MB with the four 28x28 Fashion-MNIST presets.
    assert total <= 64 * 2**20


@pytest.mark.parametrize("name", NAMES)
def test_a_built_in_preset_reproduces_its_recorded_outputs(name):
    metadata = presets.load_metadata(name)
    assert metadata["metrics"], "each preset records its measured quality"
    model = presets.from_preset(name)
    ok, message = presets.check_reference(model, metadata["reference_outputs"])
    assert ok, f"{name} (saved on {metadata['backend']}): {message}"


FASHION_MNIST = [n for n in NAMES if n.endswith("_fashion_mnist")]


@pytest.fixture(scope="module")
def fashion_images():
    from keras_gen import datasets

    x, y = datasets.load_fashion_mnist("test", with_labels=True, num_samples=4)
    return x, y.astype("int32")


@pytest.mark.parametrize("name", FASHION_MNIST)
def test_a_fashion_mnist_preset_fine_tunes_at_28x28(name, fashion_images):
    """The 28x28 presets load with every weight, take one training step on
    real images (with their labels when conditional) and still sample."""
    model = presets.from_preset(name)
    assert model.data_shape == (28, 28, 1) and not model.skipped_weights
    x, y = fashion_images
    y = y if model.num_classes else None
    before = [ops.convert_to_numpy(w) for w in model.trainable_weights]
    model.compile()
    model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
    after = [ops.convert_to_numpy(w) for w in model.trainable_weights]
    assert all(np.isfinite(w).all() for w in after)
    assert any(not np.array_equal(b, a) for b, a in zip(before, after))
    options = {"num_steps": 2, "scheduler": "ddim"} if "ddpm" in name else {}
    samples = model.generate(2, seed=0, **options)
    assert samples.shape == (2, 28, 28, 1) and np.isfinite(samples).all()
