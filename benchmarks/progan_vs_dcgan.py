"""Progressive GAN against DCGAN at the same CPU budget on 16x16 digits
(issue 20).

One model per process, one thread on one core. Both train on the 1,000
train digits resized to 16x16 (`load_digits("train", image_size=16)`, in
[0, 1]) until `--budget-cpu-s` seconds of process CPU time
(`time.process_time`, from just before the first step, so the compilation
counts) are spent. Then 1,000 samples (`generate(1000, seed=0)`, the EMA
generator where the model has one) are scored by the classifier Fréchet
distance on the shipped digits classifier's 64 features (it area-averages
16x16 images to its own 8x8), against the 797 held-out digits (val + test
splits at 16x16). The real-data floor beside it: the 1,000 train digits in
place of the samples, against the same held-out digits.

    KERAS_BACKEND=tensorflow python benchmarks/progan_vs_dcgan.py --model progan --budget-cpu-s 600
    KERAS_BACKEND=tensorflow python benchmarks/progan_vs_dcgan.py --model dcgan --budget-cpu-s 600

ProGAN: the registry's "digits" configuration (4 -> 8 -> 16, channel_max
64) with `--stable-images` / `--fade-images` sized so that the whole
schedule fits in about two thirds of the budget. DCGAN: the registry's
"digits" configuration (the gan_digits preset: transposed convolutions,
EMA 0.99, latent 32) at 16x16. Results: `progan_ssaae_results.md`.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_utils  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=("progan", "dcgan"), required=True)
    parser.add_argument("--budget-cpu-s", type=float, default=600.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--stable-images", type=int, default=20_000)
    parser.add_argument("--fade-images", type=int, default=20_000)
    parser.add_argument("--num-samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def heldout_digits(image_size):
    """The val and test splits (797 digits) at `image_size`."""
    import numpy as np

    import keras_gen

    return np.concatenate(
        [
            keras_gen.datasets.load_digits(split, image_size=image_size)
            for split in ("val", "test")
        ]
    )


def classifier_fd(samples, heldout):
    from keras_gen.metrics import evaluate

    return evaluate(
        None,
        heldout,
        ("classifier_frechet_distance",),
        samples=samples,
        value_range=(0.0, 1.0),
        classifier="digits",
    )["classifier_frechet_distance"]


def build(args):
    from keras_gen.models import registry

    if args.model == "progan":
        return registry.get("progan").build(
            "digits",
            stable_images=args.stable_images,
            fade_images=args.fade_images,
            seed=args.seed,
        )
    return registry.get("gan").build(
        "digits", data_shape=(16, 16, 1), seed=args.seed
    )


def main():
    args = parse_args()
    bench_utils.pin_one_thread()
    import keras
    import numpy as np

    import keras_gen

    keras.utils.set_random_seed(args.seed)
    x = keras_gen.datasets.load_digits("train", image_size=16)
    heldout = heldout_digits(16)
    model = build(args)
    model.compile()
    budget = bench_utils.Budget(args.budget_cpu_s)
    model.fit(
        x,
        epochs=100_000,
        batch_size=args.batch_size,
        verbose=0,
        callbacks=[bench_utils.stop_at_budget(budget)],
    )
    record = budget.record()
    start = time.process_time()
    samples = np.asarray(model.generate(args.num_samples, seed=0))
    result = dict(
        model=args.model,
        backend=keras.backend.backend(),
        seed=args.seed,
        budget_cpu_s=args.budget_cpu_s,
        batch_size=args.batch_size,
        images_seen=record["steps"] * args.batch_size,
        params=int(
            sum(np.prod(v.shape) for v in model.generator.trainable_variables)
        ),
        fd=round(classifier_fd(samples, heldout), 3),
        floor=round(classifier_fd(x[: args.num_samples], heldout), 3),
        sample_cpu_s=round(time.process_time() - start, 1),
        **record,
    )
    if args.model == "progan":
        result.update(
            stable_images=args.stable_images,
            fade_images=args.fade_images,
            schedule_images=model.schedule_images,
            growth=model.growth,
            resolution=model.current_resolution,
        )
    print(
        f"{args.model} ({result['backend']}, seed {args.seed}): "
        f"{record['steps']} steps in {record['train_cpu_s']} s CPU; "
        f"classifier FD {result['fd']} (real-data floor {result['floor']})"
    )
    bench_utils.emit(result)


if __name__ == "__main__":
    main()
