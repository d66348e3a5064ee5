"""Multi-process data parallelism on the PyTorch backend (`torch.distributed`).

Released Keras (3.15) has no `keras.distribution` for PyTorch, and wrapping
a model in `torch.nn.parallel.DistributedDataParallel` does nothing for a
training step that calls its sub-networks directly. keras_gen instead
averages the gradients over the processes inside its training primitive
(`keras_gen.backend.optimize_step`) whenever a process group is initialised;
single-optimizer models (VAE, DDPM, RealNVP, ...) take the same route then.
A step on `N` processes, each with `B / N` samples, equals one process's
step on the `B` samples (SGD: to float rounding).

This module has the few helpers a launch script needs, e.g. with
`torchrun --nproc_per_node=2 train.py` (or one `torchrun` per host with
`--nnodes`, `--node_rank`, `--master_addr`):

```python
import keras_gen
from keras_gen.distribution import torch_ddp

torch_ddp.initialize()             # reads RANK, WORLD_SIZE, MASTER_ADDR/PORT
model = keras_gen.models.DDPM(data_shape=(8, 8, 1))
model.compile()
torch_ddp.broadcast_weights(model)  # rank 0's weights, per-rank noise
x = keras_gen.datasets.load_digits("train")
model.fit(torch_ddp.shard(x, 64), batch_size=64 // torch_ddp.world_size(),
          shuffle=False, epochs=10, verbose=torch_ddp.rank() == 0)
if torch_ddp.rank() == 0:
    model.save("ddpm.keras")
torch_ddp.shutdown()
```

RealNVP: call `model.initialize(x)` on the whole data before
`broadcast_weights` (its data-dependent actnorm initialisation would
otherwise see one shard).

What differs from one process: BatchNormalization normalises with each
process's own batch statistics, minibatch-standard-deviation features and
CycleGAN's image pool see one shard, and logged losses are those of the
process's own shard.
"""

import os

import numpy as np

# A rank's noise stream starts this far from rank 0's: on PyTorch the seed
# of a draw is `seed + counter`, so streams overlap only after 2**24 draws.
_RANK_SEED_STRIDE = 2**24


def _dist():
    import keras

    if keras.backend.backend() != "torch":
        raise RuntimeError(
            "`keras_gen.distribution.torch_ddp` needs the PyTorch backend "
            "(KERAS_BACKEND=torch). Received: backend="
            f"{keras.backend.backend()!r}"
        )
    import torch.distributed as dist

    return dist


def initialize(backend=None, timeout_seconds=300):
    """Joins the default `torch.distributed` process group.

    Reads the variables `torchrun` sets: `RANK`, `WORLD_SIZE`,
    `MASTER_ADDR` and `MASTER_PORT`. Does nothing if the group exists.

    Args:
        backend: `"gloo"` (CPU) or `"nccl"` (CUDA GPUs); by default `"nccl"`
            when CUDA is available, else `"gloo"`.
        timeout_seconds: how long collectives wait for the other processes.
    """
    import datetime

    import torch

    dist = _dist()
    if dist.is_initialized():
        return
    missing = [
        k
        for k in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
        if k not in os.environ
    ]
    if missing:
        raise ValueError(
            "`torch_ddp.initialize()` reads the process layout from the "
            "environment (launch with `torchrun`). Received: missing "
            f"variables {missing}"
        )
    if backend is None:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend not in ("gloo", "nccl", "mpi"):
        raise ValueError(
            f"`backend` must be 'gloo', 'nccl' or 'mpi'. Received: backend={backend!r}"
        )
    dist.init_process_group(
        backend=backend,
        rank=int(os.environ["RANK"]),
        world_size=int(os.environ["WORLD_SIZE"]),
        timeout=datetime.timedelta(seconds=timeout_seconds),
    )


def shutdown():
    """Leaves the process group (call once training is done)."""
    dist = _dist()
    if dist.is_initialized():
        dist.destroy_process_group()


def rank():
    """This process's rank (0 without a process group)."""
    dist = _dist()
    return dist.get_rank() if dist.is_initialized() else 0


def world_size():
    """Number of processes (1 without a process group)."""
    dist = _dist()
    return dist.get_world_size() if dist.is_initialized() else 1


def shard(x, global_batch_size):
    """This process's part of every global batch of `x`.

    With `fit(shard(x, B), batch_size=B // world_size(), shuffle=False)`,
    step `s` of process `r` sees rows `s * B + r * B / N ... ` of `x`: the
    processes together see the global batches of a one-process
    `fit(x, batch_size=B, shuffle=False)`. Rows after the last whole global
    batch are dropped. Shuffle `x` yourself (the same way on every process)
    between epochs, or use a `torch.utils.data.DistributedSampler`.

    Args:
        x: a NumPy array (or anything indexable along axis 0 that
            `np.asarray` takes), or a tuple/list of them (e.g. `(x, y)`).
        global_batch_size: samples per step over all processes; a multiple
            of `world_size()`.

    Returns:
        The same structure, with this process's rows.
    """
    if isinstance(x, (tuple, list)):
        return type(x)(shard(a, global_batch_size) for a in x)
    n = world_size()
    if (
        not isinstance(global_batch_size, (int, np.integer))
        or global_batch_size <= 0
        or global_batch_size % n
    ):
        raise ValueError(
            f"`global_batch_size` must be a positive multiple of the number of processes ({n}). "
            f"Received: global_batch_size={global_batch_size!r}"
        )
    x = np.asarray(x)
    steps = len(x) // global_batch_size
    if steps == 0:
        raise ValueError(
            f"Fewer samples ({len(x)}) than one global batch. "
            f"Received: global_batch_size={global_batch_size}"
        )
    per_process = global_batch_size // n
    blocks = x[: steps * global_batch_size].reshape(
        (steps, n, per_process) + x.shape[1:]
    )
    return blocks[:, rank()].reshape((steps * per_process,) + x.shape[1:])


def broadcast_weights(model, decorrelate_noise=True):
    """Gives every process rank 0's model and optimizer variables.

    Call it after `compile()` and before `fit`. With `decorrelate_noise`,
    each process's seed generators then move to a stream of their own, so
    the processes do not draw the same noise for their shards (a GAN's
    latent vectors, a diffusion model's timesteps).

    Args:
        model: a keras_gen model (any `keras.Model`).
        decorrelate_noise: offset the seed generators' states by the rank.
    """
    import keras
    import torch

    dist = _dist()
    if not dist.is_initialized():
        return
    variables = list(model.variables)
    if getattr(model, "optimizer", None) is not None:
        variables += list(model.optimizer.variables)
    seen = set()
    with torch.no_grad():
        for v in variables:
            if id(v) in seen:
                continue
            seen.add(id(v))
            value = v.value.detach().clone()
            dist.broadcast(value, src=0)
            v.assign(value)
    if decorrelate_noise:
        offset = np.array([rank() * _RANK_SEED_STRIDE, 0])
        for v in model.variables:
            if v.path.endswith("seed_generator_state"):
                v.assign(keras.ops.convert_to_numpy(v) + offset.astype(v.dtype))
