"""`keras_gen.callbacks.BackupAndRestore` under real faults: a training
process SIGKILLed at every point of a backup write (and between backups),
or finding its disk full, resumes to the optimizer step count and the
bit-identical weights of a run that was never interrupted.

Each case runs the faulty training in a child process (`workers/
backup_worker.py`); the reference and the resumed runs are trained here.
"""

import glob
import os
import shutil
import signal
import subprocess
import sys

import keras
import numpy as np
import pytest

sys.path.insert(
    0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "workers")
)

import backup_worker  # noqa: E402

WORKER = backup_worker.__file__
TOTAL_STEPS = backup_worker.EPOCHS * backup_worker.STEPS  # 3 epochs of 4 steps

pytestmark = pytest.mark.skipif(
    not hasattr(signal, "SIGKILL"), reason="needs POSIX signals"
)


def run_worker(family, backup_dir, save_freq, kill_at=None, extra=()):
    env = dict(os.environ)
    env.pop("KERAS_GEN_KILL_AT", None)
    if kill_at:
        env["KERAS_GEN_KILL_AT"] = kill_at
    return subprocess.run(
        [
            sys.executable,
            WORKER,
            family,
            str(backup_dir),
            os.devnull,
            "--save-freq",
            str(save_freq),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def state(model):
    return [
        keras.ops.convert_to_numpy(v)
        for v in model.variables + model.optimizer.variables
    ]


_references = {}


@pytest.fixture
def reference(tmp_path_factory):
    """The state after an uninterrupted run (computed once per case)."""

    def get(family, save_freq):
        if (family, save_freq) not in _references:
            model = backup_worker.build(family)
            backup = tmp_path_factory.mktemp("reference") / "backup"
            backup_worker.fit(model, family, str(backup), save_freq)
            assert not backup.exists()  # a finished run deletes its backup
            _references[family, save_freq] = state(model)
        return _references[family, save_freq]

    return get


def resume_and_compare(family, backup, save_freq, expected):
    model = backup_worker.build(family)
    backup_worker.fit(model, family, str(backup), save_freq)
    # Every optimizer (a GAN's two and their container) took exactly the
    # steps of an uninterrupted run: none repeated, none skipped.
    assert backup_worker.optimizer_steps(model) == [TOTAL_STEPS] * len(
        backup_worker.optimizer_steps(model)
    )
    got = state(model)
    assert len(got) == len(expected)
    paths = [v.path for v in model.variables + model.optimizer.variables]
    for path, want, have in zip(paths, expected, got):
        np.testing.assert_array_equal(have, want, err_msg=path)
    assert not backup.exists()


# (family, save_freq, kill point). With save_freq=3 the backups are taken
# after steps 3, 6, 9 and 12 (the second in the middle of epoch 2); with
# "epoch", after steps 4, 8 and 12.
# Where the kill lands in the backup's write is the callback's file
# protocol, the same code on every backend: those cases run in the torch
# pass. Every pass runs the DDPM case, for its own backend's round trip of
# the state (weights, EMA, optimizer, seed generators); the GAN's
# (two optimizers) is integration_tests/resume_after_kill_test.py, also in
# every pass.
_PROTOCOL = pytest.mark.backend_independent("where a kill lands in the write")
CASES = [
    # about to write the second backup
    pytest.param("gan", 3, "backup.before_write@2", marks=_PROTOCOL),
    # half of it written to the temporary file
    pytest.param("gan", 3, "backup.during@2", marks=_PROTOCOL),
    # all written and synced, not yet renamed
    pytest.param("gan", 3, "backup.written@2", marks=_PROTOCOL),
    # renamed into place, training not resumed
    pytest.param("gan", 3, "backup.replaced@2", marks=_PROTOCOL),
    # Keras' gap: weights written, epoch not
    pytest.param("vae", "epoch", "backup.written@2", marks=_PROTOCOL),
    # between two backups, mid-epoch
    pytest.param("vae", "epoch", "worker.batch_end@6", marks=_PROTOCOL),
    # mid-epoch backup of a model with an EMA
    ("ddpm", 3, "backup.replaced@3"),
]


@pytest.mark.parametrize("family, save_freq, kill_at", CASES)
def test_a_run_killed_at_any_point_resumes_exactly(
    tmp_path, reference, family, save_freq, kill_at
):
    expected = reference(family, save_freq)
    backup = tmp_path / "backup"
    result = run_worker(family, backup, save_freq, kill_at=kill_at)
    assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]
    assert (backup / "backup.weights.h5").exists()
    leftovers = glob.glob(str(backup / ".tmp-*-backup.weights.h5"))
    if kill_at.startswith(("backup.during", "backup.written")):
        assert (
            len(leftovers) == 1
        )  # killed mid-write: the old backup stays whole
    if kill_at.startswith("backup.during"):  # half of the new backup
        assert os.path.getsize(leftovers[0]) < 0.75 * os.path.getsize(
            backup / "backup.weights.h5"
        )
    resume_and_compare(family, backup, save_freq, expected)


def test_a_full_disk_stops_training_and_keeps_the_previous_backup(
    tmp_path, reference
):
    if shutil.which("mount") is None:
        pytest.skip(
            "no `mount` command: tests/callbacks covers an injected full disk"
        )
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(
            "cannot mount a small tmpfs here (needs root or CAP_SYS_ADMIN: "
            f"{mounted.stderr.strip()}); keras_gen/callbacks/backup_and_restore_test.py "
            "covers an injected full disk"
        )
    try:
        backup = disk / "backup"
        result = run_worker(
            "gan", backup, "epoch", extra=("--fill-disk-after-saves", "1")
        )
        # A clear error, no crash (the JAX process used to segfault at exit).
        assert result.returncode == 3, result.stderr[-3000:]
        assert "BackupWriteError" in result.stdout
        assert "No space left on device" in result.stdout
        assert (
            "the previous backup (the end of epoch 1) is intact"
            in result.stdout
        )
        assert os.listdir(backup) == ["backup.weights.h5"]  # no partial file
        os.remove(disk / "filler")  # space freed: the same fit resumes
        resume_and_compare("gan", backup, "epoch", reference("gan", "epoch"))
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)
