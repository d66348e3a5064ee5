"""`tf.distribute.MirroredStrategy` trains keras_gen models with correctly
scaled gradients: two replicas, each with half of every global batch, end
where one replica with the whole batch ends."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_gen

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="tf.distribute strategies run on the TensorFlow backend only",
)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(keras_gen.__file__)))
# Adversarial (two optimizers, `optimize_step`; WGAN-GP's second-order
# penalty) and diffusion (one optimizer, Keras' `compute_loss` route).
MODELS = ("gan", "wgan_gp", "ddpm")


def weights(results, name, kind):
    i, out = 0, []
    while f"{name}/{kind}/{i}" in results:
        out.append(results[f"{name}/{kind}/{i}"])
        i += 1
    return out


def test_mirrored_strategy_equals_one_replica_on_the_global_batch(tmp_path):
    # Logical CPU devices must be configured before TensorFlow initialises:
    # a process of its own.
    out = tmp_path / "mirrored.npz"
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "keras_gen.testing.data_parallel",
            "mirrored",
            str(out),
            *MODELS,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    results = np.load(out)
    for name in MODELS:
        assert int(results[f"{name}/replicas"]) == 2
        initial = weights(results, name, "initial")
        single = weights(results, name, "single")
        parallel = weights(results, name, "parallel")
        assert len(single) == len(parallel) > 0
        # The steps are large enough that a replica scale off by 2 shows.
        assert (
            max(np.abs(s - w).max() for s, w in zip(single, initial) if s.size)
            > 1e-2
        ), name
        for s, p in zip(single, parallel):
            np.testing.assert_allclose(p, s, rtol=1e-5, atol=1e-6, err_msg=name)
