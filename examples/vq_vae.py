"""
Title: VQ-VAE and its PixelCNN prior on the embedded digits
Description: Train a VQ-VAE (van den Oord et al., 2017) with `model.fit`,
    measure its codebook usage and reconstructions, then fit a class-
    conditional gated PixelCNN prior over its codes and sample digits.

Runs with no arguments, offline, on a 2-core CPU, on any backend:

    KERAS_BACKEND=jax python examples/vq_vae.py
    KERAS_BACKEND=torch python examples/vq_vae.py --epochs 100 --prior-epochs 100

## What to expect

The data are scikit-learn's 8x8 digits in [0, 1], with the fixed split
train [:1000] / test [1350:]. The VQ-VAE maps each digit to a 4x4 grid of
indices into a codebook of 64 vectors (dead entries are restarted from
encoder outputs, so most of the codebook is used). The script prints:

- the codebook usage on the test split (fraction of the 64 entries used,
  and the perplexity, the effective number of entries in use);
- the test reconstruction mean squared error (pixels in [0, 1]);
- the prior's negative log-likelihood of the test codes (nats per digit),
  against the uniform prior the VQ-VAE was trained under (16 ln 64 = 66.5).

It writes `reconstructions.png` (test digits, top, over their
reconstructions) and `samples.png` (the prior's samples, one row per class).
"""

import argparse
import os
import time

import keras
import numpy as np

import keras_gen

# ## Set-up


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[2])
    parser.add_argument("--epochs", type=int, default=30, help="VQ-VAE epochs")
    parser.add_argument("--prior-epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--num-embeddings", type=int, default=64)
    parser.add_argument("--out", default="vq_vae_out", help="output directory")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def main():
    args = parse_args()
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    # ## Data: 8x8 digits with their classes, embedded in scikit-learn

    x_train, y_train = keras_gen.datasets.load_digits("train", with_labels=True)
    x_test, y_test = keras_gen.datasets.load_digits("test", with_labels=True)

    # ## Stage 1: the VQ-VAE (codebook, commitment loss, dead-code restarts)

    vqvae = keras_gen.models.VQVAE(
        data_shape=x_train.shape[1:],
        num_embeddings=args.num_embeddings,
        embedding_dim=8,
        filters=(64,),
        num_res_blocks=1,
        commitment_cost=0.25,
        dead_code_threshold=1.0,
        seed=args.seed,
    )
    vqvae.compile(optimizer=keras.optimizers.Adam(1e-3))
    start = time.time()
    vqvae.fit(
        x_train, epochs=args.epochs, batch_size=args.batch_size, verbose=2
    )
    vqvae_seconds = time.time() - start

    usage = vqvae.codebook_usage(x_test)
    reconstructions = vqvae.reconstruct(x_test)
    mse = float(np.mean((reconstructions - x_test) ** 2))

    # ## Stage 2: a class-conditional gated PixelCNN over the codes

    prior = keras_gen.models.VQVAEPrior(
        vqvae, num_classes=10, hidden_dim=64, num_layers=4, seed=args.seed
    )
    prior.compile(optimizer=keras.optimizers.Adam(1e-3))
    start = time.time()
    prior.fit(
        x_train,
        y_train,
        epochs=args.prior_epochs,
        batch_size=args.batch_size,
        verbose=2,
    )
    prior_seconds = time.time() - start
    prior_nll = float(-prior.log_prob(x_test, labels=y_test).mean())
    uniform_nll = float(
        np.prod(vqvae.index_shape) * np.log(vqvae.num_embeddings)
    )

    # ## Results

    keras_gen.utils.images.save_image_grid(
        np.concatenate([x_test[:16], reconstructions[:16]]),
        os.path.join(args.out, "reconstructions.png"),
        num_cols=16,
    )
    labels = np.repeat(np.arange(10), 10)
    samples = prior.generate(100, seed=args.seed, labels=labels)
    keras_gen.utils.images.save_image_grid(
        samples, os.path.join(args.out, "samples.png"), num_cols=10
    )

    print(
        f"\nbackend: {keras.backend.backend()}, training time: VQ-VAE {vqvae_seconds:.0f} s, "
        f"prior {prior_seconds:.0f} s"
    )
    print(
        f"codebook usage (test): {usage['used']}/{args.num_embeddings} entries, "
        f"perplexity {usage['perplexity']:.1f}"
    )
    print(f"test reconstruction MSE: {mse:.4f}")
    print(
        f"test code NLL, nats per digit: prior {prior_nll:.1f}, uniform {uniform_nll:.1f}"
    )
    print(f"wrote {args.out}/reconstructions.png and {args.out}/samples.png")


if __name__ == "__main__":
    main()
