"""The test process's speed-ups (conftest.py) change no value."""

import keras
import numpy as np
import pytest

from keras_gen import compat

ARGS = {
    "uniform": {"minval": -1.0, "maxval": 3.0},
    "normal": {"mean": 0.5, "stddev": 2.0},
    "truncated_normal": {"mean": 0.5, "stddev": 2.0},
}


@pytest.mark.skipif(
    keras.backend.backend() != "jax", reason="sized draws are JAX's"
)
@pytest.mark.parametrize("name", sorted(ARGS))
@pytest.mark.parametrize("shape", [(3, 3, 5, 7), (1,), (300,), (0, 4)])
def test_a_sized_draw_equals_the_draw_of_that_shape(name, shape):
    import jax

    draw = getattr(compat.jax_random_functions(), name)
    exact = draw.__wrapped__  # conftest.py's sized draw wraps JAX's own
    # An integer seed, and a fresh generator in the same state for each.
    for make in (lambda: 3, lambda: keras.random.SeedGenerator(5)):
        got = draw(shape, seed=make(), **ARGS[name])
        want = exact(shape, seed=make(), **ARGS[name])
        assert got.shape == want.shape == shape
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    # Inside a traced function the draw is JAX's own.
    key = jax.numpy.asarray([7, 0], "uint32")
    traced = [
        jax.jit(lambda key, f=f: f(shape, seed=key, **ARGS[name]))(key)
        for f in (draw, exact)
    ]
    np.testing.assert_array_equal(*map(np.asarray, traced))


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="tf.data's autotuning"
)
def test_datasets_iterate_without_autotuning_and_give_the_same_elements():
    import tensorflow as tf

    dataset = (
        tf.data.Dataset.range(40)
        .map(lambda i: i * 2, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(8)
        .prefetch(tf.data.AUTOTUNE)
    )
    assert dataset.options().autotune.enabled is not False
    values = np.concatenate([b.numpy() for b in dataset])
    np.testing.assert_array_equal(values, np.arange(40) * 2)
    iterator = iter(dataset)
    assert iterator._dataset.options().autotune.enabled is False
