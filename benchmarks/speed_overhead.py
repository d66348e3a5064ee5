"""Overhead of keras_gen's multi-backend step vs a hand-written one.

WGAN-GP on the 8x8 digits (batch 64, n_critic 5) trained by
`keras_gen.models.WGANGP` and by the single-backend step a Keras user would
write by hand (`handwritten_wgan_gp.py`: TensorFlow `GradientTape` as in
keras.io's wgan_gp.py; torch autograd as in the keras.io torch guide), with
the same network architectures. Both train with `fit`, interleaved epoch by
epoch (the shared cores drift; docs/design.md section 7), with the same
`jit_compile`. Target: keras_gen within 5 % of the hand-written step.

    KERAS_BACKEND=tensorflow python benchmarks/speed_overhead.py --quick
    KERAS_BACKEND=torch python benchmarks/speed_overhead.py --quick
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_utils  # noqa: E402
import families  # noqa: E402
import handwritten_wgan_gp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--steps", type=int, default=20, help="training steps per timed epoch"
    )
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--quick", action="store_true")
    return parser.parse_args()


def main():
    args = parse_args()
    if args.quick:
        args.steps, args.repeats = 3, 5
    backend = keras.backend.backend()
    if backend == "jax":
        bench_utils.emit(
            {
                "backend": backend,
                "skipped": "the hand-written baselines are TensorFlow and torch steps",
            }
        )
        return
    keras.utils.set_random_seed(0)
    ours, fit_args, _ = families.build_wgan_gp()
    jit = families.default_jit_compile()
    cls = (
        handwritten_wgan_gp.TFWGANGP
        if backend == "tensorflow"
        else handwritten_wgan_gp.TorchWGANGP
    )
    theirs = cls(
        keras.models.clone_model(ours.generator),
        keras.models.clone_model(ours.discriminator),
        latent_dim=ours.latent_dim,
        n_critic=ours.n_critic,
    )
    theirs.compile(jit_compile=jit)
    n = args.steps * args.batch_size
    x = np.resize(fit_args[0], (n,) + fit_args[0].shape[1:])
    contenders = {"keras_gen": ours, "hand-written": theirs}
    times = {name: [] for name in contenders}
    for i in range(args.repeats + 1):  # the first round is the warm-up
        for name, model in contenders.items():
            start = time.perf_counter()
            model.fit(
                x,
                epochs=1,
                batch_size=args.batch_size,
                verbose=0,
                shuffle=False,
            )
            if i:
                times[name].append(time.perf_counter() - start)
    result = {
        "backend": backend,
        "jit_compile": jit,
        "steps": args.steps,
        "batch_size": args.batch_size,
        "repeats": args.repeats,
        "params": {
            "generator": int(ours.generator.count_params()),
            "critic": int(ours.discriminator.count_params()),
        },
    }
    for name, t in times.items():
        result[name] = {
            "samples_per_s": n / float(np.median(t)),
            "epoch_seconds": t,
        }
    result["overhead"] = (
        result["hand-written"]["samples_per_s"]
        / result["keras_gen"]["samples_per_s"]
        - 1.0
    )
    print(result, flush=True)
    bench_utils.emit(result)


if __name__ == "__main__":
    main()
