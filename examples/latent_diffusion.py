"""
Title: Latent diffusion on the embedded digits
Description: Train a VAE, freeze it, and train a DDPM (Rombach et al.,
    2022) and a flow-matching model, each with an MLP, on its latent
    vectors; compare the decoded samples with the VAE's own samples by a
    classifier Fréchet distance, and edit digits in the latent space.

Runs with no arguments, offline, on any backend:

    KERAS_BACKEND=jax python examples/latent_diffusion.py
    KERAS_BACKEND=torch python examples/latent_diffusion.py --epochs 200 --out ld_out

## What to expect

Scikit-learn's 8x8 digits (train split, 1,000 images in [0, 1]). First a
VAE (Bernoulli likelihood, 8 latent dimensions) is trained with `fit`, with
a light KL weight (beta = 0.1): as in Rombach et al., the autoencoder is
only weakly regularised, so it reconstructs sharply, and its latents are
left far from the N(0, I) prior, so decoding prior draws gives poor digits.
Latent diffusion keeps the VAE fixed and learns where the codes actually
lie: a DDPM (1,000-step linear schedule, epsilon-prediction, MLP denoiser
of 4 residual layers of 256 units) trained on the posterior means, rescaled
by 1 / sigma of the first batch (the paper's scale factor). Samples are
reverse chains in the 8-D latent space, decoded by the VAE.

The script writes `samples.png` (64 latent-diffusion samples, DDIM-50),
`flow_samples.png` (64 latent flow-matching samples, Heun-10),
`vae_samples.png` (64 draws from the VAE's prior) and `image_to_image.png`
(test digits, then SDEdit at strength 0.5 in the latent space by each
model), `inpainting.png` (test digits with the lower half hidden, then
each model's `inpaint`), and prints the classifier Frechet distance (on the features of the
digits classifier shipped with keras_gen; not FID) of 1,000 samples of
each to the test split, next to the VAE's reconstructions of the train
digits (the best the decoder allows) and the real train digits (the
floor). Lower is better. A third stage trains `LatentFlowMatching` on the
same frozen VAE (same MLP, epochs and learning rate): a velocity regressed
along straight paths, sampled by an ODE solver in 10 Heun steps.

Measured 2026-12-06 14:08 UTC with the default arguments on JAX, one
thread on the shared 2-core CPU (load 4-5 from other jobs), keras 3.15.1:

| samples | distance |
| --- | --- |
| real train digits (the floor) | 4.88 |
| VAE reconstructions of the train digits | 5.50 |
| VAE prior samples, z ~ N(0, I) | 16.05 |
| latent diffusion, DDPM-1000 | 6.67 |
| latent diffusion, DDIM-50 | 6.22 |
| latent flow matching, Heun-10 (20 evaluations) | 5.54 |

Re-run 2026-12-06 18:22 UTC with the default arguments on JAX, one
thread pinned to one core of the otherwise quiet machine (load about 1):
VAE 19 s, latent DDPM 46 s and latent flow 44 s of training; distances
reconstructions 5.57, prior samples 15.34, DDPM-1000 6.56, DDIM-50 5.50,
flow Heun-10 5.21 (each run draws its own random streams); the whole
script took about 2 minutes, inpainting included.

The latent flow reaches the decoder's own limit (its reconstructions,
5.50) in 20 network evaluations and 3.3 s for 1,000 samples, against 6.22
for DDIM-50 (12.5 s) and 6.67 for DDPM-1000 (37.7 s); training took about
the same time (131 s and 123 s wall for 600 epochs each; VAE 32 s).

Measured 2026-11-21 (before the flow stage existed) with the default
arguments on JAX, pinned to one core of a 2-core x86_64 CPU shared with
other jobs (`taskset -c 0`, one thread; load average 7-10), keras 3.15.1:
DDIM-50 6.23, DDPM-1000 6.58, reconstructions 5.34, prior samples 18.45.
The whole script then used 1 min 51 s of CPU time (VAE 60 epochs, latent
DDPM 600 epochs, scale factor 1.071, final loss 0.234; sampling 1,000:
DDIM-50 14 s, DDPM-1000 30 s); its wall time on the shared core was 3 min
34 s at load ~7 and 7 min 18 s at load ~10.

The other backends, same command and core (each backend draws its own
random streams, so the figures differ a little):

| backend | CPU time | wall (load) | reconstructions | prior samples | latent diffusion DDIM-50 / DDPM-1000 |
| --- | --- | --- | --- | --- | --- |
| jax | 1 min 51 s | 3 min 34 s (~7) | 5.34 | 18.45 | 6.23 / 6.58 |
| tensorflow | 3 min 19 s | 8 min 33 s (~5) | 5.65 | 21.18 | 7.90 / 8.65 |
| torch | 7 min 9 s | 21 min 44 s (~7) | 6.46 | 23.58 | 9.04 / 7.81 |

The 5-minute target holds on JAX only: the latent DDPM's 9,600 small
training steps are dominated by per-step overhead (about 35 ms of CPU each
on torch, which runs eagerly; DDPM-1000 sampling takes 138 s there). Use
fewer `--epochs` on torch and TensorFlow.

The VAE's KL weight matters most. With `--epochs 300`, same runs
otherwise (DDIM-50 / DDPM-1000):

| `--beta` | VAE reconstructions | VAE prior samples | latent diffusion |
| --- | --- | --- | --- |
| 1.0 | 16.91 | 26.73 | 22.86 / 22.79 |
| 0.3 | 6.90 | 11.51 | 9.66 / 10.51 |
| 0.1 | 5.34 | 18.50 | 8.08 / 8.41 |
| 0.03 | 5.00 | 27.90 | 7.90 / 7.37 |

Diffusion in a latent space cannot do better than the decoder, so a
blurry, strongly regularised VAE caps it; a lightly regularised one (as in
the paper) decodes sharply but leaves its prior a poor fit, which is what
the latent DDPM replaces.
"""

