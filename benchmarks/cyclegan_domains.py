"""CycleGAN: does translation change the domain, and keep the input?

Two data sets (`--data`):

- `photos` (default): `keras_gen.datasets.load_sample_photos` (domain A:
  patches of scikit-learn's china.jpg, domain B: flower.jpg; 300 train /
  75 test patches each, in [-1, 1]);
- `fashion_mnist`: two Fashion-MNIST classes as the domains, the ones
  `keras-gen train cyclegan --data fashion_mnist` uses (A: sneakers, class
  7; B: ankle boots, class 9; 6,000 train / 1,000 test images each, 28x28
  in [0, 1]), with the registry's `"fashion_mnist"` configuration.

Model: `keras_gen.models.CycleGAN` with the paper's losses and optimizer
(least squares, cycle lambda = 10, identity 0.5 lambda, pool of 50,
Adam(2e-4, 0.5), constant for half the run then linear decay to zero) at a
CPU size (generator width 16, 3 residual blocks; PatchGAN width 32 with 2
stride-2 layers).

Judges, on the test images:
- photos: `keras_gen.metrics.DomainClassifier`, a small CNN trained on the
  real train patches of both domains: the share of translated patches
  G(a), F(b) it labels as the target domain (target: >= 90 % both ways),
  beside the same share for the untranslated inputs (the floor);
- Fashion-MNIST: the shipped Fashion-MNIST classifier (10 classes, 92 %
  test accuracy): the share of G(a) it reads as an ankle boot and of F(b)
  as a sneaker (its accuracy on the real test images of each class is the
  ceiling, the untranslated inputs the floor), and the classifier Fréchet
  distance (never FID) of the translations to the real test images of the
  target class, beside the floor (as many train images of that class);
- both: mean cycle reconstruction L1, |F(G(a)) - a| and |G(F(b)) - b|
  (pixels in the data's range; the identity map would score 0), next to
  the mean L1 between a test image and a random one of its own domain (what
  a reconstruction that ignored its input would score).

Results are appended to `benchmarks/cyclegan_results.md`.

    KERAS_BACKEND=jax python benchmarks/cyclegan_domains.py --epochs 20
    KERAS_BACKEND=jax taskset -c 0 python benchmarks/cyclegan_domains.py \
        --data fashion_mnist --epochs 2
"""

import argparse
import datetime
import os
import sys
import time

import keras
import numpy as np

import keras_gen
from keras_gen.cli.data import FASHION_MNIST_DOMAINS

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_utils  # noqa: E402


def load(args):
    """Train and test images of both domains."""
    if args.data == "photos":
        train = keras_gen.datasets.load_sample_photos("train", args.image_size)
        test = keras_gen.datasets.load_sample_photos("test", args.image_size)
        return train, test
    domains = []
    for split in ("train", "test"):
        x, y = keras_gen.datasets.load_fashion_mnist(split, with_labels=True)
        a, b = (x[y == label] for label in FASHION_MNIST_DOMAINS)
        if split == "train" and args.train_subset:
            a, b = a[: args.train_subset], b[: args.train_subset]
        domains.append((a, b))
    return domains


def build(args, data_shape, steps, seed):
    schedule = dict(
        lr_constant_steps=steps // 2,
        lr_decay_steps=steps - steps // 2,
        seed=seed,
    )
    if args.data == "fashion_mnist":
        family = keras_gen.models.registry.get("cyclegan")
        model = family.build("fashion_mnist", **schedule)
        family.compile(model, "fashion_mnist")
        return model
    model = keras_gen.models.CycleGAN(
        data_shape=data_shape,
        generator_filters=16,
        num_residual_blocks=3,
        discriminator_filters=32,
        discriminator_layers=2,
        **schedule,
    )
    model.compile()
    return model


def reads_as(images, label):
    """The share of `images` the shipped Fashion-MNIST classifier reads as
    class `label`."""
    labels = np.full(len(images), label)
    return keras_gen.metrics.requested_class_accuracy(
        images, labels, classifier="fashion_mnist"
    )["accuracy"]


def classifier_fd(samples, reference):
    return keras_gen.metrics.evaluate(
        None,
        reference,
        ["classifier_frechet_distance"],
        samples=samples,
        classifier="fashion_mnist",
    )["classifier_frechet_distance"]


def judge_fashion_mnist(x_a, x_b, t_a, t_b, fake_a, fake_b):
    """The shipped classifier's reading of the translations and their
    classifier FD to the target class, with ceilings and floors."""
    label_a, label_b = FASHION_MNIST_DOMAINS
    return {
        "real": 0.5 * (reads_as(t_a, label_a) + reads_as(t_b, label_b)),
        "a_to_b": reads_as(fake_b, label_b),
        "b_to_a": reads_as(fake_a, label_a),
        "floor_a_to_b": reads_as(t_a, label_b),
        "floor_b_to_a": reads_as(t_b, label_a),
        "fd_a_to_b": classifier_fd(fake_b, t_b),
        "fd_b_to_a": classifier_fd(fake_a, t_a),
        "fd_floor_b": classifier_fd(x_b[: len(t_b)], t_b),
        "fd_floor_a": classifier_fd(x_a[: len(t_a)], t_a),
    }


