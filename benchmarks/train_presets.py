"""Trains and writes every built-in preset of keras_gen, reproducibly.

    KERAS_BACKEND=jax python benchmarks/train_presets.py            # all of them
    KERAS_BACKEND=jax python benchmarks/train_presets.py --only vae_digits gan_digits
    python benchmarks/train_presets.py --out /tmp/presets           # elsewhere

Each preset is trained on embedded data only (scikit-learn's 8x8 digits,
its two sample photos, or a 2-D toy drawn by code), with fixed seeds, in a
short CPU run (the whole script takes about 15 minutes on a 2-core CPU),
measured on held-out data, and written with `save_to_preset` to
`keras_gen/presets/builtin/<name>/` (`config.json`, `model.weights.h5`,
`metadata.json` with the measured figures, the training recipe, the
backend, the versions and the sha256 of the weights). The digits
classifier is not retrained: its shipped weights
(`keras_gen/metrics/digits_classifier.weights.h5`, from
`benchmarks/digits_classifier_train.py`) are registered as a preset.

The presets are small on purpose: they are starting points for
fine-tuning and demos, not state-of-the-art models. Quality figures are on
the test split (digits [1350:], 447 images) or on fresh toy samples.

The four `*_fashion_mnist` presets (VAE, class-conditional DCGAN,
class-conditional DDPM, RealNVP) are the exception to "embedded data":
they train on Fashion-MNIST at 28x28 (`keras_gen.datasets.load_fashion_mnist`,
the IDX files installed locally) with the registry's "fashion_mnist"
configurations, for a fixed number of steps each, and are measured on the
test split with the shipped Fashion-MNIST classifier. Run on one pinned
core of a shared 2-core CPU (2026-12-06, load 5-8) their `seconds` (in each
`metadata.json`) added up to 2 h 22 min (1 h 43 min of wall time, two runs at
once), the DDPM alone 78 min for 350 steps: too few, its samples were read as
their class at chance. The DDPM was retrained on 2026-12-07 (06:58-08:09
UTC, TensorFlow, core 1, while core 0 ran short benchmarks and tests): 4
epochs, 1,876 steps at 2.1 s, 70 min; DDIM-25 with guidance 3 reaches a
classifier FD of 12.6 and 86.7 % of samples read as their class (the
guided figures were computed from the saved preset by the same
`ddpm_fashion_mnist_metrics`, on two threads, 255 s). The RealNVP was
retrained on 2026-12-07 (16:08-16:11 UTC, TensorFlow, core 0, one thread)
when its configuration took Glow's 1x1 convolutions: 200 steps, 176 s,
4.43 bits/dim and FD 119.7 (4.52 and 136.5 before). Together the four
add 26 MB.

    KERAS_BACKEND=jax taskset -c 1 python benchmarks/train_presets.py \
        --only vae_fashion_mnist gan_fashion_mnist ddpm_fashion_mnist real_nvp_fashion_mnist
"""

import argparse
import json
import os
import sys
import time
import traceback

import keras
import numpy as np
from keras import ops

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras_gen  # noqa: E402

DIGITS = "scikit-learn 8x8 digits, train split [:1000] (embedded, no download)"
SEED = 0


def _fd(samples, x_test, image_size=8):
    """Classifier Fréchet distance (digits CNN features; not FID)."""
    del image_size
    return float(
        keras_gen.metrics.evaluate(
            None, x_test, ("classifier_frechet_distance",), samples=samples
        )["classifier_frechet_distance"]
    )


def _probe(samples):
    stats = keras_gen.metrics.DigitsProbe().evaluate(samples)
    return {
        "probe_confident": stats["confident"],
        "probe_classes": stats["classes"],
    }


# -- the presets ----------------------------------------------------------------


