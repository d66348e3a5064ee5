"""Turns the figures `run_all.py` collected into Markdown tables and PNGs."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_utils  # noqa: E402
import plot  # noqa: E402

table = bench_utils.markdown_table


def _ok(result):
    return (
        isinstance(result, dict)
        and "error" not in result
        and "unavailable" not in result
    )


def _clean(text, limit=160):
    """One line of table-safe text (no ANSI colours, pipes or newlines)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(text))
    text = re.sub(r"\s+", " ", text.replace("|", "/")).strip()
    return text[:limit]


def _why(result):
    if not isinstance(result, dict):
        return "not run"
    if "unavailable" in result:
        return _clean(result["unavailable"])
    return "failed: " + _clean(result["error"]) if "error" in result else ""


def _met(value, target, higher=True):
    if value is None:
        return "-"
    return (
        "met" if (value >= target if higher else value <= target) else "not met"
    )


def header(results):
    m = results["machine"]
    lines = ["# keras_gen benchmarks, side by side with peers", ""]
    lines.append(
        f"Written by `benchmarks/run_all.py` (`make bench`) on {m['date']}: "
        f"{m['cpu_model']} ({m['cpus']} cores, {m['machine']}), Python {m['python']}; "
        f"total {results.get('total_seconds', '?')} s. Command: `{results.get('command', '')}`."
    )
    lines.append("")
    versions = (
        ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v) or "-"
    )
    missing = [k for k, v in m["versions"].items() if not v]
    lines.append(
        f"Library versions: {versions}."
        + (f" Not installed: {', '.join(missing)}." if missing else "")
    )
    lines.append("")
    load_start, load_end = m["loadavg"][0], results.get("loadavg_end", ["?"])[0]
    lines.append(
        f"Load average (1 min) at start {load_start}, at end {load_end}, on {m['cpus']} cores. "
        + (
            f"CPU threads per process capped at {results['threads']} for every library "
            "(`--threads`; OpenMP/MKL, TensorFlow pools, XLA Eigen pool)."
            if results.get("threads")
            else "Libraries' default CPU threads."
        )
    )
    warnings = []
    if results.get("quick"):
        warnings.append(
            "**Quick validation run (`--quick`): tiny settings (a few steps per repeat); these "
            "figures check that the scripts work and are NOT final numbers.**"
        )
    # The load at the start: at the end, the 1-minute average counts the
    # benchmark's own processes.
    if m["loadavg"][0] > 0.5 * (m["cpus"] or 1):
        warnings.append(
            "**Measured under load**: other jobs shared the cores during this run, so absolute "
            "figures are inflated and ratios are noisy (contenders run one after the other)."
        )
    for part, run in (results.get("earlier_parts") or {}).items():
        how = [f"load average {run['loadavg']} at its start"]
        if run.get("quick"):
            how.insert(0, "a `--quick` run (tiny settings: no final numbers)")
        if run.get("threads"):
            how.append(f"{run['threads']} thread(s) per process")
        warnings.append(
            f"The `{part}` figures come from an earlier run ({run['date']}, same results.json): "
            + ", ".join(how)
            + "."
        )
    for warning in warnings:
        lines += ["", warning]
    lines += [
        "",
        "Every timed figure is the median of at least 5 timed repeats after a warm-up (compilation "
        "excluded); each backend and each peer runs in its own process; `jit_compile` is set "
        "explicitly: XLA on JAX and TensorFlow, eager on PyTorch.",
        "",
    ]
    return lines


def throughput_section(results):
    data = results.get("throughput")
    if not data:
        return []
    backends = list(data)
    rows, failures = [], []
    for name in bench_utils.FAMILY_DESCRIPTIONS:
        row = [name, bench_utils.FAMILY_DESCRIPTIONS[name]]
        params, batch = None, None
        for b in backends:
            r = data[b]
            f = r.get("families", {}).get(name) if _ok(r) else None
            if f and "error" not in f:
                row.append(f["samples_per_s"])
                params, batch = f["params"], f["batch_size"]
            else:
                row.append("failed" if f else "-")
                if f:
                    failures.append(
                        f"- {name} on {b}: failed: {_clean(f['error'], 300)}"
                    )
        rows.append(row[:2] + [params, batch] + row[2:])
    lines = [
        "## Speed",
        "",
        "### Training throughput of every family's default configuration (samples/s)",
        "",
        table(
            ["family", "configuration", "parameters", "batch", *backends], rows
        ),
        "",
    ]
    steps = next((data[b].get("steps") for b in backends if _ok(data[b])), "?")
    lines.append(
        f"`fit` epochs of {steps} steps; median epoch after a warm-up epoch. "
        "Command: `KERAS_BACKEND=<b> python benchmarks/speed_throughput.py`."
    )
    for b in backends:
        if not _ok(data[b]):
            lines.append(f"- {b}: {_why(data[b])}")
    return lines + failures + [""]


