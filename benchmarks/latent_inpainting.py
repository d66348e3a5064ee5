"""Inpainting with the latent families on the digits: do the generated
pixels fit the known ones?

A VAE (8 latent dimensions, β = 0.1, the setting of
`examples/latent_diffusion.py`) is trained on the 1,000 train digits, then
frozen; a `LatentDiffusion` and a `LatentFlowMatching` (the same MLP of 4
residual layers of 256 units) are trained on its latents. Every test digit
(447) has half of its pixels hidden (the lower half, then the right half)
and filled in by:

- the latent models' `inpaint` (DDIM-50; ancestral DDPM-100 with RePaint's
  resampling jumps, j = 10, r = 4; the flow with Heun-10), which corrects
  the latent sampler's estimate at every step with the known pixels;
- the same models' ordinary samples with the known half pasted on (what a
  completion that ignores the known pixels scores);
- the VAE alone: the hole filled with the mean train digit, then 20 rounds
  of decode(encode(·)) with the known pixels pasted back;
- the built-in pixel-space `ddpm_digits` preset's `inpaint` (DDIM-50,
  unconditional: guidance scale 0), a reference in pixel space.

A user asks of a completion: is it still the same digit, and how close is
it to the hidden half? So the table gives how often the digits classifier
shipped with keras_gen (`DigitsProbe`) reads the completion as the test
digit's true class, and the mean squared error over the hidden pixels.
The real test digits and the known half alone (hole = mean digit) bracket
the accuracy.

    KERAS_BACKEND=jax python benchmarks/latent_inpainting.py
    KERAS_BACKEND=jax python benchmarks/latent_inpainting.py --vae-epochs 2 --epochs 2 --no-write  # smoke

Results are appended to `benchmarks/latent_inpainting_results.md` with the
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

RESULTS = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "latent_inpainting_results.md",
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vae-epochs", type=int, default=60)
    parser.add_argument("--epochs", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true")
    return parser.parse_args()


def cosine_adam(epochs, steps_per_epoch, learning_rate=1e-3):
    return keras.optimizers.Adam(
        keras.optimizers.schedules.CosineDecay(
            0.0,
            epochs * steps_per_epoch,
            warmup_target=learning_rate,
            warmup_steps=200,
        )
    )


def train_models(x, args):
    vae = keras_gen.models.VAE(
        data_shape=x.shape[1:],
        latent_dim=8,
        beta=0.1,
        kl_warmup_epochs=10,
        seed=args.seed,
    )
    vae.compile(optimizer=keras.optimizers.Adam(2e-3))
    vae.fit(x, epochs=args.vae_epochs, batch_size=32, verbose=0)
    steps = -(-len(x) // 64)
    models = {}
    for name, cls in (
        ("latent diffusion", keras_gen.models.LatentDiffusion),
        ("latent flow", keras_gen.models.LatentFlowMatching),
    ):
        model = cls(
            vae, hidden_dim=256, num_layers=4, ema_decay=0.999, seed=args.seed
        )
        model.compile(optimizer=cosine_adam(args.epochs, steps))
        start = time.time()
        model.fit(x, epochs=args.epochs, batch_size=64, verbose=0)
        print(f"{name}: trained in {time.time() - start:.0f} s", flush=True)
        models[name] = model
    return vae, models


def vae_projection(vae, x, mask, mean_image, rounds=20):
    """The VAE alone: the hole starts as the mean digit, then is replaced
    by the reconstruction of the current image, `rounds` times."""
    current = np.where(mask > 0.5, mean_image, x)
    for _ in range(rounds):
        current = np.where(mask > 0.5, vae.reconstruct(current), x)
    return current


def main():
    args = parse_args()
    keras.utils.set_random_seed(args.seed)
    before = bench_utils.uptime()
    x_train = keras_gen.datasets.load_digits("train")
    x_test, y_test = keras_gen.datasets.load_digits("test", with_labels=True)
    probe = DigitsProbe()
    wall = time.time()
    vae, models = train_models(x_train, args)
    diffusion, flow = models["latent diffusion"], models["latent flow"]
    pixel = keras_gen.models.DDPM.from_preset("ddpm_digits")
    n = len(x_test)

    def ignoring(model, **options):
        return lambda x, m: np.where(
            m > 0.5, model.generate(n, seed=1, **options), x
        )

    methods = [
        ("real test digits (ceiling)", lambda x, m: x),
        (
            "known half only, hole = mean train digit",
            lambda x, m: np.where(m > 0.5, x_train.mean(0), x),
        ),
        (
            "VAE alone: 20 rounds of decode(encode) with the known half pasted",
            lambda x, m: vae_projection(vae, x, m, x_train.mean(0)),
        ),
        (
            "latent diffusion samples (DDIM-50), known half pasted on",
            ignoring(diffusion, scheduler="ddim", num_steps=50),
        ),
        (
            "latent diffusion `inpaint`, DDIM-50",
            lambda x, m: diffusion.inpaint(
                x, m, scheduler="ddim", num_steps=50, seed=1
            ),
        ),
        (
            "latent diffusion `inpaint`, DDPM-100, jumps j=10 r=4",
            lambda x, m: diffusion.inpaint(
                x,
                m,
                scheduler="ddpm",
                num_steps=100,
                jump_length=10,
                jump_n_sample=4,
                seed=1,
            ),
        ),
        (
            "latent flow samples (Heun-10), known half pasted on",
            ignoring(flow, solver="heun", num_steps=10),
        ),
        (
            "latent flow `inpaint`, Heun-10",
            lambda x, m: flow.inpaint(
                x, m, solver="heun", num_steps=10, seed=1
            ),
        ),
        (
            "pixel-space `ddpm_digits` preset `inpaint`, DDIM-50 (reference)",
            lambda x, m: pixel.inpaint(
                x,
                m,
                scheduler="ddim",
                num_steps=50,
                guidance_scale=0.0,
                seed=1,
            ),
        ),
    ]
    lower = np.zeros((8, 8, 1), "float32")
    lower[4:] = 1
    right = np.zeros((8, 8, 1), "float32")
    right[:, 4:] = 1
    masks = {"lower half": lower, "right half": right}
    rows = []
    grids = []
    for name, method in methods:
        row = [name]
        for mask_name, mask in masks.items():
            start = time.time()
            filled = np.asarray(
                method(x_test, np.broadcast_to(mask, x_test.shape))
            )
            seconds = time.time() - start
            accuracy = float(
                np.mean(probe.predict_proba(filled).argmax(-1) == y_test)
            )
            hole = mask[None].astype(bool).repeat(n, 0)
            mse = float(np.mean((filled[hole] - x_test[hole]) ** 2))
            row += [accuracy, mse, seconds]
            print(
                name,
                mask_name,
                f"{accuracy:.3f} {mse:.4f} {seconds:.1f}s",
                flush=True,
            )
            if mask_name == "lower half":
                grids.append(filled[:10])
        rows.append(row)
    after = bench_utils.uptime()
    out = os.path.join(os.path.dirname(RESULTS), "plots")
    os.makedirs(out, exist_ok=True)
    keras_gen.utils.images.save_image_grid(
        np.concatenate(grids),
        os.path.join(out, "latent_inpainting.png"),
        num_cols=10,
    )
    lines = [
        "| completion | lower half: accuracy | MSE | s | right half: accuracy | MSE | s |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row[0]} | {row[1]:.1%} | {row[2]:.4f} | {row[3]:.1f} | "
            f"{row[4]:.1%} | {row[5]:.4f} | {row[6]:.1f} |"
        )
    text = (
        f"## {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC — backend "
        f"{keras.backend.backend()}, keras {keras.__version__}, VAE {args.vae_epochs} epochs, "
        f"latent models {args.epochs} epochs, seed {args.seed}; whole run {time.time() - wall:.0f} s wall\n\n"
        f"`uptime` before: `{before}`; after: `{after}`.\n\n"
        + "\n".join(lines)
        + f"\n\n{n} test digits; accuracy: the digits classifier (test accuracy "
        f"{probe.test_accuracy:.1%}) reads the true class; MSE over the hidden pixels "
        "(values in [0, 1]). Grid `plots/latent_inpainting.png`: one row per completion "
        "(table order), lower half hidden.\n\n"
    )
    print(text)
    if not args.no_write:
        bench_utils.append_results(
            RESULTS,
            "# Inpainting with the latent families on the digits\n\n"
            "Written by `benchmarks/latent_inpainting.py`.\n\n",
            text,
        )


if __name__ == "__main__":
    main()
