import numpy as np
import pytest

from keras_gen import datasets


def test_sample_photos_splits_shapes_and_range():
    x_a, x_b = datasets.load_sample_photos("train", image_size=16)
    t_a, t_b = datasets.load_sample_photos("test", image_size=16)
    assert (
        x_a.shape == x_b.shape == (300, 16, 16, 3) and x_a.dtype == np.float32
    )
    assert t_a.shape == t_b.shape == (75, 16, 16, 3)
    assert (
        x_a.min() >= -1
        and x_a.max() <= 1
        and x_a.min() < -0.5
        and x_a.max() > 0.5
    )
    # Train and test patches never coincide.
    train = {p.tobytes() for p in x_a}
    assert not any(p.tobytes() in train for p in t_a)
    # The two domains differ: the flower photo is far more orange/green-dark.
    assert abs(x_a.mean() - x_b.mean()) > 0.1
    z_a, _ = datasets.load_sample_photos(
        "test", image_size=16, value_range=(0, 1)
    )
    np.testing.assert_allclose(z_a * 2 - 1, t_a, atol=1e-6)


def test_sample_photos_bad_arguments_are_named():
    with pytest.raises(ValueError, match="split='val'"):
        datasets.load_sample_photos("val")
    with pytest.raises(ValueError, match="image_size=2"):
        datasets.load_sample_photos(image_size=2)
    with pytest.raises(ValueError, match=r"value_range=\(1, 0\)"):
        datasets.load_sample_photos(value_range=(1, 0))


def test_unpaired_dataset_covers_the_larger_domain_and_repairs_each_epoch():
    x_a = np.arange(10, dtype="float32").reshape(10, 1, 1, 1)
    x_b = 100 + np.arange(4, dtype="float32").reshape(4, 1, 1, 1)
    data = datasets.UnpairedDataset(x_a, x_b, batch_size=3, seed=0)
    assert len(data) == 4

    def epoch():
        pairs = [data[i] for i in range(len(data))]
        return np.concatenate([a for a, _ in pairs]).ravel(), np.concatenate(
            [b for _, b in pairs]
        ).ravel()

    a1, b1 = epoch()
    assert sorted(a1) == list(range(10))  # every A image once
    assert set(b1) == {100, 101, 102, 103} and len(b1) == 10  # B cycled
    data.on_epoch_end()
    a2, b2 = epoch()
    assert not (np.array_equal(a1, a2) and np.array_equal(b1, b2))
    with pytest.raises(ValueError, match=r"x_b.shape=\(4, 1, 1, 2\)"):
        datasets.UnpairedDataset(x_a, np.zeros((4, 1, 1, 2)))


def test_unpaired_image_folders_reads_the_cyclegan_layout(tmp_path):
    from PIL import Image

    for domain, colour, count in (
        ("trainA", (255, 0, 0), 3),
        ("trainB", (0, 0, 255), 2),
    ):
        (tmp_path / domain).mkdir()
        for i in range(count):
            Image.new("RGB", (20, 12), colour).save(
                tmp_path / domain / f"{i}.png"
            )
    (tmp_path / "trainB" / "notes.txt").write_text("not an image")
    x_a, x_b = datasets.unpaired_image_folders(str(tmp_path), image_size=8)
    assert x_a.shape == (3, 8, 8, 3) and x_b.shape == (2, 8, 8, 3)
    np.testing.assert_allclose(x_a[0, 0, 0], [1, -1, -1])
    np.testing.assert_allclose(x_b[0, 0, 0], [-1, -1, 1])
    with pytest.raises(ValueError, match="testA/"):
        datasets.unpaired_image_folders(
            str(tmp_path), image_size=8, split="test"
        )
