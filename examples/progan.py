"""
Title: Progressive GAN on the embedded digits
Description: Train a Progressive GAN (Karras et al., 2018) with `model.fit`
    on 16x16 digits, growing 4x4 -> 8x8 -> 16x16 with fade-ins. The same
    script runs on TensorFlow, JAX and PyTorch.

    KERAS_BACKEND=jax python examples/progan.py
    KERAS_BACKEND=jax python examples/progan.py --epochs 60 --stable-images 10000 --fade-images 10000

## What to expect

The data are scikit-learn's 8x8 digits (train split, 1,000 images) resized
to 16x16, in [0, 1] (the model's `value_range`; it maps them to [-1, 1]
itself). Training starts at 4x4; after `--stable-images` real images the
8x8 layers fade in over `--fade-images` images (their weight alpha rising
from 0 to 1), train stable, then the 16x16 layers fade in the same way.
The schedule is driven by the model's own counter of real images
(`model.images_seen`, saved with the weights), so plain `fit` does the
whole run, and a run restored with `keras_gen.callbacks.BackupAndRestore`
(`--backup-dir`) continues the same fade at the same alpha.

The networks are the paper's at a CPU-sized width: pixel normalisation
and leaky ReLU in the generator, minibatch standard deviation in the
discriminator, equalised learning rate everywhere, WGAN-GP (lambda 10)
plus the drift term (eps 0.001), Adam(0.001, 0, 0.99) and a moving average
of the generator (decay 0.999) for sampling.

The script prints the growth state at the end of each epoch and writes
- `samples_epoch_NNN.png`: 64 samples every few epochs (the low-resolution
  epochs show blocky 4x4 and 8x8 digits repeated up to 16x16);
- `samples.png`: 64 samples at the end;

and judges 500 samples with a digits classifier fitted on the training split
(`keras_gen.metrics.DigitsProbe`). Quality at the default length (20,000
real images, about 625 steps) is modest; not measured here.
"""

import argparse
import os
import time

import keras
import numpy as np

import keras_gen


def parse_args():
    parser = argparse.ArgumentParser(
        description="Progressive GAN on the embedded digits"
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="default: the whole schedule, then one epoch",
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--stable-images",
        type=int,
        default=4000,
        help="real images per stable stage",
    )
    parser.add_argument(
        "--fade-images", type=int, default=4000, help="real images per fade-in"
    )
    parser.add_argument("--latent-dim", type=int, default=64)
    parser.add_argument("--channel-base", type=int, default=512)
    parser.add_argument("--channel-max", type=int, default=64)
    parser.add_argument(
        "--backup-dir", default=None, help="resume an interrupted run from here"
    )
    parser.add_argument("--out", default="progan_out", help="output directory")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


class GrowthLogger(keras.callbacks.Callback):
    """Prints the resolution and the fade-in weight after each epoch."""

    def on_epoch_end(self, epoch, logs=None):
        model = self.model
        print(
            f"epoch {epoch + 1}: {int(keras.ops.convert_to_numpy(model.images_seen))} images seen, "
            f"resolution {model.current_resolution}, alpha {model.fade_alpha:.2f}, "
            f"d_loss {logs['d_loss']:.3f}, g_loss {logs['g_loss']:.3f}"
        )


def main():
    args = parse_args()
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    # ## Data: digits resized to 16x16, in [0, 1]

    x_train = keras_gen.datasets.load_digits("train", image_size=16)

    # ## Model
    #
    # Every resolution is built at once; the stage and alpha are computed
    # from `images_seen` inside the compiled step.

    model = keras_gen.models.ProgressiveGAN(
        data_shape=x_train.shape[1:],
        value_range=(0.0, 1.0),
        latent_dim=args.latent_dim,
        channel_base=args.channel_base,
        channel_max=args.channel_max,
        stable_images=args.stable_images,
        fade_images=args.fade_images,
        seed=args.seed,
    )
    model.compile()
    print(
        f"resolutions {model.resolutions}; the schedule takes {model.schedule_images} real images"
    )

    # ## Training

    epochs = args.epochs or model.schedule_images // len(x_train) + 1
    callbacks = [
        GrowthLogger(),
        keras_gen.callbacks.SampleGrid(
            os.path.join(args.out, "samples_epoch_{epoch:03d}.png"), every=4
        ),
    ]
    if args.backup_dir:
        callbacks.append(keras_gen.callbacks.BackupAndRestore(args.backup_dir))
    start = time.time()
    model.fit(
        x_train,
        epochs=epochs,
        batch_size=args.batch_size,
        verbose=0,
        callbacks=callbacks,
    )
    seconds = time.time() - start

    # ## Samples at the final resolution

    samples = model.generate(500, seed=args.seed)
    keras_gen.utils.images.save_image_grid(
        samples[:64], os.path.join(args.out, "samples.png"), value_range=(0, 1)
    )
    steps = int(model.get_optimizer("generator").iterations)
    print(
        f"\nbackend: {keras.backend.backend()}, {steps} steps, training time: {seconds:.0f} s"
    )
    print(
        f"final resolution {model.current_resolution}, alpha {model.fade_alpha:.2f}"
    )
    print(
        f"samples: shape {samples.shape}, range [{np.min(samples):.2f}, {np.max(samples):.2f}]"
    )
    print(keras_gen.metrics.DigitsProbe().report(samples))
    print(f"wrote {args.out}/samples.png")


if __name__ == "__main__":
    main()
