"""Training throughput (samples/s) of every family's default configuration.

Runs on the backend named by `KERAS_BACKEND` (the runner starts one process
per backend), with `jit_compile` set explicitly: XLA on JAX and TensorFlow,
eager on PyTorch (its `jit_compile` falls back to eager with a warning).
Each family trains with plain `fit` for `1 + repeats` epochs of `--steps`
steps; the first epoch (compilation) is dropped and the median of the rest
is reported.

    KERAS_BACKEND=jax python benchmarks/speed_throughput.py --quick
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_utils  # noqa: E402
import families  # noqa: E402
import keras  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--families", nargs="+", default=list(families.FAMILIES)
    )
    parser.add_argument(
        "--steps", type=int, default=20, help="training steps per timed epoch"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="3 steps per epoch (validation only)",
    )
    return parser.parse_args()


def main():
    args = parse_args()
    if args.quick:
        args.steps = 3
    backend = keras.backend.backend()
    rows = {}
    for name in args.families:
        keras.utils.set_random_seed(0)
        try:
            model, fit_args, batch = families.FAMILIES[name]()
            seconds, times, n = families.time_fit(
                model, fit_args, batch, args.steps, args.repeats
            )
            rows[name] = {
                "samples_per_s": n / seconds,
                "steps_per_s": args.steps / seconds,
                "batch_size": batch,
                "params": int(model.count_params()),
                "jit_compile": families.default_jit_compile(),
                "epoch_seconds": times,
            }
        except Exception as e:  # one broken family must not hide the others
            rows[name] = {"error": f"{type(e).__name__}: {e}"[:300]}
        print(name, rows[name], flush=True)
    bench_utils.emit(
        {
            "backend": backend,
            "steps": args.steps,
            "repeats": args.repeats,
            "families": rows,
        }
    )


if __name__ == "__main__":
    main()
