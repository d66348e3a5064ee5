"""Reference values of the digits-classifier metrics on real data.

What a perfect generator would score (real test digits against the train
split), and what obviously bad "generators" score, so that the numbers in
the examples can be read:

    KERAS_BACKEND=jax python benchmarks/metrics_floor.py

Prints a Markdown table (append it to `benchmarks/metrics_results.md`).
"""

import platform
import time

import keras
import numpy as np

import keras_gen
from keras_gen.datasets import load_digits


def main():
    start = time.time()
    rng = np.random.default_rng(0)
    x_train = load_digits("train")
    x_val = load_digits("val")
    x_test, y_test = load_digits("test", with_labels=True)

    accuracy = {}
    for size in (8, 16, 32):
        classifier = keras_gen.metrics.digits_classifier(image_size=size)
        p = classifier.predict(load_digits("test", image_size=size), verbose=0)
        accuracy[size] = float((p.argmax(-1) == y_test).mean())

    shifted = np.roll(x_train, 1, axis=2)  # every digit moved right by a pixel
    shifted[:, :, 0] = 0.0
    zeros_ones = x_train[
        np.isin(load_digits("train", with_labels=True)[1], [0, 1])
    ]
    # The reference is always the test split (447 digits the classifier never
    # saw); each row is what a "generator" producing that set would score.
    sets = {
        "train split (1,000): the floor": x_train,
        "val split (350), also unseen by the classifier": x_val,
        "train digits shifted right by 1 px": shifted,
        "train digits + N(0, 0.1^2) pixel noise": np.clip(
            x_train + 0.1 * rng.standard_normal(x_train.shape), 0, 1
        ),
        "train digits blurred (16x16 round trip)": load_digits(
            "train", image_size=16
        )
        .reshape(1000, 8, 2, 8, 2, 1)
        .mean(axis=(2, 4)),
        "only the train split's zeros and ones (2 of 10 classes)": zeros_ones,
        "uniform noise images (1,000)": rng.uniform(size=x_train.shape),
    }
    metrics = [
        "classifier_frechet_distance",
        "classifier_kernel_distance",
        "classifier_precision_recall",
        "classifier_inception_score",
    ]
    rows = []
    for label, fake in sets.items():
        r = keras_gen.metrics.evaluate(None, x_test, metrics, samples=fake)
        rows.append(
            f"| {label} | {r['classifier_frechet_distance']:.3f} | {r['classifier_kernel_distance']:.4f} | "
            f"{r['classifier_precision']:.3f} / {r['classifier_recall']:.3f} | {r['classifier_inception_score']:.2f} |"
        )
    print(
        f"## {time.strftime('%Y-%m-%d')} — backend {keras.backend.backend()}, keras {keras.__version__}, "
        f"{platform.machine()} CPU x2\n"
    )
    print(
        "Digits classifier test accuracy (447 test digits): "
        + ", ".join(
            f"{s}x{s} input {100 * a:.2f} %" for s, a in accuracy.items()
        )
        + "\n"
    )
    print(
        "| test split (447) vs | classifier Fréchet distance | classifier KID | precision / recall (k=3) | classifier IS of the compared set |"
    )
    print("| --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    print(f"\n({time.time() - start:.0f} s in all)")


if __name__ == "__main__":
    main()
