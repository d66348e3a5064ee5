import keras
import numpy as np
import pytest
from keras import ops

from keras_gen.optimizers import ConstantThenLinearDecay


def test_constant_then_linear_decay_to_zero():
    schedule = ConstantThenLinearDecay(2e-4, constant_steps=10, decay_steps=4)
    rates = [
        float(ops.convert_to_numpy(schedule(step)))
        for step in (0, 9, 10, 11, 12, 13, 14, 100)
    ]
    np.testing.assert_allclose(
        rates,
        [2e-4, 2e-4, 2e-4, 1.5e-4, 1e-4, 0.5e-4, 0.0, 0.0],
        rtol=1e-6,
        atol=1e-12,
    )


def _adam_moves(optimizer, steps=4):
    v = keras.Variable(np.ones(3, dtype="float32"))
    optimizer.build([v])
    moves = []
    for _ in range(steps):
        before = ops.convert_to_numpy(v).copy()
        optimizer.apply([ops.ones(3)], [v])
        moves.append(float(np.abs(ops.convert_to_numpy(v) - before).max()))
    return moves


def test_adam_follows_the_schedule_and_reloads_with_it():
    schedule = ConstantThenLinearDecay(1e-2, constant_steps=1, decay_steps=2)
    optimizer = keras.optimizers.Adam(schedule, beta_1=0.5)
    # Registered: an optimizer config with the schedule reloads without custom_objects.
    restored = keras.optimizers.deserialize(
        keras.optimizers.serialize(optimizer)
    )
    # Adam's steps move by ~lr: 1e-2, 1e-2 (constant), 5e-3, then 0 (decayed).
    for opt in (optimizer, restored):
        np.testing.assert_allclose(
            _adam_moves(opt), [1e-2, 1e-2, 5e-3, 0.0], rtol=1e-3, atol=1e-7
        )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            dict(initial_learning_rate=-1.0, constant_steps=1, decay_steps=1),
            "initial_learning_rate=-1.0",
        ),
        (
            dict(initial_learning_rate=1e-3, constant_steps=-1, decay_steps=1),
            "constant_steps=-1",
        ),
        (
            dict(initial_learning_rate=1e-3, constant_steps=1, decay_steps=0),
            "decay_steps=0",
        ),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ConstantThenLinearDecay(**kwargs)
