"""
Title: Transfer learning from presets
Description: Load trained keras_gen models by name, fine-tune a diffusion
    model on a tiny new labelled dataset with a new class head, use a
    pretrained VAE encoder as a frozen feature extractor, and fine-tune a
    Fashion-MNIST GAN on a new domain at 28x28.
    KERAS_BACKEND=jax python examples/transfer_learning.py

## What to expect

1. **Fine-tuning a diffusion preset with a new head.** The new task: a
   generator of only two classes, 3 and 8 (labels 0 and 1), from just 20
   labelled images. The built-in `ddpm_digits` preset (a class-conditional
   DDPM trained on all ten digits) is loaded with `num_classes=2`: its
   label embedding (11 rows) no longer fits the new one (3 rows), so it is
   skipped (a warning names it, and so does `model.skipped_weights`) and
   every other weight is kept; the new rows are then seeded with the
   preset's rows for 3, 8 and the null label. The same 200 steps are spent
   fine-tuning the preset and training the same architecture from scratch
   (with the preset's own recipe). For both, the script prints the
   classifier Fréchet distance of 200 DDIM-50 samples to the 86 held-out
   3s and 8s (on the digits CNN's features: not FID) and how often the
   digits classifier reads a sample as the requested digit, and writes
   `fine_tuned.png` and `from_scratch.png` (a row per class).
2. **A pretrained encoder as a frozen feature extractor.** The encoder of
   the `vae_digits` preset, frozen (`trainable = False` before compiling),
   feeds a softmax layer trained on only 50 labelled digits; the script
   prints its test accuracy next to the same classifier on raw pixels, and
   checks that the encoder's weights did not move.
3. **A Fashion-MNIST preset on a new domain.** The class-conditional DCGAN
   `gan_fashion_mnist` (trained on the ten clothing classes) is fine-tuned
   on the 1,000 embedded train digits resized to 28x28 (its ten class rows
   now stand for the ten digits; its sampling average restarted), and the
   same architecture is trained from scratch with the same steps (300 asked,
   304 run: 19 epochs of 16 batches of 64) and optimizers (Adam 2e-4, 0.5).
   447 samples of each (the classes in turn) are area-resized back to 8x8
   and compared with the 447 test digits (through the same 28x28 -> 8x8
   path) on the digits CNN's features: a classifier Fréchet distance, not
   FID; the floor (447 train digits on the same path) is printed beside
   it, with how often the digits classifier reads the requested digit.
   Writes `gan_digits28_fine_tuned.png` and `gan_digits28_from_scratch.png`
   (a row per digit).

The default run (2026-11-21, JAX, shared 2-core CPU, 51 s in all) printed:
fine-tuned preset: classifier Fréchet distance 17.1, requested digit read
93.0 %; from scratch: 59.5 and 45.5 % (200 steps, 12 s each). Frozen
`vae_digits` encoder + softmax from 50 labels: 70.0 % test accuracy; raw
pixels + softmax: 66.7 %. Re-run 2026-12-06 (JAX, pinned to one core of a
shared 2-core CPU at load 5-8): parts 1 and 2 gave 16.4 / 91.5 % against
30.7 / 58.5 %, and 70.5 % against 67.1 %.

Part 3 (2026-12-06, JAX, one pinned core of a shared 2-core CPU at load
5-8, so the one core ran this at a quarter to a half of its speed):
fine-tuned `gan_fashion_mnist`: classifier Fréchet distance 5.72, requested
digit read 98.4 % (304 steps, 298 s); from scratch: 10.04 and 90.2 % (304
steps, 357 s); real digits on the same path: 4.39. The preset needs those
steps to unlearn clothes: with 160 steps (`--fashion-steps 160`) the two
were even (10.04 / 96.9 % fine-tuned against 9.66 / 96.4 % from scratch),
so the gain shows at 300 steps, not before. Part 3 alone took 12 min of
wall time at that load (the 160-step run: 485 s of wall time, 111 s of CPU
time); `--skip-fashion` leaves it out.
"""

import argparse
import os
import time
import warnings

import keras
import numpy as np
from keras import ops

import keras_gen

# ## Set-up


