"""Fashion-MNIST quality at a stated CPU budget, keras_gen next to its peers.

One row per peer comparison, both contenders trained on the same data (the
Fashion-MNIST train split, 60,000 images in [0, 1]) for the same budget of
process CPU seconds, each in its own subprocess (its own framework and
`KERAS_BACKEND`), pinned to one core with one thread per library:

- `ddpm`: keras_gen's DDPM (registry `"fashion_mnist"`: class-conditional
  U-Net, widths 32/64/64, attention at 7x7, EMA 0.999, label dropout 0.1)
  against a diffusers loop (`UNet2DModel` with the same widths, blocks and
  attention, `num_class_embeds` with a null class for the same label
  dropout, `DDPMScheduler` with the same linear betas, Adam at the same
  rate, `EMAModel` with the same decay and warm-up); both sampled with
  DDIM, 50 steps, eta 0, the classes cycling, no guidance.
- `gan`: keras_gen's conditional DCGAN (registry `"fashion_mnist"`) against
  keras.io's recipe on TensorFlow: the "Conditional GAN" networks used
  unconditionally (`keras_io_networks.py`), keras.io's `train_step`
  (discriminator on real + fake with BCE from logits, then the generator on
  "misleading" labels), Adam(3e-4) for both, batch 64.
- `vae`: keras_gen's VAE (registry `"fashion_mnist"`: latent 16, default
  networks, Bernoulli likelihood on the grey levels) against pythae's `VAE`
  (`reconstruction_loss="bce"`) with torch networks of the same layers and
  sizes; Adam(1e-3), batch 128 for both. Test NLL by the importance-weighted
  bound (Burda et al., 2016, eq. 8)

      log p(x) >= log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x),  z_k ~ q(z|x)

  with K = `--nll-k` (>= 100): keras_gen's `VAE.log_prob`, pythae's own
  `VAE.get_nll` (the same formula). Both use the Bernoulli cross-entropy on
  grey levels, so the NLL is that objective's, not a normalised density.
- `real_nvp`: keras_gen's RealNVP (registry `"fashion_mnist"`: 2 scales,
  10 couplings, ResNets 2x32, Glow's 1x1 convolutions since 2026-12-07)
  against normflows' Glow (`GlowBlock`s in a
  `MultiscaleFlow`, 2 levels of 5 blocks: the same 10 couplings; hidden
  width chosen so the parameter counts are within 10 %), the same logit
  transform (alpha 0.05, `normflows.transforms.Logit`), a standard normal
  base, Adam(1e-3), batch 64. Bits/dim on uniformly dequantised test images
  (256 levels as unit bins: `-(log p(x) - D log 256) / (D ln 2)` for the
  density on [0, 1)).

Rows without a peer (`--rows aae wgan_gp autoencoder flow_matching
progan stylegan2 latent_diffusion latent_flow_matching`): the family's registry
`"fashion_mnist"` configuration alone, at the same budget, against the
floor (the "every other family" figures of issue 18); FlowMatching sampled
with its default solver (Heun, 25 steps). The latent families spend a
quarter of the budget training their VAE (beta 0.1) and the rest on the
latent model; LatentDiffusion samples with DDIM-50 (as the `ddpm` row),
LatentFlowMatching with Heun-25.

Budget: process CPU seconds spent from just before the first training step
(compilation included) until the step that crosses `--budget-cpu-s`;
recorded with wall time, steps done and the load average before/after.
The contenders of a row run one after the other, the order alternating
between rows (keras_gen first in rows 1 and 3).

Evaluation, in this (parent) process, the same code for every contender:
`--num-eval` samples saved as .npy by the child, the classifier Fréchet
distance (FD, features of the shipped Fashion-MNIST classifier; never called
FID) and kernel distance (KID) to the first `--num-eval` test images, beside
the real-data floor (as many train images against the same test images).
PNG grids of 64 samples per contender go to `benchmarks/plots/`.

    taskset -c 0 python benchmarks/fashion_peers.py --quick
    taskset -c 0 python benchmarks/fashion_peers.py --budget-cpu-s 240
    taskset -c 0 python benchmarks/fashion_peers.py --rows aae wgan_gp autoencoder \
        flow_matching progan --json benchmarks/fashion_families.json
    taskset -c 0 python benchmarks/fashion_peers.py --rows real_nvp \
        --contenders keras_gen --backend tensorflow --json /tmp/rnvp_tf.json
"""

import argparse
import json
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# This checkout's keras_gen first (not an installed copy), then the helpers.
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

import bench_utils  # noqa: E402

