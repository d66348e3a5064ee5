"""FlowMatching against DDPM on a 2-D toy: sample quality at equal network
evaluations.

Both models get the same MLP (`MLPDenoiser`, the registries' "toy" size
unless told otherwise), the same data, optimizer, epochs and seed; only the
objective differs (velocity regression on the straight path vs ε-prediction
on DDPM's 1,000-step linear schedule). Each is then sampled with a budget
of network evaluations (NFE): FlowMatching with Euler (1 NFE per step) and
midpoint (2), DDPM with DDIM (deterministic, 1 NFE per step) and
DPM-Solver++(2M) (1).

Quality, on the 8-Gaussians toy (its density is known):

- SW1: the sliced 1-Wasserstein distance to held-out data (128 random
  directions; lower is better; two independent data samples of the same
  size give the floor printed in the first row);
- NLL: the mean −log p_data of the samples under the true density (nats;
  the data's own value is its entropy, 2.831; a sampler that blurs the
  modes scores higher, one that collapses onto the centres lower);
- in 3σ: the share of samples within 3σ of a mode centre (data: 98.9 %).

    KERAS_BACKEND=jax python benchmarks/flow_matching_vs_ddpm.py            # a few minutes on CPU
    KERAS_BACKEND=jax python benchmarks/flow_matching_vs_ddpm.py --epochs 2 --no-write   # smoke run

Results are appended to `benchmarks/flow_matching_results.md` with the
date, backend and the machine's load (`uptime`).
"""

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time

import keras
import numpy as np

import keras_gen
from keras_gen.models import registry

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from real_nvp_toys import (  # noqa: E402
    ENTROPY,
    true_log_density,
)


def parse_args():
    parser = argparse.ArgumentParser(
        description="FlowMatching vs DDPM on a 2-D toy at equal NFE"
    )
    parser.add_argument("--toy", default="8gaussians", choices=["8gaussians"])
    parser.add_argument("--hidden-dim", type=int, default=128)
    parser.add_argument("--num-layers", type=int, default=3)
    parser.add_argument("--train-size", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--num-samples", type=int, default=4000)
    parser.add_argument("--nfe", type=int, nargs="+", default=[2, 4, 8, 16, 32])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--results", default=os.path.join(HERE, "flow_matching_results.md")
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser.parse_args()


def sliced_wasserstein(a, b, num_directions=128, seed=0):
    """Mean over random unit directions of the 1-D W1 between projections
    (equal sample sizes: the sorted projections pair up)."""
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(num_directions, a.shape[1]))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    n = min(len(a), len(b))
    pa = np.sort(a[:n] @ directions.T, axis=0)
    pb = np.sort(b[:n] @ directions.T, axis=0)
    return float(np.abs(pa - pb).mean())


def quality(name, samples, reference):
    centers, sigma = keras_gen.datasets.toy_2d_modes(name)
    distance = np.min(
        np.linalg.norm(samples[:, None] - centers[None], axis=-1), axis=1
    )
    finite = np.isfinite(samples).all(axis=1)
    return {
        "sw1": sliced_wasserstein(samples[finite], reference),
        "nll": float(-true_log_density(name, samples[finite]).mean()),
        "in_3_sigma": float((distance < 3 * sigma).mean()),
    }


def train(family, args, x_train):
    keras.utils.set_random_seed(args.seed)
    model = registry.get(family).build(
        "toy",
        hidden_dim=args.hidden_dim,
        num_layers=args.num_layers,
        ema_decay=0.999,
        seed=args.seed,
    )
    steps = args.epochs * (len(x_train) // args.batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(
        args.learning_rate, steps, alpha=0.01
    )
    model.compile(optimizer=keras.optimizers.Adam(schedule))
    cpu, wall = time.process_time(), time.time()
    history = model.fit(
        x_train, epochs=args.epochs, batch_size=args.batch_size, verbose=0
    )
    return (
        model,
        f"{time.process_time() - cpu:.0f} s CPU ({time.time() - wall:.0f} s wall)",
        history,
    )