def vae_digits():
    x_train = keras_gen.datasets.load_digits("train", binarize=True)
    x_test = keras_gen.datasets.load_digits("test", binarize=True)
    model = keras_gen.models.VAE(
        data_shape=(8, 8, 1),
        latent_dim=8,
        kl_warmup_epochs=10,
        upsampling="transposed",
        seed=SEED,
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    epochs = 80
    model.fit(x_train, epochs=epochs, batch_size=64, verbose=0)
    metrics = {
        "test_nll_iwae100_nats": float(
            -model.log_prob(x_test, num_samples=100).mean()
        ),
        "test_negative_elbo_nats": float(
            -model.log_prob(x_test, num_samples=1).mean()
        ),
    }
    return model, {
        "description": "VAE (Bernoulli likelihood, 8-D latent) on binarised 8x8 digits.",
        "training_data": DIGITS + ", binarised at 0.5",
        "training": f"Adam(1e-3), {epochs} epochs, batch 64, KL warm-up 10 epochs",
        "metrics": metrics,
    }


def gan_digits():
    x_train = keras_gen.datasets.load_digits("train") * 2.0 - 1.0
    model = keras_gen.models.GAN(
        data_shape=(8, 8, 1),
        latent_dim=32,
        ema_decay=0.99,
        upsampling="transposed",
        seed=SEED,
    )
    model.compile()
    epochs = 60
    model.fit(x_train, epochs=epochs, batch_size=64, verbose=0)
    samples = model.generate(447, seed=1) * 0.5 + 0.5
    metrics = _probe(samples)
    metrics["classifier_frechet_distance"] = _fd(
        samples, keras_gen.datasets.load_digits("test")
    )
    return model, {
        "description": "DCGAN on 8x8 digits in [-1, 1] (tanh output), EMA generator.",
        "training_data": DIGITS + ", scaled to [-1, 1]",
        "training": f"Adam(2e-4, beta_1=0.5) for both networks, {epochs} epochs, batch 64",
        "metrics": metrics,
    }


def wgan_gp_8gaussians():
    points = keras_gen.datasets.toy_2d("8gaussians", 50_000, seed=SEED)
    centers, sigma = keras_gen.datasets.toy_2d_modes("8gaussians")
    model = keras_gen.models.WGANGP(data_shape=(2,), latent_dim=2, seed=SEED)
    model.compile(
        discriminator_optimizer=keras.optimizers.Adam(
            1e-3, beta_1=0.0, beta_2=0.9
        ),
        generator_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.9),
    )
    epochs = 2
    model.fit(points, epochs=epochs, batch_size=256, verbose=0)
    stats = keras_gen.metrics.mode_coverage(
        model.generate(2500, seed=1), centers, sigma
    )
    return model, {
        "description": "WGAN-GP (lambda 10, 5 critic steps) on eight 2-D Gaussians.",
        "training_data": "toy_2d('8gaussians', 50000, seed=0): eight Gaussians on a circle of radius 2.83, sigma 0.35",
        "training": f"Adam(1e-3, 0, 0.9) for both networks, {epochs} epochs of 50,000 points, batch 256",
        "metrics": {
            k: (float(v) if isinstance(v, (float, np.floating)) else v)
            for k, v in stats.items()
            if isinstance(v, (int, float, np.integer, np.floating))
        },
    }


def ddpm_digits():
    x_train, y_train = keras_gen.datasets.load_digits("train", with_labels=True)
    x_test = keras_gen.datasets.load_digits("test")
    model = keras_gen.models.DDPM(
        data_shape=(8, 8, 1),
        value_range=(0.0, 1.0),
        num_classes=10,
        width=16,
        channel_multipliers=(1, 2),
        num_res_blocks=1,
        attention_resolutions=(4,),
        ema_decay=0.999,
        seed=SEED,
    )
    epochs = 80
    steps = epochs * -(-len(x_train) // 64)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, steps, warmup_target=2e-3, warmup_steps=100
    )
    model.compile(optimizer=keras.optimizers.Adam(schedule))
    model.fit(x_train, y_train, epochs=epochs, batch_size=64, verbose=0)
    labels = np.arange(447) % 10
    samples = model.generate(
        447, num_steps=50, scheduler="ddim", labels=labels, seed=1
    )
    classifier = keras_gen.metrics.digits_classifier()
    accuracy = float(
        (classifier.predict(samples, verbose=0).argmax(-1) == labels).mean()
    )
    return model, {
        "description": "Class-conditional DDPM (U-Net width 16, 1,000 linear-beta steps, label dropout 0.1 "
        "for classifier-free guidance) on 8x8 digits in [0, 1].",
        "training_data": DIGITS + " with labels",
        "training": f"Adam, cosine decay from 2e-3 (100 warm-up steps), {epochs} epochs, batch 64, EMA 0.999",
        "metrics": {
            "classifier_frechet_distance_ddim50": _fd(samples, x_test),
            "label_accuracy_ddim50": accuracy,
        },
    }


