"""
Title: Adversarial autoencoder with a mixture-of-Gaussians prior
Description: Shape an autoencoder's 2-D code space like a chosen prior
    (Makhzani et al., 2016), then sample new digits from the prior.

    KERAS_BACKEND=jax python examples/aae.py

## What to expect

Scikit-learn's 8x8 digits with a 2-D code and a prior of 10 Gaussians on a
circle. Each step reconstructs, then trains a discriminator on prior samples
versus codes, then trains the encoder to fool it. The script writes
`latent.png` (codes of the test digits coloured by class, over light-grey
prior samples), `samples.png` (digits decoded from prior samples) and
`reconstructions.png`, and prints the maximum mean discrepancy (Gaussian
kernel) between the test codes and prior samples, next to the MMD between two
independent prior samples (the floor) and the MMD of a plain autoencoder
trained the same way without the adversarial phases. The default run
(2026-11-21, JAX, 2-core CPU, 31 s of training) gave 0.0020 for the AAE's
codes, -0.0021 for the floor and 0.1534 for the plain autoencoder.
"""

import argparse
import os
import time

import keras
import numpy as np
from keras import ops

import keras_gen


def parse_args():
    parser = argparse.ArgumentParser(description="AAE on the embedded digits")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", default="aae_out", help="output directory")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def train(x, epochs, batch_size, seed, adversarial=True):
    aae = keras_gen.models.AAE(
        data_shape=x.shape[1:],
        latent_dim=2,
        prior="mixture",
        mixture_radius=4.0,
        seed=seed,
    )
    if adversarial:
        aae.compile()
    else:  # the same model with its adversarial phases frozen: a plain AE
        aae.compile(
            discriminator_optimizer=keras.optimizers.SGD(0.0),
            generator_optimizer=keras.optimizers.SGD(0.0),
        )
    aae.fit(
        x, epochs=epochs, batch_size=batch_size, verbose=2 if adversarial else 0
    )
    return aae


def main():
    args = parse_args()
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    x_train = keras_gen.datasets.load_digits("train")
    x_test, y_test = keras_gen.datasets.load_digits("test", with_labels=True)

    start = time.time()
    aae = train(x_train, args.epochs, args.batch_size, args.seed)
    seconds = time.time() - start
    plain = train(
        x_train, args.epochs, args.batch_size, args.seed, adversarial=False
    )

    # ## How close are the codes to the prior?

    prior_a = ops.convert_to_numpy(aae.sample_prior(len(x_test), seed=1))
    prior_b = ops.convert_to_numpy(aae.sample_prior(len(x_test), seed=2))
    codes = aae.encode(x_test)
    bandwidth = 4.0  # the mixture's radius: the scale of the code space
    mmd = keras_gen.metrics.gaussian_mmd(codes, prior_a, bandwidth)
    floor = keras_gen.metrics.gaussian_mmd(prior_b, prior_a, bandwidth)
    plain_mmd = keras_gen.metrics.gaussian_mmd(
        plain.encode(x_test), prior_a, bandwidth
    )

    keras_gen.utils.images.save_scatter(
        np.concatenate([prior_a, codes]),
        os.path.join(args.out, "latent.png"),
        labels=np.concatenate([np.full(len(prior_a), -1), y_test]),
    )
    keras_gen.utils.images.save_image_grid(
        aae.generate(64, seed=args.seed), os.path.join(args.out, "samples.png")
    )
    keras_gen.utils.images.save_image_grid(
        np.concatenate([x_test[:16], aae.reconstruct(x_test[:16])]),
        os.path.join(args.out, "reconstructions.png"),
        num_cols=16,
    )

    print(
        f"\nbackend: {keras.backend.backend()}, training time: {seconds:.0f} s"
    )
    print(
        f"MMD^2 (Gaussian kernel, bandwidth {bandwidth}) to prior samples, test split:"
    )
    print(f"  AAE codes                         : {mmd:.4f}")
    print(f"  another prior sample (the floor)  : {floor:.4f}")
    print(f"  plain autoencoder codes           : {plain_mmd:.4f}")
    print(f"wrote {args.out}/latent.png, samples.png and reconstructions.png")


if __name__ == "__main__":
    main()
