"""Training-step time of every family at 28x28, on each backend.

Every family's registry `"fashion_mnist"` configuration (the networks,
batch size and optimizers a user gets from `keras-gen train <family> --data
fashion_mnist`), compiled with the family's defaults (`compile()`: XLA on
JAX and TensorFlow, eager on torch), trained with `fit` on Fashion-MNIST
train images (labels where the family is class-conditional, sneakers and
ankle boots as CycleGAN's two domains). Each backend runs in its own
process, pinned to one core with one thread per library (on this shared
2-core machine several threads per library measure the neighbours' load;
bench_utils.thread_env), the backends one after the other and the order of
the families the same in each.

Per family: 2 warm-up steps (compilation; the first step's CPU time is
reported as "first step"), then `--steps` timed steps; each step is waited
for (its logs are read as Python floats). Reported: the mean and the median
step (wall and process CPU time). The mean is the figure that counts for
families with lazy regularisers (StyleGAN2: path length every 4 steps, R1
every 16; the timed steps 2-9 hold two path-length steps and no R1 step).

    taskset -c 1 python benchmarks/step_times_fashion.py
    python benchmarks/step_times_fashion.py --families vae gan --steps 4
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

RESULTS = os.path.join(HERE, "step_times_fashion_results.md")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", nargs="+", default=None)
    parser.add_argument("--backends", nargs="+", default=bench_utils.BACKENDS)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument(
        "--json", default=os.path.join(HERE, "step_times_fashion.json")
    )
    parser.add_argument("--results", default=RESULTS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def family_data(family, model, batches):
    """`fit`'s arguments: Fashion-MNIST in the model's range, labels where
    the model takes them, two domains for CycleGAN."""
    import numpy as np

    import keras_gen

    x, y = keras_gen.datasets.load_fashion_mnist(
        "train", with_labels=True, num_samples=20_000
    )
    low, high = model.value_range
    x = low + (high - low) * x
    n = batches * family.configuration("fashion_mnist").batch_size
    if family.pairs:
        from keras_gen.cli.data import FASHION_MNIST_DOMAINS

        a, b = FASHION_MNIST_DOMAINS
        return ((x[y == a][:n], x[y == b][:n]),)
    if getattr(model, "num_classes", None):
        return x[:n], y[:n].astype("int32")
    return (np.asarray(x[:n]),)


def child(args):
    bench_utils.pin_one_thread()
    import keras
    import numpy as np

    from keras_gen.models import registry

    backend = keras.backend.backend()
    if backend == "torch":
        import torch

        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)

    class StepTimes(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            self.wall, self.cpu = time.perf_counter(), time.process_time()

        def on_train_batch_end(self, batch, logs=None):
            # Reading the logs waits for the step (JAX dispatches async).
            _ = [float(v) for v in (logs or {}).values()]
            times.append(
                (
                    time.perf_counter() - self.wall,
                    time.process_time() - self.cpu,
                )
            )

    rows = {}
    for name in args.families:
        keras.utils.set_random_seed(0)
        times = []
        try:
            family = registry.get(name)
            config = family.configuration("fashion_mnist")
            model = family.build("fashion_mnist", seed=0)
            family.compile(model, "fashion_mnist")
            data = family_data(family, model, args.warmup + args.steps)
            model.fit(
                *data,
                batch_size=config.batch_size,
                epochs=1,
                shuffle=False,
                verbose=0,
                callbacks=[StepTimes()],
            )
            timed = np.array(times[args.warmup : args.warmup + args.steps])
            rows[name] = {
                "batch_size": config.batch_size,
                "first_step_cpu_s": round(times[0][1], 2),
                "mean_wall_ms": round(1000 * timed[:, 0].mean(), 1),
                "median_wall_ms": round(1000 * np.median(timed[:, 0]), 1),
                "mean_cpu_ms": round(1000 * timed[:, 1].mean(), 1),
                "median_cpu_ms": round(1000 * np.median(timed[:, 1]), 1),
                "steps_wall_ms": [round(1000 * t, 1) for t in timed[:, 0]],
            }
        except Exception as e:  # one broken family must not hide the others
            rows[name] = {"error": f"{type(e).__name__}: {e}"[:300]}
        print(name, json.dumps(rows[name]), file=sys.stderr, flush=True)
    bench_utils.emit({"backend": backend, "families": rows})


def markdown(results, families):
    backends = list(results)
    header = ["family", "batch"] + [f"{b} mean (median) ms" for b in backends]
    header += [
        "slowest / fastest (mean)",
        "first step CPU s (" + ", ".join(backends) + ")",
    ]
    rows = []
    for name in families:
        cells = [name, None]
        means, firsts = {}, []
        for b in backends:
            r = results[b]["families"].get(name, {"error": "not run"})
            if "error" in r:
                cells.append("error: " + r["error"][:80])
                firsts.append("-")
                continue
            cells[1] = r["batch_size"]
            means[b] = r["mean_wall_ms"]
            cells.append(
                f"{r['mean_wall_ms']:,.0f} ({r['median_wall_ms']:,.0f})"
            )
            firsts.append(f"{r['first_step_cpu_s']:.1f}")
        ratio = (
            max(means.values()) / min(means.values())
            if len(means) > 1
            else None
        )
        fastest = min(means, key=means.get) if means else "-"
        cells.append(f"{ratio:.1f}x (fastest: {fastest})" if ratio else "-")
        cells.append(", ".join(firsts))
        rows.append(cells)
    return bench_utils.markdown_table(header, rows)


def main():
    args = parse_args()
    if args.families is None:
        os.environ.setdefault("KERAS_BACKEND", "jax")
        from keras_gen.models import registry

        args.families = [
            n
            for n in registry.names()
            if "fashion_mnist" in registry.get(n).configurations
        ]
    if args.child:
        return child(args)
    info = bench_utils.machine_info()
    results, loads = {}, {}
    for backend in args.backends:
        before = bench_utils.uptime()
        print(f"[{time.strftime('%H:%M:%S')}] {backend}", flush=True)
        results[backend] = bench_utils.run_json(
            "step_times_fashion.py",
            [
                "--child",
                "--steps",
                args.steps,
                "--warmup",
                args.warmup,
                "--families",
                *args.families,
            ],  # fmt: skip
            backend=backend,
            timeout=3600,
            env=bench_utils.thread_env(1),
        )
        loads[backend] = (before, bench_utils.uptime())
        print(json.dumps(results[backend]), flush=True)
    with open(args.json, "w") as f:
        json.dump(
            {"machine": info, "loads": loads, "results": results}, f, indent=1
        )
    table = markdown(results, args.families)
    load_lines = "\n".join(
        f"- {b}: before `{before}`; after `{after}`"
        for b, (before, after) in loads.items()
    )
    text = (
        f"\n## {info['date']}: {args.steps} timed steps after {args.warmup} warm-up, "
        "one core, one thread per library\n\n"
        f"Versions: {json.dumps(info['versions'])}. Load (`uptime`) around each "
        f"backend's process:\n\n{load_lines}\n\n{table}\n"
    )
    print(text)
    bench_utils.append_results(
        args.results,
        "# Training-step time of every family at 28x28 (Fashion-MNIST), per backend\n\n"
        "Written by `benchmarks/step_times_fashion.py` (method in its docstring;\n"
        "raw numbers in `benchmarks/step_times_fashion.json`). Newest runs at the\n"
        "bottom; the reading of each run follows its table.\n",
        text,
    )


if __name__ == "__main__":
    main()
