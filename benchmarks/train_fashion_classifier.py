"""Trains the Fashion-MNIST classifier shipped in `keras_gen/metrics/`.

The classifier (`keras_gen.metrics.fashion_mnist_classifier()`) is the
offline feature extractor of the metrics on Fashion-MNIST: a small CNN
(`FASHION_MNIST.build()`) trained on the first 55,000 train images
with random translations of up to 2 pixels (pad by 2, random 28x28 crop)
and random horizontal flips, Adam with a cosine-decayed learning rate, the
epoch kept by accuracy, then loss, on the last 5,000 train images; the
10,000 test images are only read for the final figures.

    XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \\
        KERAS_BACKEND=jax taskset -c 0 python benchmarks/train_fashion_classifier.py
    python benchmarks/train_fashion_classifier.py --out /tmp/fashion.weights.h5

By default it overwrites `keras_gen/metrics/fashion_mnist_classifier.weights.h5`
and prints a Markdown summary for `benchmarks/fashion_classifier_results.md`.
The shipped file was written so on JAX (2026-12-06, one pinned core of a
shared 2-core CPU, 6,050 s at load 1.5-8): best val accuracy 92.54 % at
epoch 29; test accuracy 92.29 % (the same on TensorFlow and PyTorch).
It needs the Fashion-MNIST files (`apt-get install dataset-fashion-mnist`,
or see `keras_gen.datasets.load_fashion_mnist`).
"""

import argparse
import os
import platform
import time

import classifier_training as training
import keras
import numpy as np

import keras_gen
from keras_gen.metrics import fashion_mnist_cnn as fc

NUM_VAL = 5000


def augment(x, rng, shift=2):
    """Random translations by up to `shift` pixels (zero padding, as the
    background is 0) and random horizontal flips."""
    n, size = len(x), x.shape[1]
    padded = np.pad(x[..., 0], ((0, 0), (shift, shift), (shift, shift)))
    windows = np.lib.stride_tricks.sliding_window_view(
        padded, (size, size), axis=(1, 2)
    )
    dy, dx = rng.integers(0, 2 * shift + 1, size=(2, n))
    out = windows[np.arange(n), dy, dx]
    flip = rng.random(n) < 0.5
    out[flip] = out[flip, :, ::-1]
    return out[..., None]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    training.add_arguments(
        parser,
        epochs=30,
        batch_size=128,
        learning_rate=1e-3,
        out=fc.FASHION_MNIST.weights_path,
    )
    parser.add_argument(
        "--num-train",
        type=int,
        default=None,
        help="use only this many train images (timing runs)",
    )
    args = parser.parse_args()

    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x, y = keras_gen.datasets.load_fashion_mnist("train", with_labels=True)
    x_train, y_train = (
        x[:-NUM_VAL][: args.num_train],
        y[:-NUM_VAL][: args.num_train],
    )
    x_val, y_val = x[-NUM_VAL:], y[-NUM_VAL:]
    x_test, y_test = keras_gen.datasets.load_fashion_mnist(
        "test", with_labels=True
    )

    def fit_epoch(model):
        order = rng.permutation(len(x_train))
        model.fit(
            augment(x_train[order], rng),
            y_train[order],
            batch_size=args.batch_size,
            epochs=1,
            shuffle=False,
            verbose=0,
        )

    steps = args.epochs * (-(-len(x_train) // args.batch_size))
    optimizer = keras.optimizers.Adam(
        keras.optimizers.schedules.CosineDecay(args.learning_rate, steps)
    )
    load, start = os.getloadavg()[0], time.time()
    model, accuracy, loss, best_epoch = training.train_best_epoch(
        fc.FASHION_MNIST,
        optimizer,
        fit_epoch,
        args.epochs,
        x_val,
        y_val,
        val_batch_size=1000,
        verbose=True,
    )
    seconds = time.time() - start
    model.save_weights(args.out)
    test_accuracy, test_loss = training.accuracy_and_loss(
        fc.fashion_mnist_classifier(weights_path=args.out),
        x_test,
        y_test,
        batch_size=1000,
    )
    print(
        f"\n## {time.strftime('%Y-%m-%d')}: backend {keras.backend.backend()}, keras {keras.__version__}, "
        f"{platform.machine()} CPU, load average {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end\n\n"
        f"- {len(x_train):,} train images, {args.epochs} epochs of batch {args.batch_size}, "
        f"Adam {args.learning_rate:g} cosine-decayed, seed {args.seed}: {seconds:.0f} s\n"
        f"- best val accuracy {100 * accuracy:.2f} % (loss {loss:.4f}, {NUM_VAL:,} images) at epoch {best_epoch}\n"
        f"- **test accuracy {100 * test_accuracy:.2f} %** (loss {test_loss:.4f}, {len(y_test):,} images)\n"
        f"- {model.count_params():,} parameters; {os.path.getsize(args.out):,} bytes written to {args.out}"
    )


if __name__ == "__main__":
    main()
