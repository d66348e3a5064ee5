"""DDPM time to quality on Fashion-MNIST: keras_gen against a diffusers loop.

Issue 19, item 2: the classifier FD that diffusers' `UNet2DModel` +
`DDPMScheduler` loop reaches after a fixed CPU budget, and how much of that
budget keras_gen's DDPM needs to reach the same FD (target: at most two
thirds, >= 1.5x).

The two contenders are those of `fashion_peers.py`'s `ddpm` row (the
registry's `"fashion_mnist"` U-Net, widths 32/64/64, attention at 7x7,
1,114,209 parameters both; class-conditional with a 10 % null class; Adam
1e-3, batch 128; EMA 0.999 with the same warm-up). The issue allows
recipe changes on keras_gen's side: `--min-snr-gamma` weights its loss by
Min-SNR-γ (Hang et al., 2023; `keras_gen.schedulers.training`) and
`--prediction-type v_prediction` changes its target. `--learning-rate` and
`--batch-size` change keras_gen's optimizer settings only; diffusers' loop
would gain from them too, so a run with them is read as an experiment, not
as the comparison.
They train **at the same time, each pinned to its own core** with one
thread per library, for `--budget-cpu-s` of process CPU time (compilation
included). Each saves its EMA weights when its CPU time crosses each of
`--checkpoints`; after training it samples every checkpoint with DDIM, 50
steps, eta 0, no guidance, the classes cycling, the same seed.

This process scores every checkpoint with the same code: the classifier
Fréchet and kernel distances (features of the shipped Fashion-MNIST
classifier; never called FID) to the first `--num-eval` test images, beside
the real-data floor at that size, and how often the classifier reads the
requested class.

    python benchmarks/ddpm_time_to_quality.py --budget-cpu-s 1800 \
        --checkpoints 600 900 1200 1800 --min-snr-gamma 5 --backend tensorflow
    python benchmarks/ddpm_time_to_quality.py --quick
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

DDIM_STEPS = 50
NUM_CLASSES = 10
CONTENDERS = ("keras_gen", "diffusers")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget-cpu-s", type=float, default=1800.0)
    parser.add_argument(
        "--checkpoints",
        type=float,
        nargs="+",
        default=None,
        help="CPU seconds at which to save the EMA weights (default: 1/3, "
        "1/2, 2/3 and all of the budget)",
    )
    parser.add_argument("--num-eval", type=int, default=500)
    parser.add_argument(
        "--min-snr-gamma",
        type=float,
        default=None,
        help="keras_gen's Min-SNR-γ (default: off, as in diffusers' loop; "
        "the registry's configuration has 5 with v-prediction)",
    )
    parser.add_argument(
        "--prediction-type",
        default="epsilon",
        choices=("epsilon", "v_prediction"),
        help="keras_gen's prediction target (diffusers' loop stays on ε)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="keras_gen's batch size (default: the configuration's, which "
        "diffusers' loop uses)",
    )
    parser.add_argument(
        "--learning-rate",
        type=float,
        default=None,
        help="keras_gen's Adam rate (default: the configuration's, which "
        "diffusers' loop uses)",
    )
    parser.add_argument(
        "--backend", default="tensorflow", choices=bench_utils.BACKENDS
    )
    parser.add_argument("--train-subset", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="smoke mode")
    parser.add_argument("--out", default="/tmp/ddpm_time_to_quality")
    parser.add_argument(
        "--json",
        default=os.path.join(HERE, "ddpm_time_to_quality.json"),
    )
    parser.add_argument(
        "--contenders", nargs="+", default=list(CONTENDERS), choices=CONTENDERS
    )
    parser.add_argument(
        "--reference-json",
        default=None,
        help="take the contenders not run from this earlier results file "
        "(same protocol), e.g. another keras_gen recipe against the same "
        "diffusers run",
    )
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument(
        "--core", type=int, default=None, help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.budget_cpu_s = min(args.budget_cpu_s, 20.0)
        args.num_eval = min(args.num_eval, 40)
        args.train_subset = args.train_subset or 1024
        args.out += "_quick"
        args.json = os.path.join(args.out, "results.json")
    if args.checkpoints is None:
        b = args.budget_cpu_s
        args.checkpoints = [b / 3, b / 2, 2 * b / 3, b]
    args.checkpoints = sorted(args.checkpoints)
    if args.checkpoints[-1] != args.budget_cpu_s:
        parser.error("the last checkpoint must be the budget")
    return args


# ---------------------------------------------------------------------------
# children: one contender each
# ---------------------------------------------------------------------------


class Checkpoints:
    """Calls `save(index)` when the CPU time crosses each checkpoint; has
    `bench_utils.Budget`'s `start()` and `step()`."""

    def __init__(self, seconds, save):
        self.seconds, self.save = list(seconds), save
        self.done = []

    def start(self):
        self.cpu0 = time.process_time()
        self.steps = 0

    def step(self):
        """Counts a step; True once the last checkpoint is saved."""
        self.steps += 1
        spent = time.process_time() - self.cpu0
        while len(self.done) < len(self.seconds) and (
            spent >= self.seconds[len(self.done)]
        ):
            self.save(len(self.done))
            self.done.append(
                dict(
                    budget_cpu_s=self.seconds[len(self.done)],
                    steps=self.steps,
                    train_cpu_s=round(spent, 1),
                )
            )
        return len(self.done) == len(self.seconds)


