"""Runs every side-by-side benchmark and writes `benchmarks/RESULTS.md`.

Each measurement runs in its own process (one backend per process, peers in
their own), in one sitting on one machine, and the report records the date,
load average, CPU and library versions. `make bench` builds the benchmark
environment (`benchmarks/setup_env.sh`: keras_gen + jax + tensorflow-cpu +
CPU torch + diffusers + normflows, never torchvision) and runs this script
with it. A peer that is not installed is reported as "peer unavailable".

    .venv-bench/bin/python benchmarks/run_all.py            # the full run
    .venv-bench/bin/python benchmarks/run_all.py --quick    # tiny settings, validation only

Writes `RESULTS.md`, `results.json` (raw figures) and PNG plots under
`benchmarks/plots/`.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_utils  # noqa: E402
import quality_table  # noqa: E402
import report  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny settings: validates the scripts, not final numbers",
    )
    parser.add_argument(
        "--backends", nargs="+", default=list(bench_utils.BACKENDS)
    )
    parser.add_argument(
        "--scaling-backends",
        nargs="+",
        default=None,
        help="backends of the cost-growth sweeps (default: all; --quick: jax)",
    )
    parser.add_argument(
        "--memory-batch-sizes",
        type=int,
        nargs="+",
        default=[16, 32, 64, 128, 256],
    )
    parser.add_argument(
        "--only",
        nargs="+",
        default=None,
        choices=(
            "throughput",
            "overhead",
            "ddpm",
            "real_nvp",
            "scaling",
            "memory",
        ),
        help="run only these parts; the other parts are taken from the previous "
        "results.json when there is one (the report says when each part ran)",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="re-render RESULTS.md and the plots from results.json, run nothing",
    )
    parser.add_argument(
        "--out", default=os.path.join(bench_utils.HERE, "RESULTS.md")
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads per process for every library (default: the libraries' own; "
        "--quick: 1). Use 1 on a loaded machine: see bench_utils.thread_env",
    )
    parser.add_argument(
        "--timeout", type=int, default=1800, help="seconds per process"
    )
    return parser.parse_args()


def write_report(results, out):
    """Plots, results.json and RESULTS.md (each written atomically)."""
    out_dir = os.path.dirname(os.path.abspath(out))
    results["plots"] = report.make_plots(
        results, os.path.join(out_dir, "plots")
    )
    raw = _raw_path(out)
    with open(raw + ".tmp", "w") as f:
        json.dump(results, f, indent=1)
    os.replace(raw + ".tmp", raw)
    text = report.markdown(results, out_dir) + "\n" + quality_table.markdown()
    with open(out + ".tmp", "w") as f:
        f.write(text)
    os.replace(out + ".tmp", out)
    return raw


def _raw_path(out):
    return os.path.join(os.path.dirname(os.path.abspath(out)), "results.json")


def main():
    args = parse_args()
    if args.report_only:
        with open(_raw_path(args.out)) as f:
            results = json.load(f)
        write_report(results, args.out)
        print(f"re-rendered {args.out} from {_raw_path(args.out)}")
        return
    quick = ["--quick"] if args.quick else []
    scaling_backends = args.scaling_backends or (
        ["jax"] if args.quick else args.backends
    )
    memory_batches = [16, 32] if args.quick else args.memory_batch_sizes
    threads = (
        args.threads
        if args.threads is not None
        else (1 if args.quick else None)
    )
    parts = set(
        args.only
        or ("throughput", "overhead", "ddpm", "real_nvp", "scaling", "memory")
    )
    results = {
        "machine": bench_utils.machine_info(),
        "quick": args.quick,
        "command": " ".join(sys.argv),
        "threads": threads,
    }
    start = time.time()

    def run(key, script, extra=(), backend=None):
        print(f"[{time.time() - start:6.0f} s] {key} ...", flush=True)
        r = bench_utils.run_json(
            script,
            [*extra, *quick],
            backend=backend,
            timeout=args.timeout,
            env=bench_utils.thread_env(threads),
        )
        print(
            f"[{time.time() - start:6.0f} s] {key}: "
            + ("ERROR " + r["error"] if "error" in r else "done"),
            flush=True,
        )
        return r

    if "throughput" in parts:
        results["throughput"] = {
            b: run(f"throughput/{b}", "speed_throughput.py", backend=b)
            for b in args.backends
        }
    if "overhead" in parts:
        results["overhead"] = {
            b: run(f"overhead/{b}", "speed_overhead.py", backend=b)
            for b in args.backends
            if b in ("tensorflow", "torch")
        }
    if "ddpm" in parts:
        ddpm = {}
        for b in args.backends:
            ddpm[f"keras_gen/{b}"] = run(
                f"ddpm/keras_gen/{b}",
                "speed_ddpm.py",
                ["--impl", "keras_gen"],
                b,
            )
            if (
                b == args.backends[0]
            ):  # the peer runs between our backends, in the same sitting
                ddpm["diffusers"] = run(
                    "ddpm/diffusers",
                    "speed_ddpm.py",
                    ["--impl", "diffusers"],
                    "torch",
                )
        results["ddpm"] = ddpm
    if "real_nvp" in parts:
        flows = {
            f"keras_gen/{b}": run(
                f"real_nvp/keras_gen/{b}",
                "speed_real_nvp.py",
                ["--impl", "keras_gen"],
                b,
            )
            for b in args.backends
        }
        flows["normflows"] = run(
            "real_nvp/normflows",
            "speed_real_nvp.py",
            ["--impl", "normflows"],
            "torch",
        )
        results["real_nvp"] = flows
    if "scaling" in parts:
        results["scaling"] = {
            b: run(f"scaling/{b}", "scaling.py", ["--sweep", "time"], b)
            for b in scaling_backends
        }
    if "memory" in parts:
        results["memory"] = {
            b: [
                run(
                    f"memory/{b}/{n}",
                    "scaling.py",
                    ["--sweep", "memory", "--batch-size", n],
                    b,
                )
                for n in memory_batches
            ]
            for b in scaling_backends
        }
    raw = _raw_path(args.out)
    if args.only and os.path.exists(raw):
        with open(raw) as f:
            previous = json.load(f)
        for part in (
            "throughput",
            "overhead",
            "ddpm",
            "real_nvp",
            "scaling",
            "memory",
        ):
            if part not in parts and part in previous:
                results[part] = previous[part]
                # How the part was measured travels with it.
                run = previous.get("earlier_parts", {}).get(part) or {
                    "date": previous["machine"]["date"],
                    "quick": bool(previous.get("quick")),
                    "loadavg": previous["machine"]["loadavg"][0],
                    "threads": previous.get("threads"),
                }
                results.setdefault("earlier_parts", {})[part] = run
    results["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    results["total_seconds"] = round(time.time() - start, 1)

    raw = write_report(results, args.out)
    print(
        f"wrote {args.out}, {raw} and {len(results['plots'])} plots in {results['total_seconds']} s"
    )


if __name__ == "__main__":
    main()
