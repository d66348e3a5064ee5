import pytest

from keras_gen.utils.progress import AUTO_MIN_STEPS, LoopProgress


@pytest.mark.parametrize("num_steps", [1, 7, 50, 1000])
def test_chunks_cover_the_loop_once_in_order(num_steps):
    for verbose in (True, False):
        chunks = LoopProgress(num_steps, 1, verbose).chunks()
        steps = [t for start, stop in chunks for t in range(start, stop)]
        assert steps == list(range(num_steps))
        if not verbose:
            assert len(chunks) == 1  # one compiled call without a bar
    assert len(LoopProgress(1000, 1, True).chunks()) == 20


def test_auto_shows_a_bar_for_long_loops_only(capsys):
    assert LoopProgress(AUTO_MIN_STEPS, 1, "auto").bar is not None
    assert LoopProgress(50, 4, "auto").bar is not None
    assert LoopProgress(50, 1, "auto").bar is None
    progress = LoopProgress(1000, 1, "auto")
    for start, stop in progress.chunks():
        progress.add(stop - start)
    assert "1000/1000" in capsys.readouterr().out


def test_a_bad_verbose_is_named():
    with pytest.raises(
        ValueError, match="`verbose` must be .*Received: verbose='yes'"
    ):
        LoopProgress(10, 1, "yes")