def cycling_labels(n):
    import numpy as np

    return np.arange(n) % NUM_CLASSES


def build_keras_gen(seed, min_snr_gamma=None, prediction_type="epsilon"):
    """The registry's `"fashion_mnist"` DDPM with the recipe's options."""
    from keras_gen.models import registry
    from keras_gen.schedulers import DDPMScheduler

    # Both explicit: the configuration has its own (v-prediction,
    # Min-SNR 5), and a run names the recipe it measures.
    return registry.get("ddpm").build(
        "fashion_mnist",
        seed=seed,
        min_snr_gamma=min_snr_gamma,
        scheduler=DDPMScheduler(
            clip_sample=True, prediction_type=prediction_type
        ),
    )


def run_keras_gen(args):
    import keras
    import numpy as np
    from fashion_peers import train_data

    from keras_gen.models import registry

    keras.utils.set_random_seed(args.seed)
    family = registry.get("ddpm")
    config = family.configuration("fashion_mnist")
    model = build_keras_gen(args.seed, args.min_snr_gamma, args.prediction_type)
    family.compile(model, "fashion_mnist", learning_rate=args.learning_rate)
    x, y = train_data(args)
    path = os.path.join(args.out, "keras_gen_{}.weights.h5")
    checkpoints = Checkpoints(
        args.checkpoints, lambda i: model.save_weights(path.format(i))
    )

    wall0 = time.time()
    model.fit(
        x,
        y,
        batch_size=args.batch_size or config.batch_size,
        epochs=10_000,
        shuffle=True,
        verbose=0,
        # `Checkpoints` has `Budget`'s start()/step(), so the same callback.
        callbacks=[bench_utils.stop_at_budget(checkpoints)],
    )
    train_wall = time.time() - wall0
    for i, record in enumerate(checkpoints.done):
        record["weights"] = path.format(i)
        model.load_weights(path.format(i))
        start = time.time()
        samples = model.generate(
            args.num_eval,
            scheduler="ddim",
            num_steps=DDIM_STEPS,
            labels=cycling_labels(args.num_eval),
            seed=args.seed + 1,
            verbose=False,
        )
        record["sample_wall_s"] = round(time.time() - start, 1)
        record["samples"] = os.path.join(args.out, f"keras_gen_{i}.npy")
        np.save(record["samples"], np.asarray(samples, "float32"))
    return dict(
        backend=keras.backend.backend(),
        params=int(
            sum(np.prod(v.shape) for v in model.denoiser.trainable_variables)
        ),
        min_snr_gamma=args.min_snr_gamma,
        prediction_type=args.prediction_type,
        learning_rate=args.learning_rate or config.learning_rate,
        batch_size=args.batch_size or config.batch_size,
        train_wall_s=round(train_wall, 1),
        checkpoints=checkpoints.done,
    )