def real_nvp_8gaussians():
    x_train = keras_gen.datasets.toy_2d("8gaussians", 50_000, seed=SEED)
    x_test = keras_gen.datasets.toy_2d("8gaussians", 10_000, seed=1)
    model = keras_gen.models.RealNVP(
        data_shape=(2,),
        num_coupling_layers=8,
        hidden_units=(128, 128),
        seed=SEED,
    )
    epochs = 3
    steps = epochs * (len(x_train) // 256)
    model.compile(
        optimizer=keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(2e-3, steps)
        )
    )
    model.fit(x_train, epochs=epochs, batch_size=256, verbose=0)
    nll = float(-model.log_prob(x_test).mean())
    return model, {
        "description": "RealNVP (8 affine couplings, MLP 128x2, actnorm) on eight 2-D Gaussians.",
        "training_data": "toy_2d('8gaussians', 50000, seed=0); test: 10000 points, seed=1",
        "training": f"Adam, cosine decay from 2e-3, {epochs} epochs, batch 256",
        "metrics": {
            "test_nll_nats": nll,
            "true_entropy_nats": 2.831,
            "nll_gap_nats": nll - 2.831,
        },
    }


def real_nvp_digits():
    x_train = keras_gen.datasets.load_digits("train")
    x_test = keras_gen.datasets.load_digits("test")
    model = keras_gen.models.RealNVP(
        data_shape=(8, 8, 1),
        num_scales=2,
        filters=16,
        num_blocks=1,
        num_bins=17,
        value_range=(0.0, 1.0),
        seed=SEED,
    )
    model.compile(optimizer=keras.optimizers.Adam(2e-3))
    epochs = 40
    model.fit(x_train, epochs=epochs, batch_size=64, verbose=0)
    return model, {
        "description": "Multi-scale RealNVP (2 scales, 16 filters) on dequantised 8x8 digits (17 grey levels).",
        "training_data": DIGITS,
        "training": f"Adam(2e-3), {epochs} epochs, batch 64",
        "metrics": {
            "test_bits_per_dim": float(model.bits_per_dim(x_test).mean()),
            "uniform_bits_per_dim": 4.087,
        },
    }


def aae_digits():
    x_train = keras_gen.datasets.load_digits("train")
    x_test = keras_gen.datasets.load_digits("test")
    model = keras_gen.models.AAE(
        data_shape=(8, 8, 1),
        latent_dim=2,
        prior="mixture",
        mixture_radius=4.0,
        upsampling="transposed",
        seed=SEED,
    )
    model.compile()
    epochs = 60
    model.fit(x_train, epochs=epochs, batch_size=64, verbose=0)
    prior_a = ops.convert_to_numpy(model.sample_prior(len(x_test), seed=1))
    prior_b = ops.convert_to_numpy(model.sample_prior(len(x_test), seed=2))
    codes = model.encode(x_test)
    return model, {
        "description": "Adversarial autoencoder, 2-D code shaped like a ring of 10 Gaussians, on 8x8 digits.",
        "training_data": DIGITS,
        "training": f"the paper's default optimizers, {epochs} epochs, batch 64",
        "metrics": {
            "code_prior_mmd": float(
                keras_gen.metrics.gaussian_mmd(codes, prior_a, 4.0)
            ),
            "prior_prior_mmd_floor": float(
                keras_gen.metrics.gaussian_mmd(prior_b, prior_a, 4.0)
            ),
        },
    }


