import numpy as np
import pytest

from keras_gen.models.editing import repaint_moves, repaint_schedule

# `get_schedule_jump(t_T=10, n_sample=1, jump_length=2, jump_n_sample=2)`
# of the RePaint repository (andreas128/RePaint, guided_diffusion/scheduler.py).
REPAINT_T10_J2_R2 = [
    9, 8, 7, 6, 7, 8, 7, 6, 5, 4, 5, 6, 5, 4,
    3, 2, 3, 4, 3, 2, 1, 0, 1, 2, 1, 0, -1,
]  # fmt: skip


def test_repaint_schedule_matches_the_papers():
    assert repaint_schedule(10, 2, 2) == REPAINT_T10_J2_R2
    assert repaint_schedule(10, 2, 1) == list(range(9, -2, -1))
    index, up = repaint_moves(10, 2, 2)
    # Jumps at levels 0, 2, 4, 6, each (r - 1) * j = 2 more denoiser calls.
    assert (~up).sum() == 10 + 4 * 2 and up.sum() == 4 * 2
    # Every evaluation runs at least once; the last one (x_1 -> x_0) once.
    assert sorted(set(index[~up])) == list(range(10))
    assert list(index[~up]).count(9) == 1
    # T = 250, j = 10, r = 10 (the paper's setting): 24 jump levels.
    _, up = repaint_moves(250, 10, 10)
    assert (~up).sum() == 250 + 24 * 9 * 10


@pytest.mark.parametrize("num_steps, j, r", [(10, 3, 4), (7, 1, 3), (5, 4, 2)])
def test_repaint_schedule_moves_one_level_at_a_time(num_steps, j, r):
    times = repaint_schedule(num_steps, j, r)
    assert times[0] == num_steps - 1 and times[-1] == -1
    assert np.all(np.abs(np.diff(times)) == 1)
    assert min(times) == -1 and max(times) == num_steps - 1
