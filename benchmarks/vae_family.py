"""The VAE family on the embedded digits: β-TCVAE against β-VAE, and the
VQ-VAE against a VAE of the same latent size.

Data: `keras_gen.datasets.load_digits`, fixed split train [:1000] / test
[1350:] (447 images).

1. β-VAE (`VAE(beta=6)`) and β-TCVAE (`BetaTCVAE(beta=6)`, Chen et al.
   2018: only the total-correlation term weighted by β), both 8-D latents,
   Bernoulli likelihood on the binarised digits, same networks, epochs and
   seed. Reported on the test split: the total correlation of the aggregate
   posterior (`keras_gen.losses.kl_decomposition`, minibatch-stratified
   estimator, through `VAE.kl_decomposition`), in nats, and the ELBO (one
   posterior draw per image, `log_prob(num_samples=1)`), in nats per image.
   Expected: the β-TCVAE has the lower total correlation and the higher
   ELBO (its β does not also penalise the mutual information and the
   dimension-wise KL).

2. VQ-VAE (64 codes of 8 values, a 4x4 grid: 16 discrete latents) against a
   VAE with 16 continuous latents, on the grey-level digits in [0, 1].
   Reported: the VQ-VAE's codebook usage on the test split (entries used,
   perplexity) and the test reconstruction MSE of both (pixels in [0, 1];
   the VAE decodes its posterior mean).

    KERAS_BACKEND=jax python benchmarks/vae_family.py --epochs 30
"""

import argparse
import os
import sys
import time

import keras
import numpy as np

import keras_gen

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_utils  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--beta",
        type=float,
        default=6.0,
        help="β of both the β-VAE and the β-TCVAE",
    )
    parser.add_argument(
        "--skip-vq",
        action="store_true",
        help="only the β-TCVAE / β-VAE comparison",
    )
    parser.add_argument(
        "--results",
        default=None,
        help="append a results section to this markdown file",
    )
    return parser.parse_args()


def timed_fit(model, x, args):
    start = time.time()
    model.fit(x, epochs=args.epochs, batch_size=args.batch_size, verbose=0)
    return time.time() - start


def main():
    args = parse_args()
    keras.utils.set_random_seed(args.seed)
    lines = []

    def report(text):
        print(text, flush=True)
        lines.append(text)

    # -- 1. β-TCVAE against β-VAE --------------------------------------------
    xb_train = keras_gen.datasets.load_digits("train", binarize=True)
    xb_test = keras_gen.datasets.load_digits("test", binarize=True)
    common = dict(
        data_shape=(8, 8, 1), latent_dim=8, beta=args.beta, seed=args.seed
    )
    models = {
        f"beta-VAE (beta={args.beta:g})": keras_gen.models.VAE(**common),
        f"beta-TCVAE (beta={args.beta:g})": keras_gen.models.BetaTCVAE(
            dataset_size=len(xb_train), **common
        ),
    }
    report(
        "| model | test total correlation (nats) | test ELBO (nats/image) | train s |"
    )
    report("|---|---|---|---|")
    for name, model in models.items():
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        seconds = timed_fit(model, xb_train, args)
        terms = model.kl_decomposition(xb_test, estimator="mss", seed=0)
        elbo = float(model.log_prob(xb_test, num_samples=1, seed=0).mean())
        report(
            f"| {name} | {terms['total_correlation']:.3f} | {elbo:.2f} | {seconds:.0f} |"
        )

    # -- 2. VQ-VAE against a VAE of the same latent size ------------------------
    if args.skip_vq:
        return finish(args, lines)
    x_train = keras_gen.datasets.load_digits("train")
    x_test = keras_gen.datasets.load_digits("test")
    vqvae = keras_gen.models.VQVAE(
        data_shape=(8, 8, 1),
        num_embeddings=64,
        embedding_dim=8,
        filters=(64,),
        num_res_blocks=1,
        dead_code_threshold=1.0,
        seed=args.seed,
    )
    vqvae.compile(optimizer=keras.optimizers.Adam(1e-3))
    vq_seconds = timed_fit(vqvae, x_train, args)
    usage = vqvae.codebook_usage(x_test)
    vq_mse = float(np.mean((vqvae.reconstruct(x_test) - x_test) ** 2))
    vae = keras_gen.models.VAE(
        data_shape=(8, 8, 1),
        latent_dim=int(np.prod(vqvae.index_shape)),
        seed=args.seed,
    )
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    vae_seconds = timed_fit(vae, x_train, args)
    vae_mse = float(np.mean((vae.reconstruct(x_test) - x_test) ** 2))
    report("")
    report(
        "| model | latents | codebook used (test) | perplexity | test recon. MSE | train s |"
    )
    report("|---|---|---|---|---|---|")
    report(
        f"| VQ-VAE | 4x4 indices into 64 codes | {usage['used']}/64 | {usage['perplexity']:.1f} | "
        f"{vq_mse:.4f} | {vq_seconds:.0f} |"
    )
    report(
        f"| VAE (Bernoulli) | {vae.latent_dim} Gaussian | - | - | {vae_mse:.4f} | {vae_seconds:.0f} |"
    )

    finish(args, lines)


def finish(args, lines):
    if args.results:
        bench_utils.append_markdown_section(
            args.results,
            f"backend {keras.backend.backend()}, {args.epochs} epochs, beta {args.beta:g}, "
            f"batch {args.batch_size}, seed {args.seed}",
            "",
            lines,
        )


if __name__ == "__main__":
    main()