def samplers(nfe):
    """(family, label, generate options) at `nfe` network evaluations."""
    rows = [
        (
            "flow_matching",
            "FlowMatching, Euler",
            dict(solver="euler", num_steps=nfe),
        ),
        ("ddpm", "DDPM, DDIM", dict(scheduler="ddim", num_steps=nfe)),
        (
            "ddpm",
            "DDPM, DPM-Solver++(2M)",
            dict(scheduler="dpm_solver", num_steps=nfe),
        ),
    ]
    if nfe % 2 == 0:
        rows.insert(
            1,
            (
                "flow_matching",
                "FlowMatching, midpoint",
                dict(solver="midpoint", num_steps=nfe // 2),
            ),
        )
    return rows


def uptime():
    try:
        return subprocess.run(
            ["uptime"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average {:.2f}, {:.2f}, {:.2f}".format(*os.getloadavg())


def main():
    args = parse_args()
    load_before = uptime()
    x_train = keras_gen.datasets.toy_2d(
        args.toy, args.train_size, seed=args.seed
    )
    x_test = keras_gen.datasets.toy_2d(
        args.toy, args.num_samples, seed=args.seed + 1000
    )
    x_other = keras_gen.datasets.toy_2d(
        args.toy, args.num_samples, seed=args.seed + 2000
    )
    models, times = {}, {}
    for family in ("flow_matching", "ddpm"):
        models[family], times[family], history = train(family, args, x_train)
        print(
            f"{family}: trained in {times[family]}, final loss {history.history['loss'][-1]:.4f}"
        )
    floor = quality(args.toy, x_other, x_test)
    lines = [
        f"| data (a second sample) | - | {floor['sw1']:.3f} | {floor['nll']:.3f} | {100 * floor['in_3_sigma']:.1f} % | - |\n"
    ]
    for nfe in args.nfe:
        for family, label, options in samplers(nfe):
            model = models[family]
            model.generate(8, seed=0, **options)  # compile outside the timing
            wall = time.time()
            samples = model.generate(
                args.num_samples, seed=args.seed + 1, **options
            )
            wall = time.time() - wall
            q = quality(args.toy, samples, x_test)
            lines.append(
                f"| {label} | {nfe} | {q['sw1']:.3f} | {q['nll']:.3f} | {100 * q['in_3_sigma']:.1f} % | {wall:.2f} s |\n"
            )
            print(lines[-1], end="", flush=True)
    load_after = uptime()
    header = (
        f"\n## {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC — FlowMatching vs DDPM at equal "
        f"network evaluations (NFE), {args.toy}, backend {keras.backend.backend()}, keras {keras.__version__}, "
        f"shared 2-core CPU ({platform.machine()})\n\n"
        f"Written by `benchmarks/flow_matching_vs_ddpm.py`. Both models: MLPDenoiser {args.num_layers}x"
        f"{args.hidden_dim}, {args.train_size:,} training points, {args.epochs} epochs, batch {args.batch_size}, "
        f"Adam {args.learning_rate:g} with cosine decay, EMA 0.999, seed {args.seed}; DDPM: 1,000-step linear "
        f"schedule, ε-prediction. Training: FlowMatching {times['flow_matching']}, DDPM {times['ddpm']}. "
        f"{args.num_samples:,} samples per row against {args.num_samples:,} held-out points. SW1: sliced "
        f"1-Wasserstein (lower is better); NLL: mean −log p_data of the samples (entropy "
        f"{ENTROPY[args.toy]:.3f}); in 3σ: share within 3σ of a mode centre.\n\n"
        f"`uptime` before: `{load_before}`; after: `{load_after}` (other sessions' jobs shared the CPU: "
        "wall times are inflated).\n\n"
        "| sampler | NFE | SW1 | NLL (nats) | in 3σ | sampling wall time |\n| --- | --- | --- | --- | --- | --- |\n"
    )
    text = header + "".join(lines)
    print(text)
    if not args.no_write:
        with open(args.results, "a") as f:
            f.write(text)
        print(f"appended to {args.results}")


if __name__ == "__main__":
    main()