def run_diffusers(args):
    import numpy as np
    import torch
    from fashion_peers import DiffusersDDPM

    ddpm = DiffusersDDPM(args)
    saved = []
    checkpoints = Checkpoints(
        args.checkpoints, lambda i: saved.append(ddpm.ema_weights())
    )
    wall0 = time.time()
    checkpoints.start()
    ddpm.train(checkpoints.step)
    train_wall = time.time() - wall0
    for i, record in enumerate(checkpoints.done):
        # Kept for `ddpm_samplers.py`, which samples them again.
        record["weights"] = os.path.join(args.out, f"diffusers_{i}.pt")
        torch.save(saved[i], record["weights"])
        start = time.time()
        samples = ddpm.sample(args.num_eval, weights=saved[i])
        record["sample_wall_s"] = round(time.time() - start, 1)
        record["samples"] = os.path.join(args.out, f"diffusers_{i}.npy")
        np.save(record["samples"], samples)
    return dict(
        backend="torch (eager)",
        params=bench_utils.count_params_torch(ddpm.unet),
        train_wall_s=round(train_wall, 1),
        checkpoints=checkpoints.done,
    )


def child(args):
    backend = os.environ.get("KERAS_BACKEND", "jax")
    bench_utils.pin_to_core(
        args.core,
        ["torch"] if args.child == "diffusers" else [backend],
    )
    os.makedirs(args.out, exist_ok=True)
    load_before = [round(v, 2) for v in os.getloadavg()]
    run = run_keras_gen if args.child == "keras_gen" else run_diffusers
    result = run(args)
    result.update(
        contender=args.child,
        core=args.core,
        load_before=load_before,
        process_cpu_s=round(time.process_time(), 1),
    )
    bench_utils.emit(result)


# ---------------------------------------------------------------------------
# parent: start both, score every checkpoint
# ---------------------------------------------------------------------------


def score(path, x_test):
    import numpy as np

    import keras_gen

    samples = np.load(path)
    scores = keras_gen.metrics.evaluate(
        None,
        x_test,
        ("classifier_frechet_distance", "classifier_kernel_distance"),
        samples=samples,
        classifier="fashion_mnist",
    )
    classifier = keras_gen.metrics.shipped_classifier("fashion_mnist")
    predicted = classifier.predict(samples, verbose=0).argmax(-1)
    labels = cycling_labels(len(samples))
    scores["requested_class_rate"] = float((predicted == labels).mean())
    return {k: float(v) for k, v in scores.items()}, samples


def time_to_quality(results):
    """keras_gen's CPU seconds to reach diffusers' final FD (the first
    checkpoint at or below it), and the speed-up that gives."""
    target = results["diffusers"]["checkpoints"][-1]
    budget = target["budget_cpu_s"]
    fd = target["classifier_frechet_distance"]
    reached = [
        c
        for c in results["keras_gen"]["checkpoints"]
        if c["classifier_frechet_distance"] <= fd
    ]
    out = dict(diffusers_budget_cpu_s=budget, diffusers_final_fd=fd)
    if reached:
        out["keras_gen_cpu_s_to_reach"] = reached[0]["budget_cpu_s"]
        out["speedup_at_least"] = round(budget / reached[0]["budget_cpu_s"], 2)
    else:
        out["keras_gen_cpu_s_to_reach"] = None
    out["target_met"] = bool(
        reached and reached[0]["budget_cpu_s"] <= 2 * budget / 3
    )
    return out


