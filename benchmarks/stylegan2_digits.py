"""StyleGAN2 and DCGAN on the embedded digits, for the same training time.

Both models train on the 1,000 training digits for the same budget of
process CPU time (`--cpu-minutes` each, one after the other; CPU time, not
wall-clock time, so that other jobs on a shared machine do not bias the
comparison: on 2 idle cores it is about half as much wall-clock time), then
draw `--samples` images, which are scored against the 447 test digits:

- the classifier Fréchet distance: FID's formula on the 64 penultimate
  features of the shipped digits CNN (`keras_gen.metrics`), lower is
  better. It is NOT FID. Each model is scored at its own size (StyleGAN2 at
  16x16; DCGAN at `--dcgan-size`, 16 by default so that both models draw
  the same images: the CNN area-resizes 16x16 images to 8x8); the floor is
  the distance of the 1,000 real training digits at that size to the test
  digits;
- `DigitsProbe` (an SVM on 8x8 digits): the share of samples it labels with
  confidence >= 0.9, the classes present and the class entropy.

StyleGAN2 uses `examples/stylegan2.py`'s defaults, with `--augment`
either a DiffAugment policy (`"color,translation,cutout"`) or `"ada"`
(adaptive augmentation probability); DCGAN uses `examples/gan.py`'s
(`GAN(data_shape=(size, size, 1), latent_dim=32, ema_decay=0.99)`, batch
64). Each invocation appends one table to
`benchmarks/stylegan2_digits_results.md`, with the load average at its
start and end. For a fair comparison run the models one after the other
in one process, pinned to one core with one thread:

    XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \
    KERAS_BACKEND=jax taskset -c 0 python benchmarks/stylegan2_digits.py \
        --cpu-minutes 20 --models stylegan2 dcgan
"""

import argparse
import datetime
import os
import platform
import time

import keras

import keras_gen

HERE = os.path.dirname(os.path.abspath(__file__))


class CPUTimeBudget(keras.callbacks.Callback):
    """Stops `fit` after `seconds` of process CPU time (all threads),
    compilation included, checked after every step."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def on_train_begin(self, logs=None):
        self.start = time.process_time()

    def on_train_batch_end(self, batch, logs=None):
        if time.process_time() - self.start > self.seconds:
            self.model.stop_training = True


def stylegan2(seed, augment=None, size=16):
    kwargs = {}
    if augment == "ada":
        kwargs["augment"] = "ada"
    elif augment:
        kwargs["diff_augment"] = augment
    model = keras_gen.models.StyleGAN2(
        resolution=16,
        latent_dim=64,
        w_dim=64,
        channel_base=512,
        channel_max=64,
        r1_gamma=0.1,
        ema_decay=0.995,
        seed=seed,
        **kwargs,
    )

    def adam(interval):
        c = interval / (interval + 1)
        return keras.optimizers.Adam(
            0.0025 * c, beta_1=0.0, beta_2=0.99**c, epsilon=1e-8
        )

    model.compile(discriminator_optimizer=adam(16), generator_optimizer=adam(4))
    return model, 16, 32


def dcgan(seed, augment=None, size=16):
    model = keras_gen.models.GAN(
        data_shape=(size, size, 1), latent_dim=32, ema_decay=0.99, seed=seed
    )
    model.compile()
    return model, size, 64


def scores(samples, size, probe):
    real = keras_gen.datasets.load_digits("test", image_size=size) * 2 - 1
    fd = keras_gen.metrics.evaluate(
        None,
        real,
        metrics=("classifier_frechet_distance",),
        samples=samples,
        value_range=(-1, 1),
    )["classifier_frechet_distance"]
    stats = probe.evaluate(samples * 0.5 + 0.5)
    return fd, stats


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--cpu-minutes",
        type=float,
        default=8.0,
        help="training CPU time per model",
    )
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--models", nargs="+", default=["stylegan2", "dcgan"])
    parser.add_argument(
        "--dcgan-size",
        type=int,
        default=16,
        choices=(8, 16),
        help="DCGAN image side",
    )
    parser.add_argument(
        "--augment",
        default=None,
        help='StyleGAN2: a DiffAugment policy, or "ada"',
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--results", default=os.path.join(HERE, "stylegan2_digits_results.md")
    )
    args = parser.parse_args()
    keras.utils.set_random_seed(args.seed)
    load_start = os.getloadavg()
    probe = keras_gen.metrics.DigitsProbe()
    rows = []
    sizes = sorted(
        {
            16 if name == "stylegan2" else args.dcgan_size
            for name in args.models
        },
        reverse=True,
    )
    for size in sizes:
        real = keras_gen.datasets.load_digits("train", image_size=size) * 2 - 1
        fd, stats = scores(real, size, probe)
        rows.append(
            (f"real training digits {size}x{size} (floor)", "-", "-", fd, stats)
        )
    for name in args.models:
        builder = {"stylegan2": stylegan2, "dcgan": dcgan}[name]
        model, size, batch_size = builder(
            args.seed, augment=args.augment, size=args.dcgan_size
        )
        if name == "stylegan2" and args.augment:
            name = f"stylegan2 ({args.augment})"
        x = keras_gen.datasets.load_digits("train", image_size=size) * 2 - 1
        start, cpu_start = time.time(), time.process_time()
        model.fit(
            x,
            epochs=100_000,
            batch_size=batch_size,
            verbose=0,
            callbacks=[CPUTimeBudget(60 * args.cpu_minutes)],
        )
        seconds = f"{time.process_time() - cpu_start:.0f} s CPU, {time.time() - start:.0f} s wall"
        steps = int(model.optimizer.iterations)
        samples = model.generate(args.samples, seed=args.seed)
        fd, stats = scores(samples, size, probe)
        rows.append((f"{name} {size}x{size}", steps, seconds, fd, stats))
        print(
            name,
            steps,
            "steps",
            seconds,
            f"classifier FD {fd:.2f}",
            stats,
            flush=True,
        )
        if args.augment == "ada" and name.startswith("stylegan2"):
            print(
                f"final augmentation probability p = {model.augment_probability:.3f}",
                flush=True,
            )
            rows[-1] = (
                rows[-1][:1]
                + (f"{steps} (final p {model.augment_probability:.2f})",)
                + rows[-1][2:]
            )
        if name.startswith("stylegan2"):
            fd07, stats07 = scores(
                model.generate(
                    args.samples, seed=args.seed, truncation_psi=0.7
                ),
                size,
                probe,
            )
            rows.append(
                (
                    f"{name} {size}x{size}, psi 0.7",
                    steps,
                    seconds,
                    fd07,
                    stats07,
                )
            )

    stamp = datetime.date.today().isoformat()
    load_end = os.getloadavg()
    lines = [
        f"\n## {stamp} — backend {keras.backend.backend()}, {args.cpu_minutes:g} CPU-minutes of training per model, "
        f"{args.samples} samples, seed {args.seed}, {platform.machine()} CPU x{os.cpu_count()}, keras {keras.__version__}, "
        f"load average {load_start[0]:.1f} at start, {load_end[0]:.1f} at end\n",
        "| model | steps | training time | classifier Fréchet distance | confident (>= 0.9) | classes | class entropy |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for label, steps, seconds, fd, stats in rows:
        lines.append(
            f"| {label} | {steps} | {seconds} | {fd:.2f} | {100 * stats['confident']:.1f} % | "
            f"{stats['classes']} | {stats['class_entropy']:.2f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    with open(args.results, "a") as f:
        f.write(text)
    print(f"appended to {args.results}")


if __name__ == "__main__":
    main()
