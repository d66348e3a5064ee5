"""The examples run end to end (shortened).

The flow-matching example runs in every pass, for `KERAS_BACKEND=...
python examples/...` on each backend. The other two run in one pass each:
their own code is the same on every backend, and what they do on a backend
(presets with overrides, fine-tuning at 28x28, a frozen encoder, a
conditional GAN) is each backend's own tests' (`presets/*_test.py`,
`models/gan/gan_test.py`). This took the file from 79 to 31 test-seconds
in the JAX pass and from 99 to 10 in the TensorFlow pass (2026-12-07).
"""

import os
import subprocess
import sys

import keras
import pytest

from keras_gen.datasets import fashion_mnist

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.backend_independent("the example's own code")
def test_transfer_learning_example_runs(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            os.path.join(ROOT, "examples", "transfer_learning.py"),
            "--epochs",
            "3",
            "--num-samples",
            "20",
            "--num-labelled",
            "20",
            # The Fashion-MNIST part: a few steps on 64 digits.
            "--fashion-steps",
            "4",
            "--fashion-num-train",
            "64",
            "--fashion-batch-size",
            "16",
            "--out",
            str(tmp_path),
        ],
        env={**os.environ, "PYTHONPATH": ROOT},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (
        "skipped weights:" in result.stdout
        and "requested digit read" in result.stdout
    )
    assert "encoder unchanged: True" in result.stdout
    assert sorted(os.listdir(tmp_path)) == [
        "fine_tuned.png",
        "from_scratch.png",
        "gan_digits28_fine_tuned.png",
        "gan_digits28_from_scratch.png",
    ]


def test_flow_matching_example_runs(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            os.path.join(ROOT, "examples", "flow_matching.py"),
            "--epochs",
            "1",
            "--train-size",
            "1000",
            "--num-samples",
            "200",
            "--solvers",
            "euler:4",
            "--out",
            str(tmp_path),
        ],
        env={**os.environ, "PYTHONPATH": ROOT},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (
        "test NLL" in result.stdout
        and "second coordinate kept: True" in result.stdout
    )
    assert sorted(os.listdir(tmp_path)) == ["inpainted.png", "samples.png"]


@pytest.mark.skipif(
    keras.backend.backend() != "jax",
    reason="runs in the JAX pass, `make demo`'s backend",
)
@pytest.mark.skipif(
    not fashion_mnist.is_available(),
    reason="the Fashion-MNIST files are not installed (apt-get install dataset-fashion-mnist)",
)
def test_the_demo_runs_on_fashion_mnist_within_its_budget(tmp_path):
    # `make demo`, with a 3-second budget and 100 evaluation samples.
    result = subprocess.run(
        [
            sys.executable,
            os.path.join(ROOT, "examples", "conditional_gan.py"),
            "--data",
            "fashion_mnist",
            "--max-minutes",
            "0.05",
            "--num-eval",
            "100",
            "--out",
            str(tmp_path),
        ],
        env={**os.environ, "PYTHONPATH": ROOT},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "1 epochs begun" in result.stdout  # stopped inside epoch 1
    assert "read as the requested class:" in result.stdout
    assert "(real train images, the floor:" in result.stdout
    assert os.listdir(tmp_path) == ["by_class.png"]
