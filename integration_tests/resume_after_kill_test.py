"""Workflow 5: a GAN training process killed mid-epoch (SIGKILL) resumes
through `BackupAndRestore` with both optimizers' state, and ends with the
weights of an uninterrupted run with the same seed."""

import os
import signal
import subprocess
import sys

import numpy as np
import pytest

WORKER = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "workers", "gan_worker.py"
)


def run_worker(*args, expect_killed=False):
    result = subprocess.run(
        [sys.executable, WORKER, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )
    if expect_killed:
        assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    else:
        assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.skipif(
    not hasattr(signal, "SIGKILL"), reason="needs POSIX signals"
)
def test_killed_gan_resumes_to_the_uninterrupted_result(tmp_path):
    reference = str(tmp_path / "reference.npz")
    run_worker("resume", str(tmp_path / "backup_reference"), reference)

    backup = str(tmp_path / "backup")
    resumed = str(tmp_path / "resumed.npz")
    # 3 epochs of 6 steps: killed in the middle of the second epoch, after
    # the first epoch's backup.
    run_worker(
        "resume", backup, resumed, "--kill-at-step", "9", expect_killed=True
    )
    assert not os.path.exists(resumed) and os.path.exists(
        os.path.join(backup, "latest.weights.h5")
    )
    run_worker("resume", backup, resumed)

    want, got = np.load(reference), np.load(resumed)
    assert (
        int(got["iterations_discriminator"])
        == int(got["iterations_generator"])
        == 18
    )
    for key in want.files:  # weights, iteration counts and Adam moments
        np.testing.assert_allclose(
            got[key], want[key], rtol=1e-6, atol=1e-7, err_msg=key
        )
    assert not os.path.exists(backup)  # a finished run deletes its backup
