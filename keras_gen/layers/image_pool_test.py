import keras
import numpy as np
import pytest
from keras import ops

from keras_gen.layers import ImagePool


def constant_images(first, n, shape=(2, 2, 1)):
    """Images whose every pixel holds its id: image k is all k."""
    ids = np.arange(first, first + n, dtype="float32")
    return np.broadcast_to(ids[:, None, None, None], (n,) + shape).copy()


def ids_of(images):
    images = np.asarray(images)
    assert np.all(images == images[:, :1, :1, :1])
    return images[:, 0, 0, 0].astype(int).tolist()


def reference_query(pool, pool_size, new_ids, coins, picks):
    """The published pool (Zhu et al.'s `ImagePool.query`), on image ids."""
    returned = []
    for image, coin, pick in zip(new_ids, coins, picks):
        if len(pool) < pool_size:
            pool.append(image)
            returned.append(image)
        elif coin > 0.5:
            returned.append(pool[pick])
            pool[pick] = image
        else:
            returned.append(image)
    return returned


def test_fills_first_then_returns_stored_or_new_as_published():
    pool_size, seed = 5, 3
    pool = ImagePool(pool_size, seed=seed)
    pool.build((None, 2, 2, 1))
    # The same coin flips as the layer: a seed generator with the same seed,
    # drawn in the same order.
    replay = keras.random.SeedGenerator(seed)
    expected_pool, next_id, returned = [], 1, []
    for batch in (3, 4, 4, 4, 4, 4):
        coins = ops.convert_to_numpy(
            keras.random.uniform((batch,), seed=replay)
        )
        picks = ops.convert_to_numpy(
            keras.random.randint((batch,), 0, pool_size, seed=replay)
        )
        new_ids = list(range(next_id, next_id + batch))
        got = ids_of(
            ops.convert_to_numpy(pool(constant_images(next_id, batch)))
        )
        expected = reference_query(
            expected_pool, pool_size, new_ids, coins, picks
        )
        assert got == expected
        assert ids_of(ops.convert_to_numpy(pool.images)) == expected_pool + [
            0
        ] * (pool_size - len(expected_pool))
        assert int(ops.convert_to_numpy(pool.count)) == len(expected_pool)
        returned += got
        next_id += batch
    # The first 5 images fill the pool and come back unchanged; afterwards
    # some stored images were returned in place of new ones.
    assert returned[:5] == [1, 2, 3, 4, 5]
    assert any(g != n for g, n in zip(returned, range(1, next_id)))


def test_about_half_of_the_returned_images_are_stored_ones():
    pool = ImagePool(10, seed=0)
    pool.build((None, 2, 2, 1))
    pool(constant_images(1, 10))  # fill
    got = ids_of(ops.convert_to_numpy(pool(constant_images(100, 400))))
    from_history = np.mean([g != n for g, n in zip(got, range(100, 500))])
    assert 0.4 < from_history < 0.6
    # Everything returned was generated before (an id below the current one).
    assert all(g <= n for g, n in zip(got, range(100, 500)))


def test_pool_size_zero_is_the_identity_and_saving_keeps_the_pool(tmp_path):
    x = constant_images(1, 3)
    none = ImagePool(0)
    np.testing.assert_array_equal(ops.convert_to_numpy(none(x)), x)
    inputs = keras.Input((2, 2, 1))
    pool = ImagePool(4, seed=1)
    model = keras.Model(inputs, pool(inputs))
    model(constant_images(1, 6))
    path = str(tmp_path / "pool.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    restored_pool = restored.layers[-1]
    np.testing.assert_array_equal(
        ops.convert_to_numpy(restored_pool.images),
        ops.convert_to_numpy(pool.images),
    )
    assert int(ops.convert_to_numpy(restored_pool.count)) == 4
    # Same seed state: the next query gives the same answer.
    np.testing.assert_array_equal(
        ops.convert_to_numpy(restored(constant_images(10, 8))),
        ops.convert_to_numpy(model(constant_images(10, 8))),
    )


def test_bad_pool_size_is_named():
    with pytest.raises(ValueError, match="pool_size=-1"):
        ImagePool(-1)
