"""TensorFlow sampling on a CPU: a plain `tf.function` graph against XLA.

`keras_gen.backend.compile_function` compiles the sampling loops. On
TensorFlow it used `tf.function(jit_compile=True)` everywhere; it now
compiles with XLA only where a GPU or TPU is visible, as Keras' own
`jit_compile="auto"` does. This measures the two on the CPU, each in a
fresh process, one thread, interleaved, `--rounds` rounds:

- `first call`: the first `generate` of a tiny DDPM and FlowMatching
  (2 samples, 2 steps), compilation included (what a test pays);
- `sampling`: a second call of the `"fashion_mnist"` DDPM (DDIM-50) and
  FlowMatching (Heun-25, 49 evaluations) for `--num-samples` samples, the
  compilation done by the first call.

    taskset -c 1 python benchmarks/tf_sampling_graph_vs_xla.py --rounds 2
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

MODES = ("graph", "xla")
JOBS = (
    ("ddpm", "tiny", 2, 2),
    ("flow_matching", "tiny", 2, 2),
    ("ddpm", "fashion_mnist", None, 50),
    ("flow_matching", "fashion_mnist", None, 25),
)


def child(mode, family, configuration, num_samples, num_steps):
    bench_utils.pin_one_thread()
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from keras_gen import backend
    from keras_gen.models import registry

    if mode == "xla":  # what compile_function did before on every device
        backend.compile_function = lambda fn: tf.function(
            fn, jit_compile=True, reduce_retracing=True
        )
    model = registry.get(family).build(configuration, seed=0)
    options = dict(num_steps=num_steps, seed=1, verbose=False)
    if family == "ddpm":
        options["scheduler"] = "ddim"
    start = time.perf_counter()
    first = model.generate(num_samples, **options)
    first_s = time.perf_counter() - start
    start = time.perf_counter()
    second = model.generate(num_samples, **options)
    second_s = time.perf_counter() - start
    assert np.array_equal(first, second)
    bench_utils.emit(
        dict(
            first_call_s=round(first_s, 2),
            second_call_s=round(second_s, 2),
            mean=float(np.mean(second)),
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--num-samples", type=int, default=100)
    parser.add_argument(
        "--out", default=os.path.join(HERE, "tf_sampling_graph_vs_xla.json")
    )
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, family, configuration, n, steps = args.child
        return child(mode, family, configuration, int(n), int(steps))
    info = bench_utils.machine_info()
    print(json.dumps(info), flush=True)
    runs = []
    for r in range(args.rounds):
        for family, configuration, n, steps in JOBS:
            n = n or args.num_samples
            # Alternate which mode goes first in each round.
            for mode in MODES if r % 2 == 0 else MODES[::-1]:
                result = bench_utils.run_json(
                    "tf_sampling_graph_vs_xla.py",
                    ["--child", mode, family, configuration, n, steps],
                    backend="tensorflow",
                    timeout=1200,
                    env=bench_utils.thread_env(1),
                )
                result.update(
                    round=r,
                    mode=mode,
                    job=f"{family}:{configuration}:{n}:{steps}",
                )
                print(json.dumps(result), flush=True)
                runs.append(result)
    with open(args.out, "w") as f:
        json.dump(dict(machine=info, runs=runs), f, indent=1)
    print(
        "| job | mode | first call s (each round) | second call s (each round) |"
    )
    print("| --- | --- | --- | --- |")
    for family, configuration, n, steps in JOBS:
        job = f"{family}:{configuration}:{n or args.num_samples}:{steps}"
        for mode in MODES:
            mine = [r for r in runs if r["job"] == job and r["mode"] == mode]
            first = ", ".join(str(r["first_call_s"]) for r in mine)
            second = ", ".join(str(r["second_call_s"]) for r in mine)
            print(f"| {job} | {mode} | {first} | {second} |")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
