"""Data parallel training in several processes (JAX, `keras.distribution`).

Two processes with two CPU devices each join through
`keras.distribution.initialize` on loopback (JAX's gloo CPU collectives), and
train a tiny GAN and a tiny DDPM under `DataParallel` from a `tf.data`
pipeline that Keras shards between the processes (`auto_shard_dataset`).
Both processes must end with identical weights, equal to one process with
four devices reading the same global batches.

One process of the run (what a launcher starts on each host):

    KERAS_BACKEND=jax XLA_FLAGS=--xla_force_host_platform_device_count=2 \\
        python integration_tests/multiprocess_test.py 127.0.0.1:PORT 2 0 OUT.npz
"""

import os
import socket
import subprocess
import sys

import keras
import numpy as np
import pytest

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "jax",
    reason=(
        "keras.distribution is JAX-only in Keras 3.15; tf.distribute / "
        "torch.distributed are tested in keras_gen/distribution/*"
    ),
)

GLOBAL_BATCH = 8
EPOCHS = 2  # of 2 batches each
FAST_XLA = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"


def build(name):
    from keras_gen import models
    from keras_gen.schedulers import DDPMScheduler

    if name == "gan":
        return models.GAN(data_shape=(2,), latent_dim=4, seed=0)
    return models.DDPM(
        data_shape=(2,),
        value_range=None,
        hidden_dim=16,
        num_layers=1,
        scheduler=DDPMScheduler(num_train_timesteps=50, clip_sample=False),
        seed=0,
    )


def dataset():
    """Global batches of a fixed 2-D dataset, as every process sees them."""
    import tensorflow as tf

    x = (
        np.random.RandomState(0)
        .normal(size=(2 * GLOBAL_BATCH, 2))
        .astype("float32")
    )
    return tf.data.Dataset.from_tensor_slices(x).batch(
        GLOBAL_BATCH, drop_remainder=True
    )


def run(coordinator, num_processes, process_id, out_path):
    import jax

    from keras_gen.models import MultiOptimizerModel

    if num_processes > 1:
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        keras.distribution.initialize(coordinator, num_processes, process_id)
    devices = keras.distribution.list_devices()
    distribution = keras.distribution.DataParallel(
        devices=devices, auto_shard_dataset=True
    )
    keras.distribution.set_distribution(distribution)
    results = {"devices": len(devices), "processes": jax.process_count()}
    # What this process reads of each global batch.
    results["local_batch"] = len(
        next(iter(distribution.distribute_dataset(dataset())))
    )
    for name in ("gan", "ddpm"):
        model = build(name)
        sgd = lambda: keras.optimizers.SGD(0.01, momentum=0.9)  # noqa: E731
        if isinstance(model, MultiOptimizerModel):
            MultiOptimizerModel.compile(
                model,
                **{f"{n}_optimizer": sgd() for n in model.optimizer_names},
            )
        else:
            model.compile(optimizer=sgd())
        # The same start everywhere, whatever each process's initialisers do.
        rng = np.random.RandomState(1)
        model.set_weights(
            [
                w
                if w.dtype.kind != "f"
                else (0.3 * rng.normal(size=w.shape)).astype(w.dtype)
                for w in model.get_weights()
            ]
        )
        history = model.fit(dataset(), epochs=EPOCHS, verbose=0)
        for key, values in history.history.items():
            results[f"{name}/loss/{key}"] = np.asarray(values)
        for i, w in enumerate(model.get_weights()):
            results[f"{name}/w{i}"] = np.asarray(w)
    np.savez(out_path, **results)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(args, devices):
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    env["XLA_FLAGS"] = (
        f"--xla_force_host_platform_device_count={devices} {FAST_XLA}"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [root, env.get("PYTHONPATH")])
    )
    return subprocess.Popen(
        [sys.executable, __file__, *map(str, args)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait(procs, timeout):
    try:
        outputs = [p.communicate(timeout=timeout)[0] for p in procs]
    finally:
        for p in procs:  # a process left waiting for its peer
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, out in zip(procs, outputs):
        assert p.returncode == 0, out[-3000:]


def test_two_processes_train_identically_and_like_one(tmp_path):
    coordinator = f"127.0.0.1:{_free_port()}"
    outs = [tmp_path / f"process_{i}.npz" for i in range(2)] + [
        tmp_path / "single.npz"
    ]
    procs = [_launch((coordinator, 2, i, outs[i]), devices=2) for i in range(2)]
    procs.append(_launch(("-", 1, 0, outs[2]), devices=4))
    _wait(procs, timeout=400)
    first, second, single = (dict(np.load(p)) for p in outs)

    assert first["devices"] == second["devices"] == single["devices"] == 4
    assert first["processes"] == second["processes"] == 2
    assert first["local_batch"] == second["local_batch"] == GLOBAL_BATCH // 2
    assert single["local_batch"] == GLOBAL_BATCH
    keys = sorted(k for k in single if "/" in k)
    assert any(k.startswith("gan/w") for k in keys) and any(
        k.startswith("ddpm/w") for k in keys
    )
    for key in keys:
        # Replicated weights after all-reduced steps: bit for bit the same.
        np.testing.assert_array_equal(first[key], second[key], err_msg=key)
        # One process reading the same global batches: the same up to the
        # order of the cross-device sums.
        np.testing.assert_allclose(
            first[key], single[key], rtol=1e-5, atol=1e-5, err_msg=key
        )
    # Training moved the weights (the comparison is not of initial values).
    assert not np.allclose(
        single["gan/loss/d_loss"][0], single["gan/loss/d_loss"][-1]
    )


if __name__ == "__main__":
    coordinator, num_processes, process_id, out_path = sys.argv[1:5]
    run(coordinator, int(num_processes), int(process_id), out_path)
