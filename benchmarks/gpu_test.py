"""`make bench-gpu`'s script runs (its CPU dry run, on this backend) and
writes a results table with a figure for every model it ran."""

import os
import subprocess
import sys

import keras

HERE = os.path.dirname(os.path.abspath(__file__))


def test_the_gpu_benchmark_dry_run_writes_its_table(tmp_path):
    out = tmp_path / "gpu.md"
    backend = keras.backend.backend()
    # Every model in the torch pass; in the compiling passes (JAX,
    # TensorFlow) the GAN alone, for the script's per-backend plumbing (its
    # child process, device report and timing): the other models' steps on
    # those backends are their families' own tests, and compiling them
    # again here took 51 s (JAX) and 59 s (TensorFlow) of the suite
    # (2026-12-06; the GAN alone: 14 s on JAX).
    models = (
        ("ddpm", "flow_matching", "stylegan2", "gan")
        if backend == "torch"
        else ("gan",)
    )
    result = subprocess.run(
        [sys.executable, os.path.join(HERE, "gpu.py"), "--dry-run",
         "--backends", backend, "--models", *models, "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    text = out.read_text()
    assert "dry run" in text and f"| {backend} |" in text
    for model in models:
        row = next(
            line
            for line in text.splitlines()
            if line.startswith(f"| {model} |")
        )
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert float(cells[2]) > 0, row  # a rate, not an error