ROWS = {
    "ddpm": ("keras_gen", "diffusers"),
    "gan": ("keras_gen", "keras_io"),
    "vae": ("keras_gen", "pythae"),
    "real_nvp": ("keras_gen", "normflows"),
    # The families without a peer row: keras_gen alone, against the floor.
    "aae": ("keras_gen",),
    "wgan_gp": ("keras_gen",),
    "autoencoder": ("keras_gen",),
    "flow_matching": ("keras_gen",),
    "progan": ("keras_gen",),
    "stylegan2": ("keras_gen",),
    "latent_diffusion": ("keras_gen",),
    "latent_flow_matching": ("keras_gen",),
}
# Rows whose model is built on an autoencoder trained first (a VAE with
# beta 0.1), and the part of the budget it gets.
LATENT_ROWS = ("latent_diffusion", "latent_flow_matching")
AUTOENCODER_SHARE = 0.25
# The rows run by default: the peer comparisons.
PEER_ROWS = ("ddpm", "gan", "vae", "real_nvp")
PEER_LABELS = {
    "diffusers": "diffusers UNet2DModel + DDPMScheduler loop (torch)",
    "keras_io": "keras.io DCGAN recipe (TensorFlow)",
    "pythae": "pythae VAE (torch)",
    "normflows": "normflows Glow (torch)",
}
METRICS = ("classifier_frechet_distance", "classifier_kernel_distance")
DDIM_STEPS = 50
GRID = 64


