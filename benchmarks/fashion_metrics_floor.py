"""Fashion-MNIST reference values of the classifier metrics.

The real-data floor (`keras_gen.metrics.real_data_floor`: the first n test
images against the first n train images) at each n, and, for scale, what a
few broken "generators" score against the same n test images:

    KERAS_BACKEND=jax python benchmarks/fashion_metrics_floor.py
    python benchmarks/fashion_metrics_floor.py --num-samples 1000

Prints Markdown for `benchmarks/fashion_classifier_results.md`. Needs the
Fashion-MNIST files (`apt-get install dataset-fashion-mnist`).
"""

import argparse
import os
import platform
import time

import keras
import numpy as np

import keras_gen

METRICS = (
    "classifier_frechet_distance",
    "classifier_kernel_distance",
    "classifier_precision_recall",
    "classifier_inception_score",
)


def broken_generators(n, rng):
    """Sets of n images that a flawed generator could produce."""
    x, y = keras_gen.datasets.load_fashion_mnist("train", with_labels=True)
    real = x[:n]
    shifted = np.zeros_like(real)
    shifted[:, :, 2:] = real[:, :, :-2]
    # A 3x3 box blur, edges padded with the background.
    padded = np.pad(real, ((0, 0), (1, 1), (1, 1), (0, 0)))
    blurred = (
        sum(
            padded[:, i : i + 28, j : j + 28]
            for i in range(3)
            for j in range(3)
        )
        / 9.0
    )
    return {
        "train images moved right by 2 px": shifted,
        "train images blurred (3x3 box filter)": blurred,
        "train images + N(0, 0.1^2) pixel noise": np.clip(
            real + 0.1 * rng.standard_normal(real.shape), 0, 1
        ),
        "train trousers and bags only (2 of 10 classes)": x[np.isin(y, [1, 8])][
            :n
        ],
        "uniform noise": rng.uniform(size=real.shape),
    }


def row(label, scores):
    kid, kid_std = (
        scores["classifier_kernel_distance"],
        scores["classifier_kernel_distance_std"],
    )
    return (
        f"| {label} | {scores['classifier_frechet_distance']:.3f} | {kid:.4f} ± {kid_std:.4f} | "
        f"{scores['classifier_precision']:.3f} / {scores['classifier_recall']:.3f} | "
        f"{scores['classifier_inception_score']:.2f} |"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--num-samples", type=int, nargs="+", default=[1000, 10000]
    )
    args = parser.parse_args()
    load, start = os.getloadavg()[0], time.time()
    print(
        f"## {time.strftime('%Y-%m-%d')} — backend {keras.backend.backend()}, keras {keras.__version__}, "
        f"{platform.machine()} CPU, load average {load:.2f} at the start\n"
    )
    for n in args.num_samples:
        rng = np.random.default_rng(0)
        x_test = keras_gen.datasets.load_fashion_mnist("test", num_samples=n)
        lines = [
            row(
                f'train images: **the floor** (`real_data_floor("fashion_mnist", ..., {n})`)',
                keras_gen.metrics.real_data_floor(
                    "fashion_mnist", METRICS, num_samples=n
                ),
            )
        ]
        for label, fake in broken_generators(n, rng).items():
            lines.append(
                row(
                    label,
                    keras_gen.metrics.evaluate(
                        None, x_test, METRICS, samples=fake
                    ),
                )
            )
        print(f"### {n:,} test images against {n:,} images of each set\n")
        print(
            "| compared set | classifier Fréchet distance | classifier KID ± std (100 subsets of "
            f"{min(n, 1000):,}) | precision / recall (k=3) | classifier IS of the set |"
        )
        print("| --- | --- | --- | --- | --- |")
        print("\n".join(lines) + "\n")
    print(
        f"({time.time() - start:.0f} s in all; load average {os.getloadavg()[0]:.2f} at the end)"
    )


if __name__ == "__main__":
    main()