def parse_args():
    parser = argparse.ArgumentParser(
        description="Transfer learning from keras_gen presets"
    )
    parser.add_argument(
        "--num-train",
        type=int,
        default=20,
        help="labelled training images of the new task",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=200,
        help="fine-tuning epochs (and from-scratch epochs)",
    )
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument(
        "--num-samples",
        type=int,
        default=200,
        help="samples per model for the figures",
    )
    parser.add_argument(
        "--num-labelled",
        type=int,
        default=50,
        help="labelled digits for the feature extractor",
    )
    parser.add_argument(
        "--out", default="transfer_learning_out", help="output directory"
    )
    parser.add_argument(
        "--fashion-steps",
        type=int,
        default=300,
        help="steps of the Fashion-MNIST GAN part (fine-tuned and from scratch)",
    )
    parser.add_argument(
        "--fashion-num-train",
        type=int,
        default=1000,
        help="28x28 digits the Fashion-MNIST GAN is fine-tuned on",
    )
    parser.add_argument("--fashion-batch-size", type=int, default=64)
    parser.add_argument(
        "--skip-fashion",
        action="store_true",
        help="leave out the Fashion-MNIST part",
    )
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def two_classes(split, classes=(3, 8), limit=None):
    """Digits of two classes, relabelled 0 and 1."""
    x, y = keras_gen.datasets.load_digits(split, with_labels=True)
    keep = np.isin(y, classes)
    x, y = x[keep], np.searchsorted(classes, y[keep]).astype("int32")
    return (x[:limit], y[:limit]) if limit else (x, y)


def judge(model, x_test, classes, num_samples, seed):
    """Classifier Fréchet distance and label accuracy of DDIM-50 samples."""
    labels = np.arange(num_samples) % 2
    samples = model.generate(
        num_samples, num_steps=50, scheduler="ddim", labels=labels, seed=seed
    )
    fd = keras_gen.metrics.evaluate(
        None, x_test, ("classifier_frechet_distance",), samples=samples
    )
    predicted = (
        keras_gen.metrics.digits_classifier()
        .predict(samples, verbose=0)
        .argmax(-1)
    )
    accuracy = float((predicted == np.asarray(classes)[labels]).mean())
    return samples, fd["classifier_frechet_distance"], accuracy


