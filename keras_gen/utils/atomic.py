"""Atomic file writes: a file is replaced whole, or not at all.

Every file keras_gen writes (`.keras` saves of its models, presets, training
backups, images, the command line's history) goes through this module, so
that a process killed mid-write (SIGKILL, power loss, a full disk) leaves
either the previous file or the new one, never a truncated mix:

1. the new content is written to a temporary file in the same directory
   (`.tmp-XXXXXXXX-<name>`, so that suffix checks such as `.keras` or
   `.weights.h5` still pass), flushed and `fsync`ed;
2. it is given the permissions of the file it replaces (a new file: those
   the umask allows, as `open()` would), then renamed over the target with
   `os.replace`, which is atomic on POSIX and Windows;
3. the directory is `fsync`ed, so that the rename itself survives a crash.

A writer holds an advisory lock (`fcntl.flock`) on its temporary file for
as long as it lives. A temporary file left by a killed writer is therefore
unlocked, and `remove_leftovers` (called by every later write of the same
target) deletes exactly those, never the file of a writer still running.
On platforms without `fcntl` leftovers are kept (the target is still safe).

For fault-injection tests, `kill_point(name)` SIGKILLs the process when the
environment variable `KERAS_GEN_KILL_AT` names that point (`"name"`, or
`"name@N"` for its N-th passage), and `fail_point(name)` raises `OSError`
(ENOSPC) when `KERAS_GEN_FAIL_AT` names it.
"""

import contextlib
import errno
import os
import re
import shutil
import signal
import tempfile

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

TMP_PREFIX = ".tmp-"

# Bytes per `write` call when writing a buffer.
_CHUNK = 1 << 20

_passages = {}


def _armed(variable, name):
    """Whether the fault-injection variable names this passage of `name`."""
    spec = os.environ.get(variable)
    if not spec:
        return False
    count = _passages[(variable, name)] = _passages.get((variable, name), 0) + 1
    for item in spec.split(","):
        point, _, nth = item.strip().partition("@")
        if point == name and count == (int(nth) if nth else 1):
            return True
    return False


def kill_point(name):
    """SIGKILLs this process if `KERAS_GEN_KILL_AT` names `name` (tests)."""
    if _armed("KERAS_GEN_KILL_AT", name):
        os.kill(os.getpid(), signal.SIGKILL)


def fail_point(name):
    """Raises `OSError(ENOSPC)` if `KERAS_GEN_FAIL_AT` names `name` (tests)."""
    if _armed("KERAS_GEN_FAIL_AT", name):
        raise OSError(
            errno.ENOSPC, f"No space left on device (injected at {name})"
        )


def current_umask():
    """The process umask, read without changing it where the OS allows."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0o022)  # no getter elsewhere: set and restore
    os.umask(umask)
    return umask


def new_file_mode(path=None, directory=False):
    """The mode a replacement of `path` gets: the mode of the file it
    replaces, or for a new file the one `open()`/`mkdir()` would give."""
    if path is not None:
        try:
            return os.stat(path).st_mode & 0o7777
        except OSError:
            pass
    return (0o777 if directory else 0o666) & ~current_umask()


def fsync_directory(directory):
    """Makes a rename or creation inside `directory` durable (POSIX)."""
    try:
        fd = os.open(directory or ".", os.O_RDONLY)
    except OSError:
        return  # Windows cannot open directories
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on directories
    finally:
        os.close(fd)


def fsync_file(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def try_lock(fd, blocking=False):
    """An exclusive `flock` on `fd`; False if another process holds it."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        return True
    except OSError:
        return False


def _leftover_pattern(base):
    return re.compile(
        r"^"
        + re.escape(TMP_PREFIX)
        + r"[A-Za-z0-9_]{8}-"
        + re.escape(base)
        + r"$"
    )


def remove_dead(path):
    """Deletes the file or directory `path` if no live process holds its lock.

    Returns True if it was removed. Without `fcntl` nothing can be proven
    dead and nothing is removed.
    """
    if fcntl is None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        if not try_lock(fd):
            return False  # its writer is still running
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.remove(path)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def remove_leftovers(path):
    """Deletes the temporary files that killed writers of `path` left.

    Returns the list of the paths removed.
    """
    directory, base = os.path.split(os.path.abspath(path))
    pattern = _leftover_pattern(base)
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    removed = []
    for name in names:
        if pattern.match(name):
            leftover = os.path.join(directory, name)
            if remove_dead(leftover):
                removed.append(leftover)
    return removed


@contextlib.contextmanager
def atomic_path(path, label="write"):
    """A temporary path that replaces `path` when the block succeeds.

    The block writes the new content to the yielded path (by name: Keras'
    savers, PIL, h5py); on success the file is `fsync`ed, given the mode
    of the file it replaces (or the umask's) and renamed over `path`. On any
    error, or `KeyboardInterrupt`, the temporary file is removed and `path`
    is untouched.

    Args:
        path: the file to create or replace.
        label: the prefix of this write's kill points (`"<label>.written"`,
            `"<label>.replaced"`) for fault-injection tests.

    Example:

    ```python
    with keras_gen.utils.atomic.atomic_path("model.keras") as tmp:
        model.save(tmp)
    ```
    """
    path = os.fspath(path)
    directory, base = os.path.split(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    remove_leftovers(path)
    fd, tmp = tempfile.mkstemp(
        prefix=TMP_PREFIX, suffix="-" + base, dir=directory
    )
    try:
        try_lock(fd)  # marks the temporary file as alive (see remove_dead)
        yield tmp
        fsync_file(tmp)
        kill_point(f"{label}.written")
        os.chmod(tmp, new_file_mode(path))
        os.replace(tmp, path)
        fsync_directory(directory)
        kill_point(f"{label}.replaced")
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    finally:
        os.close(fd)


def write_bytes(path, data, label="write"):
    """Writes `data` (bytes) to `path` atomically (see `atomic_path`).

    The kill point `"<label>.during"` (and `fail_point`) sits after the
    first half of the data is written, so a test killed there leaves a
    genuinely partial temporary file.
    """
    view = memoryview(data)
    half = len(view) // 2
    with atomic_path(path, label=label) as tmp:
        with open(tmp, "wb") as f:
            f.write(view[:half])
            f.flush()
            kill_point(f"{label}.during")
            fail_point(f"{label}.during")
            for start in range(half, len(view), _CHUNK):
                f.write(view[start : start + _CHUNK])
    return path


def write_text(path, text, label="write"):
    """Writes the string `text` (UTF-8) to `path` atomically."""
    return write_bytes(path, text.encode("utf-8"), label=label)
