"""Sample quality per network evaluation on the digits: DDPM's samplers,
and FlowMatching against DDPM with the same U-Net and training budget.

Part 1 (`--part samplers`): the built-in `ddpm_digits` preset (a
class-conditional U-Net, ε-prediction, 1,000-step schedule) sampled with
DDIM at 50 and 10 steps, DPM-Solver++(2M) at 10 and 20, and Euler and Heun
on Karras sigmas. Target (issue 21): DPM-Solver++ at 10 network
evaluations (NFE) no worse than DDIM at 50.

Part 2 (`--part flow`): the registry's `"digits"` configurations of DDPM
and FlowMatching, which build the same U-Net (width 16, one residual block
per level, attention at 4x4), trained on the 1,000 train digits with the
same optimizer, learning rate, batch, epochs and seed; DDPM sampled with
DDIM-50 and DPM-Solver++-10/20, FlowMatching with Euler-20 and Heun-10 (20
NFE) and midpoint-10. Target: FlowMatching at 20 NFE no worse than
DDPM + DDIM-50.

Quality is the classifier Fréchet distance (the digits CNN shipped with
keras_gen, never FID) of 1,000 class-conditional samples (100 per class,
guidance scale 1) to the 447 test digits, next to the floor (the real
train digits against the same test digits: 4.88).

    KERAS_BACKEND=jax python benchmarks/sampler_quality.py --part samplers
    KERAS_BACKEND=jax python benchmarks/sampler_quality.py --part flow --epochs 150
    KERAS_BACKEND=jax python benchmarks/sampler_quality.py --part flow --epochs 2 --num-samples 100 --no-write  # smoke

Results are appended to `benchmarks/sampler_quality_results.md` with the
date, backend and the machine's load (`uptime`).
"""

import argparse
import datetime
import os
import time

import bench_utils
import keras
import numpy as np

import keras_gen
from keras_gen.metrics.digits_probe import DigitsProbe
from keras_gen.models import registry

RESULTS = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "sampler_quality_results.md"
)

# (sampler, steps, network evaluations)
DDPM_SAMPLERS = {
    "samplers": [
        ("ddim", 50, 50),
        ("ddim", 10, 10),
        ("dpm_solver", 10, 10),
        ("dpm_solver", 20, 20),
        ("euler", 10, 10),
        ("heun", 10, 19),
    ],
    "flow": [("ddim", 50, 50), ("dpm_solver", 10, 10), ("dpm_solver", 20, 20)],
}
# (solver, steps, network evaluations)
FLOW_SOLVERS = [("euler", 20, 20), ("heun", 10, 20), ("midpoint", 10, 20)]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["samplers", "flow"], required=True)
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--num-samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true")
    return parser.parse_args()


def score(generate, num_samples):
    """(classifier FD, sampling seconds) of `num_samples` samples, 10% per
    class."""
    labels = np.arange(num_samples) % 10
    start = time.time()
    samples = generate(labels)
    seconds = time.time() - start
    distance, _ = DigitsProbe.frechet_distance(samples)
    return distance, seconds


def ddpm_rows(model, samplers, num_samples):
    rows = []
    for sampler, steps, nfe in samplers:
        distance, seconds = score(
            lambda labels, s=sampler, n=steps: model.generate(
                len(labels), labels=labels, scheduler=s, num_steps=n, seed=1
            ),
            num_samples,
        )
        rows.append((f"DDPM, {sampler}-{steps}", nfe, distance, seconds))
        print(rows[-1], flush=True)
    return rows


def flow_rows(model, num_samples):
    rows = []
    for solver, steps, nfe in FLOW_SOLVERS:
        distance, seconds = score(
            lambda labels, s=solver, n=steps: model.generate(
                len(labels), labels=labels, solver=s, num_steps=n, seed=1
            ),
            num_samples,
        )
        rows.append((f"FlowMatching, {solver}-{steps}", nfe, distance, seconds))
        print(rows[-1], flush=True)
    return rows


def train(family, x, y, args):
    """The registry's digits model of `family`, trained; (model, CPU s,
    wall s, final loss)."""
    entry = registry.get(family)
    model = entry.build("digits", seed=args.seed)
    config = entry.configurations["digits"]
    steps = args.epochs * -(-len(x) // args.batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0,
        steps,
        warmup_target=config.learning_rate,
        warmup_steps=min(200, steps // 10),
    )
    model.compile(optimizer=keras.optimizers.Adam(schedule))
    cpu, wall = time.process_time(), time.time()
    history = model.fit(
        x, y, epochs=args.epochs, batch_size=args.batch_size, verbose=0
    )
    return (
        model,
        time.process_time() - cpu,
        time.time() - wall,
        history.history["loss"][-1],
    )


def main():
    args = parse_args()
    keras.utils.set_random_seed(args.seed)
    before = bench_utils.uptime()
    _, floor = DigitsProbe.frechet_distance(
        keras_gen.datasets.load_digits("train")
    )
    header = (
        f"## {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC — "
        f"part `{args.part}`, backend {keras.backend.backend()}, keras {keras.__version__}, "
        f"{args.num_samples} samples (100 per class when 1,000), seed {args.seed}\n\n"
    )
    notes = []
    if args.part == "samplers":
        model = keras_gen.models.DDPM.from_preset("ddpm_digits")
        rows = ddpm_rows(model, DDPM_SAMPLERS["samplers"], args.num_samples)
        notes.append("Model: the built-in `ddpm_digits` preset.")
    else:
        x, y = keras_gen.datasets.load_digits("train", with_labels=True)
        ddpm, ddpm_cpu, ddpm_wall, ddpm_loss = train("ddpm", x, y, args)
        flow, flow_cpu, flow_wall, flow_loss = train(
            "flow_matching", x, y, args
        )
        notes.append(
            f"Both trained {args.epochs} epochs, batch {args.batch_size}, Adam with warm-up and "
            f"cosine decay to the registry's learning rate; {ddpm.denoiser.count_params():,} and "
            f"{flow.denoiser.count_params():,} U-Net parameters. Training: DDPM {ddpm_cpu:.0f} s CPU "
            f"({ddpm_wall:.0f} s wall, final loss {ddpm_loss:.4f}), FlowMatching {flow_cpu:.0f} s CPU "
            f"({flow_wall:.0f} s wall, final loss {flow_loss:.4f})."
        )
        rows = ddpm_rows(ddpm, DDPM_SAMPLERS["flow"], args.num_samples)
        rows += flow_rows(flow, args.num_samples)
    after = bench_utils.uptime()
    lines = [
        "| sampler | NFE | classifier FD | sampling wall s |",
        "| --- | --- | --- | --- |",
        f"| real train digits (the floor) | - | {floor:.2f} | - |",
    ]
    lines += [
        f"| {name} | {nfe} | {fd:.2f} | {s:.1f} |" for name, nfe, fd, s in rows
    ]
    text = (
        header
        + " ".join(notes)
        + f"\n\n`uptime` before: `{before}`; after: `{after}`.\n\n"
        + "\n".join(lines)
        + "\n\n"
    )
    print(text)
    if not args.no_write:
        bench_utils.append_results(
            RESULTS,
            "# Sample quality per network evaluation on the digits\n\n"
            "Written by `benchmarks/sampler_quality.py` (see its docstring); each run "
            "appends a section. Classifier FD: the digits CNN shipped with keras_gen, "
            "1,000 class-conditional samples against the 447 test digits (not FID).\n\n",
            text,
        )


if __name__ == "__main__":
    main()
