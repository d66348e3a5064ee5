"""Each Keras internal keras_gen relies on still behaves as it did in Keras
3.15.1 (`compat.CHECKED_KERAS_VERSION`): a Keras upgrade that changes one
fails here, by name, rather than somewhere inside training."""

import random

import keras
import numpy as np
import pytest
from keras import ops

from keras_gen import compat


def test_the_stateless_scope_getter():
    assert compat.current_stateless_scope() is None
    with keras.StatelessScope() as scope:
        assert compat.current_stateless_scope() is scope


def test_the_multi_optimizer_holds_its_optimizers_in_a_list():
    dense = keras.layers.Dense(2)
    dense.build((None, 3))
    a, b = keras.optimizers.Adam(), keras.optimizers.SGD()
    multi = keras.optimizers.MultiOptimizer(
        keras.optimizers.OptimizerMap(
            default_optimizer=a, optimizer_map={"x": a}
        )
    )
    multi.build(dense.trainable_variables)
    compat.set_inner_optimizer(multi, 0, b)
    assert multi.optimizers[0] is b


def test_variable_storage_round_trip():
    v = keras.Variable(np.ones((2,), "float32"))
    stored = compat.variable_storage(v)
    assert stored is not None
    compat.set_variable_storage(v, stored)
    np.testing.assert_array_equal(ops.convert_to_numpy(v), [1.0, 1.0])


def test_layers_nodes_and_variables_of_a_functional_graph():
    x = keras.Input((3,))
    first = keras.layers.Dense(4, name="first")
    second = keras.layers.Dense(1, activation="sigmoid", name="second")
    model = keras.Model(x, second(first(x)))
    assert [layer.name for layer in compat.sublayers(model)][-2:] == [
        "first",
        "second",
    ]
    assert compat.producing_layer(model.outputs[0]) is second
    assert compat.inbound_tensors(second)[0][0] is first.output
    assert [v.name for v in compat.own_variables(first)] == ["kernel", "bias"]
    assert compat.snake_case("Conv2DTranspose") == "conv2d_transpose"


def test_the_trainer_calls_compute_loss_through_the_wrapper_we_override():
    calls = []

    class Recording(keras.Sequential):
        def _compute_loss(self, *args, **kwargs):
            calls.append(1)
            return super()._compute_loss(*args, **kwargs)

    assert compat.TRAINER_COMPUTE_LOSS == "_compute_loss" and hasattr(
        keras.Model, "_compute_loss"
    )
    model = Recording([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(
        np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32"), verbose=0
    )
    assert calls, "Keras' train step no longer calls Trainer._compute_loss"


def test_the_loss_tracker_exists_after_compile():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    assert isinstance(compat.loss_tracker(model), keras.metrics.Mean)


def test_default_seeds_come_from_pythons_random():
    state = random.getstate()
    with compat.seeded_initializers(7):
        a = keras.layers.Dense(3)
        a.build((None, 2))
    with compat.seeded_initializers(7):
        b = keras.layers.Dense(3)
        b.build((None, 2))
    np.testing.assert_array_equal(
        ops.convert_to_numpy(a.kernel), ops.convert_to_numpy(b.kernel)
    )
    assert random.getstate() == state  # the caller's stream is untouched


@pytest.mark.skipif(
    keras.backend.backend() != "jax", reason="Keras' JAX random functions"
)
def test_keras_random_calls_the_jax_random_functions():
    module = compat.jax_random_functions()
    calls = []
    uniform = module.uniform

    def counted(*args, **kwargs):
        calls.append(args)
        return uniform(*args, **kwargs)

    module.uniform = counted
    try:
        keras.random.uniform((2, 3), seed=1)
    finally:
        module.uniform = uniform
    assert calls and all(
        callable(getattr(module, name))
        for name in ("normal", "truncated_normal", "jax_draw_seed")
    )