def keras_gen_override(text):
    """`--keras-gen-override KEY=JSON` as `(key, value)`."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=JSON, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError as e:
        raise argparse.ArgumentTypeError(
            f"{text!r}: the value is not JSON ({e})"
        ) from None


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--rows", nargs="+", default=list(PEER_ROWS), choices=list(ROWS)
    )
    parser.add_argument("--budget-cpu-s", type=float, default=240.0)
    parser.add_argument("--num-eval", type=int, default=1000)
    parser.add_argument(
        "--ddpm-num-eval",
        type=int,
        default=500,
        help="samples of the DDPM row (DDIM-50 on one core is slow)",
    )
    parser.add_argument(
        "--nll-num", type=int, default=500, help="test images for the VAE NLL"
    )
    parser.add_argument(
        "--nll-k", type=int, default=100, help="IWAE importance samples"
    )
    parser.add_argument(
        "--bpd-num", type=int, default=2000, help="test images for bits/dim"
    )
    parser.add_argument(
        "--backend",
        default="jax",
        choices=bench_utils.BACKENDS,
        help="KERAS_BACKEND of the keras_gen contenders",
    )
    parser.add_argument(
        "--train-subset", type=int, default=None, help="first N train images"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--keras-gen-override",
        action="append",
        default=[],
        type=keras_gen_override,
        metavar="KEY=JSON",
        help="experiments only: an argument of keras_gen's model on top of "
        'its "fashion_mnist" configuration, e.g. permutation="1x1_conv" '
        "(recorded in the results; the peer is not matched to it)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke mode")
    parser.add_argument(
        "--out",
        default=None,
        help="folder of the samples (.npy); the JSON goes to benchmarks/",
    )
    parser.add_argument("--plots", default=os.path.join(HERE, "plots"))
    parser.add_argument(
        "--contenders",
        nargs="+",
        default=None,
        help="run only these contenders of each row (e.g. keras_gen)",
    )
    parser.add_argument(
        "--json",
        default=None,
        help="results file (default: benchmarks/fashion_peers.json)",
    )
    parser.add_argument(
        "--child", nargs=2, metavar=("ROW", "CONTENDER"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.budget_cpu_s = min(args.budget_cpu_s, 15.0)
        args.num_eval = min(args.num_eval, 100)
        args.ddpm_num_eval = min(args.ddpm_num_eval, 100)
        args.nll_num = min(args.nll_num, 10)
        args.bpd_num = min(args.bpd_num, 100)
        args.train_subset = args.train_subset or 2000
    if args.out is None:
        args.out = "/tmp/fashion_peers" + ("_quick" if args.quick else "")
    return args


# ---------------------------------------------------------------------------
# child process: one contender
# ---------------------------------------------------------------------------


def train_data(args):
    import keras_gen

    return keras_gen.datasets.load_fashion_mnist(
        "train", with_labels=True, num_samples=args.train_subset
    )


def test_data(n):
    import keras_gen

    return keras_gen.datasets.load_fashion_mnist("test", num_samples=n)


def count(variables):
    import numpy as np

    return int(sum(np.prod(v.shape) for v in variables))


def run_keras_gen(row, args, budget):
    import keras
    import numpy as np

    from keras_gen.models import registry

    keras.utils.set_random_seed(args.seed)
    overrides = dict(args.keras_gen_override)
    family = registry.get(row)
    config = family.configuration("fashion_mnist")
    x, y = train_data(args)
    autoencoder = None
    if row in LATENT_ROWS:
        # The autoencoder trains first, for `AUTOENCODER_SHARE` of the
        # budget, then the latent model on its frozen latents for the rest.
        autoencoder_budget = bench_utils.Budget(
            args.budget_cpu_s * AUTOENCODER_SHARE
        )
        budget.seconds -= autoencoder_budget.seconds
        autoencoder = registry.get("vae").build(
            "fashion_mnist", beta=0.1, seed=args.seed
        )
        registry.get("vae").compile(autoencoder, "fashion_mnist")
        autoencoder.fit(
            x,
            batch_size=128,
            epochs=10_000,
            shuffle=True,
            verbose=0,
            callbacks=[bench_utils.stop_at_budget(autoencoder_budget)],
        )
        autoencoder_record = autoencoder_budget.record()
        model = family.build(
            "fashion_mnist",
            autoencoder=autoencoder,
            seed=args.seed,
            **overrides,
        )
    else:
        model = family.build("fashion_mnist", seed=args.seed, **overrides)
    family.compile(model, "fashion_mnist")
    fit_args = (x, y) if getattr(model, "num_classes", None) else (x,)
    model.fit(
        *fit_args,
        batch_size=config.batch_size,
        epochs=10_000,
        shuffle=True,
        verbose=0,
        callbacks=[bench_utils.stop_at_budget(budget)],
    )
    result = budget.record()
    if autoencoder is not None:
        # The whole budget: the autoencoder's training and the latent
        # model's.
        first = autoencoder_record
        result["autoencoder_steps"] = first["steps"]
        result["train_cpu_s"] = round(
            result["train_cpu_s"] + first["train_cpu_s"], 1
        )
        result["train_wall_s"] = round(
            result["train_wall_s"] + first["train_wall_s"], 1
        )
        result["load_before"] = first["load_before"]
    if overrides:
        result["overrides"] = overrides
    result["batch_size"] = config.batch_size
    result["optimizer"] = "family defaults" + (
        f", lr {config.learning_rate:g}" if config.learning_rate else ""
    )
    start = time.time()
    if autoencoder is not None:
        result["params"] = count(model.denoiser.trainable_variables)
        result["params_note"] = (
            f"latent MLP; + VAE {count(autoencoder.variables):,}"
        )
    if row in ("ddpm", "latent_diffusion"):
        if autoencoder is None:
            result["params"] = count(model.denoiser.trainable_variables)
            result["params_note"] = "denoiser U-Net"
        samples = model.generate(
            args.num_eval,
            scheduler="ddim",
            num_steps=DDIM_STEPS,
            seed=args.seed + 1,
        )
    elif row == "gan":
        g = count(model.generator.trainable_variables)
        d = count(model.discriminator.trainable_variables)
        result["params"] = g + d
        result["params_note"] = f"G {g:,} + D {d:,}"
        samples = model.generate(args.num_eval, seed=args.seed + 1)
    else:
        result.setdefault("params", count(model.trainable_variables))
        samples = model.generate(args.num_eval, seed=args.seed + 1)
    result["sample_wall_s"] = round(time.time() - start, 1)
    start = time.time()
    if row == "vae":
        x_test = test_data(args.nll_num)
        log_p = model.log_prob(
            x_test, num_samples=args.nll_k, seed=args.seed + 2
        )
        result["nll_nats"] = float(-np.mean(log_p))
    elif row == "real_nvp":
        x_test = test_data(args.bpd_num)
        result["bits_per_dim"] = float(
            np.mean(model.bits_per_dim(x_test, seed=args.seed + 2))
        )
    result["likelihood_wall_s"] = round(time.time() - start, 1)
    result["backend"] = keras.backend.backend()
    return result, np.asarray(samples, "float32")


def torch_batches(n, batch_size, generator):
    """Endless shuffled index batches (full batches only), epoch after epoch."""
    import torch

    while True:
        perm = torch.randperm(n, generator=generator)
        for i in range(0, n - batch_size + 1, batch_size):
            yield perm[i : i + batch_size]


class DiffusersDDPM:
    """The diffusers side of the `ddpm` row: `UNet2DModel` with the
    registry's widths, blocks and attention and a null class for the label
    dropout, `DDPMScheduler` (linear betas, T = 1000), `add_noise` + MSE on
    the noise, Adam and `EMAModel` at the registry's rate and decay.
    `ddpm_time_to_quality.py` trains the same loop."""

    NUM_CLASSES = 10

    def __init__(self, args):
        import ddpm_unets
        import numpy as np
        import torch
        from diffusers import DDPMScheduler
        from diffusers.training_utils import EMAModel

        from keras_gen.models import registry

        self.config = registry.get("ddpm").configuration("fashion_mnist")
        a = self.config.arguments
        widths = tuple(a["width"] * m for m in a["channel_multipliers"])
        assert (
            widths == ddpm_unets.WIDTHS
            and a["num_res_blocks"] == ddpm_unets.LAYERS_PER_BLOCK
            and a["num_classes"] == self.NUM_CLASSES
        )
        self.seed = args.seed
        torch.manual_seed(args.seed)
        # One more class embedding: the null class of the label dropout.
        self.unet = ddpm_unets.diffusers_unet(
            28, num_class_embeds=self.NUM_CLASSES + 1
        )
        self.betas = dict(
            num_train_timesteps=1000,
            beta_start=1e-4,
            beta_end=0.02,
            beta_schedule="linear",
        )
        self.scheduler = DDPMScheduler(**self.betas)
        self.optimizer = torch.optim.Adam(
            self.unet.parameters(), lr=self.config.learning_rate
        )
        self.ema = EMAModel(self.unet.parameters(), decay=a["ema_decay"])
        x, y = train_data(args)
        self.x = torch.from_numpy(np.asarray(x)).permute(0, 3, 1, 2) * 2 - 1
        self.y = torch.from_numpy(np.asarray(y, "int64"))

    def train(self, stop):
        """Trains until `stop()` (called after every step) returns True;
        returns the last loss."""
        import torch
        import torch.nn.functional as F

        generator = torch.Generator().manual_seed(self.seed)
        self.unet.train()
        batches = torch_batches(len(self.x), self.config.batch_size, generator)
        for idx in batches:
            xb, yb = self.x[idx], self.y[idx]
            yb = torch.where(torch.rand(len(yb)) < 0.1, self.NUM_CLASSES, yb)
            noise = torch.randn_like(xb)
            t = torch.randint(0, 1000, (len(xb),))
            noisy = self.scheduler.add_noise(xb, noise, t)
            loss = F.mse_loss(
                self.unet(noisy, t, class_labels=yb).sample, noise
            )
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            self.ema.step(self.unet.parameters())
            if stop():
                return float(loss)

    def ema_weights(self):
        return [p.detach().clone() for p in self.ema.shadow_params]

    # diffusers' schedulers by the names keras_gen gives its samplers.
    SCHEDULERS = {
        "ddim": ("DDIMScheduler", dict(clip_sample=True)),
        "dpm_solver": ("DPMSolverMultistepScheduler", {}),
        # Dynamic thresholding held at 1 (s = min(max(q, 1), 1) = 1):
        # x̂_0 clipped to [-1, 1] at every step, as keras_gen's samplers do
        # on bounded images.
        "dpm_solver_clipped": (
            "DPMSolverMultistepScheduler",
            dict(thresholding=True, sample_max_value=1.0),
        ),
        "unipc": ("UniPCMultistepScheduler", {}),
    }

    def sample(
        self,
        num_samples,
        weights=None,
        scheduler="ddim",
        num_steps=DDIM_STEPS,
        seed=None,
        first_label=0,
    ):
        """Samples with the EMA weights (or `weights`, from
        `ema_weights()`), the classes cycling from `first_label`; images in
        [0, 1], NHWC. `scheduler`: a key of `SCHEDULERS` (DDIM with eta 0,
        DPM-Solver++(2M) with or without clipping, UniPC-bh2; diffusers'
        defaults otherwise)."""
        import diffusers
        import numpy as np
        import torch

        weights = self.ema_weights() if weights is None else weights
        with torch.no_grad():
            for p, w in zip(self.unet.parameters(), weights):
                p.copy_(w)
        self.unet.eval()
        name, options = self.SCHEDULERS[scheduler]
        sampler = getattr(diffusers, name)(**self.betas, **options)
        sampler.set_timesteps(num_steps)
        seed = self.seed + 1 if seed is None else seed
        g = torch.Generator().manual_seed(seed)
        out = []
        with torch.no_grad():
            for s in range(0, num_samples, 250):
                n = min(250, num_samples - s)
                labels = (
                    torch.arange(s, s + n) + first_label
                ) % self.NUM_CLASSES
                xt = torch.randn(n, 1, 28, 28, generator=g)
                xt = xt * sampler.init_noise_sigma
                for t in sampler.timesteps:
                    eps = self.unet(
                        sampler.scale_model_input(xt, t), t,
                        class_labels=labels,
                    ).sample  # fmt: skip
                    step = (
                        dict(use_clipped_model_output=True)
                        if scheduler == "ddim"
                        else {}
                    )
                    xt = sampler.step(eps, t, xt, **step).prev_sample
                out.append(
                    ((xt.clamp(-1, 1) + 1) / 2).permute(0, 2, 3, 1).numpy()
                )
        return np.concatenate(out)


def run_diffusers(args, budget):
    ddpm = DiffusersDDPM(args)
    budget.start()
    final_loss = ddpm.train(budget.step)
    result = budget.record()
    result.update(
        batch_size=ddpm.config.batch_size,
        optimizer=f"Adam {ddpm.config.learning_rate:g}",
        params=bench_utils.count_params_torch(ddpm.unet),
        params_note="UNet2DModel",
        final_loss=final_loss,
    )
    start = time.time()
    samples = ddpm.sample(args.num_eval)
    result["sample_wall_s"] = round(time.time() - start, 1)
    return result, samples


def run_keras_io(args, budget):
    """keras.io's GAN recipe (its `train_step`, optimizers and loss) on TF."""
    import keras
    import keras_io_networks
    import numpy as np
    import tensorflow as tf

    latent_dim, batch_size = 128, 64
    keras.utils.set_random_seed(args.seed)

    class GAN(keras.Model):
        def __init__(self, discriminator, generator, latent_dim):
            super().__init__()
            self.discriminator = discriminator
            self.generator = generator
            self.latent_dim = latent_dim
            self.seed_generator = keras.random.SeedGenerator(1337)

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile()
            self.d_optimizer = d_optimizer
            self.g_optimizer = g_optimizer
            self.loss_fn = loss_fn
            self.d_loss_metric = keras.metrics.Mean(name="d_loss")
            self.g_loss_metric = keras.metrics.Mean(name="g_loss")

        @property
        def metrics(self):
            return [self.d_loss_metric, self.g_loss_metric]

        def train_step(self, real_images):
            batch = tf.shape(real_images)[0]
            z = keras.random.normal(
                (batch, self.latent_dim), seed=self.seed_generator
            )
            generated = self.generator(z)
            combined = tf.concat([generated, real_images], axis=0)
            labels = tf.concat(
                [tf.ones((batch, 1)), tf.zeros((batch, 1))], axis=0
            )
            with tf.GradientTape() as tape:
                d_loss = self.loss_fn(labels, self.discriminator(combined))
            grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
            self.d_optimizer.apply_gradients(
                zip(grads, self.discriminator.trainable_weights)
            )
            z = keras.random.normal(
                (batch, self.latent_dim), seed=self.seed_generator
            )
            misleading = tf.zeros((batch, 1))
            with tf.GradientTape() as tape:
                g_loss = self.loss_fn(
                    misleading, self.discriminator(self.generator(z))
                )
            grads = tape.gradient(g_loss, self.generator.trainable_weights)
            self.g_optimizer.apply_gradients(
                zip(grads, self.generator.trainable_weights)
            )
            self.d_loss_metric.update_state(d_loss)
            self.g_loss_metric.update_state(g_loss)
            return {
                "d_loss": self.d_loss_metric.result(),
                "g_loss": self.g_loss_metric.result(),
            }

    generator = keras_io_networks.dcgan_generator(latent_dim)
    discriminator = keras_io_networks.dcgan_discriminator()
    gan = GAN(discriminator, generator, latent_dim)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(3e-4),
        g_optimizer=keras.optimizers.Adam(3e-4),
        loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    x, _ = train_data(args)
    dataset = (
        tf.data.Dataset.from_tensor_slices(np.asarray(x) * 2 - 1)  # tanh output
        .shuffle(1024)
        .batch(batch_size, drop_remainder=True)
    )
    gan.fit(
        dataset,
        epochs=10_000,
        verbose=0,
        callbacks=[bench_utils.stop_at_budget(budget)],
    )
    result = budget.record()
    g, d = generator.count_params(), discriminator.count_params()
    result.update(
        batch_size=batch_size,
        optimizer="Adam 3e-4 (both)",
        params=g + d,
        params_note=f"G {g:,} + D {d:,}",
        backend="tensorflow",
    )
    start = time.time()
    z = np.random.default_rng(args.seed + 1).standard_normal(
        (args.num_eval, latent_dim)
    )
    samples = (
        generator.predict(z.astype("float32"), batch_size=250, verbose=0) + 1
    ) / 2
    result["sample_wall_s"] = round(time.time() - start, 1)
    return result, samples


