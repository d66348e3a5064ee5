"""Training-step time at 28x28, batch 64: transposed convolutions against
`keras_gen.layers.UpsampleConv2D`, per backend.

Contenders, in pairs (the same model with each upsampling):

- `vae`: VAE, default networks (Fashion-MNIST configuration, 16-D latent),
  `upsampling="transposed"` vs `"resize_conv"`.
- `gan`: unconditional DCGAN, default networks, the same two.
- `cgan`: class-conditional DCGAN (the `"fashion_mnist"` configuration:
  projection discriminator, EMA generator), the same two.
- `dcgan_keras_io`: keras.io's DCGAN networks (`keras_io_networks.py`), its
  stride-2 `Conv2DTranspose` vs the same network with `UpsampleConv2D`.

Each backend runs in its own process, capped at 2 threads: affinity to 2
cores (XLA's CPU thread pool on JAX and TensorFlow sizes itself to the
affinity), `OMP/MKL/OPENBLAS_NUM_THREADS=2`, TensorFlow's intra-op pool 2
and inter-op pool 1 (`tf.config.threading`), `torch.set_num_threads(2)`,
`torch.set_num_interop_threads(1)`. Every model is built and compiled with
the family's defaults (`compile()`: XLA on JAX and TensorFlow, eager on
torch), then runs `--warmup` untimed steps (compilation). The timed steps
are `train_on_batch` calls (it returns NumPy logs, so each step is waited
for), in `--rounds` rounds; in each round every pair runs `--steps` steps
of one contender then of the other, the order alternating between rounds,
so that both contenders of a pair see the same load. The median step is
reported, in wall time and in process CPU time (both threads).

    python benchmarks/step_times.py                    # every backend (17 min at load 20 on 2 cores)
    python benchmarks/step_times.py --quick            # validates the script
    KERAS_BACKEND=jax python benchmarks/step_times.py --one   # this backend only

Writes `benchmarks/step_times.json` and prints the Markdown table of
`benchmarks/step_times_results.md`.
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# This checkout's keras_gen first (not an installed copy), then the helpers.
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

THREADS = 2
BATCH = 64

# pair: (description, (contender, upsampling), (contender, upsampling))
PAIRS = {
    "vae": (
        "VAE, default networks",
        ("transposed", "transposed"),
        ("resize_conv", "resize_conv"),
    ),
    "gan": (
        "GAN (DCGAN), default networks",
        ("transposed", "transposed"),
        ("resize_conv", "resize_conv"),
    ),
    "cgan": (
        "conditional GAN (projection, EMA), default networks",
        ("transposed", "transposed"),
        ("resize_conv", "resize_conv"),
    ),
    "dcgan_keras_io": (
        "GAN, keras.io DCGAN networks",
        ("Conv2DTranspose", "transposed"),
        ("UpsampleConv2D", "resize_conv"),
    ),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--one", action="store_true", help="this process's KERAS_BACKEND only"
    )
    parser.add_argument(
        "--backends", nargs="+", default=["jax", "tensorflow", "torch"]
    )
    parser.add_argument(
        "--pairs", nargs="+", default=list(PAIRS), choices=list(PAIRS)
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=2,
        help="untimed steps per model (compilation)",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of timed steps"
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=1,
        help="timed steps per contender per round",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 round of 1 step: validates the script",
    )
    parser.add_argument("--out", default=os.path.join(HERE, "step_times.json"))
    parser.add_argument(
        "--timeout", type=int, default=600, help="seconds per backend"
    )
    return parser.parse_args(argv)


def cap_threads():
    """2 threads for every library of this process (call before importing them)."""
    import bench_utils

    if hasattr(os, "sched_setaffinity"):
        cores = sorted(os.sched_getaffinity(0))[:THREADS]
        os.sched_setaffinity(0, set(cores))
    for key, value in bench_utils.thread_env(THREADS).items():
        os.environ[key] = value
    backend = os.environ.get("KERAS_BACKEND", "jax")
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(THREADS)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    elif backend == "torch":
        import torch

        torch.set_num_threads(THREADS)
        torch.set_num_interop_threads(1)


# ---------------------------------------------------------------------------
# one backend, in this process
# ---------------------------------------------------------------------------


def build(pair, upsampling):
    """`(model, x, y)`: a compiled model and one batch of its data."""
    import keras
    import keras_io_networks as kio
    import numpy as np

    from keras_gen.models import registry

    if pair == "vae":
        family, configuration = registry.get("vae"), "fashion_mnist"
        model = family.build(configuration, upsampling=upsampling, seed=0)
    elif pair == "gan":
        family, configuration = registry.get("gan"), "fashion_mnist"
        model = family.build(
            configuration, num_classes=None, upsampling=upsampling, seed=0
        )
    elif pair == "cgan":
        family, configuration = registry.get("gan"), "fashion_mnist"
        model = family.build(configuration, upsampling=upsampling, seed=0)
    else:
        family, configuration = registry.get("gan"), "fashion_mnist"
        model = keras_gen_gan(
            generator=kio.dcgan_generator(128, upsampling=upsampling),
            discriminator=kio.dcgan_discriminator(),
            latent_dim=128,
            value_range=(0.0, 1.0),
            seed=0,
        )
    family.compile(model, configuration)
    x, y = family.sample_data(model, BATCH, seed=0)
    keras.utils.set_random_seed(0)
    assert np.asarray(x).shape == (BATCH, 28, 28, 1)
    # Backend tensors: torch's `train_on_batch` converts only part of a
    # `(x, labels)` batch itself.
    x = keras.ops.convert_to_tensor(x)
    y = None if y is None else keras.ops.convert_to_tensor(y)
    return model, x, y


def keras_gen_gan(**kwargs):
    from keras_gen.models import GAN

    return GAN(**kwargs)


def timed_steps(model, x, y, steps):
    wall, cpu = [], []
    for _ in range(steps):
        w, c = time.perf_counter(), time.process_time()
        model.train_on_batch(x, y)  # NumPy logs: waits for the step
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return wall, cpu


def measure_backend(pairs, warmup, rounds, steps, log=print):
    import keras
    import numpy as np

    backend = keras.backend.backend()
    models = {}
    for pair in pairs:
        for label, upsampling in PAIRS[pair][1:]:
            start = time.perf_counter()
            model, x, y = build(pair, upsampling)
            for _ in range(warmup):
                model.train_on_batch(x, y)
            models[pair, label] = (model, x, y)
            log(
                f"{backend} {pair}/{label}: built, compiled, {warmup} warm-up steps in "
                f"{time.perf_counter() - start:.1f} s"
            )
    times = {key: ([], []) for key in models}
    for r in range(rounds):
        for pair in pairs:
            labels = [label for label, _ in PAIRS[pair][1:]]
            if r % 2:
                labels.reverse()
            for label in labels:
                model, x, y = models[pair, label]
                wall, cpu = timed_steps(model, x, y, steps)
                times[pair, label][0].extend(wall)
                times[pair, label][1].extend(cpu)
    rows = []
    for (pair, label), (wall, cpu) in times.items():
        model = models[pair, label][0]
        rows.append(
            {
                "backend": backend,
                "pair": pair,
                "contender": label,
                "step_ms": 1000 * float(np.median(wall)),
                "cpu_step_ms": 1000 * float(np.median(cpu)),
                "step_ms_all": [round(1000 * t, 1) for t in wall],
                "params": int(model.count_params()),
            }
        )
        log(
            f"{backend} {pair}/{label}: {rows[-1]['step_ms']:.1f} ms/step (wall), "
            f"{rows[-1]['cpu_step_ms']:.1f} ms/step (cpu)"
        )
    return rows


# ---------------------------------------------------------------------------
# every backend, one process each
# ---------------------------------------------------------------------------


def uptime():
    try:
        return subprocess.run(
            ["uptime"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def markdown(rows, backends, pairs):
    import bench_utils

    header = (
        ["model", "contender"]
        + [f"{b} ms/step" for b in backends]
        + ["slowest / fastest backend"]
    )
    table = []
    per = {
        (r["pair"], r["contender"], r["backend"]): r["step_ms"]
        for r in rows
        if "step_ms" in r
    }
    for pair in pairs:
        for label, _ in PAIRS[pair][1:]:
            times = [per.get((pair, label, b)) for b in backends]
            known = [t for t in times if t]
            ratio = (
                f"{max(known) / min(known):.1f}x" if len(known) > 1 else None
            )
            table.append([PAIRS[pair][0], f"`{label}`"] + times + [ratio])
    return bench_utils.markdown_table(header, table)


def speedups(rows, backends, pairs):
    """Per backend and pair: first contender's time / second's."""
    import bench_utils

    per = {
        (r["pair"], r["contender"], r["backend"]): r["step_ms"]
        for r in rows
        if "step_ms" in r
    }
    table = []
    for pair in pairs:
        (a, _), (b, _) = PAIRS[pair][1:]
        cells = []
        for backend in backends:
            ta, tb = per.get((pair, a, backend)), per.get((pair, b, backend))
            cells.append(f"{ta / tb:.2f}x" if ta and tb else None)
        table.append([PAIRS[pair][0], f"`{a}` / `{b}`"] + cells)
    return bench_utils.markdown_table(
        ["model", "ratio"] + list(backends), table
    )


def main():
    args = parse_args()
    if args.quick:
        args.warmup, args.rounds, args.steps = 1, 1, 1
    if args.one:
        cap_threads()
        import bench_utils

        rows = measure_backend(
            args.pairs,
            args.warmup,
            args.rounds,
            args.steps,
            log=lambda m: print(m, file=sys.stderr, flush=True),
        )
        bench_utils.emit({"rows": rows})
        return

    import bench_utils

    machine = bench_utils.machine_info()
    result = {
        "machine": machine,
        "threads": THREADS,
        "batch_size": BATCH,
        "warmup": args.warmup,
        "rounds": args.rounds,
        "steps": args.steps,
        "quick": args.quick,
        "backends": {},
        "rows": [],
    }
    start = time.time()
    for backend in args.backends:
        before = uptime()
        t = time.time()
        child = [
            f"--{k}={v}"
            for k, v in (
                ("warmup", args.warmup),
                ("rounds", args.rounds),
                ("steps", args.steps),
            )
        ]
        r = bench_utils.run_json(
            "step_times.py",
            ["--one", "--pairs", *args.pairs, *child],
            backend=backend,
            timeout=args.timeout,
        )
        after = uptime()
        result["backends"][backend] = {
            "uptime_before": before,
            "uptime_after": after,
            "wall_s": round(time.time() - t, 1),
            "error": r.get("error"),
        }
        result["rows"].extend(r.get("rows", []))
        print(
            f"[{time.time() - t:4.0f} s] {backend}: "
            + (r["error"] if "error" in r else "done"),
            flush=True,
        )
        print(f"    before: {before}\n    after:  {after}", flush=True)
    result["total_s"] = round(time.time() - start, 1)
    with open(args.out + ".tmp", "w") as f:
        json.dump(result, f, indent=1)
    os.replace(args.out + ".tmp", args.out)
    print(markdown(result["rows"], args.backends, args.pairs))
    print()
    print(speedups(result["rows"], args.backends, args.pairs))
    print(f"\ntotal {result['total_s']:.0f} s")


if __name__ == "__main__":
    main()
