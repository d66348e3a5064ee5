"""How cost grows: DDPM training and sampling time, and peak memory.

On the backend named by `KERAS_BACKEND`, with the DDPM family's default
configuration (`families.build_ddpm`, U-Net width 32):

- `--sweep time`: seconds per training epoch against dataset size, batch
  size and image resolution (8, 16, 32: the digits resized), and DDIM
  sampling seconds against the number of steps. Medians of `--repeats`
  after a warm-up.
- `--sweep memory --batch-size B`: peak resident memory (VmHWM) of a fresh
  process after `--steps` training steps at batch B, and its increase over
  the memory held once the model is built. The runner starts one process
  per batch size, because the peak of a process never goes down.

    KERAS_BACKEND=jax python benchmarks/scaling.py --sweep time --quick
    KERAS_BACKEND=jax python benchmarks/scaling.py --sweep memory --batch-size 64
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_utils  # noqa: E402
import families  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sweep", choices=("time", "memory"), default="time")
    parser.add_argument(
        "--dataset-sizes", type=int, nargs="+", default=[256, 512, 1024, 2048]
    )
    parser.add_argument(
        "--batch-sizes", type=int, nargs="+", default=[16, 32, 64, 128]
    )
    parser.add_argument(
        "--resolutions", type=int, nargs="+", default=[8, 16, 32]
    )
    parser.add_argument(
        "--sample-steps", type=int, nargs="+", default=[10, 25, 50, 100]
    )
    parser.add_argument(
        "--base-size",
        type=int,
        default=512,
        help="dataset size of the batch/resolution sweeps",
    )
    parser.add_argument("--base-batch", type=int, default=64)
    parser.add_argument("--sample-batch", type=int, default=16)
    parser.add_argument(
        "--batch-size", type=int, default=64, help="batch of the memory run"
    )
    parser.add_argument(
        "--steps", type=int, default=5, help="steps of the memory run"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    return parser.parse_args()


def epoch_seconds(n, batch_size, image_size, repeats):
    keras.utils.set_random_seed(0)
    model, (x,), _ = families.build_ddpm(
        n=n, batch_size=batch_size, image_size=image_size
    )
    timer = families.EpochTimer()
    model.fit(
        x,
        epochs=1 + repeats,
        batch_size=batch_size,
        verbose=0,
        shuffle=False,
        callbacks=[timer],
    )
    return float(np.median(timer.times[1:])), model


def time_sweep(args):
    out = {
        "dataset_size": {},
        "batch_size": {},
        "resolution": {},
        "sampling_steps": {},
    }
    for n in args.dataset_sizes:
        out["dataset_size"][n], _ = epoch_seconds(
            n, args.base_batch, 8, args.repeats
        )
    for b in args.batch_sizes:
        out["batch_size"][b], _ = epoch_seconds(
            args.base_size, b, 8, args.repeats
        )
    for r in args.resolutions:
        out["resolution"][r], _ = epoch_seconds(
            args.base_size, args.base_batch, r, args.repeats
        )
    # Sampling cost does not depend on the weights: an untrained model will do.
    model, _, _ = families.build_ddpm()
    b = args.sample_batch
    for steps in args.sample_steps:
        out["sampling_steps"][steps], _ = bench_utils.median_time(
            lambda: model.generate(
                b, scheduler="ddim", num_steps=steps, seed=0, batch_size=b
            ),
            args.repeats,
        )
    return out


def memory_run(args):
    keras.utils.set_random_seed(0)
    model, (x,), _ = families.build_ddpm(
        n=args.batch_size * args.steps, batch_size=args.batch_size
    )
    before = bench_utils.rss_mb()
    start = time.perf_counter()
    model.fit(x, epochs=1, batch_size=args.batch_size, verbose=0, shuffle=False)
    return {
        "batch_size": args.batch_size,
        "peak_rss_mb": bench_utils.peak_rss_mb(),
        "rss_before_fit_mb": before,
        "peak_increase_mb": bench_utils.peak_rss_mb() - before,
        "fit_seconds": time.perf_counter() - start,
    }


def main():
    args = parse_args()
    if args.quick:
        args.dataset_sizes, args.batch_sizes = [64, 128], [16, 32]
        args.resolutions, args.sample_steps = [8, 16], [5, 10]
        args.base_size, args.base_batch, args.sample_batch, args.repeats = (
            64,
            32,
            4,
            2,
        )
        args.steps = 2
    backend = keras.backend.backend()
    result = {
        "backend": backend,
        "jit_compile": families.default_jit_compile(),
        "sweep": args.sweep,
        "config": families.DESCRIPTIONS["ddpm"],
        "repeats": args.repeats,
        "base_size": args.base_size,
        "base_batch": args.base_batch,
        "sample_batch": args.sample_batch,
    }
    result.update(
        time_sweep(args) if args.sweep == "time" else memory_run(args)
    )
    print(result, flush=True)
    bench_utils.emit(result)


if __name__ == "__main__":
    main()