def run_pythae(args, budget):
    import numpy as np
    import torch
    from torch import nn

    from keras_gen.models import registry

    try:
        from pythae.models import VAE, VAEConfig
        from pythae.models.base.base_utils import ModelOutput
        from pythae.models.nn import BaseDecoder, BaseEncoder
    except ImportError as e:
        raise SystemExit(f"pythae unavailable: {e!r}") from e

    config = registry.get("vae").configuration("fashion_mnist")
    latent = config.arguments["latent_dim"]
    torch.manual_seed(args.seed)

    # keras_gen's default Encoder / Decoder (filters 32, 64; hidden 256;
    # nearest-neighbour resize + 3x3 convolution upsampling), in torch.
    class Encoder(BaseEncoder):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(
                nn.Conv2d(1, 32, 3, 2, 1),
                nn.ReLU(),
                nn.Conv2d(32, 64, 3, 2, 1),
                nn.ReLU(),
                nn.Flatten(),
                nn.Linear(64 * 7 * 7, 256),
                nn.ReLU(),
                nn.Linear(256, 2 * latent),
            )

        def forward(self, x):
            mean, log_var = self.net(x).chunk(2, dim=1)
            return ModelOutput(embedding=mean, log_covariance=log_var)

    class Decoder(BaseDecoder):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(
                nn.Linear(latent, 256),
                nn.ReLU(),
                nn.Linear(256, 64 * 7 * 7),
                nn.ReLU(),
                nn.Unflatten(1, (64, 7, 7)),
                nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv2d(64, 64, 3, padding=1),
                nn.ReLU(),
                nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv2d(64, 32, 3, padding=1),
                nn.ReLU(),
                nn.Conv2d(32, 1, 3, padding=1),
                nn.Sigmoid(),
            )

        def forward(self, z):
            return ModelOutput(reconstruction=self.net(z))

    model = VAE(
        VAEConfig(
            input_dim=(1, 28, 28), latent_dim=latent, reconstruction_loss="bce"
        ),
        encoder=Encoder(),
        decoder=Decoder(),
    )
    optimizer = torch.optim.Adam(
        model.parameters(), lr=1e-3
    )  # keras_gen's default
    x, _ = train_data(args)
    x = torch.from_numpy(np.asarray(x)).permute(0, 3, 1, 2).contiguous()
    generator = torch.Generator().manual_seed(args.seed)
    model.train()
    budget.start()
    for idx in torch_batches(len(x), config.batch_size, generator):
        loss = model({"data": x[idx]}).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if budget.step():
            break
    result = budget.record()
    result.update(
        batch_size=config.batch_size,
        optimizer="Adam 1e-3",
        params=bench_utils.count_params_torch(model),
        final_loss=float(loss),
    )
    model.eval()
    start = time.time()
    g = torch.Generator().manual_seed(args.seed + 1)
    with torch.no_grad():
        z = torch.randn(args.num_eval, latent, generator=g)
        samples = model.decoder(z)["reconstruction"].permute(0, 2, 3, 1).numpy()
    result["sample_wall_s"] = round(time.time() - start, 1)
    start = time.time()
    x_test = torch.from_numpy(np.asarray(test_data(args.nll_num))).permute(
        0, 3, 1, 2
    )
    torch.manual_seed(args.seed + 2)
    with torch.no_grad():
        # pythae's own estimator: log-mean-exp of K importance weights.
        result["nll_nats"] = float(
            -model.get_nll(x_test, n_samples=args.nll_k, batch_size=args.nll_k)
        )
    result["likelihood_wall_s"] = round(time.time() - start, 1)
    return result, samples


