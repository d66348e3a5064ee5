"""FlowMatching on 2-D toy densities: test NLL from `log_prob` against the
true entropy.

`FlowMatching.log_prob` integrates the probability-flow ODE back from the
data to the N(0, I) noise with the instantaneous change of variables (RK4,
exact divergence in 2-D). The best possible test negative log-likelihood
(NLL) is the entropy of the data (8 Gaussians about 2.831 nats,
checkerboard ln 32 = 3.466); `NLL - true NLL` on the same test points (the
toys' densities are known, see `real_nvp_toys.py`) removes most of the
test-set noise. Target: within 0.10 nats of the entropy on both toys.

The ODE discretisation is checked by repeating `log_prob` with twice the
steps on the first test points (the difference should be far below the
gap).

Set-up: an `MLPDenoiser` velocity network (the registry's "toy"
configuration), trained with `fit` on a fixed sample of the toy, Adam with
a cosine learning-rate decay, independent coupling by default. Results are
appended to `benchmarks/flow_matching_results.md`.

    XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" OMP_NUM_THREADS=1 \
        KERAS_BACKEND=jax taskset -c 1 python benchmarks/flow_matching_toys.py
"""

import argparse
import datetime
import math
import os
import platform
import time

import keras
import numpy as np
from real_nvp_toys import ENTROPY, true_log_density

import keras_gen
from keras_gen.models import registry

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args():
    parser = argparse.ArgumentParser(
        description="FlowMatching log_prob on 2-D toys"
    )
    parser.add_argument(
        "--toys", nargs="+", default=["8gaussians", "checkerboard"]
    )
    parser.add_argument(
        "--coupling", default="independent", choices=["independent", "ot"]
    )
    parser.add_argument("--hidden-dim", type=int, default=256)
    parser.add_argument("--num-layers", type=int, default=3)
    parser.add_argument("--train-size", type=int, default=100_000)
    parser.add_argument("--test-size", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument(
        "--ode-steps", type=int, default=32, help="RK4 steps of log_prob"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--results", default=os.path.join(HERE, "flow_matching_results.md")
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser.parse_args()


def run(name, args):
    keras.utils.set_random_seed(args.seed)
    x_train = keras_gen.datasets.toy_2d(name, args.train_size, seed=args.seed)
    x_test = keras_gen.datasets.toy_2d(
        name, args.test_size, seed=args.seed + 1000
    )
    model = registry.get("flow_matching").build(
        "toy",
        hidden_dim=args.hidden_dim,
        num_layers=args.num_layers,
        coupling=args.coupling,
        seed=args.seed,
    )
    steps = args.epochs * (args.train_size // args.batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(
        args.learning_rate, steps, alpha=0.01
    )
    model.compile(optimizer=keras.optimizers.Adam(schedule))
    cpu, wall = time.process_time(), time.time()
    model.fit(
        x_train, epochs=args.epochs, batch_size=args.batch_size, verbose=2
    )
    train_cpu, train_wall = time.process_time() - cpu, time.time() - wall
    cpu, wall = time.process_time(), time.time()
    nll = -model.log_prob(x_test, num_steps=args.ode_steps, batch_size=2000)
    eval_cpu, eval_wall = time.process_time() - cpu, time.time() - wall
    finer = -model.log_prob(
        x_test[:2000], num_steps=2 * args.ode_steps, batch_size=2000
    )
    true_nll = -true_log_density(name, x_test)
    return {
        "toy": name,
        "nll": float(nll.mean()),
        "se": float(nll.std() / math.sqrt(len(nll))),
        "gap": float(nll.mean() - ENTROPY[name]),
        "kl": float((nll - true_nll).mean()),
        "kl_se": float((nll - true_nll).std() / math.sqrt(len(nll))),
        "ode_error": float(np.abs(finer - nll[:2000]).mean()),
        "params": int(
            sum(np.prod(v.shape) for v in model.denoiser.trainable_variables)
        ),
        "train": f"{train_cpu:.0f} s CPU ({train_wall:.0f} s wall)",
        "eval": f"{eval_cpu:.0f} s CPU ({eval_wall:.0f} s wall)",
    }


def main():
    args = parse_args()
    load_before = os.getloadavg()
    rows = [run(name, args) for name in args.toys]
    load_after = os.getloadavg()
    header = (
        f"\n## {datetime.date.today()} — FlowMatching log_prob on 2-D toys, backend {keras.backend.backend()}, "
        f"shared 2-core CPU ({platform.machine()}), keras {keras.__version__}\n\n"
        f"MLPDenoiser {args.num_layers}x{args.hidden_dim} velocity network, {args.coupling} coupling; "
        f"{args.train_size:,} training points, {args.epochs} epochs, batch {args.batch_size}, Adam "
        f"{args.learning_rate:g} with cosine decay; {args.test_size:,} test points; log_prob: RK4, "
        f"{args.ode_steps} steps, exact divergence. Load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after (one core, one thread).\n\n"
        "| toy | test NLL (nats) | entropy | NLL - entropy | NLL - true NLL (same points) | target "
        f"| |log_prob({2 * args.ode_steps} steps) - log_prob({args.ode_steps})| | parameters | training | "
        "log_prob |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
    )
    lines = [
        f"| {r['toy']} | {r['nll']:.3f} ± {r['se']:.3f} | {ENTROPY[r['toy']]:.3f} | {r['gap']:.3f} | "
        f"{r['kl']:.3f} ± {r['kl_se']:.3f} | <= 0.10 ({'met' if r['gap'] <= 0.10 else 'not met'}) | "
        f"{r['ode_error']:.4f} | {r['params']:,} | {r['train']} | {r['eval']} |\n"
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