def overhead_section(results):
    data = results.get("overhead")
    if not data:
        return []
    rows = []
    for b, r in data.items():
        if not _ok(r):
            rows.append([b, _why(r), "-", "-", "-"])
            continue
        ours, theirs = (
            r["keras_gen"]["samples_per_s"],
            r["hand-written"]["samples_per_s"],
        )
        slowdown = theirs / ours - 1.0
        rows.append(
            [
                b,
                theirs,
                ours,
                f"{100 * slowdown:+.1f} %",
                _met(-slowdown, -0.05),
            ]
        )
    return [
        "### Overhead of the multi-backend training step (WGAN-GP, 8x8 digits, batch 64, n_critic 5)",
        "",
        table(
            [
                "backend",
                "hand-written step, samples/s",
                "keras_gen, samples/s",
                "keras_gen time vs hand-written",
                "target: within 5 %",
            ],
            rows,
        ),
        "",
        "Hand-written steps (`benchmarks/handwritten_wgan_gp.py`): TensorFlow `GradientTape` as in "
        "keras.io's wgan_gp.py; torch autograd (`backward`, `.grad`) as in the keras.io torch guide; "
        "the same network architectures, optimizers and algorithm; both trained with `fit`, "
        "interleaved epoch by epoch. A positive figure means keras_gen is slower.",
        "",
    ]


def _ddpm_fraction(r, flops):
    if not _ok(r) or not flops:
        return None, None
    achieved = flops / r["train_step_s"]
    return achieved, achieved / r["matmul_flops_per_s"]


def ddpm_section(results):
    data = results.get("ddpm")
    if not data:
        return []
    torch_flops = (data.get("keras_gen/torch") or {}).get("train_step_flops")
    rows, ours = [], {}
    for key, r in data.items():
        if not _ok(r):
            rows.append([key, _why(r), "-", "-", "-", "-", "-", "-"])
            continue
        flops = r.get("train_step_flops") or (
            torch_flops if key.startswith("keras_gen") else None
        )
        achieved, fraction = _ddpm_fraction(r, flops)
        rows.append(
            [
                key,
                r["backend"],
                r["params"],
                r["train_samples_per_s"],
                r["ddim_samples_per_s"],
                None if achieved is None else achieved / 1e9,
                r["matmul_flops_per_s"] / 1e9,
                None if fraction is None else f"{100 * fraction:.0f} %",
            ]
        )
        if key.startswith("keras_gen"):
            ours[key] = (r, fraction)
    steps = next((r.get("sample_steps") for r in data.values() if _ok(r)), 50)
    lines = [
        "### DDPM: keras_gen vs a plain-PyTorch diffusers loop",
        "",
        table(
            [
                "implementation",
                "backend",
                "U-Net parameters",
                "training samples/s",
                f"DDIM-{steps} samples/s",
                "training step GFLOP/s",
                "dense matmul GFLOP/s",
                "step / matmul",
            ],
            rows,
        ),
        "",
    ]
    peer = data.get("diffusers")
    if ours and _ok(peer):
        best_train = max(
            ours.values(), key=lambda v: v[0]["train_samples_per_s"]
        )
        best_sample = max(
            ours.values(), key=lambda v: v[0]["ddim_samples_per_s"]
        )
        tr = best_train[0]["train_samples_per_s"] / peer["train_samples_per_s"]
        sr = best_sample[0]["ddim_samples_per_s"] / peer["ddim_samples_per_s"]
        pm = best_train[0]["params"] / peer["params"] - 1.0
        lines += [
            f"- Training: keras_gen's fastest backend ({best_train[0]['backend']}) reaches **{tr:.2f}x** "
            f"diffusers' samples/s (target >= 1.5x: {_met(tr, 1.5)}).",
            f"- DDIM-{steps} sampling: fastest backend ({best_sample[0]['backend']}) **{sr:.2f}x** diffusers' "
            f"`DDIMScheduler` loop (target >= 1.5x: {_met(sr, 1.5)}).",
            f"- Parameter counts: keras_gen {best_train[0]['params']:,} vs diffusers {peer['params']:,} "
            f"({100 * pm:+.1f} %, target within 10 %: {_met(-abs(pm), -0.10)}); batch {peer['batch_size']}.",
        ]
        if best_train[1] is not None:
            lines.append(
                f"- Practical limit: the training step on {best_train[0]['backend']} reaches "
                f"**{100 * best_train[1]:.0f} %** of the dense-matmul FLOP/s measured in the same "
                f"process (target >= 30 %: {_met(best_train[1], 0.30)})."
            )
    elif not _ok(peer):
        lines.append(f"- diffusers: {_why(peer)}")
    lines += [
        "",
        "FLOPs of a training step are counted once with `torch.utils.flop_counter` (matmuls and "
        "convolutions, forward and backward) on each network; the matmul is a "
        f"{next((r.get('matmul_size') for r in data.values() if _ok(r)), 2048)}^2 float32 product "
        "(`keras_gen.backend.compile_function` on our backends, eager torch for diffusers). "
        "keras_gen's step also updates the EMA weights; the diffusers loop has no EMA. "
        "Networks: `benchmarks/ddpm_unets.py`.",
        "",
    ]
    return lines


