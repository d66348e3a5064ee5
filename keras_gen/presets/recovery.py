"""Undoing what a killed `save_to_preset` left behind.

`save_to_preset(model, "dir")` writes the new preset into a staging
directory `.dir.tmp-XXXXXXXX` beside `dir`, then swaps it in with two
renames: `dir` -> `.dir.old-XXXXXXXX`, staging -> `dir`, and finally deletes
the old one. A process killed between the two renames leaves no `dir` at
all; one killed earlier leaves a staging directory. `recover(dir)`, run by
every load of a local preset and every save, puts the previous preset back
in the first case and deletes the leftovers in both.

Saves and recoveries of presets in one parent directory take an exclusive
`flock` on that parent directory for their whole duration, so a recovery
never mistakes a save in progress in another process for a killed one. The
lock dies with its process. (Without `fcntl`, on Windows, recovery runs
unlocked.)
"""

import contextlib
import os
import re
import shutil
import warnings

from keras_gen.utils import atomic


def _split(directory):
    return os.path.split(os.path.abspath(directory))


def _leftovers(directory):
    """`(old, staging)`: the paths of both kinds of leftover of `directory`."""
    parent, base = _split(directory)
    pattern = re.compile(
        r"^\." + re.escape(base) + r"\.(old|tmp)-[A-Za-z0-9_]{8}$"
    )
    try:
        names = os.listdir(parent)
    except OSError:
        return [], []
    old, staging = [], []
    for name in names:
        match = pattern.match(name)
        if match:
            (old if match.group(1) == "old" else staging).append(
                os.path.join(parent, name)
            )
    return old, staging


@contextlib.contextmanager
def parent_lock(directory, blocking=True):
    """Holds the lock of `directory`'s parent; yields whether it was taken."""
    parent, _ = _split(directory)
    try:
        fd = os.open(parent, os.O_RDONLY)
    except (
        OSError
    ):  # no such parent, or a platform that cannot open directories
        yield atomic.fcntl is None
        return
    try:
        yield atomic.try_lock(fd, blocking=blocking)
    finally:
        os.close(fd)  # releases the lock


def _recover_locked(directory):
    old, staging = _leftovers(directory)
    restored = None
    if old and not os.path.exists(directory):
        # Killed between the two renames: the newest old preset is the one
        # the interrupted save was replacing.
        restored = max(old, key=os.path.getmtime)
        os.rename(restored, directory)
        atomic.fsync_directory(_split(directory)[0])
        warnings.warn(
            f"An earlier `save_to_preset` to {directory!r} was interrupted "
            "between its two renames; the previous preset was put back.",
            stacklevel=4,
        )
    for leftover in old + staging:
        if leftover != restored:
            shutil.rmtree(leftover, ignore_errors=True)


def recover(directory, locked=False):
    """Puts back the preset an interrupted save moved aside, and deletes
    the staging and old directories that killed saves left.

    Args:
        directory: a local preset directory (it may not exist).
        locked: whether the caller already holds `parent_lock(directory)`.
    """
    old, staging = _leftovers(directory)
    if not old and not staging:
        return
    if locked:
        _recover_locked(directory)
        return
    # Without the preset, wait for a save in progress to finish; with it,
    # the leftovers are only clutter: clean them if nobody is saving.
    missing = bool(old) and not os.path.exists(directory)
    with parent_lock(directory, blocking=missing) as acquired:
        if acquired:
            _recover_locked(directory)
