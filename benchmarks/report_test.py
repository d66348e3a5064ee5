"""Tests of the benchmark report (no training: fake figures, no keras import).

.venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/report_test.py
"""

import os
import sys

from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_utils  # noqa: E402
import plot  # noqa: E402
import quality_table  # noqa: E402
import report  # noqa: E402


def fake_results(quick=True):
    ddpm = {
        "backend": "jax",
        "params": 1000,
        "train_samples_per_s": 90.0,
        "train_step_s": 0.5,
        "ddim_samples_per_s": 8.0,
        "matmul_flops_per_s": 1e11,
        "sample_steps": 50,
        "batch_size": 32,
        "matmul_size": 2048,
    }
    return {
        "machine": {
            "date": "2026-01-01T00:00:00+00:00",
            "loadavg": [9.0, 9.0, 9.0],
            "cpus": 2,
            "machine": "x86_64",
            "cpu_model": "cpu",
            "python": "3.11",
            "versions": {"keras": "3.15.1", "diffusers": None},
        },
        "quick": quick,
        "command": "run_all.py",
        "loadavg_end": [8.0, 8.0, 8.0],
        "throughput": {
            "jax": {
                "families": {
                    "vae": {
                        "samples_per_s": 100.0,
                        "params": 10,
                        "batch_size": 64,
                    }
                }
            },
            "torch": {"error": "exit 1: boom"},
        },
        "overhead": {
            "tensorflow": {
                "keras_gen": {"samples_per_s": 98.0},
                "hand-written": {"samples_per_s": 100.0},
            }
        },
        "ddpm": {
            "keras_gen/jax": ddpm,
            "keras_gen/torch": dict(
                ddpm,
                backend="torch",
                train_samples_per_s=50.0,
                train_step_s=0.64,
                train_step_flops=2e10,
            ),
            "diffusers": dict(
                ddpm,
                backend="torch (eager)",
                train_samples_per_s=45.0,
                ddim_samples_per_s=4.0,
                train_step_flops=2e10,
            ),
        },
        "real_nvp": {
            "normflows": {
                "unavailable": "peer unavailable: No module named 'normflows'"
            }
        },
        "scaling": {
            "jax": {
                "config": "DDPM",
                "dataset_size": {"64": 1.0, "128": 2.1},
                "sampling_steps": {"10": 0.2, "50": 1.0},
            }
        },
        "memory": {
            "jax": [
                {
                    "batch_size": 16,
                    "peak_rss_mb": 900.0,
                    "rss_before_fit_mb": 700.0,
                    "peak_increase_mb": 200.0,
                }
            ]
        },
    }


def test_report_states_conditions_targets_and_failures(tmp_path):
    results = fake_results()
    text = report.markdown(results, str(tmp_path))
    assert "NOT final numbers" in text and "Measured under load" in text
    assert "Not installed: diffusers" in text
    # keras_gen's fastest backend (jax, 90/s) against diffusers (45/s): 2.00x, target met.
    assert "**2.00x**" in text and "target >= 1.5x: met" in text
    # Sampling 8/s vs 4/s.
    assert "DDIM-50 sampling: fastest backend (jax) **2.00x**" in text
    # FLOP fraction on jax uses the torch count: 2e10 / 0.5 s / 1e11 = 40 %.
    assert "**40 %** of the dense-matmul" in text
    # Overhead: 100/98 - 1 = +2.0 %, within 5 %.
    assert "+2.0 %" in text and "| met |" in text
    assert "failed: exit 1: boom" in text
    assert "peer unavailable: No module named 'normflows'" in text


def test_plots_are_written_as_png(tmp_path):
    paths = report.make_plots(fake_results(), str(tmp_path))
    names = sorted(os.path.basename(p) for p in paths)
    assert names == [
        "cost_dataset_size.png",
        "cost_sampling_steps.png",
        "ddpm_vs_diffusers.png",
        "memory_batch_size.png",
        "throughput_jax.png",
    ]
    with Image.open(tmp_path / "cost_dataset_size.png") as image:
        assert image.size == (plot.WIDTH, plot.HEIGHT)
    assert not list(tmp_path.glob("*.tmp"))


def test_quality_table_has_published_results_and_the_statement():
    text = quality_table.markdown()
    assert "not comparable" in text
    for headline in (
        "FID 3.17",
        "FID 2.84",
        "Inception score 7.86",
        "3.49 bits/dim",
    ):
        assert headline in text
    # Every built-in preset's measured figures appear.
    presets = os.listdir(quality_table.PRESETS)
    assert all(
        name in text
        for name in presets
        if os.path.isdir(os.path.join(quality_table.PRESETS, name))
    )


def test_median_time_and_formatting():
    seconds, times = bench_utils.median_time(lambda: None, repeats=5)
    assert len(times) == 5 and seconds >= 0
    assert bench_utils.fmt(1112801) == "1,112,801"
    assert bench_utils.fmt(0.01234) == "0.0123"
    assert bench_utils.fmt(None) == "-"


def test_failure_text_cannot_break_a_table(tmp_path):
    results = fake_results()
    results["overhead"]["torch"] = {
        "error": "exit 1: \x1b[1mModel X\x1b[0m | has no call()\n more"
    }
    text = report.markdown(results, str(tmp_path))
    row = next(
        line for line in text.splitlines() if line.startswith("| torch |")
    )
    assert (
        row.count("|") == 6
        and "\x1b" not in row
        and "Model X / has no call() more" in row
    )