def real_nvp_section(results):
    data = results.get("real_nvp")
    if not data:
        return []
    rows = []
    for key, r in data.items():
        if not _ok(r):
            rows.append(["-", key, _why(r), "-", "-", "-", "-"])
            continue
        for toy, t in r["toys"].items():
            rows.append(
                [
                    toy,
                    key,
                    r["backend"],
                    t["params"],
                    t["steps_per_s"],
                    t["test_nll"],
                    t["test_nll"] - t["entropy"],
                ]
            )
    rows.sort(key=lambda row: row[0])
    trained = next(
        (r.get("trained_steps") for r in data.values() if _ok(r)), "?"
    )
    return [
        "### RealNVP vs normflows on 2-D toys",
        "",
        table(
            [
                "toy",
                "implementation",
                "backend",
                "parameters",
                "training steps/s",
                "test NLL (nats)",
                "NLL - entropy",
            ],
            rows,
        ),
        "",
        f"8 affine couplings with 2 x 128 ReLU MLPs and actnorm, Adam(1e-3), batch 256, {trained} "
        "training steps, the same training and test points for both. Entropies: 8 Gaussians 2.831, "
        "checkerboard 3.466 nats.",
        "",
    ]


def _series(per_backend, key):
    out = {}
    for b, r in per_backend.items():
        if _ok(r) and r.get(key):
            items = sorted((float(k), v) for k, v in r[key].items())
            out[b] = ([k for k, _ in items], [v for _, v in items])
    return out


SWEEPS = [
    (
        "dataset_size",
        "training seconds per epoch vs dataset size",
        "dataset size",
        "s / epoch",
    ),
    (
        "batch_size",
        "training seconds per epoch vs batch size",
        "batch size",
        "s / epoch",
    ),
    (
        "resolution",
        "training seconds per epoch vs image resolution",
        "image height = width",
        "s / epoch",
    ),
    (
        "sampling_steps",
        "DDIM sampling seconds vs number of steps",
        "DDIM steps",
        "s / batch",
    ),
]


def scaling_section(results, out_dir):
    lines = []
    data = results.get("scaling") or {}
    if data:
        first = next((r for r in data.values() if _ok(r)), {})
        lines += [
            "## How cost grows",
            "",
            f"{first.get('config', 'DDPM')}; batch/resolution sweeps on {first.get('base_size')} samples, "
            f"batch {first.get('base_batch')} elsewhere; sampling batch {first.get('sample_batch')}. "
            "Command: `KERAS_BACKEND=<b> python benchmarks/scaling.py --sweep time`.",
            "",
        ]
        for key, title, xlabel, unit in SWEEPS:
            series = _series(data, key)
            if not series:
                continue
            xs = sorted({x for xs, _ in series.values() for x in xs})
            rows = [
                [int(x)]
                + [
                    dict(zip(*series[b])).get(x) if b in series else None
                    for b in data
                ]
                for x in xs
            ]
            lines += [
                f"### {title[0].upper() + title[1:]}",
                "",
                table([xlabel] + [f"{b} ({unit})" for b in data], rows),
                "",
                f"![{title}](plots/cost_{key}.png)",
                "",
            ]
        for b, r in data.items():
            if not _ok(r):
                lines.append(f"- {b}: {_why(r)}")
    memory = results.get("memory") or {}
    if memory:
        rows = []
        for b, runs in memory.items():
            for r in runs:
                if _ok(r):
                    rows.append(
                        [
                            b,
                            r["batch_size"],
                            r["rss_before_fit_mb"],
                            r["peak_rss_mb"],
                            r["peak_increase_mb"],
                        ]
                    )
                else:
                    rows.append([b, "-", _why(r), "-", "-"])
        lines += [
            "### Peak memory vs batch size",
            "",
            table(
                [
                    "backend",
                    "batch size",
                    "resident before fit (MiB)",
                    "peak resident (MiB)",
                    "peak increase during fit (MiB)",
                ],
                rows,
            ),
            "",
            "One fresh process per batch size (a process's peak never goes down); the increase "
            "includes compilation. CPU resident memory (VmHWM), not accelerator memory.",
            "",
            "![peak memory vs batch size](plots/memory_batch_size.png)",
            "",
        ]
    return lines


