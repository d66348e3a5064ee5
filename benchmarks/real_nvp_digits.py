"""RealNVP on the embedded digits: dequantised test bits per dimension,
next to scikit-learn's `GaussianMixture` in the same units.

Data: `keras_gen.datasets.load_digits` (8x8, 17 grey levels: the loader
divides sklearn's 0..16 by 16, so the levels sit at k/16 in [0, 1]); the
fixed split train [:1000] / val [1000:1350] / test [1350:].

Units (the standard convention for discrete images): each level k is a bin
of width 1, dequantised to k + u with u ~ U[0, 1) (Theis et al., 2016);
bits/dim = -log p(k + u) / (64 ln 2), averaged over the test images (one
draw of u per image; a lower bound on the discrete log-likelihood). A
uniform distribution over the 17 levels scores log2(17) = 4.087 bits/dim.

The mixture sees exactly the same numbers: the same dequantised points
(same u), mapped by the same logit transform the flow uses (alpha = 0.05,
on the dequantised values rescaled to [0, 1)) and, as a second variant,
without the logit (the rescaled values themselves); the Jacobian of that map
and of the rescaling is added to its log-density, so its figure is in the
same units. Component counts (full covariances) are chosen on the
validation split, with the covariance regulariser `reg_covar`; the best of
both variants is the bar.

Target (issue 5): RealNVP better than the mixture.

    KERAS_BACKEND=jax python benchmarks/real_nvp_digits.py
"""

import argparse
import datetime
import math
import os
import platform
import time

import keras
import numpy as np

import keras_gen

HERE = os.path.dirname(os.path.abspath(__file__))
NUM_BINS = 17
ALPHA = 0.05
D = 64


