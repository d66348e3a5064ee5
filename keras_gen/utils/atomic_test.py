import errno
import os

import pytest

from keras_gen.utils import atomic


@pytest.fixture
def umask():
    """Sets the process umask for one test and restores it."""
    saved = os.umask(0o022)
    os.umask(saved)

    def set_umask(value):
        os.umask(value)

    yield set_umask
    os.umask(saved)


def _names(directory):
    return sorted(os.listdir(directory))


def test_write_bytes_replaces_the_file_whole(tmp_path):
    path = str(tmp_path / "data.bin")
    atomic.write_bytes(path, b"old")
    atomic.write_bytes(path, b"new" * 1000)
    assert open(path, "rb").read() == b"new" * 1000
    assert _names(tmp_path) == ["data.bin"]


@pytest.mark.parametrize(
    "mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)]
)
def test_a_new_file_gets_the_mode_the_umask_allows(tmp_path, umask, mask, mode):
    umask(mask)
    assert atomic.current_umask() == mask
    path = str(tmp_path / "new.txt")
    atomic.write_text(path, "hello")
    assert os.stat(path).st_mode & 0o777 == mode


def test_a_replaced_file_keeps_its_mode(tmp_path, umask):
    umask(0o022)
    path = str(tmp_path / "private.txt")
    atomic.write_text(path, "v1")
    os.chmod(path, 0o600)
    atomic.write_text(path, "v2")
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert open(path).read() == "v2"


def test_an_error_in_the_block_keeps_the_old_file_and_no_temporary(tmp_path):
    path = str(tmp_path / "model.keras")
    atomic.write_bytes(path, b"good")
    with pytest.raises(KeyboardInterrupt):
        with atomic.atomic_path(path) as tmp:
            assert tmp.endswith("-model.keras") and os.path.basename(
                tmp
            ).startswith(".tmp-")
            with open(tmp, "wb") as f:
                f.write(b"half")
            raise KeyboardInterrupt
    assert open(path, "rb").read() == b"good"
    assert _names(tmp_path) == ["model.keras"]


def test_an_injected_full_disk_keeps_the_old_file(tmp_path, monkeypatch):
    path = str(tmp_path / "data.bin")
    atomic.write_bytes(path, b"good")
    monkeypatch.setenv("KERAS_GEN_FAIL_AT", "test.during")
    with pytest.raises(OSError) as info:
        atomic.write_bytes(path, b"x" * 100, label="test")
    assert info.value.errno == errno.ENOSPC
    assert open(path, "rb").read() == b"good"
    assert _names(tmp_path) == ["data.bin"]


@pytest.mark.skipif(atomic.fcntl is None, reason="needs fcntl.flock (POSIX)")
def test_leftovers_of_dead_writers_are_removed_and_live_ones_kept(tmp_path):
    path = str(tmp_path / "grid.png")
    dead = tmp_path / ".tmp-abcd1234-grid.png"
    dead.write_bytes(b"partial")
    live = tmp_path / ".tmp-efgh5678-grid.png"
    live.write_bytes(b"being written")
    other = tmp_path / ".tmp-ijkl9012-other.png"  # another target's: not ours
    other.write_bytes(b"x")
    fd = os.open(str(live), os.O_RDONLY)
    try:
        assert atomic.try_lock(fd)  # a writer that is still running
        atomic.write_bytes(path, b"png")
        assert _names(tmp_path) == sorted(
            [".tmp-efgh5678-grid.png", ".tmp-ijkl9012-other.png", "grid.png"]
        )
    finally:
        os.close(fd)
    assert atomic.remove_leftovers(path) == [str(live)]


def test_kill_and_fail_points_count_their_passages(monkeypatch):
    monkeypatch.setattr(atomic, "_passages", {})
    monkeypatch.setenv("KERAS_GEN_FAIL_AT", "a.b@3, c.d")
    atomic.fail_point("a.b")
    atomic.fail_point("a.b")
    with pytest.raises(OSError, match="injected at a.b"):
        atomic.fail_point("a.b")
    atomic.fail_point("a.b")  # only the third passage
    with pytest.raises(OSError, match="injected at c.d"):
        atomic.fail_point("c.d")
    atomic.kill_point("a.b")  # KERAS_GEN_KILL_AT is unset: nothing happens