def step_times_28_section(out_dir):
    """The per-family step times at 28x28 from `step_times_fashion.json`
    (written by `step_times_fashion.py`, run on its own: it takes 15-30
    minutes on one core), when the file exists."""
    import json

    import step_times_fashion

    path = os.path.join(out_dir, "step_times_fashion.json")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        data = json.load(f)
    families = list(next(iter(data["results"].values()))["families"])
    return [
        "",
        "### Training-step time of every family at 28x28 (Fashion-MNIST), ms",
        "",
        f"`benchmarks/step_times_fashion.py`, {data['machine']['date']}: each family's "
        'registry `"fashion_mnist"` configuration, one core, one thread per library; '
        "mean (median) of the timed steps. Load and the reading of each gap: "
        "`benchmarks/step_times_fashion_results.md`.",
        "",
        step_times_fashion.markdown(data["results"], families),
    ]


def build_times_section(out_dir):
    """The latest table of `build_times_results.md` (written by
    `build_times.py`, run on its own), when the file exists."""
    path = os.path.join(out_dir, "build_times_results.md")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        latest = f.read().rsplit("\n## ", 1)[-1]
    heading, _, body = latest.partition("\n")
    table = [line for line in body.splitlines() if line.startswith("|")]
    return [
        "",
        "### Seconds to build a model or load a preset",
        "",
        f"`benchmarks/build_times.py`, {heading}: a fresh process per "
        "measurement, one thread per library; the build alone, then import "
        "and build together. Load and method: `benchmarks/build_times_results.md`.",
        "",
        *table,
        "",
    ]


def markdown(results, out_dir):
    lines = header(results)
    for section in (
        throughput_section(results),
        step_times_28_section(out_dir),
        build_times_section(out_dir),
        overhead_section(results),
        ddpm_section(results),
        real_nvp_section(results),
        scaling_section(results, out_dir),
    ):
        lines += section
    return "\n".join(lines)


def make_plots(results, plots_dir):
    """Writes the PNGs; returns their paths."""
    made = []
    for b, r in (results.get("throughput") or {}).items():
        if _ok(r):
            values = {
                k: v.get("samples_per_s") for k, v in r["families"].items()
            }
            made.append(
                plot.bar_plot(
                    os.path.join(plots_dir, f"throughput_{b}.png"),
                    values,
                    title=f"training samples/s, default configurations, {b}",
                    ylabel="samples/s",
                )
            )
    ddpm = results.get("ddpm") or {}
    values = {k: r["train_samples_per_s"] for k, r in ddpm.items() if _ok(r)}
    if values:
        made.append(
            plot.bar_plot(
                os.path.join(plots_dir, "ddpm_vs_diffusers.png"),
                values,
                title="DDPM training samples/s (same U-Net size and batch)",
                ylabel="samples/s",
            )
        )
    for key, title, xlabel, unit in SWEEPS:
        series = _series(results.get("scaling") or {}, key)
        if series:
            made.append(
                plot.line_plot(
                    os.path.join(plots_dir, f"cost_{key}.png"),
                    series,
                    title=title,
                    xlabel=xlabel,
                    ylabel=unit,
                    logx=key in ("dataset_size", "batch_size"),
                )
            )
    memory = {}
    for b, runs in (results.get("memory") or {}).items():
        ok = [r for r in runs if _ok(r)]
        if ok:
            memory[b] = (
                [r["batch_size"] for r in ok],
                [r["peak_increase_mb"] for r in ok],
            )
    if memory:
        made.append(
            plot.line_plot(
                os.path.join(plots_dir, "memory_batch_size.png"),
                memory,
                title="peak resident memory increase during fit vs batch size",
                xlabel="batch size",
                ylabel="MiB",
                logx=True,
            )
        )
    return [os.path.relpath(p, bench_utils.ROOT) for p in made]
