"""A preset saved on any backend loads on every other with the same outputs.

One test, run in the JAX pass of the suite: it saves tiny presets in this
process, then starts one process per other backend (`KERAS_BACKEND` set
before Keras is imported) that loads every preset saved so far, compares
its outputs on fixed inputs, and saves its own presets (order: JAX saves;
TensorFlow loads, saves; PyTorch loads, saves; JAX loads; TensorFlow loads
PyTorch's), so each of the six ordered pairs is checked.
"""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_gen import models
from keras_gen.presets import reference

ROOT = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
)
MODELS = (
    "vae",
    "gan",
    "real_nvp",
    "ddpm",
    "flow_matching",
    "latent_flow_matching",
)
TOLERANCE = 1e-5


def _randomize(model):
    """Every weight set from NumPy (the same on every backend), including
    the batch-norm statistics and the EMA copies, so that no state is left
    at a trivial initial value and no training (and compiling) is needed."""
    rng = np.random.default_rng(0)
    for v in model.weights:
        if (
            "float" not in str(v.dtype)
            or "initialized" in v.path
            or "kl_weight" in v.path
        ):
            continue
        if "variance" in v.path:
            value = rng.uniform(0.5, 1.5, v.shape)
        else:
            value = rng.normal(0.0, 0.3, v.shape)
        v.assign(value.astype(str(v.dtype)))
    return model


def _build(name):
    """Tiny models whose state goes beyond plain kernels: batch norm
    statistics (GAN), data-initialised actnorm (RealNVP), an EMA copy
    (DDPM)."""
    if name == "vae":
        return _randomize(models.VAE(data_shape=(6,), latent_dim=2, seed=0))
    if name == "gan":
        return _randomize(
            models.GAN(data_shape=(2,), latent_dim=2, num_classes=3, seed=0)
        )
    if name == "real_nvp":
        model = models.RealNVP(
            data_shape=(2,), num_coupling_layers=2, hidden_units=(8,), seed=0
        )
        x = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
        model.initialize(x * 3.0 + 1.0)
        return _randomize(model)
    if name == "flow_matching":
        return _randomize(
            models.FlowMatching(
                data_shape=(3,),
                num_classes=2,
                hidden_dim=16,
                num_layers=2,
                seed=0,
            )
        )
    if name == "latent_flow_matching":
        # A family built on two others: the frozen autoencoder's weights
        # and the scale factor travel with the flow's.
        vae = models.VAE(data_shape=(6,), latent_dim=3, seed=0)
        model = models.LatentFlowMatching(
            vae,
            num_classes=2,
            hidden_dim=16,
            num_layers=1,
            latent_scale=0.7,
            seed=0,
        )
        return _randomize(model)
    return _randomize(
        models.DDPM(
            data_shape=(3,), num_classes=2, hidden_dim=16, num_layers=2, seed=0
        )
    )


def _outputs(model):
    return np.asarray(
        keras.ops.convert_to_numpy(reference._probe(model)[1]), "float64"
    )


def save_all(root):
    backend = keras.backend.backend()
    for name in MODELS:
        model = _build(name)
        path = os.path.join(root, backend, name)
        model.save_to_preset(path)
        np.save(path + ".npy", _outputs(model))


def check_all(root, saved_on):
    """Max |difference| per `saved_on->this_backend/model`, divided by the
    outputs' largest magnitude when it is above 1."""
    here = keras.backend.backend()
    errors = {}
    for backend in saved_on:
        for name in MODELS:
            path = os.path.join(root, backend, name)
            model = models.GenerativeModel.from_preset(path)
            expected = np.load(path + ".npy")
            # float32 agreement: 1e-5 absolute, relative for outputs above 1.
            scale = max(1.0, float(np.max(np.abs(expected))))
            errors[f"{backend}->{here}/{name}"] = (
                float(np.max(np.abs(_outputs(model) - expected))) / scale
            )
    return errors


def worker(root, saved_on, save):
    """Entry point of the other backends' processes."""
    errors = check_all(root, saved_on)
    if save:
        save_all(root)
    print("RESULT " + json.dumps(errors))


def _run(backend, root, saved_on, save=True):
    code = (
        "from keras_gen.presets import cross_backend_test as t; "
        f"t.worker({root!r}, {list(saved_on)!r}, {save!r})"
    )
    env = dict(os.environ, KERAS_BACKEND=backend, PYTHONPATH=ROOT)
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [
        line for line in done.stdout.splitlines() if line.startswith("RESULT ")
    ]
    assert done.returncode == 0 and lines, (
        f"{backend} process failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return json.loads(lines[-1][len("RESULT ") :])


@pytest.mark.skipif(
    keras.backend.backend() != "jax",
    reason="spawns a process per backend itself; runs once, in the JAX pass of the suite",
)
def test_a_preset_saved_on_any_backend_loads_on_every_other(tmp_path):
    root = str(tmp_path)
    save_all(root)
    errors = {}
    errors.update(_run("tensorflow", root, ["jax"]))
    errors.update(_run("torch", root, ["jax", "tensorflow"]))
    errors.update(check_all(root, ["tensorflow", "torch"]))
    errors.update(_run("tensorflow", root, ["torch"], save=False))
    assert len(errors) == 6 * len(MODELS)  # every ordered pair of backends
    print("cross-backend differences:", json.dumps(errors, indent=1))
    worst = {k: v for k, v in errors.items() if v > TOLERANCE}
    assert not worst, f"outputs differ by more than {TOLERANCE}: {worst}"