def stylegan2_digits():
    x_train = keras_gen.datasets.load_digits("train", image_size=16) * 2.0 - 1.0
    x_test = keras_gen.datasets.load_digits("test")
    model = keras_gen.models.StyleGAN2(
        resolution=16,
        latent_dim=64,
        w_dim=64,
        channel_base=512,
        channel_max=64,
        r1_gamma=0.1,
        ema_decay=0.995,
        seed=SEED,
    )

    def adam(interval):
        c = interval / (
            interval + 1
        )  # lazy regularisation (Karras et al., 2020, app. B)
        return keras.optimizers.Adam(
            0.0025 * c, beta_1=0.0, beta_2=0.99**c, epsilon=1e-8
        )

    model.compile(
        discriminator_optimizer=adam(model.r1_interval),
        generator_optimizer=adam(model.pl_interval),
    )
    epochs = 12
    model.fit(x_train, epochs=epochs, batch_size=32, verbose=0)
    samples16 = model.generate(447, seed=1) * 0.5 + 0.5
    # The 8x8 probe and classifier see the 16x16 samples area-resized to 8x8.
    samples8 = samples16.reshape(-1, 8, 2, 8, 2, 1).mean(axis=(2, 4))
    metrics = _probe(samples8)
    metrics["classifier_frechet_distance"] = _fd(samples8, x_test)
    return model, {
        "description": "StyleGAN2 at CPU size (16x16, z/w 64, channel max 64) on digits.",
        "training_data": DIGITS + ", resized to 16x16, scaled to [-1, 1]",
        "training": f"Adam(0.0025, 0, 0.99) with lazy-regularisation scaling, R1 gamma 0.1, {epochs} epochs, batch 32",
        "metrics": metrics,
    }