def parse_args():
    parser = argparse.ArgumentParser(
        description="RealNVP vs GaussianMixture on digits"
    )
    parser.add_argument("--epochs", type=int, default=80)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--num-scales", type=int, default=2)
    parser.add_argument("--filters", type=int, default=16)
    parser.add_argument("--num-blocks", type=int, default=1)
    parser.add_argument("--patience", type=int, default=15)
    parser.add_argument(
        "--components", type=int, nargs="+", default=[1, 2, 4, 8]
    )
    parser.add_argument(
        "--reg-covars", type=float, nargs="+", default=[1e-3, 1e-2]
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-flow", action="store_true", help="mixture only")
    parser.add_argument("--machine", default="2-core CPU")
    parser.add_argument(
        "--results", default=os.path.join(HERE, "real_nvp_results.md")
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser.parse_args()


def dequantized_levels(x, seed):
    """Levels k (0..16) of loader images plus u ~ U[0, 1), flattened."""
    levels = np.round(x.reshape(len(x), -1) * (NUM_BINS - 1))
    return levels + np.random.default_rng(seed).uniform(0, 1, levels.shape)


def to_feature_space(v, logit):
    """Dequantised levels -> the mixture's space, with log|det| per sample."""
    y = v / NUM_BINS  # [0, 1): Jacobian 1 / 17 per dimension
    log_det = -D * math.log(NUM_BINS) * np.ones(len(v))
    if not logit:
        return y, log_det
    p = ALPHA + (1 - 2 * ALPHA) * y
    log_det = log_det + (
        math.log(1 - 2 * ALPHA) - np.log(p) - np.log1p(-p)
    ).sum(axis=1)
    return np.log(p) - np.log1p(-p), log_det


def mixture_bits_per_dim(x_train, x_val, x_test, components, reg_covars, seed):
    """Best `GaussianMixture` (components, regulariser on val) per space."""
    from sklearn.mixture import GaussianMixture

    results = {}
    for logit in (True, False):
        feats = {}
        for name, x, s in (
            ("train", x_train, seed),
            ("val", x_val, seed + 1),
            ("test", x_test, seed + 2),
        ):
            feats[name] = to_feature_space(dequantized_levels(x, s), logit)
        scores = []
        for k in components:
            for reg in reg_covars:
                gmm = GaussianMixture(
                    k, covariance_type="full", reg_covar=reg, random_state=seed
                )
                gmm.fit(feats["train"][0])

                def bpd(split):
                    h, log_det = feats[split]
                    return float(
                        -(gmm.score_samples(h) + log_det).mean()
                        / (D * math.log(2))
                    )

                scores.append((bpd("val"), k, reg, bpd("test")))
                print(
                    f"  GMM ({'logit' if logit else '[0,1)'} space) k={k:2d} reg_covar={reg:g}: "
                    f"val {scores[-1][0]:.3f}  test {scores[-1][3]:.3f} bits/dim"
                )
        val, k, reg, test = min(scores)
        results["logit" if logit else "unit"] = dict(
            k=k, reg=reg, val=val, test=test
        )
    return results


def main():
    args = parse_args()
    keras.utils.set_random_seed(args.seed)
    x_train = keras_gen.datasets.load_digits("train")
    x_val = keras_gen.datasets.load_digits("val")
    x_test = keras_gen.datasets.load_digits("test")

    print("GaussianMixture baseline (full covariances):")
    start = time.time()
    gmm = mixture_bits_per_dim(
        x_train, x_val, x_test, args.components, args.reg_covars, args.seed
    )
    gmm_seconds = time.time() - start
    best_gmm = min(gmm.values(), key=lambda r: r["val"])

    flow_row = None
    if not args.skip_flow:
        flow = keras_gen.models.RealNVP(
            data_shape=(8, 8, 1),
            num_scales=args.num_scales,
            filters=args.filters,
            num_blocks=args.num_blocks,
            num_bins=NUM_BINS,
            value_range=(0.0, 1.0),
            seed=args.seed,
        )
        steps = args.epochs * math.ceil(len(x_train) / args.batch_size)
        schedule = keras.optimizers.schedules.CosineDecay(
            args.learning_rate, steps, alpha=0.05
        )
        flow.compile(optimizer=keras.optimizers.Adam(schedule))
        start = time.time()
        history = flow.fit(
            x_train,
            validation_data=(x_val,),
            epochs=args.epochs,
            batch_size=args.batch_size,
            verbose=2,
            callbacks=[
                keras.callbacks.EarlyStopping(
                    monitor="val_loss",
                    patience=args.patience,
                    restore_best_weights=True,
                )
            ],
        )
        seconds = time.time() - start
        flow_row = dict(
            val=float(flow.bits_per_dim(x_val, seed=args.seed + 1).mean()),
            test=float(flow.bits_per_dim(x_test, seed=args.seed + 2).mean()),
            test_k8=float(
                flow.bits_per_dim(
                    x_test, num_samples=8, seed=args.seed + 2
                ).mean()
            ),
            epochs=len(history.history["loss"]),
            params=int(sum(np.prod(v.shape) for v in flow.trainable_variables)),
            seconds=seconds,
        )

    text = (
        f"\n## {datetime.date.today()} — RealNVP on the 8x8 digits, backend {keras.backend.backend()}, "
        f"{args.machine} ({platform.machine()}), keras {keras.__version__}\n\n"
        "Dequantised bits/dim of the discrete data (17 levels as unit bins; uniform: 4.087), "
        "one draw of u per image; lower is better.\n\n"
        "| model | choice (on val) | val bits/dim | test bits/dim | time |\n| --- | --- | --- | --- | --- |\n"
    )
    for space, r in gmm.items():
        label = (
            "logit space (as the flow)" if space == "logit" else "[0, 1) space"
        )
        text += f"| GaussianMixture, {label} | {r['k']} components, reg_covar {r['reg']:g} | {r['val']:.3f} | {r['test']:.3f} | {gmm_seconds:.0f} s (both) |\n"
    if flow_row:
        text += (
            f"| RealNVP ({args.num_scales} scales, ResNets {args.num_blocks}x{args.filters}, "
            f"{flow_row['params']:,} parameters) | {flow_row['epochs']} epochs (early stopping, "
            f"patience {args.patience}) | {flow_row['val']:.3f} | {flow_row['test']:.3f} "
            f"(K=8 draws: {flow_row['test_k8']:.3f}) | {flow_row['seconds']:.0f} s |\n"
        )
        met = flow_row["test"] < best_gmm["test"]
        text += (
            f"\nTarget (RealNVP below the best mixture, {best_gmm['test']:.3f}): "
            f"{'met' if met else 'not met'} ({flow_row['test'] - best_gmm['test']:+.3f} bits/dim). "
            f"Training: Adam {args.learning_rate:g}, cosine decay, batch {args.batch_size}.\n"
        )
    print(text)
    if not args.no_write:
        with open(args.results, "a") as f:
            f.write(text)
        print(f"appended to {args.results}")


if __name__ == "__main__":
    main()
