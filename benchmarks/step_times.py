"""Training-step time of every family at 28x28, per backend.

The regression table of issue "speed at real sizes": each case is a
registry configuration (`"fashion_mnist"` where the family has one) or a
keras.io-style user network (`keras_io_networks.py`), trained with plain
`compile()` (the family's defaults: XLA on JAX and TensorFlow, eager on
torch) and `fit` on random data of the configuration's shape and range.

Measured as CPU time per step of a process pinned to one core with one
thread per library (`--core`): on a shared machine the CPU time of a pinned
process depends far less on the neighbours than its wall time does (it
still grows with cache and memory-bandwidth contention). `fit` runs a
warm-up epoch (compilation), then `--repeats` epochs of `--steps` steps;
the median epoch is reported per step. The cost of keras_gen's host-side
data check of one batch (what `fit` runs per batch on a stream) is
measured beside it.

One case on one backend per process:

    KERAS_BACKEND=jax python benchmarks/step_times.py --case vae

The whole table, case by case with the backends interleaved (so that the
backends of one case run minutes apart, under the same load), written to
`benchmarks/step_times.json` and printed as Markdown:

    python benchmarks/step_times.py --all
    python benchmarks/step_times.py --all --quick      # tiny steps: validates the script
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# This checkout's keras_gen first (not an installed copy), then the helpers.
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

# name: (description, registry family, configuration, user networks or None)
CASES = {
    "vae": ("VAE, default networks", "vae", "fashion_mnist", None),
    "vae_keras_io": ("VAE, keras.io networks (Conv2DTranspose)", "vae", "fashion_mnist", "vae"),
    "autoencoder": ("AutoEncoder, default networks", "autoencoder", "fashion_mnist", None),
    "aae": ("AAE, default networks", "aae", "fashion_mnist", None),
    "gan": ("conditional DCGAN, default networks", "gan", "fashion_mnist", None),
    "gan_keras_io": ("GAN, keras.io DCGAN networks (Conv2DTranspose)", "gan", "fashion_mnist", "dcgan"),
    "wgan_gp": ("WGAN-GP, default networks", "wgan_gp", "fashion_mnist", None),
    "wgan_gp_keras_io": ("WGAN-GP, keras.io networks, n_critic 3", "wgan_gp", "fashion_mnist", "wgan_gp"),
    "real_nvp": ("RealNVP, multi-scale, 2 scales, width 32", "real_nvp", "fashion_mnist", None),
    "real_nvp_toy": ("RealNVP, 2-D toy, 8 couplings 2x128", "real_nvp", "toy", None),
    "cyclegan": ("CycleGAN, width 16, 3 blocks", "cyclegan", "fashion_mnist", None),
    "ddpm": ("DDPM, conditional U-Net width 32", "ddpm", "fashion_mnist", None),
    "stylegan2": ("StyleGAN2, 16x16 (digits), channel_max 64", "stylegan2", "digits", None),
    "latent_diffusion": ("latent diffusion on the Fashion-MNIST VAE", "latent_diffusion", "digits", "ldm"),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", choices=sorted(CASES), help="one case, on KERAS_BACKEND")
    parser.add_argument("--all", action="store_true", help="every case on every backend, interleaved")
    parser.add_argument("--cases", nargs="+", default=None, choices=sorted(CASES))
    parser.add_argument("--backends", nargs="+", default=["jax", "tensorflow", "torch"])
    parser.add_argument("--steps", type=int, default=3, help="steps per timed epoch")
    parser.add_argument("--repeats", type=int, default=5, help="timed epochs (median)")
    parser.add_argument("--core", type=int, default=0, help="CPU core to pin to (-1: no pinning, library threads)")
    parser.add_argument("--quick", action="store_true", help="1 step, 1 repeat, batch 8: validation only")
    parser.add_argument("--out", default=os.path.join(HERE, "step_times.json"))
    parser.add_argument("--timeout", type=int, default=1500)
    return parser.parse_args(argv)


def single_thread_env():
    """One thread per library (XLA, Eigen, OpenMP, TensorFlow's pools)."""
    return {
        "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
        "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
        "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
    }


# ---------------------------------------------------------------------------
# one case, in this process
# ---------------------------------------------------------------------------


def build_case(name, quick=False):
    """`(model, x, y, batch_size)` of a case, compiled with the defaults."""
    import keras

    import keras_io_networks as kio
    from keras_gen.models import registry

    _, family_name, configuration, networks = CASES[name]
    family = registry.get(family_name)
    overrides = {"seed": 0}
    batch_size = family.configuration(configuration).batch_size
    if networks == "vae":
        overrides.update(encoder=kio.vae_encoder(16), decoder=kio.vae_decoder(16), latent_dim=16)
    elif networks == "dcgan":
        overrides.update(generator=kio.dcgan_generator(128), discriminator=kio.dcgan_discriminator(),
                         latent_dim=128, num_classes=None)
        batch_size = 64
    elif networks == "wgan_gp":
        overrides.update(generator=kio.wgan_gp_generator(128), discriminator=kio.wgan_gp_critic(),
                         latent_dim=128, n_critic=3)
        batch_size = 128
    elif networks == "ldm":
        overrides.update(autoencoder=registry.Nested("vae", "fashion_mnist"))
    if networks is not None and networks != "ldm":
        for key in ("hidden_units", "filters", "generator_filters", "discriminator_filters"):
            overrides.pop(key, None)
    model = family.build(configuration, **overrides)
    family.compile(model, configuration)
    if quick:
        batch_size = min(batch_size, 8)
    x, y = family.sample_data(model, batch_size * 4, seed=0)
    keras.utils.set_random_seed(0)
    return model, x, y, batch_size


class _Timer:
    def __init__(self):
        self.cpu, self.wall = [], []

    def __call__(self):
        import keras

        timer = self

        class Callback(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self._cpu, self._wall = time.process_time(), time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                timer.cpu.append(time.process_time() - self._cpu)
                timer.wall.append(time.perf_counter() - self._wall)

        return Callback()


def _resize(a, n):
    import numpy as np

    return np.resize(a, (n,) + a.shape[1:])


def measure_case(name, steps, repeats, quick=False):
    import keras
    import numpy as np

    backend = keras.backend.backend()
    if backend == "torch":
        import torch

        if os.environ.get("OMP_NUM_THREADS") == "1":
            torch.set_num_threads(1)
    start = time.perf_counter()
    model, x, y, batch_size = build_case(name, quick)
    build_s = time.perf_counter() - start
    n = steps * batch_size
    x = tuple(_resize(a, n) for a in x) if isinstance(x, tuple) else _resize(x, n)
    y = None if y is None else _resize(y, n)
    timer = _Timer()
    model.fit(x, y, batch_size=batch_size, epochs=1 + repeats, shuffle=False, verbose=0, callbacks=[timer()])
    cpu = [t / steps for t in timer.cpu[1:]]
    wall = [t / steps for t in timer.wall[1:]]
    # The host-side check `fit` runs on every batch of a stream.
    checker = model.data_checker()
    first = tuple(a[:batch_size] for a in x) if isinstance(x, tuple) else x[:batch_size]
    batch = first if y is None else (first, y[:batch_size])
    if isinstance(first, tuple):
        # CycleGAN's pairs: each domain is checked like a batch of `x`.
        check = lambda: [checker.check_x(a) for a in first]  # noqa: E731
    else:
        check = lambda: checker(batch)  # noqa: E731
    check()
    check_times = []
    for _ in range(20):
        t = time.process_time()
        check()
        check_times.append(time.process_time() - t)
    return {
        "case": name, "backend": backend, "batch_size": batch_size, "steps": steps, "repeats": repeats,
        "step_ms": 1000 * float(np.median(cpu)), "step_ms_all": [round(1000 * t, 1) for t in cpu],
        "wall_step_ms": 1000 * float(np.median(wall)),
        "first_epoch_s": float(timer.wall[0]), "build_s": build_s,
        "data_check_ms": 1000 * float(np.median(check_times)),
        "params": int(model.count_params()),
    }


# ---------------------------------------------------------------------------
# the table: every case, backends interleaved
# ---------------------------------------------------------------------------


def run_table(cases, backends, steps, repeats, core=0, quick=False, timeout=1500, log=print):
    """Runs each case on each backend in its own pinned process, case by
    case (the backends of a case one after the other). Returns the rows."""
    import bench_utils

    env = single_thread_env() if core is not None and core >= 0 else {}
    rows = []
    for name in cases:
        for backend in backends:
            args = ["--case", name, "--steps", steps, "--repeats", repeats, "--core", core]
            if quick:
                args.append("--quick")
            t = time.time()
            r = bench_utils.run_json("step_times.py", args, backend=backend, timeout=timeout, env=env)
            r.setdefault("case", name)
            r.setdefault("backend", backend)
            r["loadavg_start"] = round(os.getloadavg()[0], 2)
            rows.append(r)
            log(f"[{time.time() - t:5.0f} s] {name}/{backend}: "
                + (r["error"] if "error" in r else f"{r['step_ms']:.1f} ms/step (cpu), check {r['data_check_ms']:.2f} ms"))
    return rows


def markdown(rows, backends):
    """The per-case table: CPU ms per step per backend, the slowest/fastest
    ratio, and the data check's cost."""
    import bench_utils

    by_case = {}
    for r in rows:
        by_case.setdefault(r["case"], {})[r["backend"]] = r
    header = ["case", "batch"] + [f"{b} ms/step" for b in backends] + ["slowest / fastest", "data check ms/batch"]
    table = []
    for name, per in by_case.items():
        times = {b: per[b].get("step_ms") for b in backends if b in per and "step_ms" in per[b]}
        ratio = max(times.values()) / min(times.values()) if len(times) > 1 else None
        batch = next((r.get("batch_size") for r in per.values() if r.get("batch_size")), None)
        checks = [r["data_check_ms"] for r in per.values() if "data_check_ms" in r]
        cells = [f"{CASES[name][0]} (`{name}`)", batch]
        for b in backends:
            cells.append(times.get(b) if b in times else ("error" if b in per else None))
        cells += [None if ratio is None else f"{ratio:.2f}x", max(checks) if checks else None]
        table.append(cells)
    return bench_utils.markdown_table(header, table)


def main():
    args = parse_args()
    if args.quick:
        args.steps, args.repeats = 1, 1
    if args.all:
        import bench_utils

        cases = args.cases or list(CASES)
        machine = bench_utils.machine_info()
        rows = run_table(cases, args.backends, args.steps, args.repeats, args.core, args.quick, args.timeout)
        result = {"machine": machine, "loadavg_end": [round(x, 2) for x in os.getloadavg()],
                  "steps": args.steps, "repeats": args.repeats, "core": args.core, "quick": args.quick,
                  "rows": rows}
        with open(args.out + ".tmp", "w") as f:
            json.dump(result, f, indent=1)
        os.replace(args.out + ".tmp", args.out)
        print(markdown(rows, args.backends))
        return
    if args.case is None:
        raise SystemExit("pass --case NAME (one case on KERAS_BACKEND) or --all")
    if args.core is not None and args.core >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.core})
        for key, value in single_thread_env().items():
            os.environ.setdefault(key, value)
    import bench_utils

    result = measure_case(args.case, args.steps, args.repeats, args.quick)
    print({k: v for k, v in result.items()}, flush=True)
    bench_utils.emit(result)


if __name__ == "__main__":
    main()
