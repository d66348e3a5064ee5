"""
Title: DCGAN on the embedded digits
Description: Train a deep convolutional GAN with `model.fit` and look at its
    samples; the same script runs on TensorFlow, JAX and PyTorch.

    KERAS_BACKEND=jax python examples/gan.py
    KERAS_BACKEND=torch python examples/gan.py --epochs 300 --out gan_out

## What to expect

The data are scikit-learn's 8x8 digits (train split, 1,000 images) scaled to
[-1, 1]. The default networks are DCGAN's (Radford et al., 2016): stride-2
(transposed) convolutions, batch norm in the generator, LeakyReLU in the
discriminator, Adam(2e-4, beta_1=0.5) for both. A moving average of the
generator's weights (`ema_decay`) gives steadier samples.

The script writes `samples.png` (64 samples) and `interpolation.png` (a walk
between two latent points per row), and judges 500 samples with a digits
classifier fitted on the training split (`keras_gen.metrics.DigitsProbe`):
the share it labels with confidence >= 0.9 and how many of the 10 classes
appear. Real test digits score 73 % confident with all 10 classes; the
default run (2026-11-21, JAX, 2-core CPU, about 2 minutes) gave 58 % with all
10 classes and a class entropy of 2.27 nats (uniform: 2.30).
"""

import argparse
import os
import time

import keras
import numpy as np

import keras_gen


def parse_args():
    parser = argparse.ArgumentParser(description="DCGAN on the embedded digits")
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--latent-dim", type=int, default=32)
    parser.add_argument("--out", default="gan_out", help="output directory")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def main():
    args = parse_args()
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    # ## Data: 8x8 digits in [-1, 1] (the generator ends in tanh)

    x_train = keras_gen.datasets.load_digits("train") * 2.0 - 1.0

    # ## Model: DCGAN networks, non-saturating loss, EMA generator

    gan = keras_gen.models.GAN(
        data_shape=x_train.shape[1:],
        latent_dim=args.latent_dim,
        ema_decay=0.99,
        seed=args.seed,
    )
    gan.compile()

    # ## Training

    start = time.time()
    gan.fit(
        x_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        verbose=2,
        callbacks=[
            keras_gen.callbacks.SampleGrid(
                os.path.join(args.out, "samples_epoch_{epoch:03d}.png"),
                every=50,
                value_range=(-1, 1),
            )
        ],
    )
    seconds = time.time() - start

    # ## Samples, a latent walk, and what a digits classifier makes of them

    samples = gan.generate(500, seed=args.seed)
    keras_gen.utils.images.save_image_grid(
        samples[:64], os.path.join(args.out, "samples.png"), value_range=(-1, 1)
    )
    walks = np.concatenate(
        [gan.interpolate(num_points=10, seed=s) for s in range(6)]
    )
    keras_gen.utils.images.save_image_grid(
        walks,
        os.path.join(args.out, "interpolation.png"),
        num_cols=10,
        value_range=(-1, 1),
    )
    print(
        f"\nbackend: {keras.backend.backend()}, training time: {seconds:.0f} s"
    )
    print(keras_gen.metrics.DigitsProbe().report(samples * 0.5 + 0.5))
    print(f"wrote {args.out}/samples.png and {args.out}/interpolation.png")


if __name__ == "__main__":
    main()