def build_glow(hidden, levels=2, blocks=5):
    """normflows' Glow for 1x28x28 in the library's own multi-scale layout
    (as its Glow example): each level squeezes, runs `blocks` GlowBlocks,
    and all but the coarsest factor out half of the channels; the logit
    transform (alpha 0.05) maps [0, 1) data to the flow's space."""
    import normflows as nf

    q0, flows, merges = [], [], []
    for i in range(levels):
        channels = 2 ** (levels + 1 - i)
        flows.append(
            [
                nf.flows.GlowBlock(
                    channels, hidden, split_mode="channel", scale=True
                )
                for _ in range(blocks)
            ]
            + [nf.flows.Squeeze()]
        )
        if i > 0:
            merges.append(nf.flows.Merge())
            shape = (
                2 ** (levels - i),
                28 // 2 ** (levels - i),
                28 // 2 ** (levels - i),
            )
        else:
            shape = (2 ** (levels + 1), 28 // 2**levels, 28 // 2**levels)
        q0.append(nf.distributions.DiagGaussian(shape, trainable=False))
    return nf.MultiscaleFlow(
        q0, flows, merges, transform=nf.transforms.Logit(0.05), class_cond=False
    )


def run_normflows(args, budget, target_params):
    import numpy as np
    import torch

    torch.manual_seed(args.seed)
    # The hidden width whose parameter count is closest to keras_gen's.
    counts = {
        h: bench_utils.count_params_torch(build_glow(h))
        for h in range(16, 257, 4)
    }
    hidden = min(counts, key=lambda h: abs(counts[h] - target_params))
    torch.manual_seed(args.seed)
    model = build_glow(hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, _ = train_data(args)
    levels = (
        torch.from_numpy(np.round(np.asarray(x) * 255))
        .permute(0, 3, 1, 2)
        .contiguous()
    )
    d = 28 * 28
    generator = torch.Generator().manual_seed(args.seed)
    model.train()
    budget.start()
    for idx in torch_batches(len(levels), 64, generator):
        xb = (
            levels[idx] + torch.rand(levels[idx].shape, generator=generator)
        ) / 256.0
        loss = model.forward_kld(xb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if budget.step():
            break
    result = budget.record()
    result.update(
        batch_size=64,
        optimizer="Adam 1e-3",
        params=bench_utils.count_params_torch(model),
        params_note=f"Glow 2 levels x 5 blocks, hidden {hidden}",
        final_loss=float(loss),
    )
    model.eval()
    start = time.time()
    torch.manual_seed(args.seed + 1)
    with torch.no_grad():
        samples = torch.cat(
            [
                model.sample(250)[0]
                for _ in range(math.ceil(args.num_eval / 250))
            ]
        )
    samples = samples[: args.num_eval].clamp(0, 1).permute(0, 2, 3, 1).numpy()
    result["sample_wall_s"] = round(time.time() - start, 1)
    start = time.time()
    test = torch.from_numpy(
        np.round(np.asarray(test_data(args.bpd_num)) * 255)
    ).permute(0, 3, 1, 2)
    g = torch.Generator().manual_seed(args.seed + 2)
    with torch.no_grad():
        log_p = torch.cat(
            [
                model.log_prob(
                    (chunk + torch.rand(chunk.shape, generator=g)) / 256.0, None
                )
                for chunk in test.split(500)
            ]
        )
    # Density on [0, 1) -> levels as unit bins: minus D log 256.
    result["bits_per_dim"] = float(
        -(log_p - d * math.log(256.0)).mean() / (d * math.log(2.0))
    )
    result["likelihood_wall_s"] = round(time.time() - start, 1)
    return result, samples


def child(args):
    bench_utils.pin_one_thread()
    row, contender = args.child
    backend = os.environ.get("KERAS_BACKEND", "jax")
    if contender != "keras_gen" or backend == "torch":
        import torch

        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    budget = bench_utils.Budget(args.budget_cpu_s)
    wall0 = time.time()
    if contender == "keras_gen":
        result, samples = run_keras_gen(row, args, budget)
    elif contender == "diffusers":
        result, samples = run_diffusers(args, budget)
    elif contender == "keras_io":
        result, samples = run_keras_io(args, budget)
    elif contender == "pythae":
        result, samples = run_pythae(args, budget)
    elif contender == "normflows":
        result, samples = run_normflows(args, budget, args.target_params)
    else:
        raise ValueError(contender)
    import numpy as np

    samples = np.nan_to_num(np.asarray(samples, "float32"), nan=0.0).clip(0, 1)
    os.makedirs(args.out, exist_ok=True)
    backend = os.environ.get("KERAS_BACKEND", "jax")
    path = os.path.join(args.out, f"{row}_{contender}_{backend}.npy")
    np.save(path, samples)
    result.update(
        row=row,
        contender=contender,
        samples=path,
        process_cpu_s=round(time.process_time(), 1),
        child_wall_s=round(time.time() - wall0, 1),
    )
    result.setdefault("backend", "torch (eager)")
    bench_utils.emit(result)


# ---------------------------------------------------------------------------
# parent: schedule, evaluate, tabulate
# ---------------------------------------------------------------------------


def keras_gen_flow_params():
    """keras_gen's RealNVP parameter count (built on a batch, no training)."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import numpy as np

    from keras_gen.models import registry

    model = registry.get("real_nvp").build("fashion_mnist", seed=0)
    model.log_prob(np.zeros((2, 28, 28, 1), "float32"))
    return count(model.trainable_variables)


def contender_label(row, contender, backend):
    if contender == "keras_gen":
        return f"keras_gen {row} ({backend})"
    return PEER_LABELS[contender]


def evaluate_samples(path, x_test):
    import numpy as np

    import keras_gen

    samples = np.load(path)
    return keras_gen.metrics.evaluate(
        None, x_test, METRICS, samples=samples, classifier="fashion_mnist"
    ), samples


def main():
    args = parse_args()
    if args.child:
        args.target_params = int(
            os.environ.get("FASHION_PEERS_FLOW_PARAMS", "0")
        )
        return child(args)
    bench_utils.pin_one_thread()
    os.environ.setdefault("KERAS_BACKEND", "jax")

    import keras_gen

    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.plots, exist_ok=True)
    info = bench_utils.machine_info()
    info["versions"]["pythae"] = bench_utils.package_version("pythae")
    print(json.dumps(info), flush=True)
    floors, tests = {}, {}
    for n in sorted({num_eval(row, args) for row in args.rows}):
        tests[n] = keras_gen.datasets.load_fashion_mnist("test", num_samples=n)
        floors[n] = keras_gen.metrics.real_data_floor(
            "fashion_mnist", METRICS, num_samples=n
        )
        print(f"floor (train vs test, n={n}): {floors[n]}", flush=True)
    flow_params = keras_gen_flow_params() if "real_nvp" in args.rows else 0
    common = [
        "--budget-cpu-s", args.budget_cpu_s,
        "--nll-num", args.nll_num,
        "--nll-k", args.nll_k,
        "--bpd-num", args.bpd_num,
        "--seed", args.seed,
        "--out", args.out,
    ]  # fmt: skip
    if args.train_subset:
        common += ["--train-subset", args.train_subset]
    for key, value in args.keras_gen_override:
        common += ["--keras-gen-override", f"{key}={json.dumps(value)}"]
    timeout = int(args.budget_cpu_s * 4 + 900)
    results = []
    for i, row in enumerate(args.rows):
        order = ROWS[row] if i % 2 == 0 else ROWS[row][::-1]
        for position, contender in enumerate(order):
            if args.contenders and contender not in args.contenders:
                continue
            backend = (
                args.backend
                if contender == "keras_gen"
                else ("tensorflow" if contender == "keras_io" else "torch")
            )
            env = bench_utils.thread_env(1)
            env["FASHION_PEERS_FLOW_PARAMS"] = str(flow_params)
            print(
                f"[{time.strftime('%H:%M:%S')}] {row}: {contender} ({backend})",
                flush=True,
            )
            n = num_eval(row, args)
            result = bench_utils.run_json(
                "fashion_peers.py",
                ["--child", row, contender, "--num-eval", n, *common],
                backend=backend,
                timeout=timeout,
                env=env,
            )
            result.update(
                row=row, contender=contender, order=position + 1, num_eval=n
            )
            result["floor"] = floors[n]
            result["label"] = contender_label(row, contender, backend)
            if "error" not in result:
                scores, samples = evaluate_samples(result["samples"], tests[n])
                result.update(scores)
                name = contender
                if contender == "keras_gen" and args.backend != "jax":
                    name = f"keras_gen_{args.backend}"
                grid = os.path.join(
                    args.plots, f"fashion_peers_{row}_{name}.png"
                )
                if args.quick:
                    grid = os.path.join(args.out, os.path.basename(grid))
                keras_gen.utils.images.save_image_grid(
                    samples[:GRID], grid, num_cols=8
                )
                result["grid"] = os.path.relpath(grid, ROOT)
            print(json.dumps(result), flush=True)
            results.append(result)
    out = {
        "machine": info,
        "args": {k: v for k, v in vars(args).items()},
        "floors": {str(n): f for n, f in floors.items()},
    }
    out["results"] = results
    path = args.json or os.path.join(
        args.out if args.quick else HERE, "fashion_peers.json"
    )
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print(markdown(results, args))
    print(f"wrote {path}")


def num_eval(row, args):
    return args.ddpm_num_eval if row == "ddpm" else args.num_eval


def markdown(results, args):
    rows = []
    for r in results:
        fd0 = r["floor"]["classifier_frechet_distance"]
        kid0 = r["floor"]["classifier_kernel_distance"]
        if "error" in r:
            rows.append(
                [r["row"], r["label"], "error: " + r["error"][:200]]
                + [None] * 10
            )
            continue
        likelihood = None
        if "nll_nats" in r:
            likelihood = f"NLL {r['nll_nats']:.1f} nats (IWAE K={args.nll_k}, {args.nll_num} test)"
        elif "bits_per_dim" in r:
            likelihood = (
                f"{r['bits_per_dim']:.3f} bits/dim ({args.bpd_num} test)"
            )
        params = f"{r['params']:,}" + (
            f" ({r['params_note']})" if r.get("params_note") else ""
        )
        rows.append(
            [
                r["row"],
                r["label"],
                params,
                r["order"],
                r["steps"],
                r["train_cpu_s"],
                r["train_wall_s"],
                f"{r['load_before'][0]:.2f} -> {r['load_after'][0]:.2f}",
                r["num_eval"],
                r["classifier_frechet_distance"],
                f"{r['classifier_kernel_distance']:.4f}",
                likelihood,
                f"FD {fd0:.3f}, KID {kid0:.4f}",
            ]
        )
    header = [
        "row", "contender", "parameters", "ran", "steps", "train CPU s", "train wall s",
        "load 1 min before -> after", "n eval", "FD", "KID", "likelihood", "floor",
    ]  # fmt: skip
    return bench_utils.markdown_table(header, rows)


if __name__ == "__main__":
    main()
