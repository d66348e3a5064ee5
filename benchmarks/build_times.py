"""Seconds to build a model and to load a preset, on each backend.

What a user waits for before the first step: `from_preset(...)` and a
family's registry `"fashion_mnist"` configuration built from scratch. Each
measurement is a fresh process (so nothing is compiled or imported yet, as
for a user's script), pinned to one thread per library
(`bench_utils.thread_env(1)`). Two times are taken: `import keras_gen`
(which imports the backend), and from there to the built model. The build
includes TensorFlow's import on JAX and torch when TensorFlow is installed
(as here): Keras imports it at the first `get_config` (Keras 3.15,
`serialization_lib.serialize_keras_object` asks `tf.available`), about
1.8 s. The contenders run interleaved: every round runs each job on JAX
with `keras_gen.backend.sized_draws` as shipped, on JAX without it (the
initialisers drawn at their own shapes, as before 2026-12-07), on
TensorFlow and on torch. The median of the rounds is reported.

    taskset -c 0 python benchmarks/build_times.py
    python benchmarks/build_times.py --rounds 1 --jobs preset:vae_fashion_mnist
"""

import argparse
import contextlib
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import bench_utils  # noqa: E402

RESULTS = os.path.join(HERE, "build_times_results.md")
JOBS = (
    "preset:ddpm_fashion_mnist",
    "preset:vae_fashion_mnist",
    "build:ddpm",
    "build:stylegan2",
    "build:real_nvp",
    "build:gan",
)
CONTENDERS = (
    ("jax", True),
    ("jax", False),
    ("tensorflow", True),
    ("torch", True),
)


def child(job, sized_draws):
    start = time.perf_counter()
    import keras_gen

    imported = time.perf_counter() - start
    from keras_gen import backend

    if not sized_draws:
        backend.sized_draws = contextlib.nullcontext
    kind, name = job.split(":")
    start = time.perf_counter()
    if kind == "preset":
        keras_gen.presets.from_preset(name)
    else:
        keras_gen.models.registry.get(name).build("fashion_mnist", seed=0)
    bench_utils.emit(
        {"seconds": time.perf_counter() - start, "import_seconds": imported}
    )


def label(backend, sized_draws):
    return backend if sized_draws else f"{backend}, no sized draws"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", nargs="+", default=list(JOBS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--results", default=RESULTS)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1] == "1")
        return
    before = bench_utils.uptime()
    seconds = {(j, c): [] for j in args.jobs for c in CONTENDERS}
    for _ in range(args.rounds):
        for job in args.jobs:
            for backend, sized in CONTENDERS:
                result = bench_utils.run_json(
                    "build_times.py",
                    ["--child", job, "1" if sized else "0"],
                    backend=backend,
                    env=bench_utils.thread_env(1),
                )
                if "error" in result:
                    raise SystemExit(f"{job} on {backend}: {result['error']}")
                seconds[job, (backend, sized)].append(
                    (result["seconds"], result["import_seconds"])
                )
                print(
                    job,
                    label(backend, sized),
                    f"{result['seconds']:.2f} s (import {result['import_seconds']:.2f} s)",
                )
    header = (
        ["job (seconds: build, import + build)"]
        + [label(*c) for c in CONTENDERS]
        + ["JAX / fastest (build, import + build)"]
    )
    rows = []
    for job in args.jobs:
        build = [
            statistics.median(b for b, _ in seconds[job, c]) for c in CONTENDERS
        ]
        total = [
            statistics.median(b + i for b, i in seconds[job, c])
            for c in CONTENDERS
        ]
        rows.append(
            [job]
            + [f"{b:.2f}, {t:.2f}" for b, t in zip(build, total)]
            + [f"{build[0] / min(build):.1f}x, {total[0] / min(total):.1f}x"]
        )
    table = bench_utils.markdown_table(header, rows)
    print(table)
    text = (
        f"\n## {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, "
        f"{args.rounds} rounds, median seconds\n\n"
        f"`uptime` before: `{before}`; after: `{bench_utils.uptime()}`.\n\n"
        f"{json.dumps(bench_utils.machine_info())}\n\n{table}\n"
    )
    bench_utils.append_results(
        args.results,
        "# Seconds to build a model or load a preset, per backend\n\n"
        "Written by `benchmarks/build_times.py` (method in its docstring).\n",
        text,
    )


if __name__ == "__main__":
    main()
