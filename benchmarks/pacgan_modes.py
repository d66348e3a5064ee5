"""Mode coverage of GAN and WGAN-GP on the PacGAN synthetic mixtures.

The protocol of Lin et al. (2018, "PacGAN", sec. 5.1), after VEEGAN:
- data: 2-D ring of 8 Gaussians (sigma 0.01) and 2-D grid of 25 Gaussians
  (sigma 0.05), 100,000 training points;
- generator: 2-D Gaussian noise, 4 hidden layers of 400 ReLU units with
  batch norm (`wgan_gp_nobn`: without it, as in WGAN-GP's toy experiments);
  discriminator: 3 hidden layers of 200 units (LeakyReLU here;
  the paper uses LinearMaxout with 5 pieces);
- metrics on 2,500 samples (`keras_gen.metrics.mode_coverage`): modes
  covered (>= 20 high-quality samples), share of high-quality samples
  (within 3 sigma of a mode), reverse KL of the mode histogram.

Published (PacGAN, table 2, grid of 25): GAN 17.3 +- 0.8 modes; PacGAN4
24.8 +- 0.2 modes, 93.6 % high quality, reverse KL 0.04.
Our target: WGAN-GP covers 25/25 modes with >= 90 % high-quality samples and
reverse KL <= 0.05.

The training budget is far smaller than the paper's (CPU machine): set it
with `--steps`; to make up for it both models use Adam with learning rate
1e-3 (10x the paper's 1e-4), with the betas of their papers. Results are appended to `benchmarks/pacgan_modes_results.md`.

    KERAS_BACKEND=jax python benchmarks/pacgan_modes.py --steps 4000 --seeds 3
"""

import argparse
import datetime
import os
import platform
import time

import keras
import numpy as np

import keras_gen
from keras_gen.models.gan import networks

HERE = os.path.dirname(os.path.abspath(__file__))


def build(model_name, data_shape, seed):
    # "wgan_gp_nobn": the protocol's generator without batch norm, as in
    # Gulrajani et al.'s toy experiments (batch norm blurs sharp modes).
    generator = networks.build_generator(
        2, data_shape, hidden_units=(400,) * 4, batch_norm=model_name != "wgan_gp_nobn"
    )
    discriminator = networks.build_discriminator(data_shape, hidden_units=(200,) * 3)
    if model_name == "gan":
        model = keras_gen.models.GAN(generator, discriminator, latent_dim=2, seed=seed)
        model.compile(
            d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
            g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
        )
    else:
        model = keras_gen.models.WGANGP(generator, discriminator, latent_dim=2, seed=seed)
        model.compile(
            d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.9),
            g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.9),
        )
    return model


def run(dataset, model_name, seed, steps, batch_size=100):
    keras.utils.set_random_seed(seed)
    x = keras_gen.datasets.toy_2d(dataset, 100_000, seed=seed)
    centers, sigma = keras_gen.datasets.toy_2d_modes(dataset)
    model = build(model_name, (2,), seed)
    start = time.time()
    epochs = max(1, steps * batch_size // len(x))
    per_epoch = steps // epochs
    model.fit(x, batch_size=batch_size, epochs=epochs, steps_per_epoch=per_epoch, verbose=0)
    seconds = time.time() - start
    stats = keras_gen.metrics.mode_coverage(model.generate(2500, seed=seed), centers, sigma)
    stats["seconds"] = seconds
    return stats


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=4000, help="generator steps per run")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--datasets", nargs="+", default=["ring8", "grid25"])
    parser.add_argument("--models", nargs="+", default=["gan", "wgan_gp", "wgan_gp_nobn"])
    parser.add_argument("--results", default=os.path.join(HERE, "pacgan_modes_results.md"))
    args = parser.parse_args()

    rows = []
    for dataset in args.datasets:
        for model_name in args.models:
            runs = [run(dataset, model_name, seed, args.steps) for seed in range(args.seeds)]
            agg = {k: (np.mean([r[k] for r in runs]), np.std([r[k] for r in runs])) for k in runs[0]}
            num_modes = runs[0]["num_modes"]
            row = (
                f"| {dataset} | {model_name} | {agg['modes'][0]:.1f} ± {agg['modes'][1]:.1f} / {num_modes} "
                f"| {100 * agg['high_quality'][0]:.1f} ± {100 * agg['high_quality'][1]:.1f} % "
                f"| {agg['reverse_kl'][0]:.3f} ± {agg['reverse_kl'][1]:.3f} | {agg['seconds'][0]:.0f} s |"
            )
            print(row, flush=True)
            rows.append(row)

    header = (
        f"\n## {datetime.date.today()} — backend {keras.backend.backend()}, "
        f"{args.steps} generator steps, batch 100, {args.seeds} seeds, "
        f"{platform.machine()} CPU x{os.cpu_count()}, keras {keras.__version__}\n\n"
        "| data | model | modes covered | high quality | reverse KL | time per run |\n"
        "| --- | --- | --- | --- | --- | --- |\n"
    )
    with open(args.results, "a") as f:
        f.write(header + "\n".join(rows) + "\n")
    print(f"appended to {args.results}")


if __name__ == "__main__":
    main()
