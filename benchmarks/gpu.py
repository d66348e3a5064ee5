"""Training throughput on one GPU: DDPM, FlowMatching, StyleGAN2 and GAN at
32x32 and 64x64 on JAX, TensorFlow and PyTorch, beside a diffusers
`UNet2DModel` + `DDPMScheduler` loop of about the same size.

`make bench-gpu` runs it on a machine with one NVIDIA GPU (after installing
the CUDA builds, see the Makefile); `--dry-run` runs the same code on the
CPU with tiny sizes and two steps, so that the command is known to work
before GPU time is spent on it (`benchmarks/gpu_test.py` runs it).

Each backend runs in its own process (the backend is fixed at import).
Each model trains with plain `fit` on random data in its value range: one
untimed epoch (compilation), then `--steps` timed steps; the figure is
training samples per second. The whole run is planned to fit in 8 minutes
on a GPU; a backend or model that fails is reported as such and the others
go on.

    python benchmarks/gpu.py --out benchmarks/gpu_results.md
    python benchmarks/gpu.py --dry-run --backends jax --out /tmp/gpu.md
"""

import argparse
import datetime
import math
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_utils  # noqa: E402

MODELS = ("ddpm", "flow_matching", "stylegan2", "gan")
BACKENDS = ("jax", "tensorflow", "torch")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS))
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--resolutions", nargs="+", type=int, default=[32, 64])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20, help="timed steps")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="CPU, 8x8 images, batch 4, 2 steps: checks the command",
    )
    parser.add_argument("--timeout", type=int, default=150, help="per backend")
    parser.add_argument("--out", default=None, help="results file (.md)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.dry_run:
        args.resolutions, args.batch_size, args.steps = [8], 4, 2
    return args


# -- one backend (child process) -----------------------------------------------


def build(name, resolution):
    """The model `name` at `resolution`, sized for a GPU (a small CPU
    version under `--dry-run`, where the resolution is 8)."""
    from keras_gen import models

    shape = (resolution, resolution, 3)
    small = resolution <= 8
    if name == "ddpm":
        return models.DDPM(
            data_shape=shape,
            width=8 if small else 64,
            channel_multipliers=(1, 2) if small else (1, 2, 2, 2),
            attention_resolutions=() if small else (16,),
            seed=0,
        )
    if name == "flow_matching":
        return models.FlowMatching(
            data_shape=shape,
            width=8 if small else 64,
            channel_multipliers=(1, 2) if small else (1, 2, 2, 2),
            attention_resolutions=() if small else (16,),
            seed=0,
        )
    if name == "stylegan2":
        return models.StyleGAN2(
            resolution=resolution,
            image_channels=3,
            latent_dim=16 if small else 256,
            w_dim=16 if small else 256,
            channel_base=64 if small else 8192,
            seed=0,
        )
    if name == "gan":
        return models.GAN(
            data_shape=shape, latent_dim=16 if small else 128, seed=0
        )
    raise ValueError(f"Unknown model {name!r}")


def devices():
    """The accelerator this backend sees, in words."""
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return ", ".join(str(d) for d in jax.devices())
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        return ", ".join(g.name for g in gpus) or "CPU"
    import torch

    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return "CPU"


def time_fit(model, batch_size, steps):
    """Samples per second of `model.fit` over `steps` steps, after one
    untimed epoch of the same length (compilation)."""
    import numpy as np

    low, high = model.value_range
    rng = np.random.default_rng(0)
    x = rng.uniform(low, high, (batch_size * steps,) + tuple(model.data_shape))
    x = x.astype("float32")
    model.compile()
    model.fit(x, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    start = time.perf_counter()
    model.fit(x, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    return len(x) / (time.perf_counter() - start)


def diffusers_rate(resolution, batch_size, steps):
    """Samples per second of a diffusers `UNet2DModel` + `DDPMScheduler`
    training loop (torch, AdamW), or `None` without diffusers."""
    try:
        import diffusers
    except ImportError:
        return None
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    small = resolution <= 8
    width = 8 if small else 64
    multipliers = (1, 2) if small else (1, 2, 2, 2)
    unet = diffusers.UNet2DModel(
        sample_size=resolution,
        in_channels=3,
        out_channels=3,
        block_out_channels=tuple(width * m for m in multipliers),
        down_block_types=("DownBlock2D",) * len(multipliers),
        up_block_types=("UpBlock2D",) * len(multipliers),
        layers_per_block=2,
        norm_num_groups=4 if small else 32,
    ).to(device)
    scheduler = diffusers.DDPMScheduler(num_train_timesteps=1000)
    optimizer = torch.optim.AdamW(unet.parameters(), lr=1e-4)

    def step():
        x = torch.rand(batch_size, 3, resolution, resolution, device=device)
        x = 2 * x - 1
        noise = torch.randn_like(x)
        t = torch.randint(0, 1000, (batch_size,), device=device)
        pred = unet(scheduler.add_noise(x, noise, t), t).sample
        loss = torch.nn.functional.mse_loss(pred, noise)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for _ in range(steps):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    return batch_size * steps / (time.perf_counter() - start)


def child(args):
    import keras

    backend = keras.backend.backend()
    result = {"backend": backend, "devices": devices(), "rows": []}
    for resolution in args.resolutions:
        for name in args.models:
            row = {"model": name, "resolution": resolution}
            try:
                model = build(name, resolution)
                row["samples_per_s"] = time_fit(
                    model, args.batch_size, args.steps
                )
                row["params"] = sum(
                    math.prod(v.shape) for v in model.trainable_weights
                )
            except Exception as e:  # one failure must not stop the others
                row["error"] = f"{type(e).__name__}: {str(e)[:200]}"
            result["rows"].append(row)
        if backend == "torch" and "ddpm" in args.models:
            row = {"model": "diffusers UNet2DModel", "resolution": resolution}
            try:
                rate = diffusers_rate(resolution, args.batch_size, args.steps)
                if rate is None:
                    row["error"] = "diffusers not installed"
                else:
                    row["samples_per_s"] = rate
            except Exception as e:
                row["error"] = f"{type(e).__name__}: {str(e)[:200]}"
            result["rows"].append(row)
    bench_utils.emit(result)


# -- the run (parent process) ---------------------------------------------------


def gpu_name():
    try:
        out = subprocess.run(
            [
                "nvidia-smi",
                "--query-gpu=name,memory.total",
                "--format=csv,noheader",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return out.stdout.strip() or "no GPU (nvidia-smi printed nothing)"
    except (OSError, subprocess.TimeoutExpired):
        return "no GPU (no nvidia-smi)"


def report(args, results, seconds):
    lines = [
        "# GPU training throughput"
        + (" (dry run on the CPU)" if args.dry_run else ""),
        "",
        f"Written by `benchmarks/gpu.py` on {datetime.date.today().isoformat()}; "
        f"card: {gpu_name()}; load average at the start: "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
        + f"; whole run {seconds:.0f} s. Batch {args.batch_size}, "
        f"{args.steps} timed steps after one untimed epoch; training samples/s.",
        "",
    ]
    header = ["model", "resolution"] + [r.get("backend", b) for b, r in results]
    table = {}
    for column, (_, result) in enumerate(results):
        for row in result.get("rows", []):
            key = (row["model"], row["resolution"])
            cell = row.get("error") or f"{row['samples_per_s']:.1f}"
            table.setdefault(key, [""] * len(results))[column] = cell
    rows = [[m, f"{r}x{r}", *cells] for (m, r), cells in table.items()]
    lines.append(bench_utils.markdown_table(header, rows))
    lines.append("")
    for backend, result in results:
        lines.append(
            f"- {backend}: "
            + (result.get("error") or result.get("devices", ""))
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        return child(args)
    start = time.time()
    forwarded = [
        "--child", "1", "--models", *args.models,
        "--resolutions", *map(str, args.resolutions),
        "--batch-size", str(args.batch_size), "--steps", str(args.steps),
    ]  # fmt: skip
    env = {"CUDA_VISIBLE_DEVICES": ""} if args.dry_run else {}
    # The keras_gen of this checkout, whatever is installed.
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (bench_utils.ROOT, os.environ.get("PYTHONPATH")) if p
    )
    # A GPU process must not take all the card's memory from the next one.
    env.update(
        XLA_PYTHON_CLIENT_PREALLOCATE="false", TF_FORCE_GPU_ALLOW_GROWTH="true"
    )
    results = []
    for backend in args.backends:
        result = bench_utils.run_json(
            "gpu.py", forwarded, backend=backend, timeout=args.timeout, env=env
        )
        results.append((backend, result))
        print(backend, result, flush=True)
    text = report(args, results, time.time() - start)
    print(text)
    if args.out:
        from keras_gen.utils import atomic

        atomic.write_text(args.out, text)


if __name__ == "__main__":
    main()