def run(args, seed):
    keras.utils.set_random_seed(seed)
    (x_a, x_b), (t_a, t_b) = load(args)
    steps = (
        int(np.ceil(max(len(x_a), len(x_b)) / args.batch_size)) * args.epochs
    )
    model = build(args, x_a.shape[1:], steps, seed)
    start = time.time()
    cpu = time.process_time()
    model.fit(
        (x_a, x_b), epochs=args.epochs, batch_size=args.batch_size, verbose=0
    )
    seconds, cpu_seconds = time.time() - start, time.process_time() - cpu
    fake_b, fake_a = model.translate_a_to_b(t_a), model.translate_b_to_a(t_b)
    rec_a, rec_b = (
        model.translate_b_to_a(fake_b),
        model.translate_a_to_b(fake_a),
    )
    if args.data == "fashion_mnist":
        result = judge_fashion_mnist(x_a, x_b, t_a, t_b, fake_a, fake_b)
        grid = np.concatenate([t_a[:8], fake_b[:8], t_b[:8], fake_a[:8]])
        keras_gen.utils.images.save_image_grid(
            grid,
            os.path.join(HERE, "plots", "cyclegan_fashion_mnist.png"),
            num_cols=8,
        )
    else:
        probe = keras_gen.metrics.DomainClassifier(x_a, x_b, seed=seed)
        result = {
            "real": 0.5 * (probe.accuracy(t_a, "a") + probe.accuracy(t_b, "b")),
            "a_to_b": probe.accuracy(fake_b, "b"),
            "b_to_a": probe.accuracy(fake_a, "a"),
            "floor_a_to_b": probe.accuracy(t_a, "b"),
            "floor_b_to_a": probe.accuracy(t_b, "a"),
        }
    rng = np.random.default_rng(seed)
    result.update(
        cycle_a=float(np.abs(rec_a - t_a).mean()),
        cycle_b=float(np.abs(rec_b - t_b).mean()),
        random_a=float(np.abs(t_a[rng.permutation(len(t_a))] - t_a).mean()),
        random_b=float(np.abs(t_b[rng.permutation(len(t_b))] - t_b).mean()),
        steps=steps,
        seconds=seconds,
        cpu_seconds=cpu_seconds,
    )
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--data", default="photos", choices=("photos", "fashion_mnist")
    )
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="default: 4 (photos), 8 (the fashion_mnist configuration's)",
    )
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument(
        "--train-subset",
        type=int,
        default=None,
        help="first N train images per Fashion-MNIST domain",
    )
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument(
        "--results", default=os.path.join(HERE, "cyclegan_results.md")
    )
    args = parser.parse_args()
    if args.batch_size is None:
        args.batch_size = 4 if args.data == "photos" else 8
    load_before = bench_utils.uptime()

    start = time.time()
    runs = [run(args, seed) for seed in range(args.seeds)]
    total = time.time() - start

    def cell(key, percent=False, digits=3):
        values = np.array([r[key] for r in runs]) * (100 if percent else 1)
        text = (
            f"{values.mean():.1f}" if percent else f"{values.mean():.{digits}f}"
        )
        if len(values) > 1:
            text += (
                f" ± {values.std():.1f}"
                if percent
                else f" ± {values.std():.{digits}f}"
            )
        return text + (" %" if percent else "")

    if args.data == "photos":
        what = f"{args.image_size}x{args.image_size} patches"
        names = ("china", "flower")
        judge = "domain classifier"
    else:
        what = "Fashion-MNIST sneakers (A) and ankle boots (B), 28x28"
        names = ("sneaker", "ankle boot")
        judge = "Fashion-MNIST classifier"
    header = (
        f"\n## {datetime.date.today().isoformat()} — backend {keras.backend.backend()}, 2-core CPU, "
        f"{what}, {args.epochs} epochs ({runs[0]['steps']} steps, "
        f"batch {args.batch_size}), {args.seeds} seed(s), keras {keras.__version__}, "
        f"runtime {total / 60:.1f} min ({np.mean([r['seconds'] for r in runs]):.0f} s, "
        f"{np.mean([r['cpu_seconds'] for r in runs]):.0f} CPU-s training per run)\n\n"
        f"Load before: `{load_before}`; after: `{bench_utils.uptime()}`.\n"
    )
    a, b = names
    table = [
        f"| direction | translated read as target ({judge}) | untranslated inputs read as target | cycle L1 | L1 to a random image of the domain |",
        "| --- | --- | --- | --- | --- |",
        f"| A → B ({a} → {b}) | {cell('a_to_b', True)} | {cell('floor_a_to_b', True)} | {cell('cycle_a')} | {cell('random_a')} |",
        f"| B → A ({b} → {a}) | {cell('b_to_a', True)} | {cell('floor_b_to_a', True)} | {cell('cycle_b')} | {cell('random_b')} |",
        "",
        f"The {judge} on real test images: {cell('real', True)} correct.",
    ]
    if args.data == "fashion_mnist":
        table += [
            "",
            "Classifier Fréchet distance (not FID) to the real test images of the target "
            f"class: A → B {cell('fd_a_to_b', digits=2)} (floor, train vs test {b}s: "
            f"{cell('fd_floor_b', digits=2)}); B → A {cell('fd_b_to_a', digits=2)} (floor "
            f"{cell('fd_floor_a', digits=2)}). Grid: `benchmarks/plots/cyclegan_fashion_mnist.png` "
            "(rows: sneakers, their translations, ankle boots, theirs).",
        ]
    text = header + "\n" + "\n".join(table) + "\n"
    print(text)
    bench_utils.append_results(
        args.results,
        "# CycleGAN: translation between two unpaired domains\n\n"
        "`benchmarks/cyclegan_domains.py`: share of translated test images a\n"
        "classifier reads as the target domain (target >= 90 % both ways), and\n"
        "mean cycle reconstruction L1. Newest runs at the bottom.\n",
        text,
    )


if __name__ == "__main__":
    main()
