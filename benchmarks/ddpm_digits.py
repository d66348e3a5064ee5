"""DDPM on the embedded digits: sample quality and sampling speed.

    KERAS_BACKEND=jax python examples/ddpm.py --out ddpm_out     # trains, saves ddpm_out/ddpm.keras
    KERAS_BACKEND=jax python benchmarks/ddpm_digits.py --model ddpm_out/ddpm.keras

Quality: the classifier Fréchet distance (features of the digits classifier
shipped with keras_gen, never called FID) of 1,000 DDIM-50 and DDPM-1000
samples to the test split (447 digits neither the classifier nor the model
saw), next to the floor (the real train split against the test split). Target: DDIM-50 within 2x of the floor.

Speed: samples/s of DDIM-50 and DDPM-1000 through `generate` (one compiled
loop), and of the same DDIM-50 chain run as a Python loop of per-step calls
(the network and the scheduler step called eagerly). Target on JAX: the
compiled loop at least 5x faster. Medians of `--repeats` timed runs after a
warm-up. The model is a `.keras` file, so the same weights are timed on
every backend. Results are appended to `benchmarks/ddpm_results.md`.
"""

import argparse
import datetime
import os
import platform
import time

import keras
import numpy as np
from keras import ops

import keras_gen

RESULTS = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "ddpm_results.md"
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--model",
        required=True,
        help="a DDPM .keras file (examples/ddpm.py writes one)",
    )
    parser.add_argument("--num-samples", type=int, default=1000)
    parser.add_argument("--speed-batch", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument(
        "--loop-batches",
        type=int,
        nargs="*",
        default=[],
        help="also time DDIM-50 compiled vs Python loop at these batch sizes",
    )
    parser.add_argument("--no-write", action="store_true")
    return parser.parse_args()


def median_time(fn, repeats):
    fn()  # warm-up (compilation)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def python_loop_ddim(model, n, num_steps, seed):
    """The DDIM chain as a Python loop of eager calls (no compiled loop)."""
    scheduler = keras_gen.schedulers.DDIMScheduler(
        **{
            k: v
            for k, v in model.scheduler.get_config().items()
            if k not in ("variance_type", "eta")
        }
    )
    generator = keras.random.SeedGenerator(seed)
    x = keras.random.normal((n,) + model.data_shape, seed=generator)
    labels = (
        None
        if model.num_classes is None
        else ops.convert_to_tensor(np.arange(n) % model.num_classes, "int32")
    )
    for t in scheduler.set_timesteps(num_steps):
        t_batch = ops.full((n,), int(t), dtype="int32")
        inputs = [x, t_batch] if labels is None else [x, t_batch, labels]
        out = model.ema_denoiser(inputs, training=False)
        x = scheduler.step(out, int(t), x, ops.zeros_like(x))
    return ops.convert_to_numpy(x)


def main():
    args = parse_args()
    model = keras.models.load_model(args.model)
    backend = keras.backend.backend()
    labels = (
        lambda n: None
        if model.num_classes is None
        else np.arange(n) % model.num_classes
    )  # noqa: E731
    # ## Speed
    n = args.speed_batch
    ddim = median_time(
        lambda: model.generate(
            n,
            scheduler="ddim",
            num_steps=50,
            labels=labels(n),
            seed=0,
            batch_size=n,
        ),
        args.repeats,
    )
    ddpm = median_time(
        lambda: model.generate(
            n,
            scheduler="ddpm",
            num_steps=1000,
            labels=labels(n),
            seed=0,
            batch_size=n,
        ),
        max(1, args.repeats // 2),
    )
    loop = median_time(lambda: python_loop_ddim(model, n, 50, 0), args.repeats)
    speed = f"| {backend} | {n / ddim:.1f} | {n / ddpm:.2f} | {n / loop:.1f} | {loop / ddim:.1f}x |"
    print(
        "backend | DDIM-50 samples/s | DDPM-1000 samples/s | DDIM-50 Python loop samples/s | compiled speed-up"
    )
    print(speed)

    # The speed-up against batch size: the Python loop pays a fixed cost per
    # op per step (dispatch), the compiled loop does not, and both pay the
    # same arithmetic; so the speed-up is largest for small batches.
    by_batch = []
    for b in args.loop_batches:
        compiled = median_time(
            lambda: model.generate(
                b,
                scheduler="ddim",
                num_steps=50,
                labels=labels(b),
                seed=0,
                batch_size=b,
            ),
            args.repeats,
        )
        eager = median_time(
            lambda: python_loop_ddim(model, b, 50, 0), args.repeats
        )
        by_batch.append(
            f"| {backend} | {b} | {b / compiled:.1f} | {b / eager:.1f} | {eager / compiled:.1f}x |"
        )
        print(by_batch[-1])

    # ## Quality
    quality = []
    if not args.skip_quality:
        extractor = keras_gen.metrics.digits_features()
        x_train = keras_gen.datasets.load_digits("train")
        x_test = keras_gen.datasets.load_digits("test")

        def distance(samples):
            metric = keras_gen.metrics.FrechetDistance(
                feature_extractor=extractor
            )
            metric.update_state(real=x_test, generated=samples)
            return float(metric.result())

        floor = distance(x_train)
        quality.append(("real train split (floor)", len(x_train), floor))
        m = args.num_samples
        for name, kwargs in [
            ("DDIM-50", dict(scheduler="ddim", num_steps=50)),
            (
                "DDIM-50, guidance 2",
                dict(scheduler="ddim", num_steps=50, guidance_scale=2.0),
            ),
            ("DDPM-1000", dict(scheduler="ddpm", num_steps=1000)),
        ]:
            if "guidance" in name and model.num_classes is None:
                continue
            samples = model.generate(m, labels=labels(m), seed=1, **kwargs)
            quality.append((name, m, distance(samples)))
        for name, count, value in quality:
            print(
                f"{name:40s} n={count:5d}  classifier Fréchet distance {value:.3f}  ({value / floor:.2f}x floor)"
            )

    if args.no_write:
        return
    stamp = datetime.date.today().isoformat()
    lines = [
        f"\n## {stamp} — backend {backend}, 2-core CPU ({platform.machine()}), keras {keras.__version__}\n",
        f"Model: `{args.model}`; speed batch {n}, median of {args.repeats} runs after a warm-up.\n",
        "| backend | DDIM-50 samples/s | DDPM-1000 samples/s | DDIM-50 as a Python loop, samples/s | compiled loop speed-up |",
        "| --- | --- | --- | --- | --- |",
        speed,
    ]
    if by_batch:
        lines += [
            "",
            "| backend | batch | DDIM-50 compiled, samples/s | DDIM-50 Python loop, samples/s | speed-up |",
            "| --- | --- | --- | --- | --- |",
        ] + by_batch
    if quality:
        lines += [
            "",
            "| samples | n | classifier Fréchet distance | x floor |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| {name} | {count} | {value:.3f} | {value / quality[0][2]:.2f} |"
            for name, count, value in quality
        ]
    with open(RESULTS, "a") as f:
        f.write("\n".join(lines) + "\n")
    print(f"appended to {RESULTS}")


if __name__ == "__main__":
    main()
