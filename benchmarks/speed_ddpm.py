"""DDPM side by side: keras_gen vs a plain-PyTorch diffusers loop.

`--impl keras_gen` (backend from `KERAS_BACKEND`): the DDPM trained with
`fit` (`jit_compile` explicit: XLA on JAX/TensorFlow, eager on torch) and
DDIM-50 sampling through `generate` (one compiled loop).
`--impl diffusers`: `UNet2DModel` + `DDPMScheduler` trained by the usual
loop (`add_noise`, MSE on the noise, `backward`, `Adam.step`) and DDIM-50
sampling with `DDIMScheduler` (`set_timesteps(50)`, `step` per timestep)
under `torch.no_grad()`. Same image size (32x32x1 digits), batch, widths
(`ddpm_unets.py`), Adam(1e-3), linear betas 1e-4..0.02 over T = 1000.

Each process also measures this machine's dense-matmul FLOP/s (2048^2
float32, compiled where the backend compiles) so the achieved FLOP/s of the
training step can be quoted as a fraction of it, measured in the same run.
The step's FLOPs are counted with `torch.utils.flop_counter` (matmuls and
convolutions, forward and backward) in the torch-backend process.

Medians of `--repeats` timed runs after a warm-up. Targets (issue 9):
keras_gen >= 1.5x diffusers' samples/s for training and DDIM-50 sampling;
training step >= 30 % of the matmul FLOP/s.

    KERAS_BACKEND=jax python benchmarks/speed_ddpm.py --impl keras_gen --quick
    python benchmarks/speed_ddpm.py --impl diffusers --quick
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_utils  # noqa: E402
import ddpm_unets  # noqa: E402
import numpy as np  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--impl", choices=("keras_gen", "diffusers"), required=True
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--steps", type=int, default=10, help="training steps per timed repeat"
    )
    parser.add_argument("--sample-batch", type=int, default=32)
    parser.add_argument(
        "--sample-steps", type=int, default=50, help="DDIM steps"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--matmul-size", type=int, default=2048)
    parser.add_argument("--quick", action="store_true")
    return parser.parse_args()


def digits(n):
    import keras_gen

    x = keras_gen.datasets.load_digits(
        "train", image_size=ddpm_unets.IMAGE_SIZE
    )
    return np.resize(np.asarray(x, "float32"), (n,) + x.shape[1:])


# ---------------------------------------------------------------------------
# keras_gen
# ---------------------------------------------------------------------------


def run_keras_gen(args):
    import families
    import keras
    from keras import ops

    import keras_gen
    from keras_gen import backend as kg_backend

    backend = keras.backend.backend()
    keras.utils.set_random_seed(0)
    # The U-Net's faster layout per backend: NCHW inside on torch (its
    # convolutions and GroupNorm want it), NHWC under XLA.
    data_format = "channels_first" if backend == "torch" else "channels_last"
    model = keras_gen.models.DDPM(
        denoiser=ddpm_unets.keras_gen_unet(data_format=data_format),
        value_range=(0.0, 1.0),
        seed=0,
    )
    jit = families.default_jit_compile()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=jit)
    seconds, times, n = families.time_fit(
        model, (digits(1000),), args.batch_size, args.steps, args.repeats
    )
    result = {
        "impl": "keras_gen",
        "backend": backend,
        "jit_compile": jit,
        "data_format": data_format,
        "params": int(model.denoiser.count_params()),
        "train_samples_per_s": n / seconds,
        "train_step_s": seconds / args.steps,
        "train_epoch_seconds": times,
    }
    b = args.sample_batch
    sample_s, _ = bench_utils.median_time(
        lambda: model.generate(
            b,
            scheduler="ddim",
            num_steps=args.sample_steps,
            seed=0,
            batch_size=b,
        ),
        args.repeats,
    )
    result["ddim_samples_per_s"] = b / sample_s
    matmul = kg_backend.compile_function(lambda a, c: ops.matmul(a, c))
    result["matmul_flops_per_s"] = matmul_flops(
        lambda a, c: ops.convert_to_numpy(matmul(a, c)[0, 0]),
        ops.convert_to_tensor,
        args,
    )
    if backend == "torch":
        import torch

        x = torch.randn(
            args.batch_size, ddpm_unets.IMAGE_SIZE, ddpm_unets.IMAGE_SIZE, 1
        )
        t = torch.randint(0, 1000, (args.batch_size,), dtype=torch.int32)

        def step():
            out = model.denoiser([x, t], training=True)
            torch.mean((out - x) ** 2).backward()

        result["train_step_flops"] = count_flops(step)
        result["achieved_flops_per_s"] = (
            result["train_step_flops"] / result["train_step_s"]
        )
    # Other backends run the same network: the runner applies the torch count.
    return result


# ---------------------------------------------------------------------------
# diffusers
# ---------------------------------------------------------------------------


def run_diffusers(args):
    try:
        import torch
        import torch.nn.functional as F
        from diffusers import DDIMScheduler, DDPMScheduler
    except ImportError as e:
        return {"impl": "diffusers", "unavailable": f"peer unavailable: {e}"}
    torch.manual_seed(0)
    unet = ddpm_unets.diffusers_unet()
    scheduler = DDPMScheduler(
        num_train_timesteps=1000,
        beta_start=1e-4,
        beta_end=0.02,
        beta_schedule="linear",
    )
    optimizer = torch.optim.Adam(unet.parameters(), lr=1e-3)
    # NHWC in [0, 1] -> NCHW in [-1, 1], as DDPM trains.
    data = (
        torch.from_numpy(digits(args.steps * args.batch_size)).permute(
            0, 3, 1, 2
        )
        * 2
        - 1
    )
    batches = data.split(args.batch_size)

    def train_step(x):
        noise = torch.randn_like(x)
        t = torch.randint(
            0, scheduler.config.num_train_timesteps, (x.shape[0],)
        )
        noisy = scheduler.add_noise(x, noise, t)
        loss = F.mse_loss(unet(noisy, t).sample, noise)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    def epoch():
        for x in batches:
            train_step(x)

    unet.train()
    seconds, times = bench_utils.median_time(epoch, args.repeats)
    n = args.steps * args.batch_size
    result = {
        "impl": "diffusers",
        "backend": "torch (eager)",
        "params": bench_utils.count_params_torch(unet),
        "train_samples_per_s": n / seconds,
        "train_step_s": seconds / args.steps,
        "train_epoch_seconds": times,
    }

    ddim = DDIMScheduler(
        num_train_timesteps=1000,
        beta_start=1e-4,
        beta_end=0.02,
        beta_schedule="linear",
        clip_sample=True,
    )
    b = args.sample_batch

    @torch.no_grad()
    def sample():
        ddim.set_timesteps(args.sample_steps)
        x = torch.randn(b, 1, ddpm_unets.IMAGE_SIZE, ddpm_unets.IMAGE_SIZE)
        for t in ddim.timesteps:
            x = ddim.step(unet(x, t).sample, t, x).prev_sample
        return x

    unet.eval()
    sample_s, _ = bench_utils.median_time(sample, args.repeats)
    result["ddim_samples_per_s"] = b / sample_s
    result["matmul_flops_per_s"] = matmul_flops(
        lambda a, c: (a @ c)[0, 0].item(), torch.from_numpy, args
    )
    x = batches[0]
    t = torch.randint(0, 1000, (x.shape[0],))
    result["train_step_flops"] = count_flops(
        lambda: F.mse_loss(unet(x, t).sample, x).backward()
    )
    result["achieved_flops_per_s"] = (
        result["train_step_flops"] / result["train_step_s"]
    )
    return result


# ---------------------------------------------------------------------------
# FLOPs
# ---------------------------------------------------------------------------


def matmul_flops(matmul, to_tensor, args):
    """FLOP/s of a float32 square matmul (2 n^3 per product), median."""
    n = args.matmul_size
    rng = np.random.default_rng(0)
    a = to_tensor(rng.standard_normal((n, n), dtype=np.float32))
    c = to_tensor(rng.standard_normal((n, n), dtype=np.float32))
    seconds, _ = bench_utils.median_time(
        lambda: matmul(a, c), max(5, args.repeats)
    )
    return 2.0 * n**3 / seconds


def count_flops(fn):
    """FLOPs of `fn()` (matmuls and convolutions, forward and backward)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


def main():
    args = parse_args()
    if args.quick:
        (
            args.steps,
            args.batch_size,
            args.sample_steps,
            args.sample_batch,
            args.matmul_size,
        ) = 2, 8, 10, 4, 1024
    result = (
        run_keras_gen(args) if args.impl == "keras_gen" else run_diffusers(args)
    )
    result.update(
        batch_size=args.batch_size,
        steps=args.steps,
        sample_batch=args.sample_batch,
        sample_steps=args.sample_steps,
        repeats=args.repeats,
        matmul_size=args.matmul_size,
    )
    print(
        {k: v for k, v in result.items() if not k.endswith("seconds")},
        flush=True,
    )
    bench_utils.emit(result)


if __name__ == "__main__":
    main()
