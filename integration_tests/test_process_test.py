"""The test process's speed-ups (conftest.py) change no value."""

import keras
import numpy as np
import pytest

from keras_gen import compat


@pytest.mark.skipif(
    keras.backend.backend() != "jax", reason="sized draws are JAX's"
)
def test_sized_draws_stay_on_for_the_whole_test_process():
    # conftest.py holds `keras_gen.backend.sized_draws()` open; that they
    # give JAX's own values is keras_gen/backend_test.py's subject.
    module = compat.jax_random_functions()
    for name in ("uniform", "normal", "truncated_normal"):
        assert hasattr(getattr(module, name), "__wrapped__"), name


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
