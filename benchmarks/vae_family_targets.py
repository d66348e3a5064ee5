"""The "done when" targets of issue 20 for the VAE family, measured.

Data: the embedded 8x8 digits (`keras_gen.datasets.load_digits`, train
[:1000], test [1350:], 447 images) and the dSprites-like shapes rendered
in code (`keras_gen.datasets.load_sprites`, 16x16, 3 shapes x 4 scales x
8 x 8 positions = 768 images). Every model trains for `--epochs` epochs of
batch 64 with Adam(1e-3); the VAEs ramp their KL weight from 0 over the
first `--warmup-epochs` epochs (`kl_warmup_epochs`), so that none starts by
collapsing onto the prior.

Parts (`--parts`):

- `tc`: β-VAE (`VAE(beta=β)`) against β-TCVAE (`BetaTCVAE(beta=β)`), 8-D
  latents, binarised digits, per seed. Test split: total correlation of the
  aggregate posterior by minibatch-weighted sampling
  (`kl_decomposition(estimator="mws")`, the 447 test images as one batch
  and N = 447), and the test ELBO (`log_prob(num_samples=1)`), nats per
  image. Target: β-TCVAE's TC lower at a test ELBO within 2 %.
- `mig`: the same two models (10-D latents) on the sprites, trained on a
  fixed 80 % (614 images); the mutual information gap
  (`keras_gen.metrics.mutual_information_gap`, posterior means, 20 bins)
  over all 768 images, and the total correlation and ELBO of the 154
  held-out ones. Target: β-TCVAE's MIG higher.
- `cvae`: `VAE(num_classes=10)` on the grey-level digits; 1,000 samples
  (100 per class) read by the shipped digits classifier
  (`requested_class_accuracy`), beside real test images. Target: >= 80 %.
- `iwae`: VAE trained on the IWAE bound with K = 5 against the VAE (ELBO),
  binarised digits, the same number of epochs; test `log_prob` with
  `--eval-k` importance samples. Target: IWAE's bound higher.
- `vq`: VQ-VAE (64 codes, 4x4 grid) + its gated PixelCNN prior
  (`VQVAEPrior`) against a VAE's prior samples, grey-level digits;
  classifier Fréchet distance (digits classifier features) of 447 samples
  to the 447 test images, beside the real-data floor (the first 447 train
  images against the test images). Target: VQ prior below the VAE.

    KERAS_BACKEND=jax python benchmarks/vae_family_targets.py --epochs 200 \\
        --seeds 0 1 --results benchmarks/vae_family_results.md
    KERAS_BACKEND=jax python benchmarks/vae_family_targets.py --epochs 200 \\
        --seeds 0 1 --beta 2 --parts tc --results benchmarks/vae_family_results.md
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

PARTS = ("tc", "mig", "cvae", "iwae", "vq")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--warmup-epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--beta", type=float, default=4.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument(
        "--parts", default=",".join(PARTS), help=f"comma-separated: {PARTS}"
    )
    parser.add_argument(
        "--eval-k",
        type=int,
        default=1000,
        help="importance samples of the test log-likelihood bound (iwae)",
    )
    parser.add_argument("--results", default=None)
    return parser.parse_args()


def train(model, x, args, y=None, epochs=None):
    """Compiles with Adam(1e-3), fits; returns the training seconds."""
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    start = time.time()
    model.fit(
        x,
        y,
        epochs=epochs or args.epochs,
        batch_size=args.batch_size,
        verbose=0,
    )
    return time.time() - start


def beta_pair(args, seed, latent_dim, data_shape, dataset_size, **kwargs):
    """The β-VAE and the β-TCVAE of one seed, same β, networks, warm-up."""
    common = dict(
        data_shape=data_shape,
        latent_dim=latent_dim,
        beta=args.beta,
        kl_warmup_epochs=args.warmup_epochs,
        seed=seed,
        **kwargs,
    )
    return {
        "beta-VAE": keras_gen.models.VAE(**common),
        "beta-TCVAE": keras_gen.models.BetaTCVAE(
            dataset_size=dataset_size, **common
        ),
    }


def part_tc(args, report):
    x_train = keras_gen.datasets.load_digits("train", binarize=True)
    x_test = keras_gen.datasets.load_digits("test", binarize=True)
    report(
        f"### β-TCVAE vs β-VAE, β = {args.beta:g}, binarised digits, 8-D latents\n"
    )
    report(
        "| model | seed | test TC, MWS (nats) | test TC, MSS | test MI (MSS) | "
        "test dim-wise KL (MSS) | test KL | test ELBO (nats/image) | train s |"
    )
    report("|---|---|---|---|---|---|---|---|---|")
    results = {}
    for seed in args.seeds:
        for name, model in beta_pair(
            args, seed, 8, (8, 8, 1), len(x_train)
        ).items():
            seconds = train(model, x_train, args)
            tc_mws = model.total_correlation(x_test, estimator="mws", seed=0)
            terms = model.kl_decomposition(x_test, estimator="mss", seed=0)
            elbo = float(model.log_prob(x_test, num_samples=1, seed=0).mean())
            results.setdefault(name, []).append(
                (tc_mws, terms["total_correlation"], elbo)
            )
            report(
                f"| {name} | {seed} | {tc_mws:.3f} | {terms['total_correlation']:.3f} | "
                f"{terms['mutual_information']:.3f} | {terms['dimension_wise_kl']:.3f} | "
                f"{terms['kl']:.2f} | {elbo:.2f} | {seconds:.0f} |"
            )
    mws_v, mss_v, elbo_v = np.mean(results["beta-VAE"], axis=0)
    mws_t, mss_t, elbo_t = np.mean(results["beta-TCVAE"], axis=0)
    gap = (elbo_t - elbo_v) / abs(elbo_v)
    report(
        f"\nMean over seeds: TC by MWS {mws_t:.3f} (β-TCVAE) vs {mws_v:.3f} (β-VAE), "
        f"by MSS {mss_t:.3f} vs {mss_v:.3f}; "
        f"ELBO {elbo_t:.2f} vs {elbo_v:.2f} ({100 * gap:+.1f} % for the β-TCVAE).\n"
    )


def part_mig(args, report):
    x, factors = keras_gen.datasets.load_sprites(image_size=16, num_positions=8)
    # A fixed 80 / 20 split: train on 614 images, TC and ELBO on the other
    # 154; MIG over all 768 (every factor combination once).
    order = np.random.default_rng(0).permutation(len(x))
    train_index, test_index = order[: len(x) * 4 // 5], order[len(x) * 4 // 5 :]
    names = keras_gen.datasets.SPRITE_FACTORS
    report(
        f"### MIG on the sprites (16x16, {len(x)} images), β = {args.beta:g}, 10-D latents\n"
    )
    report(
        f"Trained on {len(train_index)} images; MIG over all {len(x)}; total correlation and "
        f"ELBO on the {len(test_index)} held-out images.\n"
    )
    report(
        "| model | seed | MIG | "
        + " | ".join(f"gap {n}" for n in names)
        + " | active dims | held-out TC, MWS | held-out TC, MSS | held-out KL | "
        "held-out ELBO (nats/image) | train s |"
    )
    report("|---" * (9 + len(names)) + "|")
    results = {}
    for seed in args.seeds:
        for name, model in beta_pair(
            args, seed, 10, x.shape[1:], len(train_index)
        ).items():
            seconds = train(model, x[train_index], args)
            z_mean, _ = model.encode(x)
            mig = keras_gen.metrics.mutual_information_gap(z_mean, factors)
            # Active: the posterior means vary across the data.
            active = int(np.sum(np.var(z_mean, axis=0) > 0.01))
            x_test = x[test_index]
            tc_mws = model.total_correlation(x_test, estimator="mws", seed=0)
            terms = model.kl_decomposition(x_test, estimator="mss", seed=0)
            elbo = float(model.log_prob(x_test, num_samples=1, seed=0).mean())
            results.setdefault(name, []).append(
                (mig["mig"], tc_mws, terms["total_correlation"], elbo)
            )
            report(
                f"| {name} | {seed} | {mig['mig']:.3f} | "
                + " | ".join(f"{g:.3f}" for g in mig["per_factor"])
                + f" | {active} | {tc_mws:.3f} | {terms['total_correlation']:.3f} | "
                f"{terms['kl']:.2f} | {elbo:.2f} | {seconds:.0f} |"
            )
    mig_v, mws_v, mss_v, elbo_v = np.mean(results["beta-VAE"], axis=0)
    mig_t, mws_t, mss_t, elbo_t = np.mean(results["beta-TCVAE"], axis=0)
    report(
        f"\nMean over seeds: MIG {mig_t:.3f} (β-TCVAE) vs {mig_v:.3f} (β-VAE); "
        f"held-out TC by MWS {mws_t:.3f} vs {mws_v:.3f}, by MSS {mss_t:.3f} vs {mss_v:.3f}; "
        f"ELBO {elbo_t:.2f} vs {elbo_v:.2f} "
        f"({100 * (elbo_t - elbo_v) / abs(elbo_v):+.1f} % for the β-TCVAE).\n"
    )


def part_cvae(args, report):
    x, y = keras_gen.datasets.load_digits("train", with_labels=True)
    x_test, y_test = keras_gen.datasets.load_digits("test", with_labels=True)
    report("### Conditional VAE, grey-level digits, 8-D latents\n")
    report(
        "| model | seed | read as requested class (1,000 samples) | real test images | "
        "within-class pixel std, samples / real test | test KL (nats) | train s |"
    )
    report("|---|---|---|---|---|---|---|")
    real = keras_gen.metrics.requested_class_accuracy(x_test, y_test)
    for seed in args.seeds:
        model = keras_gen.models.VAE(
            data_shape=(8, 8, 1),
            latent_dim=8,
            num_classes=10,
            kl_warmup_epochs=args.warmup_epochs,
            seed=seed,
        )
        seconds = train(model, x, args, y=y)
        labels = np.arange(1000) % 10
        samples = model.generate(1000, labels=labels, seed=seed)
        acc = keras_gen.metrics.requested_class_accuracy(samples, labels)
        worst = int(np.nanargmin(acc["per_class"]))
        # Do the samples of one class vary (the code is used), or is each
        # class one mean image?
        spread = np.mean(
            [samples[labels == k].std(0).mean() for k in range(10)]
        )
        real_spread = np.mean(
            [x_test[y_test == k].std(0).mean() for k in range(10)]
        )
        z_mean, z_log_var = model.encode(x_test, labels=y_test)
        kl = float(
            np.mean(
                np.sum(
                    0.5 * (z_mean**2 + np.exp(z_log_var) - 1.0 - z_log_var),
                    axis=-1,
                )
            )
        )
        report(
            f"| VAE(num_classes=10) | {seed} | {100 * acc['accuracy']:.1f} % "
            f"(worst class {worst}: {100 * acc['per_class'][worst]:.0f} %) | "
            f"{100 * real['accuracy']:.1f} % | {spread:.3f} / {real_spread:.3f} | "
            f"{kl:.2f} | {seconds:.0f} |"
        )
    report("")


def part_iwae(args, report):
    x_train = keras_gen.datasets.load_digits("train", binarize=True)
    x_test = keras_gen.datasets.load_digits("test", binarize=True)
    report(
        f"### IWAE (K = 5) vs VAE, binarised digits, 8-D latents, same {args.epochs} epochs\n"
    )
    report(
        f"| model | seed | test log p(x) bound, K = {args.eval_k} | test ELBO (K = 1) | "
        "train s |"
    )
    report("|---|---|---|---|---|")
    results = {}
    for seed in args.seeds:
        for name, k in (("VAE (ELBO)", 1), ("IWAE (K = 5)", 5)):
            model = keras_gen.models.VAE(
                data_shape=(8, 8, 1),
                latent_dim=8,
                num_importance_samples=k,
                kl_warmup_epochs=args.warmup_epochs,
                seed=seed,
            )
            seconds = train(model, x_train, args)
            bound = float(
                model.log_prob(x_test, num_samples=args.eval_k, seed=0).mean()
            )
            elbo = float(model.log_prob(x_test, num_samples=1, seed=0).mean())
            results.setdefault(name, []).append(bound)
            report(
                f"| {name} | {seed} | {bound:.2f} | {elbo:.2f} | {seconds:.0f} |"
            )
    report(
        f"\nMean bound over seeds: {np.mean(results['IWAE (K = 5)']):.2f} (IWAE) vs "
        f"{np.mean(results['VAE (ELBO)']):.2f} (VAE) nats/image.\n"
    )


def part_vq(args, report):
    x_train = keras_gen.datasets.load_digits("train")
    x_test = keras_gen.datasets.load_digits("test")
    floor = keras_gen.metrics.real_data_floor("digits")[
        "classifier_frechet_distance"
    ]
    report(
        "### VQ-VAE + learned prior vs VAE prior samples, grey-level digits\n"
    )
    report(
        "| model | seed | classifier FD (447 samples vs test) | real-data floor (train vs test) | "
        "train s |"
    )
    report("|---|---|---|---|---|")

    def fd(model, seed):
        return keras_gen.metrics.evaluate(model, x_test, seed=seed)[
            "classifier_frechet_distance"
        ]

    for seed in args.seeds:
        vqvae = keras_gen.models.VQVAE(
            data_shape=(8, 8, 1),
            num_embeddings=64,
            embedding_dim=8,
            filters=(64,),
            num_res_blocks=1,
            dead_code_threshold=1.0,
            seed=seed,
        )
        seconds = train(vqvae, x_train, args)
        prior = keras_gen.models.VQVAEPrior(
            vqvae, hidden_dim=64, num_layers=4, seed=seed
        )
        seconds += train(prior, x_train, args)
        report(
            f"| VQ-VAE (64 codes, 4x4) + PixelCNN prior | {seed} | {fd(prior, seed):.2f} | "
            f"{floor:.2f} | {seconds:.0f} |"
        )
        for latent_dim in (8, 16):
            vae = keras_gen.models.VAE(
                data_shape=(8, 8, 1),
                latent_dim=latent_dim,
                kl_warmup_epochs=args.warmup_epochs,
                seed=seed,
            )
            seconds = train(vae, x_train, args)
            report(
                f"| VAE ({latent_dim}-D, Bernoulli means of N(0, I) draws) | {seed} | "
                f"{fd(vae, seed):.2f} | {floor:.2f} | {seconds:.0f} |"
            )
    report("")


def main():
    args = parse_args()
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise SystemExit(f"unknown --parts {unknown}; expected from {PARTS}")
    keras.utils.set_random_seed(args.seeds[0])
    lines = []

    def report(text):
        print(text, flush=True)
        lines.append(text)

    for part in parts:
        start = time.time()
        globals()[f"part_{part}"](args, report)
        print(f"[{part}: {time.time() - start:.0f} s]", flush=True)
    if args.results:
        bench_utils.append_markdown_section(
            args.results,
            f"issue 20 targets ({', '.join(parts)}), backend {keras.backend.backend()}, "
            f"{args.epochs} epochs, KL warm-up {args.warmup_epochs} epochs, beta {args.beta:g}, "
            f"batch {args.batch_size}, seeds {' '.join(map(str, args.seeds))}",
            "Run pinned to one core with one thread (`taskset -c 0`, "
            "`OMP_NUM_THREADS=1`, XLA single-threaded).",
            lines,
        )


if __name__ == "__main__":
    main()