def markdown(results, floor, summary, args):
    lines = [
        "| contender | checkpoint (CPU s) | steps | FD | KID | requested class | "
        "DDIM-50 wall s |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in CONTENDERS:
        r = results[name]
        recipe = [r["backend"]]
        if r.get("min_snr_gamma"):
            recipe.append(f"min-SNR {r['min_snr_gamma']:g}")
        if r.get("prediction_type", "epsilon") != "epsilon":
            recipe.append(r["prediction_type"])
        if r.get("learning_rate"):
            recipe.append(f"Adam {r['learning_rate']:g}")
        if r.get("batch_size"):
            recipe.append(f"batch {r['batch_size']}")
        label = (
            f"keras_gen ({', '.join(recipe)})"
            if name == "keras_gen"
            else "diffusers (torch)"
        )
        for c in r["checkpoints"]:
            lines.append(
                f"| {label} | {c['budget_cpu_s']:.0f} | {c['steps']} | "
                f"{c['classifier_frechet_distance']:.1f} | "
                f"{c['classifier_kernel_distance']:.2f} | "
                f"{100 * c['requested_class_rate']:.1f} % | {c['sample_wall_s']} |"
            )
    lines.append(
        f"\nFloor (train vs test, n={args.num_eval}): FD "
        f"{floor['classifier_frechet_distance']:.2f}, KID "
        f"{floor['classifier_kernel_distance']:.3f}."
    )
    lines.append(f"\nTime to quality: {json.dumps(summary)}")
    return "\n".join(lines)


def main():
    args = parse_args()
    if args.child:
        return child(args)
    os.environ.setdefault("KERAS_BACKEND", args.backend)
    os.makedirs(args.out, exist_ok=True)
    info = bench_utils.machine_info()
    print(json.dumps(info), flush=True)
    common = [
        "--budget-cpu-s", str(args.budget_cpu_s),
        "--checkpoints", *map(str, args.checkpoints),
        "--num-eval", str(args.num_eval),
        "--seed", str(args.seed),
        "--out", args.out,
    ]  # fmt: skip
    if args.train_subset:
        common += ["--train-subset", str(args.train_subset)]
    if args.min_snr_gamma:
        common += ["--min-snr-gamma", str(args.min_snr_gamma)]
    common += ["--prediction-type", args.prediction_type]
    if args.learning_rate:
        common += ["--learning-rate", str(args.learning_rate)]
    if args.batch_size:
        common += ["--batch-size", str(args.batch_size)]
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    results = bench_utils.run_side_by_side(
        __file__,
        args.contenders,
        common,
        lambda name: dict(
            KERAS_BACKEND=args.backend if name == "keras_gen" else "torch"
        ),
    )
    bench_utils.pin_one_thread()
    import keras_gen

    x_test = keras_gen.datasets.load_fashion_mnist(
        "test", num_samples=args.num_eval
    )
    floor = keras_gen.metrics.real_data_floor(
        "fashion_mnist",
        ("classifier_frechet_distance", "classifier_kernel_distance"),
        num_samples=args.num_eval,
    )
    floor = {k: float(v) for k, v in floor.items()}
    for name in args.contenders:
        for i, c in enumerate(results[name]["checkpoints"]):
            scores, samples = score(c["samples"], x_test)
            c.update(scores)
            grid = os.path.join(args.out, f"{name}_{i}.png")
            keras_gen.utils.images.save_image_grid(
                samples[:100], grid, num_cols=10
            )
    if args.reference_json:
        with open(args.reference_json) as f:
            reference = json.load(f)
        for name in CONTENDERS:
            if name not in results:
                results[name] = reference["results"][name]
                results[name]["from"] = os.path.basename(args.reference_json)
    summary = time_to_quality(results)
    out = dict(
        machine=info,
        started=started,
        finished=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        args={
            k: v for k, v in vars(args).items() if k not in ("child", "core")
        },
        floor=floor,
        results=results,
        time_to_quality=summary,
    )
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(out, f, indent=1)
    print(markdown(results, floor, summary, args))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