import argparse
import os
import time

import keras
import numpy as np

import keras_gen


def parse_args():
    parser = argparse.ArgumentParser(
        description="Latent diffusion on the embedded digits"
    )
    parser.add_argument("--vae-epochs", type=int, default=60)
    parser.add_argument("--latent-dim", type=int, default=8)
    parser.add_argument(
        "--beta", type=float, default=0.1, help="the VAE's KL weight"
    )
    parser.add_argument(
        "--epochs", type=int, default=600, help="epochs of the latent DDPM"
    )
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--hidden-dim", type=int, default=256)
    parser.add_argument("--num-layers", type=int, default=4)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument(
        "--num-samples",
        type=int,
        default=1000,
        help="samples for the distances",
    )
    parser.add_argument(
        "--out", default="latent_diffusion_out", help="output directory"
    )
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def classifier_frechet_distance(samples, x_test, extractor):
    """Classifier Fréchet distance of `samples` to the test split."""
    metric = keras_gen.metrics.FrechetDistance(feature_extractor=extractor)
    metric.update_state(real=x_test, generated=np.clip(samples, 0.0, 1.0))
    return float(metric.result())


def main():
    args = parse_args()
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    # ## Data: 8x8 digits in [0, 1]

    x_train = keras_gen.datasets.load_digits("train")
    x_test = keras_gen.datasets.load_digits("test")

    # ## Stage 1: the autoencoder, a VAE trained with `fit`

    start = time.time()
    vae = keras_gen.models.VAE(
        data_shape=x_train.shape[1:],
        latent_dim=args.latent_dim,
        beta=args.beta,
        kl_warmup_epochs=10,
        seed=args.seed,
    )
    vae.compile(optimizer=keras.optimizers.Adam(2e-3))
    vae.fit(x_train, epochs=args.vae_epochs, batch_size=32, verbose=0)
    vae_seconds = time.time() - start

    # ## Stage 2: a DDPM on the VAE's latent vectors (the VAE is frozen)

    model = keras_gen.models.LatentDiffusion(
        vae,
        hidden_dim=args.hidden_dim,
        num_layers=args.num_layers,
        ema_decay=0.999,
        seed=args.seed,
    )
    steps_per_epoch = -(-len(x_train) // args.batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0,
        args.epochs * steps_per_epoch,
        warmup_target=args.learning_rate,
        warmup_steps=200,
    )
    model.compile(optimizer=keras.optimizers.Adam(schedule))
    start = time.time()
    history = model.fit(
        x_train, epochs=args.epochs, batch_size=args.batch_size, verbose=0
    )
    diffusion_seconds = time.time() - start

    # ## Stage 3: flow matching on the same frozen latents
    #
    # `LatentFlowMatching` shares the latent space (and the scale factor's
    # estimate) with `LatentDiffusion`; only the objective and the sampler
    # differ: a velocity regressed along straight paths, integrated by an
    # ODE solver in a few steps.

    flow = keras_gen.models.LatentFlowMatching(
        vae,
        hidden_dim=args.hidden_dim,
        num_layers=args.num_layers,
        ema_decay=0.999,
        seed=args.seed,
    )
    flow.compile(
        optimizer=keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(
                0.0,
                args.epochs * steps_per_epoch,
                warmup_target=args.learning_rate,
                warmup_steps=200,
            )
        )
    )
    start = time.time()
    flow_history = flow.fit(
        x_train, epochs=args.epochs, batch_size=args.batch_size, verbose=0
    )
    flow_seconds = time.time() - start

    # ## Samples: decoded latent-diffusion samples next to the VAE's own

    start = time.time()
    ddim = model.generate(
        args.num_samples, scheduler="ddim", num_steps=50, seed=1
    )
    ddim_seconds = time.time() - start
    start = time.time()
    ddpm = model.generate(args.num_samples, scheduler="ddpm", seed=1)
    ddpm_seconds = time.time() - start
    start = time.time()
    heun = flow.generate(args.num_samples, solver="heun", num_steps=10, seed=1)
    heun_seconds = time.time() - start
    prior = vae.generate(args.num_samples, seed=2)
    # SDEdit in the latent space: test digits noised half way and carried
    # back, with the diffusion and with the flow.
    edits = np.concatenate(
        [
            x_test[:8],
            model.image_to_image(
                x_test[:8], 0.5, scheduler="ddim", num_steps=50, seed=3
            ),
            flow.image_to_image(
                x_test[:8], 0.5, solver="heun", num_steps=10, seed=3
            ),
        ]
    )
    keras_gen.utils.images.save_image_grid(
        ddim[:64], os.path.join(args.out, "samples.png")
    )
    keras_gen.utils.images.save_image_grid(
        prior[:64], os.path.join(args.out, "vae_samples.png")
    )
    keras_gen.utils.images.save_image_grid(
        heun[:64], os.path.join(args.out, "flow_samples.png")
    )
    keras_gen.utils.images.save_image_grid(
        edits, os.path.join(args.out, "image_to_image.png"), num_cols=8
    )
    # Inpainting: the lower half of each test digit is hidden and redrawn.
    # A latent code has no pixels to keep, so at every step the sampler's
    # estimate is decoded, the known upper half pasted in and the result
    # encoded again (`benchmarks/latent_inpainting.py` measures it).
    mask = np.zeros((8, 8, 1), "float32")
    mask[4:] = 1
    inpainted = np.concatenate(
        [
            np.where(mask > 0.5, 0.0, x_test[:8]),
            model.inpaint(
                x_test[:8], mask, scheduler="ddim", num_steps=50, seed=4
            ),
            flow.inpaint(x_test[:8], mask, solver="heun", num_steps=10, seed=4),
        ]
    )
    keras_gen.utils.images.save_image_grid(
        inpainted, os.path.join(args.out, "inpainting.png"), num_cols=8
    )

    # ## Figures: classifier Fréchet distance to the test split

    extractor = keras_gen.metrics.digits_features()
    rows = [
        ("real train digits (the floor)", x_train),
        ("VAE reconstructions of train digits", vae.reconstruct(x_train)),
        ("VAE prior samples", prior),
        ("latent diffusion, DDPM-1000", ddpm),
        ("latent diffusion, DDIM-50", ddim),
        ("latent flow matching, Heun-10 (20 NFE)", heun),
    ]
    print(
        f"\nbackend: {keras.backend.backend()}, VAE training {vae_seconds:.0f} s "
        f"({args.vae_epochs} epochs), latent DDPM training {diffusion_seconds:.0f} s "
        f"({args.epochs} epochs, final loss {history.history['loss'][-1]:.4f}), "
        f"scale factor {float(keras.ops.convert_to_numpy(model.scale_factor)):.3f}"
    )
    print(
        f"latent flow matching training {flow_seconds:.0f} s "
        f"(final loss {flow_history.history['loss'][-1]:.4f})"
    )
    print(
        f"sampling {args.num_samples}: DDIM-50 {ddim_seconds:.1f} s, DDPM-1000 {ddpm_seconds:.1f} s, "
        f"flow Heun-10 {heun_seconds:.1f} s"
    )
    print(
        f"classifier Frechet distance to the test split ({args.num_samples} samples, lower is better):"
    )
    for name, samples in rows:
        print(
            f"  {name:38s}: {classifier_frechet_distance(samples, x_test, extractor):6.2f}"
        )
    print(
        f"wrote {args.out}/samples.png, vae_samples.png, flow_samples.png, "
        "image_to_image.png and inpainting.png (rows: test digits (for inpainting, "
        "the lower half hidden), latent diffusion, latent flow)"
    )


if __name__ == "__main__":
    main()
