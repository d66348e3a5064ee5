import time

import numpy as np
import pytest

from keras_gen.utils import data_checks


class CountingChecker:
    def __init__(self):
        self.calls = 0

    def __call__(self, batch):
        self.calls += 1
        return batch


def test_tf_data_batches_are_checked_only_when_asked_for():
    # The check is Python inside the tf.data pipeline: it must never run on
    # a background TensorFlow thread (tf.data's injected prefetch), where it
    # outlives `fit` and crashed the JAX process during garbage collection.
    tf = pytest.importorskip("tensorflow")
    dataset = tf.data.Dataset.from_tensor_slices(np.zeros((64, 4), "float32"))
    checker = CountingChecker()
    checked, _ = data_checks.checked_data(dataset.batch(2), None, checker)
    iterator = iter(checked)
    next(iterator)
    time.sleep(0.5)  # time enough for a prefetch thread to run ahead
    assert checker.calls == 1
    next(iterator)
    assert checker.calls == 2


def test_tf_data_keeps_the_users_options():
    tf = pytest.importorskip("tensorflow")
    dataset = tf.data.Dataset.from_tensor_slices(np.zeros((8, 4), "float32"))
    options = tf.data.Options()
    options.deterministic = False
    checked, _ = data_checks.checked_data(
        dataset.batch(2).with_options(options), None, CountingChecker()
    )
    assert checked.options().deterministic is False
    assert len(list(checked)) == 4
