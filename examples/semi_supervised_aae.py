"""
Title: Semi-supervised adversarial autoencoder on the embedded digits
Description: Train a semi-supervised AAE (Makhzani et al., 2016, sec. 5)
    with `model.fit` on 8x8 digits of which only a few carry a label;
    classify the test digits and draw digits of a chosen class. The same
    script runs on TensorFlow, JAX and PyTorch.

    KERAS_BACKEND=jax python examples/semi_supervised_aae.py
    KERAS_BACKEND=jax python examples/semi_supervised_aae.py --epochs 100 --num-labelled 200

## What to expect

The data are scikit-learn's 8x8 digits (train split, 1,000 images, in
[0, 1]); `--num-labelled` of them (default 100, 10 per class) keep their
label, the others get -1 ("unlabelled"). `keras_gen.models.aae.mix_labelled`
repeats the labelled ones so that each batch holds some. The encoder's
code splits into a class (a softmax over 10, pushed towards one-hot
vectors of balanced classes by an adversary) and a 2-D style (pushed
towards a Gaussian by a second adversary); the labelled samples also
train the class head by cross-entropy.

The script prints the test accuracy of `model.classify` next to a
logistic regression on the same labelled pixels (the baseline the labels
alone give), and writes
- `classes.png`: one row per class: the decoder given that class and the
  same 10 prior styles along each row (style is shared down a column);

Accuracy is not measured here; run it to see.
"""

import argparse
import os
import time

import keras
import numpy as np

import keras_gen
from keras_gen.models.aae import mix_labelled


def parse_args():
    parser = argparse.ArgumentParser(
        description="Semi-supervised AAE on the embedded digits"
    )
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument(
        "--num-labelled",
        type=int,
        default=100,
        help="labelled training digits (per class: /10)",
    )
    parser.add_argument(
        "--latent-dim", type=int, default=2, help="size of the style code"
    )
    parser.add_argument(
        "--out", default="semi_supervised_aae_out", help="output directory"
    )
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def main():
    args = parse_args()
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    # ## Data: 1,000 digits, `--num-labelled` of them labelled

    x, y = keras_gen.datasets.load_digits("train", with_labels=True)
    x_test, y_test = keras_gen.datasets.load_digits("test", with_labels=True)
    rng = np.random.RandomState(args.seed)
    keep = np.concatenate(
        [
            rng.permutation(np.flatnonzero(y == c))[: args.num_labelled // 10]
            for c in range(10)
        ]
    )
    partial = np.full(len(y), -1)
    partial[keep] = y[keep]
    x_mixed, y_mixed = mix_labelled(
        x, partial, labelled_share=0.25, seed=args.seed
    )
    print(
        f"{len(keep)} labelled of {len(x)}; {len(x_mixed)} samples per epoch, a quarter of them labelled (repeats)"
    )

    # ## Model

    model = keras_gen.models.SemiSupervisedAAE(
        data_shape=x.shape[1:],
        num_classes=10,
        latent_dim=args.latent_dim,
        seed=args.seed,
    )
    model.compile()

    # ## Training

    start = time.time()
    model.fit(
        x_mixed,
        y_mixed,
        epochs=args.epochs,
        batch_size=args.batch_size,
        verbose=2,
    )
    seconds = time.time() - start

    # ## Classification of the test digits

    accuracy = float(np.mean(model.classify(x_test) == y_test))
    print(
        f"\nbackend: {keras.backend.backend()}, training time: {seconds:.0f} s"
    )
    print(f"semi-supervised AAE test accuracy: {accuracy:.3f}")
    try:
        from sklearn.linear_model import LogisticRegression

        baseline = LogisticRegression(max_iter=2000).fit(
            x[keep].reshape(len(keep), -1), y[keep]
        )
        print(
            f"logistic regression on the {len(keep)} labelled digits alone: "
            f"{baseline.score(x_test.reshape(len(x_test), -1), y_test):.3f}"
        )
    except ImportError:
        pass

    # ## Class and style: one row per class, one prior style per column

    styles = model.sample_latents(10, seed=args.seed)
    rows = [model.decode(styles, labels=np.full(10, c)) for c in range(10)]
    keras_gen.utils.images.save_image_grid(
        np.concatenate(rows),
        os.path.join(args.out, "classes.png"),
        num_cols=10,
        value_range=(0, 1),
    )
    print(f"wrote {args.out}/classes.png")


if __name__ == "__main__":
    main()
