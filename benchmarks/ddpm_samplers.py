"""DDPM sampling at equal quality: keras_gen's samplers against diffusers'.

Issue 19, item 2, second half: at equal classifier FD, how many images per
second keras_gen's DDPM samples, against diffusers' best scheduler for the
same network. Both sample the **same checkpoints** that
`ddpm_time_to_quality.py` trained (its results file names their weights;
by default the last, 1,800-CPU-s, checkpoint of each contender), so the
only difference is the sampler and the library running it.

Each contender runs in its own process **at the same time, pinned to its
own core**, one thread, through the same list of samplers and step counts:
DDIM (eta 0, the clipped x̂_0 as in the training comparison) and
DPM-Solver++(2M) in both libraries (keras_gen's clips x̂_0 to the data
range; diffusers' both as it defaults, unclipped, and with its thresholding
held at 1, which clips), and UniPC (diffusers only; keras_gen has none). Every sampler draws 500 samples, the classes cycling, in two calls
of 250; images/s is read from the second call, so keras_gen's one-off
graph tracing (timed apart, in the first call) is not counted. This
process scores every set with the shipped Fashion-MNIST classifier
(classifier FD, never FID; the requested-class rate) and reports, per
contender, the fastest sampler that reaches a common FD target.

    python benchmarks/ddpm_samplers.py \\
        --results-json benchmarks/ddpm_time_to_quality_side_by_side.json
    python benchmarks/ddpm_samplers.py --quick
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

import bench_utils  # noqa: E402
from ddpm_time_to_quality import score  # noqa: E402

CONTENDERS = ("keras_gen", "diffusers")
SAMPLERS = {
    "keras_gen": ("ddim", "dpm_solver"),
    "diffusers": ("ddim", "dpm_solver", "dpm_solver_clipped", "unipc"),
}
NUM_CLASSES = 10
CALL_SIZE = 250


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--results-json",
        default=os.path.join(HERE, "ddpm_time_to_quality_side_by_side.json"),
        help="a results file of ddpm_time_to_quality.py (names the weights)",
    )
    parser.add_argument(
        "--checkpoint",
        type=int,
        default=-1,
        help="which checkpoint of that run (index; default the last)",
    )
    parser.add_argument("--steps", type=int, nargs="+", default=[10, 20, 50])
    parser.add_argument(
        "--samplers",
        nargs="+",
        default=None,
        help="only these sampler names (default: every one of each library)",
    )
    parser.add_argument("--num-eval", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="smoke mode")
    parser.add_argument("--out", default="/tmp/ddpm_samplers")
    parser.add_argument(
        "--json", default=os.path.join(HERE, "ddpm_samplers.json")
    )
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument(
        "--core", type=int, default=None, help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.results_json = "/tmp/ddpm_time_to_quality_quick/results.json"
        args.steps = [2, 4]
        args.num_eval = 2 * 8
        args.out += "_quick"
        args.json = os.path.join(args.out, "results.json")
    if args.num_eval % 2:
        parser.error("--num-eval must be even (two calls)")
    return args


def checkpoint_record(args, contender):
    with open(args.results_json) as f:
        run = json.load(f)
    record = run["results"][contender]["checkpoints"][args.checkpoint]
    if "weights" not in record:
        raise SystemExit(
            f"{args.results_json} names no weights for {contender}: rerun "
            "ddpm_time_to_quality.py (it keeps them since 2026-12-07)"
        )
    return run, record


# ---------------------------------------------------------------------------
# children: one contender each
# ---------------------------------------------------------------------------


def keras_gen_sampler(args, run):
    import numpy as np
    from ddpm_time_to_quality import build_keras_gen

    recipe = run["results"]["keras_gen"]
    model = build_keras_gen(
        args.seed,
        recipe.get("min_snr_gamma"),
        recipe.get("prediction_type", "epsilon"),
    )
    _, record = checkpoint_record(args, "keras_gen")
    model.load_weights(record["weights"])

    def sample(scheduler, num_steps, n, first_label, seed):
        return model.generate(
            n,
            scheduler=scheduler,
            num_steps=num_steps,
            labels=(first_label + np.arange(n)) % NUM_CLASSES,
            seed=seed,
            batch_size=n,
            verbose=False,
        )

    return sample


def diffusers_sampler(args, run):
    import argparse as _argparse

    import torch
    from fashion_peers import DiffusersDDPM

    # The training data is not used; a small subset keeps the set-up short.
    ddpm = DiffusersDDPM(_argparse.Namespace(seed=args.seed, train_subset=256))
    _, record = checkpoint_record(args, "diffusers")
    weights = torch.load(record["weights"])

    def sample(scheduler, num_steps, n, first_label, seed):
        return ddpm.sample(
            n,
            weights=weights,
            scheduler=scheduler,
            num_steps=num_steps,
            seed=seed,
            first_label=first_label,
        )

    return sample


def child(args):
    backend = os.environ.get("KERAS_BACKEND", "jax")
    bench_utils.pin_to_core(
        args.core,
        ["torch"] if args.child == "diffusers" else [backend],
    )
    import numpy as np

    with open(args.results_json) as f:
        run = json.load(f)
    make = keras_gen_sampler if args.child == "keras_gen" else diffusers_sampler
    sample = make(args, run)
    load_before = [round(v, 2) for v in os.getloadavg()]
    half = args.num_eval // 2
    rows = []
    for scheduler in SAMPLERS[args.child]:
        if args.samplers and scheduler not in args.samplers:
            continue
        for num_steps in args.steps:
            start = time.time()
            first = sample(scheduler, num_steps, half, 0, args.seed + 1)
            first_s = time.time() - start
            start = time.time()
            second = sample(scheduler, num_steps, half, half, args.seed + 2)
            second_s = time.time() - start
            path = os.path.join(
                args.out, f"{args.child}_{scheduler}_{num_steps}.npy"
            )
            np.save(path, np.concatenate([first, second]).astype("float32"))
            rows.append(
                dict(
                    scheduler=scheduler,
                    num_steps=num_steps,
                    first_call_s=round(first_s, 2),
                    second_call_s=round(second_s, 2),
                    images_per_s=round(half / second_s, 2),
                    samples=path,
                )
            )
            print(json.dumps(rows[-1]), flush=True)
    bench_utils.emit(
        dict(
            contender=args.child,
            backend=backend if args.child == "keras_gen" else "torch (eager)",
            core=args.core,
            load_before=load_before,
            load_after=[round(v, 2) for v in os.getloadavg()],
            rows=rows,
        )
    )


# ---------------------------------------------------------------------------
# parent
# ---------------------------------------------------------------------------


def fastest_at(results, target_fd):
    """Per contender, the sampler with the most images/s among those whose
    FD is at most `target_fd`."""
    out = {}
    for name, result in results.items():
        good = [
            r
            for r in result["rows"]
            if r["classifier_frechet_distance"] <= target_fd
        ]
        out[name] = max(good, key=lambda r: r["images_per_s"]) if good else None
    return out


def main():
    args = parse_args()
    if args.child:
        return child(args)
    with open(args.results_json) as f:
        run = json.load(f)
    backend = run["results"]["keras_gen"]["backend"]
    os.makedirs(args.out, exist_ok=True)
    info = bench_utils.machine_info()
    print(json.dumps(info), flush=True)
    common = [
        "--results-json", args.results_json,
        "--checkpoint", str(args.checkpoint),
        "--steps", *map(str, args.steps),
        *(["--samplers", *args.samplers] if args.samplers else []),
        "--num-eval", str(args.num_eval),
        "--seed", str(args.seed),
        "--out", args.out,
    ]  # fmt: skip
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    results = bench_utils.run_side_by_side(
        __file__,
        CONTENDERS,
        common,
        lambda name: dict(
            KERAS_BACKEND=backend if name == "keras_gen" else "torch"
        ),
    )
    bench_utils.pin_one_thread()
    import keras_gen

    x_test = keras_gen.datasets.load_fashion_mnist(
        "test", num_samples=args.num_eval
    )
    floor = keras_gen.metrics.real_data_floor(
        "fashion_mnist",
        ("classifier_frechet_distance",),
        num_samples=args.num_eval,
    )
    for result in results.values():
        for row in result["rows"]:
            row.update(score(row["samples"], x_test)[0])
    # The common target: the worse of the two DDIM-50 (or longest DDIM)
    # figures, which both contenders reach by construction.
    longest = max(args.steps)
    ddim_fd = {
        name: next(
            r["classifier_frechet_distance"]
            for r in result["rows"]
            if r["scheduler"] == "ddim" and r["num_steps"] == longest
        )
        for name, result in results.items()
    }
    target_fd = max(ddim_fd.values())
    fastest = fastest_at(results, target_fd)
    summary = dict(
        target_fd=target_fd,
        **{
            f"{name}_fastest": (
                None
                if row is None
                else dict(
                    scheduler=row["scheduler"],
                    num_steps=row["num_steps"],
                    images_per_s=row["images_per_s"],
                    classifier_frechet_distance=row[
                        "classifier_frechet_distance"
                    ],
                )
            )
            for name, row in fastest.items()
        },
    )
    if fastest["keras_gen"] and fastest["diffusers"]:
        summary["speedup"] = round(
            fastest["keras_gen"]["images_per_s"]
            / fastest["diffusers"]["images_per_s"],
            2,
        )
    out = dict(
        machine=info,
        started=started,
        finished=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        args={
            k: v for k, v in vars(args).items() if k not in ("child", "core")
        },
        checkpoint={
            name: checkpoint_record(args, name)[1]["budget_cpu_s"]
            for name in CONTENDERS
        },
        floor={k: float(v) for k, v in floor.items()},
        results=results,
        summary=summary,
    )
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(out, f, indent=1)
    print(
        "| contender | sampler | steps | FD | requested class | images/s "
        "| first call s |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, result in results.items():
        for r in result["rows"]:
            print(
                f"| {name} | {r['scheduler']} | {r['num_steps']} | "
                f"{r['classifier_frechet_distance']:.1f} | "
                f"{100 * r['requested_class_rate']:.1f} % | "
                f"{r['images_per_s']} | {r['first_call_s']} |"
            )
    print(f"\nFloor: {out['floor']}\nSummary: {json.dumps(summary)}")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