def cyclegan_photos():
    x_a, x_b = keras_gen.datasets.load_sample_photos("train", 32)
    test_a, test_b = keras_gen.datasets.load_sample_photos("test", 32)
    epochs, batch_size = 2, 4
    steps = epochs * (min(len(x_a), len(x_b)) // batch_size)
    model = keras_gen.models.CycleGAN(
        data_shape=x_a.shape[1:],
        generator_filters=16,
        num_residual_blocks=3,
        discriminator_filters=32,
        discriminator_layers=2,
        lr_constant_steps=steps // 2,
        lr_decay_steps=steps - steps // 2,
        upsampling="transposed",
        seed=SEED,
    )
    model.compile()
    model.fit((x_a, x_b), epochs=epochs, batch_size=batch_size, verbose=0)
    rec_a = model.translate_b_to_a(model.translate_a_to_b(test_a))
    rec_b = model.translate_a_to_b(model.translate_b_to_a(test_b))
    return model, {
        "description": "CycleGAN (ResNet generators width 16, 3 blocks) between 32x32 patches of "
        "scikit-learn's two sample photos (A: china.jpg, B: flower.jpg), pixels in [-1, 1].",
        "training_data": "keras_gen.datasets.load_sample_photos('train', 32) (embedded, no download)",
        "training": f"Adam(2e-4, 0.5), {epochs} epochs ({steps} steps), batch {batch_size}, linear decay over the second half",
        "metrics": {
            "cycle_l1_a": float(np.abs(rec_a - test_a).mean()),
            "cycle_l1_b": float(np.abs(rec_b - test_b).mean()),
        },
    }


# -- Fashion-MNIST (28x28) ------------------------------------------------------
#
# The registry's "fashion_mnist" configurations, trained for a fixed number of
# steps on JAX pinned to one shared CPU core;
# measured on the test split with the shipped Fashion-MNIST classifier (its
# 128 penultimate activations: a classifier Fréchet distance, not FID), each
# figure beside the real-data floor (1,000 test images against 1,000 train
# images) computed with the same number of images.

FASHION = (
    "Fashion-MNIST train split (60,000 28x28 images in [0, 1], the IDX files)"
)
NUM_EVAL = 1000  # generated samples and test images per Fréchet distance
BUDGET = "one pinned CPU core (JAX, taskset, one thread per library) on a shared 2-core x86_64 machine"


def _budget():
    """`BUDGET` naming the backend this run trains on."""
    return BUDGET.replace("JAX", keras.backend.backend())


def _fashion(num_samples=None):
    x, y = keras_gen.datasets.load_fashion_mnist(
        "train", with_labels=True, num_samples=num_samples
    )
    return x, y.astype("int32")


def _fashion_fd(samples):
    """Classifier FD of `samples` to the first `NUM_EVAL` test images, and
    the real-data floor at the same size (Fashion-MNIST CNN features)."""
    x_test = keras_gen.datasets.load_fashion_mnist("test", num_samples=NUM_EVAL)
    key = "classifier_frechet_distance"
    fd = keras_gen.metrics.evaluate(
        None, x_test, (key,), samples=samples, classifier="fashion_mnist"
    )[key]
    floor = keras_gen.metrics.real_data_floor(
        "fashion_mnist", (key,), num_samples=NUM_EVAL
    )[key]
    return float(fd), float(floor)


def _label_accuracy(samples, labels):
    """How often the shipped Fashion-MNIST classifier reads the requested class."""
    classifier = keras_gen.metrics.shipped_classifier("fashion_mnist")
    predicted = classifier.predict(samples, verbose=0).argmax(-1)
    return float((predicted == labels).mean())


def _cosine(rate, steps, warmup=0):
    if warmup:
        return keras.optimizers.schedules.CosineDecay(
            0.0, steps - warmup, warmup_target=rate, warmup_steps=warmup
        )
    return keras.optimizers.schedules.CosineDecay(rate, steps)


def vae_fashion_mnist():
    family = keras_gen.models.registry.get("vae")
    config = family.configuration("fashion_mnist")
    x_train, _ = _fashion()
    x_test = keras_gen.datasets.load_fashion_mnist("test", num_samples=500)
    model = family.build("fashion_mnist", seed=SEED)
    epochs, batch = 1, config.batch_size
    steps = epochs * -(-len(x_train) // batch)
    model.compile(optimizer=keras.optimizers.Adam(_cosine(1e-3, steps)))
    model.fit(x_train, epochs=epochs, batch_size=batch, verbose=0)
    samples = model.generate(NUM_EVAL, seed=1)
    fd, floor = _fashion_fd(samples)
    return model, {
        "description": "VAE (16-D latent, conv encoder/decoder 32-64, dense 256x2, Bernoulli likelihood "
        "on grey levels) on Fashion-MNIST 28x28: the registry's vae 'fashion_mnist' configuration.",
        "training_data": FASHION,
        "training": f"Adam, cosine decay from 1e-3, {epochs} epoch ({steps} steps), batch {batch}",
        "budget": BUDGET,
        "metrics": {
            "test_nll_iwae100_nats": float(
                -model.log_prob(x_test, num_samples=100).mean()
            ),
            "test_negative_elbo_nats": float(
                -model.log_prob(x_test, num_samples=1).mean()
            ),
            "test_images_for_nll": len(x_test),
            "note_nll": "Bernoulli cross-entropy of the grey levels (continuous targets), "
            "not the likelihood of 256-level pixels: compare VAEs with each other only",
            "classifier_frechet_distance": fd,
            "classifier_frechet_distance_real_floor": floor,
            "fd_num_images": NUM_EVAL,
        },
    }


def gan_fashion_mnist():
    family = keras_gen.models.registry.get("gan")
    config = family.configuration("fashion_mnist")
    x_train, y_train = _fashion()
    model = family.build("fashion_mnist", seed=SEED)
    family.compile(model, "fashion_mnist")  # Adam(2e-4, beta_1=0.5) x 2
    epochs, batch = 3, config.batch_size
    model.fit(x_train, y_train, epochs=epochs, batch_size=batch, verbose=0)
    labels = np.arange(NUM_EVAL) % 10
    samples = model.generate(NUM_EVAL, labels=labels, seed=1)
    fd, floor = _fashion_fd(samples)
    steps = epochs * -(-len(x_train) // batch)
    return model, {
        "description": "Class-conditional DCGAN (projection discriminator, 64-D latent, EMA generator "
        "0.999) on Fashion-MNIST 28x28 in [0, 1]: the registry's gan 'fashion_mnist' configuration.",
        "training_data": FASHION + " with labels",
        "training": f"Adam(2e-4, beta_1=0.5) for both networks, {epochs} epochs ({steps} steps), batch {batch}",
        "budget": BUDGET,
        "metrics": {
            "classifier_frechet_distance": fd,
            "classifier_frechet_distance_real_floor": floor,
            "label_accuracy": _label_accuracy(samples, labels),
            "fd_num_images": NUM_EVAL,
        },
    }


def ddpm_fashion_mnist():
    family = keras_gen.models.registry.get("ddpm")
    config = family.configuration("fashion_mnist")
    x_train, y_train = _fashion()  # 469 steps of 128 per epoch
    model = family.build("fashion_mnist", seed=SEED)
    # 350 steps (the first version of this preset) left samples that the
    # classifier read as their class at chance (10.9 %); 4 epochs take
    # about 70 minutes on one TensorFlow thread.
    epochs, batch = 4, config.batch_size
    steps = epochs * -(-len(x_train) // batch)
    model.compile(
        optimizer=keras.optimizers.Adam(
            _cosine(config.learning_rate, steps, warmup=50)
        )
    )
    # A long run on a shared machine: a killed run resumes where it stopped.
    backup = keras_gen.callbacks.BackupAndRestore(
        os.path.join(
            os.environ.get("TMPDIR", "/tmp"), "ddpm_fashion_mnist_backup"
        ),
        save_freq=200,
    )
    model.fit(
        x_train,
        y_train,
        epochs=epochs,
        batch_size=batch,
        shuffle=False,
        callbacks=[backup],
        verbose=2,
    )
    return model, {
        "description": "Class-conditional DDPM (U-Net width 32, multipliers 1-2-2, attention at 7x7, "
        "1,000 linear-beta steps, label dropout 0.1 for classifier-free guidance, EMA 0.999, "
        f"{model.scheduler.prediction_type} target, Min-SNR-{model.min_snr_gamma} loss weights) on "
        "Fashion-MNIST 28x28 in [0, 1]: the registry's ddpm 'fashion_mnist' configuration.",
        "training_data": "Fashion-MNIST train split (60,000 images), with labels, in file order",
        "training": f"Adam, cosine decay from {config.learning_rate} (50 warm-up steps), {epochs} epochs "
        f"({steps} steps), batch {batch}",
        "budget": _budget(),
        "metrics": ddpm_fashion_mnist_metrics(model),
    }


def ddpm_fashion_mnist_metrics(model):
    """DDIM-25 samples of every class in turn, without and with
    classifier-free guidance (scale 3): their classifier FD and how often
    the classifier reads the requested class."""
    labels = np.arange(NUM_EVAL) % 10
    metrics = {}
    for suffix, scale in (("", 1.0), ("_guidance3", 3.0)):
        samples = model.generate(
            NUM_EVAL,
            num_steps=25,
            scheduler="ddim",
            labels=labels,
            guidance_scale=scale,
            seed=1,
        )
        fd, floor = _fashion_fd(samples)
        metrics[f"classifier_frechet_distance_ddim25{suffix}"] = fd
        metrics["classifier_frechet_distance_real_floor"] = floor
        metrics[f"label_accuracy_ddim25{suffix}"] = _label_accuracy(
            samples, labels
        )
    metrics["fd_num_images"] = NUM_EVAL
    return metrics


def real_nvp_fashion_mnist():
    family = keras_gen.models.registry.get("real_nvp")
    config = family.configuration("fashion_mnist")
    x_train, _ = _fashion(12_800)  # 200 steps of 64
    x_test = keras_gen.datasets.load_fashion_mnist("test", num_samples=NUM_EVAL)
    model = family.build("fashion_mnist", seed=SEED)
    epochs, batch = 1, config.batch_size
    steps = epochs * -(-len(x_train) // batch)
    model.compile(
        optimizer=keras.optimizers.Adam(_cosine(config.learning_rate, steps))
    )
    model.fit(x_train, epochs=epochs, batch_size=batch, verbose=0)
    samples = model.generate(NUM_EVAL, seed=1)
    fd, floor = _fashion_fd(samples)
    return model, {
        "description": "Multi-scale RealNVP (2 scales, 32 filters, 2 residual blocks, Glow's invertible "
        "1x1 convolutions between couplings) on dequantised Fashion-MNIST 28x28 (256 grey levels): the "
        "registry's real_nvp 'fashion_mnist' configuration.",
        "training_data": "Fashion-MNIST train split, first 12,800 images",
        "training": f"Adam, cosine decay from {config.learning_rate}, {epochs} epoch ({steps} steps), batch {batch}",
        "budget": _budget(),
        "metrics": {
            "test_bits_per_dim": float(model.bits_per_dim(x_test).mean()),
            "uniform_bits_per_dim": 8.0,
            "test_images_for_bits_per_dim": NUM_EVAL,
            "classifier_frechet_distance": fd,
            "classifier_frechet_distance_real_floor": floor,
            "fd_num_images": NUM_EVAL,
        },
    }


def digits_classifier():
    # Not retrained: the shipped weights of keras_gen.metrics are registered.
    model = keras_gen.metrics.digits_classifier()
    x_test, y_test = keras_gen.datasets.load_digits("test", with_labels=True)
    accuracy = float(
        (model.predict(x_test, verbose=0).argmax(-1) == y_test).mean()
    )
    return model, {
        "description": "The digits CNN behind the classifier Fréchet distance (10 classes, 64 features); "
        "frozen (trainable=False).",
        "training_data": DIGITS + " with labels",
        "training": "benchmarks/digits_classifier_train.py (shipped weights, not retrained here)",
        "metrics": {"test_accuracy": accuracy},
    }


PRESETS = {
    "vae_digits": vae_digits,
    "gan_digits": gan_digits,
    "wgan_gp_8gaussians": wgan_gp_8gaussians,
    "ddpm_digits": ddpm_digits,
    "real_nvp_8gaussians": real_nvp_8gaussians,
    "real_nvp_digits": real_nvp_digits,
    "aae_digits": aae_digits,
    "stylegan2_digits": stylegan2_digits,
    "cyclegan_photos": cyclegan_photos,
    "digits_classifier": digits_classifier,
    "vae_fashion_mnist": vae_fashion_mnist,
    "gan_fashion_mnist": gan_fashion_mnist,
    "ddpm_fashion_mnist": ddpm_fashion_mnist,
    "real_nvp_fashion_mnist": real_nvp_fashion_mnist,
}


def main():
    parser = argparse.ArgumentParser(
        description="Train and write the built-in presets"
    )
    parser.add_argument(
        "--only",
        nargs="*",
        choices=sorted(PRESETS),
        help="presets to (re)write",
    )
    parser.add_argument(
        "--out",
        default=keras_gen.presets.BUILTIN_DIR,
        help="parent directory of the presets",
    )
    args = parser.parse_args()
    names = args.only or list(PRESETS)
    summary = {}
    total = time.time()
    for name in names:
        keras.utils.set_random_seed(SEED)
        start = time.time()
        try:
            model, metadata = PRESETS[name]()
        except Exception:  # report it and go on with the other presets
            traceback.print_exc()
            summary[name] = "FAILED"
            continue
        seconds = time.time() - start
        metadata["seconds"] = round(seconds, 1)
        metadata["reproduce"] = (
            f"KERAS_BACKEND={keras.backend.backend()} python benchmarks/train_presets.py --only {name}"
        )
        path = keras_gen.presets.save_to_preset(
            model, os.path.join(args.out, name), metadata=metadata
        )
        size = os.path.getsize(os.path.join(path, "model.weights.h5"))
        summary[name] = {
            "metrics": metadata["metrics"],
            "seconds": round(seconds, 1),
            "weights_kb": round(size / 1024),
        }
        print(
            f"{name}: {seconds:.0f} s, {size / 1024:.0f} kB, {json.dumps(metadata['metrics'])}",
            flush=True,
        )
    print(
        f"backend {keras.backend.backend()}, keras {keras.__version__}, total {time.time() - total:.0f} s"
    )
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