def fine_tune_diffusion(args):
    classes = (3, 8)
    x_train, y_train = two_classes("train", classes, limit=args.num_train)
    x_test, _ = two_classes("test", classes)

    # ## The preset, with a new head
    # `num_classes=2` rebuilds the default denoiser for two classes; the
    # stored weights are then matched by layer name and shape, so only the
    # label embedding (11 rows before, 3 now) stays at its initial values.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        pretrained = keras_gen.models.DDPM.from_preset(
            "ddpm_digits", num_classes=2
        )
    print("skipped weights:", list(pretrained.skipped_weights))
    for w in caught:
        if "were not loaded" in str(w.message):
            print("warning:", str(w.message).splitlines()[0])

    # The same architecture and recipe from scratch, for comparison.
    scratch = keras_gen.models.DDPM.from_preset(
        "ddpm_digits", load_weights=False, num_classes=2
    )

    # The new head need not start from noise: the preset knows what a 3 and
    # an 8 look like, so its embedding rows for 3, 8 and the null label
    # (10, used by classifier-free guidance) seed the new rows 0, 1 and 2.
    old_rows = (
        keras_gen.models.DDPM.from_preset("ddpm_digits")
        .denoiser.get_layer("label_embedding")
        .embeddings
    )
    new_rows = ops.convert_to_numpy(old_rows)[[classes[0], classes[1], 10]]
    pretrained.denoiser.get_layer("label_embedding").embeddings.assign(new_rows)

    # The preset's moving average of the weights (used for sampling) has
    # seen 1,280 updates, so at its decay of 0.999 it would barely follow
    # the fine-tuning. Restart it from the loaded weights, with its warm-up,
    # as a new training run does.
    pretrained.ema_denoiser.reset(pretrained.denoiser)

    # Fine-tuning takes a smaller learning rate than the preset's recipe
    # (2e-3 after a warm-up), which the model from scratch gets.
    steps = args.epochs * -(-len(x_train) // args.batch_size)
    schedules = {
        "fine-tuned preset": keras.optimizers.schedules.CosineDecay(
            5e-4, steps
        ),
        "from scratch": keras.optimizers.schedules.CosineDecay(
            0.0, steps, warmup_target=2e-3, warmup_steps=100
        ),
    }
    results = {}
    for name, model in (
        ("fine-tuned preset", pretrained),
        ("from scratch", scratch),
    ):
        keras.utils.set_random_seed(args.seed)
        model.compile(optimizer=keras.optimizers.Adam(schedules[name]))
        start = time.time()
        model.fit(
            x_train,
            y_train,
            epochs=args.epochs,
            batch_size=args.batch_size,
            verbose=0,
        )
        seconds = time.time() - start
        samples, fd, accuracy = judge(
            model, x_test, classes, args.num_samples, args.seed
        )
        results[name] = (fd, accuracy, seconds, steps)
        file = "fine_tuned.png" if model is pretrained else "from_scratch.png"
        # Samples alternate between the two classes: show a row per class.
        order = np.concatenate(
            [np.arange(0, len(samples), 2), np.arange(1, len(samples), 2)]
        )
        keras_gen.utils.images.save_image_grid(
            samples[order], os.path.join(args.out, file), num_cols=16
        )
    print(
        f"\na 3-or-8 generator from {len(x_train)} training images ({len(x_test)} test images):"
    )
    for name, (fd, accuracy, seconds, steps) in results.items():
        print(
            f"  {name:18s}: classifier Fréchet distance {fd:6.2f}, "
            f"requested digit read {100 * accuracy:5.1f} % ({steps} steps, {seconds:.0f} s)"
        )


def to_8x8(images):
    """28x28 digits back to the digits classifier's 8x8 (area average, PIL's
    box filter), for the classifier Fréchet distance on its features."""
    from PIL import Image

    return np.stack(
        [
            np.asarray(
                Image.fromarray(im[..., 0].astype("float32"), mode="F").resize(
                    (8, 8), Image.BOX
                )
            )[..., None]
            for im in images
        ]
    ).clip(0.0, 1.0)


def judge_digits_28(samples, labels, x_test_8):
    """Classifier Fréchet distance of 28x28 samples, seen at 8x8 by the
    digits CNN, to the test digits (same path), and how often the digits
    classifier reads the requested digit."""
    samples_8 = to_8x8(samples)
    fd = keras_gen.metrics.evaluate(
        None,
        x_test_8,
        ("classifier_frechet_distance",),
        samples=samples_8,
        classifier="digits",
    )["classifier_frechet_distance"]
    predicted = (
        keras_gen.metrics.digits_classifier()
        .predict(samples_8, verbose=0)
        .argmax(-1)
    )
    return fd, float((predicted == labels).mean())


def fine_tune_fashion_gan(args):
    # ## A Fashion-MNIST preset on a new domain: digits at 28x28
    # The embedded 8x8 digits, resized to 28x28 (bilinear), are a small new
    # set (1,000 train images) for the class-conditional DCGAN trained on
    # Fashion-MNIST (`gan_fashion_mnist`): its ten class rows now stand for
    # ten digits. The same architecture is also trained from scratch with
    # the same steps, batch and optimizers.
    keras.utils.set_random_seed(args.seed)
    x_train, y_train = keras_gen.datasets.load_digits(
        "train", image_size=28, with_labels=True
    )
    x_train, y_train = (
        x_train[: args.fashion_num_train],
        y_train[: args.fashion_num_train].astype("int32"),
    )
    x_test, _ = keras_gen.datasets.load_digits(
        "test", image_size=28, with_labels=True
    )
    x_test_8 = to_8x8(x_test)
    # What real digits score on the same path: as many train digits.
    x_floor = to_8x8(
        keras_gen.datasets.load_digits("train", image_size=28)[: len(x_test)]
    )
    floor = keras_gen.metrics.evaluate(
        None,
        x_test_8,
        ("classifier_frechet_distance",),
        samples=x_floor,
        classifier="digits",
    )["classifier_frechet_distance"]

    pretrained = keras_gen.models.GAN.from_preset("gan_fashion_mnist")
    scratch = keras_gen.models.GAN.from_preset(
        "gan_fashion_mnist", load_weights=False
    )
    # The sampling average has seen the preset's training: restart it from
    # the loaded generator so that it follows the fine-tuning.
    pretrained.generator_ema.reset(pretrained.generator)

    steps_per_epoch = -(-len(x_train) // args.fashion_batch_size)
    epochs = -(-args.fashion_steps // steps_per_epoch)
    labels = np.arange(len(x_test)) % 10
    results = {}
    for name, model in (
        ("fine-tuned preset", pretrained),
        ("from scratch", scratch),
    ):
        keras.utils.set_random_seed(args.seed)
        model.compile()  # Adam(2e-4, beta_1=0.5) for both networks
        start = time.time()
        model.fit(
            x_train,
            y_train,
            epochs=epochs,
            batch_size=args.fashion_batch_size,
            verbose=0,
        )
        seconds = time.time() - start
        samples = model.generate(len(x_test), labels=labels, seed=args.seed)
        fd, accuracy = judge_digits_28(samples, labels, x_test_8)
        results[name] = (fd, accuracy, seconds, epochs * steps_per_epoch)
        file = (
            "gan_digits28_fine_tuned.png"
            if model is pretrained
            else "gan_digits28_from_scratch.png"
        )
        order = np.argsort(labels[:160], kind="stable")
        keras_gen.utils.images.save_image_grid(
            samples[:160][order], os.path.join(args.out, file), num_cols=16
        )
    print(
        f"\nconditional GAN on {len(x_train)} digits at 28x28, from the Fashion-MNIST "
        f"preset or from scratch ({len(x_test)} samples vs the test digits, seen at 8x8 "
        f"by the digits CNN; real digits: {floor:.2f}):"
    )
    for name, (fd, accuracy, seconds, steps) in results.items():
        print(
            f"  {name:18s}: classifier Fréchet distance {fd:6.2f}, "
            f"requested digit read {100 * accuracy:5.1f} % ({steps} steps, {seconds:.0f} s)"
        )


def frozen_feature_extractor(args):
    x_train, y_train = keras_gen.datasets.load_digits(
        "train", binarize=True, with_labels=True
    )
    x_test, y_test = keras_gen.datasets.load_digits(
        "test", binarize=True, with_labels=True
    )
    x_few, y_few = x_train[: args.num_labelled], y_train[: args.num_labelled]

    vae = keras_gen.models.VAE.from_preset("vae_digits")
    encoder = vae.encoder
    encoder.trainable = False  # freeze BEFORE compiling the new model
    before = [ops.convert_to_numpy(w) for w in encoder.weights]

    images = keras.Input(vae.data_shape)
    # The encoder gives the posterior's mean and log-variance: 2 x 8 features.
    probabilities = keras.layers.Dense(10, activation="softmax")(
        encoder(images)
    )
    classifier = keras.Model(images, probabilities)
    classifier.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    classifier.fit(
        x_few, y_few, epochs=200, batch_size=args.num_labelled, verbose=0
    )
    features_accuracy = classifier.evaluate(x_test, y_test, verbose=0)[1]
    unchanged = all(
        np.array_equal(b, ops.convert_to_numpy(w))
        for b, w in zip(before, encoder.weights)
    )

    pixels = keras.Sequential(
        [
            keras.Input(vae.data_shape),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    pixels.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    pixels.fit(
        x_few, y_few, epochs=200, batch_size=args.num_labelled, verbose=0
    )
    pixels_accuracy = pixels.evaluate(x_test, y_test, verbose=0)[1]
    print(
        f"\ndigit classifier from {args.num_labelled} labelled digits, test accuracy:"
    )
    print(
        f"  frozen vae_digits encoder + softmax: {100 * features_accuracy:5.1f} %  (encoder unchanged: {unchanged})"
    )
    print(
        f"  raw pixels + softmax               : {100 * pixels_accuracy:5.1f} %"
    )


def main():
    args = parse_args()
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    print("built-in presets:", ", ".join(keras_gen.presets.list_presets()))
    start = time.time()
    fine_tune_diffusion(args)
    frozen_feature_extractor(args)
    if not args.skip_fashion:
        fine_tune_fashion_gan(args)
    print(
        f"\nbackend {keras.backend.backend()}, total {time.time() - start:.0f} s; figures in {args.out}/"
    )


if __name__ == "__main__":
    main()
