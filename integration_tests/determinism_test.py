"""Determinism, as the README states it: on one backend, a model built with
`seed=` and trained with `shuffle=False` ends with bit-identical weights in
two processes (the initial weights of the default networks, the noise of
the training steps and the samples all follow the model's seed).

One run is a fresh interpreter; the other is this test process, after
whatever other tests did to Keras' global random state."""

import os
import subprocess
import sys

import keras
import numpy as np

from keras_gen.testing import determinism

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# One single-optimizer family, one adversarial family, one diffusion model.
FAMILIES = ("vae", "gan", "ddpm")


def test_same_seed_same_backend_is_bit_identical_across_processes(tmp_path):
    path = tmp_path / "child.npz"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "keras_gen.testing.determinism",
            str(path),
            *FAMILIES,
        ],
        env={**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "2"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    child = dict(np.load(path))
    keras.utils.set_random_seed(
        12345
    )  # a different global state: the model's seed rules
    here = determinism.seeded_runs(FAMILIES)
    assert sorted(here) == sorted(child)
    for key in here:
        np.testing.assert_array_equal(here[key], child[key], err_msg=key)
    for name in FAMILIES:
        # Training did something (the test could fail).
        assert (
            np.abs(here[name + "/trained"] - here[name + "/initial"]).max() > 0
        ), name
