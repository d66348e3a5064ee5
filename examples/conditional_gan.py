"""
Title: Conditional GAN: ask for the class you want
Description: A class-conditional DCGAN with a projection discriminator,
    trained with `fit(images, labels)` on the embedded digits or on
    Fashion-MNIST within a time budget; `generate(labels=...)` returns the
    requested classes.

    KERAS_BACKEND=jax python examples/conditional_gan.py
    KERAS_BACKEND=jax python examples/conditional_gan.py --data fashion_mnist --max-minutes 7

## What to expect

The generator sees a label embedding next to `z`; the discriminator adds the
projection term `<embed(y), phi(x)>` to its logit (Miyato & Koyama, 2018)
and uses spectral normalisation; the samples come from an exponential
moving average of the generator's weights. The script writes `by_class.png`
(row k: ten samples of class k) and prints how often the shipped classifier
reads a sample as the class that was asked for (beside its accuracy on real
test images), and the classifier Fréchet distance (FD, on the shipped
classifier's features: not FID) of the samples to the test images, beside
the same distance from real train images (the floor).

- `--data digits` (default): scikit-learn's 8x8 digits, 1,000 train images
  in [-1, 1] (tanh output), 150 epochs.
- `--data fashion_mnist` (`make demo`): the 60,000 Fashion-MNIST train
  images in [0, 1] (`keras_gen.datasets.load_fashion_mnist`), the
  registry's `"fashion_mnist"` configuration of the GAN family (64-D `z`,
  generator filters 128/64 with resize-convolution upsampling, EMA 0.999)
  at batch 64, trained until `--max-minutes` have passed
  (`callbacks.TimeLimit`).

Measured runs are listed in the README ("Demo") and
`benchmarks/demo_results.md`.
"""

import argparse
import os
import time

import keras
import numpy as np

import keras_gen

FASHION_CLASSES = (
    "T-shirt/top",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle boot",
)


def parse_args():
    parser = argparse.ArgumentParser(description="Conditional GAN")
    parser.add_argument(
        "--data", choices=("digits", "fashion_mnist"), default="digits"
    )
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=None,
        help="stop training after this many minutes",
    )
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument(
        "--num-eval", type=int, default=1000, help="samples to evaluate"
    )
    parser.add_argument(
        "--out", default="conditional_gan_out", help="output directory"
    )
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def build(data, seed):
    """The data, and a conditional DCGAN sized for them."""
    if data == "digits":
        x_train, y_train = keras_gen.datasets.load_digits(
            "train", with_labels=True
        )
        x_test = keras_gen.datasets.load_digits("test")
        gan = keras_gen.models.GAN(
            data_shape=(8, 8, 1),
            value_range=(-1, 1),
            latent_dim=32,
            num_classes=10,
            conditioning="projection",
            spectral_norm=True,
            ema_decay=0.99,
            seed=seed,
        )
        # tanh output: the images go to [-1, 1].
        return gan, x_train * 2.0 - 1.0, y_train, x_test, 150, 64
    x_train, y_train = keras_gen.datasets.load_fashion_mnist(
        "train", with_labels=True
    )
    x_test = keras_gen.datasets.load_fashion_mnist("test")
    gan = keras_gen.models.GAN(
        data_shape=(28, 28, 1),
        value_range=(0, 1),
        latent_dim=64,
        num_classes=10,
        conditioning="projection",
        ema_decay=0.999,
        seed=seed,
    )
    # Batch 64 rather than the configuration's 128: under a time budget, more
    # (smaller) updates gave better samples (benchmarks/demo_results.md).
    return gan, x_train, y_train, x_test, 1000, 64


def main():
    args = parse_args()
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    # ## Data and model: labels go to both networks

    gan, x_train, y_train, x_test, epochs, batch_size = build(
        args.data, args.seed
    )
    gan.compile()  # DCGAN: Adam(2e-4, beta_1=0.5) for both networks

    # ## Training, within a time budget if one is given

    # `TimeLimit` stops at the first step past the budget; with an infinite
    # one it only counts the steps.
    budget = 60 * args.max_minutes if args.max_minutes else float("inf")
    limit = keras_gen.callbacks.TimeLimit(budget)
    start = time.time()
    history = gan.fit(
        x_train,
        y_train,
        epochs=args.epochs or epochs,
        batch_size=args.batch_size or batch_size,
        callbacks=[limit],
        verbose=2,
    )
    seconds = time.time() - start

    # ## Ask for each class

    rows = [gan.generate(10, seed=k, labels=k) for k in range(10)]
    grid = os.path.join(args.out, "by_class.png")
    keras_gen.utils.images.save_image_grid(
        np.concatenate(rows), grid, num_cols=10, value_range=gan.value_range
    )

    # ## How good: the requested class, and the distance to real images

    n = min(args.num_eval, len(x_test))
    labels = np.arange(n) % 10
    samples = gan.generate(n, seed=args.seed, labels=labels)
    classifier = args.data
    accuracy = keras_gen.metrics.requested_class_accuracy(
        samples, labels, classifier, value_range=gan.value_range
    )
    x_eval, y_eval = getattr(keras_gen.datasets, f"load_{args.data}")(
        "test", with_labels=True
    )
    ceiling = keras_gen.metrics.requested_class_accuracy(
        x_eval[:n], y_eval[:n], classifier
    )
    fd = keras_gen.metrics.evaluate(
        None,
        x_test[:n],
        samples=samples,
        value_range=gan.value_range,
        classifier=classifier,
    )["classifier_frechet_distance"]
    floor = keras_gen.metrics.real_data_floor(classifier, num_samples=n)[
        "classifier_frechet_distance"
    ]

    names = FASHION_CLASSES if args.data == "fashion_mnist" else range(10)
    print(
        f"\ndata: {args.data}, backend: {keras.backend.backend()}, "
        f"training: {seconds:.0f} s, {limit.steps} steps "
        f"({len(history.epoch)} epochs begun)"
    )
    print(
        f"read as the requested class: {accuracy['accuracy']:.1%} of {n} "
        f"samples (real test images: {ceiling['accuracy']:.1%})"
    )
    print(
        "  per class: "
        + ", ".join(
            f"{name} {a:.0%}" for name, a in zip(names, accuracy["per_class"])
        )
    )
    print(
        f"classifier Frechet distance to {n} test images: {fd:.2f} "
        f"(real train images, the floor: {floor:.2f})"
    )
    print(f"wrote {grid} (row k: ten samples of class k)")


if __name__ == "__main__":
    main()
