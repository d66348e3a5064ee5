"""Workflow 4: train on JAX, save a `.keras` file, load it on PyTorch and on
TensorFlow, and continue training there with the optimizers' state."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

WORKER = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "workers", "gan_worker.py"
)

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "jax",
    reason="starts its own process for every backend: runs once, in the JAX session",
)


def run_worker(backend, *args):
    env = dict(os.environ, KERAS_BACKEND=backend)
    result = subprocess.run(
        [sys.executable, WORKER, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, f"{backend}: {result.stderr[-2000:]}"


@pytest.mark.parametrize("backend", ["torch", "tensorflow"])
def test_train_on_jax_continue_on(backend, tmp_path):
    model_path, saved = str(tmp_path / "gan.keras"), str(tmp_path / "saved.npz")
    run_worker("jax", "save", model_path, saved)
    continued = str(tmp_path / "continued.npz")
    run_worker(backend, "continue", model_path, continued)

    saved, loaded = (
        np.load(saved),
        np.load(str(tmp_path / "continued_loaded.npz")),
    )
    for key in saved.files:  # weights, iterations, Adam moments: as saved
        np.testing.assert_allclose(
            loaded[key], saved[key], rtol=1e-6, err_msg=key
        )
    after = np.load(continued)
    assert int(after["iterations_generator"]) == 2 * int(
        saved["iterations_generator"]
    )
    assert (
        np.isfinite(after["d_loss"]).all()
        and np.isfinite(after["g_loss"]).all()
    )
    moved = [
        np.abs(after[k] - saved[k]).max()
        for k in saved.files
        if k.startswith("w")
    ]
    assert max(moved) > 1e-4  # training went on
