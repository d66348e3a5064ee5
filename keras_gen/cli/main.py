"""`keras-gen`: the command line of keras_gen.

    keras-gen train vae --data digits --epochs 20 --out runs/vae
    keras-gen sample runs/vae/preset --num 64 --out grid.png
    keras-gen evaluate gan_digits --data digits
    keras-gen presets
    keras-gen --backend torch train gan --data toy:8gaussians --epochs 2 --out runs/toy

The backend is `--backend`, else `KERAS_BACKEND`, else Keras' default. This
module imports no Keras at import time; the commands (`commands.py`) do,
after the backend is chosen.
"""

import argparse
import os
import subprocess
import sys

BACKENDS = ("jax", "tensorflow", "torch")
DATA_HELP = (
    "`digits` (scikit-learn's 8x8 digits), `fashion_mnist` (28x28, from the "
    "installed IDX files; for cyclegan, sneakers and ankle boots), `toy:<name>` (a 2-D toy: "
    "8gaussians, checkerboard, moons, ring8, grid25, swissroll), `photos` "
    "(two domains from scikit-learn's sample photos, for cyclegan), an image "
    "folder, or for cyclegan two folders `A_DIR,B_DIR` or one holding "
    "trainA/ and trainB/"
)


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value <= 0:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer. Received: {text!r}"
        )
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(
            f"must be a positive number. Received: {text!r}"
        )
    return value


def _non_negative_int(text):
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 0:
        raise argparse.ArgumentTypeError(
            f"must be a non-negative integer. Received: {text!r}"
        )
    return value


def build_parser():
    """The `argparse` parser of `keras-gen` and its sub-commands."""
    parser = argparse.ArgumentParser(
        prog="keras-gen",
        description="Train, sample and evaluate keras_gen generative models "
        "on JAX, TensorFlow or PyTorch.",
    )
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        help="Keras backend (default: $KERAS_BACKEND, else Keras' default)",
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True
    )

    train = commands.add_parser(
        "train", help="train a model family's default model and save a preset"
    )
    train.add_argument(
        "family", help="model family (`keras-gen families` lists them)"
    )
    train.add_argument("--data", required=True, help=DATA_HELP)
    train.add_argument("--epochs", type=_positive_int, default=10)
    train.add_argument(
        "--batch-size",
        type=_positive_int,
        default=None,
        help="default: the family's",
    )
    train.add_argument(
        "--out",
        required=True,
        help="output directory (preset/, samples.png, history.json)",
    )
    train.add_argument(
        "--image-size",
        type=_positive_int,
        default=None,
        help="side of the images (default: 8 for digits, 16 for stylegan2, 32 for folders)",
    )
    train.add_argument(
        "--latent-dim",
        type=_positive_int,
        default=None,
        help="default: the family's",
    )
    train.add_argument(
        "--learning-rate",
        type=_positive_float,
        default=None,
        help="default: the family's",
    )
    train.add_argument(
        "--max-samples",
        type=_positive_int,
        default=None,
        help="train on the first N samples only",
    )
    train.add_argument("--seed", type=_non_negative_int, default=0)
    train.add_argument(
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=1,
        help="1: progress bar",
    )

    sample = commands.add_parser(
        "sample", help="draw samples from a preset into a PNG grid"
    )
    sample.add_argument(
        "preset", help="a built-in preset name or a preset directory"
    )
    sample.add_argument(
        "--num", type=_positive_int, default=64, help="number of samples"
    )
    sample.add_argument(
        "--out", default="samples.png", help="PNG file to write"
    )
    sample.add_argument("--seed", type=_non_negative_int, default=0)
    sample.add_argument(
        "--steps", type=_positive_int, default=50, help="DDIM steps (ddpm)"
    )

    evaluate = commands.add_parser(
        "evaluate", help="score a preset against real data (JSON)"
    )
    evaluate.add_argument(
        "preset", help="a built-in preset name or a preset directory"
    )
    evaluate.add_argument("--data", required=True, help=DATA_HELP)
    evaluate.add_argument(
        "--metrics",
        nargs="+",
        default=None,
        help="names from keras_gen.metrics.METRIC_NAMES (default: chosen for the data)",
    )
    evaluate.add_argument(
        "--num-samples",
        type=_positive_int,
        default=None,
        help="default: as many as the data",
    )
    evaluate.add_argument("--seed", type=_non_negative_int, default=0)
    evaluate.add_argument(
        "--steps", type=_positive_int, default=50, help="DDIM steps (ddpm)"
    )

    presets = commands.add_parser(
        "presets", help="list the built-in presets and their quality figures"
    )
    presets.add_argument(
        "--json", action="store_true", help="print JSON instead of a table"
    )

    families = commands.add_parser(
        "families", help="list the model families and their configurations"
    )
    families.add_argument(
        "--json", action="store_true", help="print JSON instead of a table"
    )
    return parser


def _rerun_with_backend(backend, argv):
    """Runs the command again in a fresh interpreter on `backend`.

    Importing `keras_gen` imports Keras, which fixes the backend for the
    life of the process; a different `--backend` needs a new process.
    """
    env = dict(os.environ, KERAS_BACKEND=backend)
    return subprocess.call(
        [sys.executable, "-m", "keras_gen.cli", *argv], env=env
    )


def main(argv=None):
    """Runs `keras-gen` with `argv` (default: `sys.argv[1:]`); returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.backend:
        keras = sys.modules.get("keras")
        if keras is None:
            os.environ["KERAS_BACKEND"] = args.backend
        elif keras.backend.backend() != args.backend:
            return _rerun_with_backend(args.backend, argv)
    from keras_gen.cli import commands  # imports Keras: after the backend

    try:
        return commands.run(args) or 0
    except (commands.CommandError, ValueError) as e:
        # Mistakes in the arguments or the data: a message, not a traceback.
        parser.exit(2, f"keras-gen {args.command}: error: {e}\n")
