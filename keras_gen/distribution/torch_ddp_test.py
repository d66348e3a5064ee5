"""Multi-process data parallelism on PyTorch (`torch.distributed`, gloo):
two processes, each with half of every global batch, end where one process
with the whole batch ends, for every family whose step does not mix the
samples of a batch."""

import os
import socket
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen.distribution import torch_ddp

REPO = os.path.dirname(os.path.dirname(os.path.abspath(keras_gen.__file__)))
MODELS = ("gan", "wgan_gp", "aae", "vae", "autoencoder", "real_nvp", "ddpm")
torch_only = pytest.mark.skipif(
    keras.backend.backend() != "torch",
    reason="torch.distributed runs on the PyTorch backend only",
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def weights(results, name, kind):
    i, out = 0, []
    while f"{name}/{kind}/{i}" in results:
        out.append(results[f"{name}/{kind}/{i}"])
        i += 1
    return out


@torch_only
def test_two_processes_equal_one_process_on_the_global_batch(tmp_path):
    port = str(free_port())
    procs = []
    for rank in range(2):
        env = dict(
            os.environ,
            KERAS_BACKEND="torch",
            RANK=str(rank),
            WORLD_SIZE="2",
            MASTER_ADDR="127.0.0.1",
            MASTER_PORT=port,
            TF_CPP_MIN_LOG_LEVEL="2",
        )
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "keras_gen.testing.data_parallel",
                    "torch",
                    str(tmp_path / f"r{rank}.npz"),
                    *MODELS,
                ],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    try:
        logs = [p.communicate(timeout=300)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for p, log in zip(procs, logs):
        assert p.returncode == 0, log[-4000:]
    r0, r1 = (
        dict(np.load(tmp_path / "r0.npz")),
        dict(np.load(tmp_path / "r1.npz")),
    )
    assert int(r0["world_size"]) == 2
    references = {**r1, **r0}  # each process trained some references
    for name in MODELS:
        initial = weights(references, name, "initial")
        single = weights(references, name, "single")
        assert (
            max(np.abs(s - w).max() for s, w in zip(single, initial) if s.size)
            > 1e-2
        ), name
        # Rank 1 started from other weights: `broadcast_weights` gave it
        # rank 0's, and the averaged gradients kept both in step.
        for s, p0, p1 in zip(
            single, weights(r0, name, "parallel"), weights(r1, name, "parallel")
        ):
            np.testing.assert_allclose(
                p0, s, rtol=1e-5, atol=1e-6, err_msg=name
            )
            np.testing.assert_array_equal(p1, p0, err_msg=name)


@torch_only
def test_without_a_process_group_nothing_changes():
    assert torch_ddp.rank() == 0 and torch_ddp.world_size() == 1
    x = np.arange(10)
    np.testing.assert_array_equal(torch_ddp.shard(x, 4), x[:8])
    assert keras_gen.backend.data_parallel_processes() == 1


@torch_only
def test_shard_and_initialize_errors_name_the_argument(monkeypatch):
    with pytest.raises(ValueError, match="global_batch_size=0"):
        torch_ddp.shard(np.zeros((8, 2)), 0)
    with pytest.raises(ValueError, match="global_batch_size=16"):
        torch_ddp.shard(np.zeros((8, 2)), 16)
    monkeypatch.delenv("MASTER_PORT", raising=False)
    with pytest.raises(ValueError, match="MASTER_PORT"):
        torch_ddp.initialize()


@pytest.mark.skipif(
    keras.backend.backend() == "torch", reason="checks the other backends"
)
def test_other_backends_are_told_to_use_torch():
    with pytest.raises(RuntimeError, match="KERAS_BACKEND=torch"):
        torch_ddp.world_size()


@torch_only
def test_shard_gives_each_process_its_part_of_every_global_batch(monkeypatch):
    x = np.arange(18)
    monkeypatch.setattr(torch_ddp, "world_size", lambda: 2)
    parts = []
    for r in range(2):
        monkeypatch.setattr(torch_ddp, "rank", lambda r=r: r)
        parts.append(torch_ddp.shard((x, -x), 8))
    np.testing.assert_array_equal(parts[0][0], [0, 1, 2, 3, 8, 9, 10, 11])
    np.testing.assert_array_equal(parts[1][0], [4, 5, 6, 7, 12, 13, 14, 15])
    np.testing.assert_array_equal(parts[1][1], -parts[1][0])
