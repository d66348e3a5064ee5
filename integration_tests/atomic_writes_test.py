"""Files keras_gen writes survive a SIGKILL in the middle of the write:
presets, `.keras` saves of its models and images. The killed writer runs
in a child process (`workers/save_worker.py`); this process then checks
that the previous file (or preset) is intact and that the next load or
write removes what the killed one left."""

import os
import signal
import subprocess
import sys
import warnings

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gen.models import VAE
from keras_gen.utils import atomic, images

WORKER = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "workers", "save_worker.py"
)

pytestmark = pytest.mark.skipif(
    not hasattr(signal, "SIGKILL") or atomic.fcntl is None,
    reason="needs POSIX signals and flock",
)


def killed_worker(*args, kill_at=None):
    env = dict(os.environ)
    env.pop("KERAS_GEN_KILL_AT", None)
    if kill_at:
        env["KERAS_GEN_KILL_AT"] = kill_at
    result = subprocess.run(
        [sys.executable, WORKER, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]


def tiny_vae(seed):
    return VAE(data_shape=(6,), latent_dim=2, seed=seed)


# Where the kill lands is the preset writer's protocol, the same code on
# every backend: the torch pass runs every point, the others the last one
# (the new preset in place), for their own save and load.
_PROTOCOL = pytest.mark.backend_independent("where a kill lands in the write")


@pytest.mark.parametrize(
    "kill_at, survivor",
    [
        # the new preset half-written in staging
        pytest.param("preset.weights", 1, marks=_PROTOCOL),
        # the new preset complete in staging
        pytest.param("preset.staged", 1, marks=_PROTOCOL),
        # the old preset renamed aside, no preset at all
        pytest.param("preset.moved_aside", 1, marks=_PROTOCOL),
        # the new preset in place, the old one not yet deleted
        ("preset.swapped", 2),
    ],
)
def test_a_preset_save_killed_anywhere_leaves_a_loadable_preset(
    tmp_path, kill_at, survivor
):
    path = str(tmp_path / "vae")
    tiny_vae(1).save_to_preset(path)
    killed_worker("preset", path, "2", kill_at=kill_at)
    assert (
        len(os.listdir(tmp_path)) >= 2
    )  # the killed save left something behind
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", UserWarning
        )  # "the previous preset was put back"
        loaded = VAE.from_preset(path)
    assert loaded.seed == survivor
    assert os.listdir(tmp_path) == ["vae"]  # leftovers removed by the load


def test_a_keras_save_killed_mid_write_keeps_the_previous_file(tmp_path):
    path = str(tmp_path / "model.keras")
    first = tiny_vae(1)
    first.build((None, 6))
    first.save(path)
    before = open(path, "rb").read()
    killed_worker("keras", path, "2")
    assert (
        open(path, "rb").read() == before
    )  # Keras alone truncates it in place
    assert keras.saving.load_model(path).seed == 1
    (leftover,) = [
        name for name in os.listdir(tmp_path) if name != "model.keras"
    ]
    assert leftover.startswith(".tmp-") and leftover.endswith("-model.keras")
    second = tiny_vae(2)
    second.build((None, 6))
    second.save(path)  # removes the dead writer's temporary file
    assert os.listdir(tmp_path) == ["model.keras"]
    assert keras.saving.load_model(path).seed == 2


def test_an_image_write_killed_mid_write_keeps_the_previous_image(tmp_path):
    path = str(tmp_path / "grid.png")
    images.save_image(np.zeros((4, 4), "uint8"), path)
    before = open(path, "rb").read()
    killed_worker("image", path)
    assert open(path, "rb").read() == before
    assert len(os.listdir(tmp_path)) == 2  # the partial temporary file
    images.save_image(np.full((4, 4), 128, "uint8"), path)
    assert os.listdir(tmp_path) == ["grid.png"]
    with Image.open(path) as image:
        assert np.asarray(image).max() == 128
