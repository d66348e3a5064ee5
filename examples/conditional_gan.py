"""
Title: Conditional GAN: ask for the digit you want
Description: A class-conditional DCGAN with a projection discriminator,
    trained with `fit(images, labels)`; `generate(labels=...)` returns the
    requested classes.

    KERAS_BACKEND=jax python examples/conditional_gan.py

## What to expect

Scikit-learn's 8x8 digits (train split) in [-1, 1] with their labels. The
generator sees a label embedding next to `z`; the discriminator adds the
projection term `<embed(y), phi(x)>` to its logit (Miyato & Koyama, 2018)
and uses spectral normalisation. The script writes `by_class.png` (one row
per requested digit, 0 to 9) and reports how often a digits classifier
fitted on the training split reads a sample as the digit that was asked
for. The default run (2026-11-21, JAX, 2-core CPU, about 2 minutes) gave
98.8 % (real test digits: 95.1 %), with all 10 classes present.
"""

import argparse
import os
import time

import keras
import numpy as np

import keras_gen


def parse_args():
    parser = argparse.ArgumentParser(
        description="Conditional GAN on the embedded digits"
    )
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--latent-dim", type=int, default=32)
    parser.add_argument(
        "--out", default="conditional_gan_out", help="output directory"
    )
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def main():
    args = parse_args()
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    # ## Data: images in [-1, 1] and their labels

    x_train, y_train = keras_gen.datasets.load_digits("train", with_labels=True)
    x_train = x_train * 2.0 - 1.0

    # ## Model: labels go to both networks

    gan = keras_gen.models.GAN(
        data_shape=x_train.shape[1:],
        latent_dim=args.latent_dim,
        num_classes=10,
        conditioning="projection",
        spectral_norm=True,
        ema_decay=0.99,
        seed=args.seed,
    )
    gan.compile()
    start = time.time()
    gan.fit(
        x_train,
        y_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        verbose=2,
    )
    seconds = time.time() - start

    # ## Ask for each digit

    rows = [gan.generate(10, seed=digit, labels=digit) for digit in range(10)]
    keras_gen.utils.images.save_image_grid(
        np.concatenate(rows),
        os.path.join(args.out, "by_class.png"),
        num_cols=10,
        value_range=(-1, 1),
    )
    labels = np.arange(500) % 10
    samples = gan.generate(500, seed=args.seed, labels=labels)

    print(
        f"\nbackend: {keras.backend.backend()}, training time: {seconds:.0f} s"
    )
    print(
        keras_gen.metrics.DigitsProbe().report(
            samples * 0.5 + 0.5, labels=labels
        )
    )
    print(f"wrote {args.out}/by_class.png (row k: ten samples of digit k)")


if __name__ == "__main__":
    main()
