import numpy as np
import pytest

from keras_gen import datasets


def test_digits_split_sizes_range_and_labels():
    x, y = datasets.load_digits("train", with_labels=True)
    assert x.shape == (1000, 8, 8, 1) and x.dtype == np.float32
    assert y.shape == (1000,) and set(np.unique(y)) == set(range(10))
    assert 0.0 <= x.min() and x.max() == 1.0
    assert len(datasets.load_digits("val")) == 350
    assert len(datasets.load_digits("test")) == 447


def test_digits_resize_binarize_flatten():
    x = datasets.load_digits("test", image_size=16)
    assert x.shape == (447, 16, 16, 1) and 0 <= x.min() and x.max() <= 1
    b = datasets.load_digits("test", binarize=True, flatten=True)
    assert b.shape == (447, 64) and set(np.unique(b)) <= {0.0, 1.0}


def test_digits_rejects_unknown_split():
    with pytest.raises(ValueError, match="split='valid'"):
        datasets.load_digits("valid")


@pytest.mark.parametrize("name", datasets.TOY_2D_NAMES)
def test_toy_2d_is_deterministic_by_seed(name):
    a = datasets.toy_2d(name, 500, seed=3)
    assert a.shape == (500, 2) and a.dtype == np.float32
    np.testing.assert_array_equal(a, datasets.toy_2d(name, 500, seed=3))
    assert not np.array_equal(a, datasets.toy_2d(name, 500, seed=4))


def test_toy_2d_mixtures_sit_on_their_modes():
    x = datasets.toy_2d("grid25", 2000, seed=0)
    centers, sigma = datasets.toy_2d_modes("grid25")
    d = np.linalg.norm(x[:, None] - centers[None], axis=-1).min(axis=1)
    assert np.mean(d < 3 * sigma) > 0.98


def test_checkerboard_fills_half_of_its_box():
    x = datasets.toy_2d("checkerboard", 4000, seed=0)
    assert np.all(np.abs(x) <= 4.0)
    cells = np.floor(x / 2.0).astype(int)
    # Only the 8 squares whose cell indices have an even sum are occupied.
    assert np.all((cells[:, 0] + cells[:, 1]) % 2 == 0)


def test_sprites_enumerate_independent_factors():
    x, factors = datasets.load_sprites(image_size=16, num_positions=8)
    assert x.shape == (3 * 4 * 8 * 8, 16, 16, 1) and x.dtype == np.float32
    assert set(np.unique(x)) == {0.0, 1.0}
    assert factors.shape == (len(x), 4)
    # Every combination exactly once: the factors are independent.
    assert len({tuple(f) for f in factors}) == len(x)
    area = x.sum(axis=(1, 2, 3))
    # Bigger scale, more pixels (for each shape and position).
    by_scale = area.reshape(3, 4, 64).mean(axis=(0, 2))
    assert np.all(np.diff(by_scale) > 0)
    # Moving right moves the shape's centre of mass right.
    cols = (x[..., 0].sum(axis=1) * np.arange(16)).sum(1) / area
    by_x = cols.reshape(3, 4, 8, 8).mean(axis=(0, 1, 3))
    assert np.all(np.diff(by_x) > 0)
    # The shapes differ at equal scale and position.
    assert not np.array_equal(x[factors[:, 0] == 0], x[factors[:, 0] == 1])


def test_sprites_reject_unknown_shape():
    with pytest.raises(ValueError, match="star"):
        datasets.load_sprites(shapes=("star",))
