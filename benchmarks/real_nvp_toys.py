"""RealNVP on 2-D toy densities: test NLL minus the true entropy.

The best possible test negative log-likelihood (NLL) of a density model is
the entropy of the data: 8 Gaussians (radius 4/sqrt(2), sigma 0.5/sqrt(2),
`keras_gen.datasets.toy_2d`) about 2.831 nats; checkerboard ln 32 = 3.466
nats (uniform on 8 squares of side 2). The gap `NLL - entropy` is the
KL divergence from the data to the model. To remove most of the sampling
noise of the test set, the script also reports `NLL - true NLL` on the same
test points (the true density is known for both toys); both are printed.

Targets (issue 5): gap <= 0.05 nats on 8 Gaussians, <= 0.10 on checkerboard.

Set-up: a RealNVP for vectors (alternating masks, actnorm, MLP couplings),
trained with `fit` on a fixed training sample of the toy, Adam with a
cosine learning-rate decay; the test set is 50,000 fresh points. Results
are appended to `benchmarks/real_nvp_results.md`.

    KERAS_BACKEND=jax python benchmarks/real_nvp_toys.py
    KERAS_BACKEND=jax python benchmarks/real_nvp_toys.py --toys checkerboard --layers 16 --epochs 40
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
ENTROPY = {"8gaussians": 2.831, "checkerboard": math.log(32.0)}


def true_log_density(name, x):
    """log p(x) of the toy's own density."""
    x = np.asarray(x, dtype="float64")
    if name == "checkerboard":
        # Uniform on the 8 occupied squares of side 2 in [-4, 4]^2.
        cells = np.floor(x / 2.0).astype(int)
        inside = np.all(np.abs(x) <= 4.0, axis=1) & (
            (cells[:, 0] + cells[:, 1]) % 2 == 0
        )
        return np.where(inside, -math.log(32.0), -np.inf)
    centers, sigma = keras_gen.datasets.toy_2d_modes(name)
    sq = ((x[:, None, :] - centers[None].astype("float64")) ** 2).sum(-1)
    log_components = -sq / (2 * sigma**2) - math.log(2 * math.pi * sigma**2)
    m = log_components.max(axis=1, keepdims=True)
    return (
        m[:, 0] + np.log(np.exp(log_components - m).sum(axis=1))
    ) - math.log(len(centers))


def parse_args():
    parser = argparse.ArgumentParser(description="RealNVP on 2-D toys")
    parser.add_argument(
        "--toys", nargs="+", default=["8gaussians", "checkerboard"]
    )
    parser.add_argument("--layers", type=int, default=8, help="coupling layers")
    parser.add_argument(
        "--units", type=int, default=128, help="hidden units (2 layers)"
    )
    parser.add_argument("--train-size", type=int, default=100_000)
    parser.add_argument("--test-size", type=int, default=50_000)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--machine", default="2-core CPU")
    parser.add_argument(
        "--results", default=os.path.join(HERE, "real_nvp_results.md")
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser.parse_args()


def run(name, args):
    keras.utils.set_random_seed(args.seed)
    x_train = keras_gen.datasets.toy_2d(name, args.train_size, seed=args.seed)
    x_test = keras_gen.datasets.toy_2d(
        name, args.test_size, seed=args.seed + 1000
    )
    flow = keras_gen.models.RealNVP(
        data_shape=(2,),
        num_coupling_layers=args.layers,
        hidden_units=(args.units, args.units),
        seed=args.seed,
    )
    steps = args.epochs * (args.train_size // args.batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(
        args.learning_rate, steps, alpha=0.01
    )
    flow.compile(optimizer=keras.optimizers.Adam(schedule))
    start = time.time()
    flow.fit(x_train, epochs=args.epochs, batch_size=args.batch_size, verbose=2)
    seconds = time.time() - start
    nll = -flow.log_prob(x_test, batch_size=8192)
    true_nll = -true_log_density(name, x_test)
    return {
        "toy": name,
        "nll": float(nll.mean()),
        "se": float(nll.std() / math.sqrt(len(nll))),
        "gap": float(nll.mean() - ENTROPY[name]),
        "kl": float((nll - true_nll).mean()),
        "kl_se": float((nll - true_nll).std() / math.sqrt(len(nll))),
        "params": int(sum(np.prod(v.shape) for v in flow.trainable_variables)),
        "seconds": seconds,
    }


def main():
    args = parse_args()
    rows = [run(name, args) for name in args.toys]
    header = (
        f"\n## {datetime.date.today()} — RealNVP on 2-D toys, backend {keras.backend.backend()}, "
        f"{args.machine} ({platform.machine()}), keras {keras.__version__}\n\n"
        f"{args.layers} couplings of 2x{args.units} ReLU MLPs with actnorm; "
        f"{args.train_size:,} training points, {args.epochs} epochs, batch {args.batch_size}, "
        f"Adam {args.learning_rate:g} with cosine decay; {args.test_size:,} test points.\n\n"
        "| toy | test NLL (nats) | entropy | NLL - entropy | NLL - true NLL (same points) "
        "| target | parameters | training time |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n"
    )
    target = {"8gaussians": 0.05, "checkerboard": 0.10}
    lines = [
        f"| {r['toy']} | {r['nll']:.3f} ± {r['se']:.3f} | {ENTROPY[r['toy']]:.3f} | "
        f"{r['gap']:.3f} | {r['kl']:.3f} ± {r['kl_se']:.3f} | <= {target.get(r['toy'], float('nan')):.2f} "
        f"({'met' if r['kl'] <= target.get(r['toy'], -1) else 'not met'}) | {r['params']:,} | "
        f"{r['seconds']:.0f} s |\n"
        for r in rows
    ]
    text = header + "".join(lines)
    print(text)
    if not args.no_write:
        with open(args.results, "a") as f:
            f.write(text)
        print(f"appended to {args.results}")


if __name__ == "__main__":
    main()
