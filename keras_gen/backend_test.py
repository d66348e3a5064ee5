"""`backend.sized_draws`: fewer JAX compilations, the same values."""

import keras
import numpy as np
import pytest

from keras_gen import backend, compat

ARGS = {
    "uniform": {"minval": -1.0, "maxval": 3.0},
    "normal": {"mean": 0.5, "stddev": 2.0},
    "truncated_normal": {"mean": 0.5, "stddev": 2.0},
}
JAX_ONLY = pytest.mark.skipif(
    keras.backend.backend() != "jax", reason="sized draws are JAX's"
)


@JAX_ONLY
@pytest.mark.parametrize("name", sorted(ARGS))
@pytest.mark.parametrize("shape", [(3, 3, 5, 7), (1,), (300,), (0, 4)])
def test_a_sized_draw_equals_the_draw_of_that_shape(name, shape):
    import jax

    with backend.sized_draws():
        draw = getattr(compat.jax_random_functions(), name)
        exact = draw.__wrapped__  # JAX's own, at the requested shape
        got = draw(shape, seed=3, **ARGS[name])
        want = exact(shape, seed=3, **ARGS[name])
        assert got.shape == want.shape == shape
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
        # A seed generator advances as it does for the exact draw.
        sized_gen, exact_gen = (keras.random.SeedGenerator(5) for _ in "ab")
        got = draw(shape, seed=sized_gen, **ARGS[name])
        want = exact(shape, seed=exact_gen, **ARGS[name])
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
        np.testing.assert_array_equal(
            np.asarray(sized_gen.state.value), np.asarray(exact_gen.state.value)
        )
        # Inside a traced function the draw is JAX's own.
        key = jax.numpy.asarray([7, 0], "uint32")
        traced = [
            jax.jit(lambda key, f=f: f(shape, seed=key, **ARGS[name]))(key)
            for f in (draw, exact)
        ]
        np.testing.assert_array_equal(*map(np.asarray, traced))


@JAX_ONLY
def test_draws_are_sized_by_powers_of_two_up_to_the_cap():
    import jax

    requested = []

    def draw(shape, seed=None, dtype=None):
        requested.append(shape)
        return jax.numpy.zeros(shape)

    sized = backend._sized_draw(draw, compat.jax_random_functions())
    for shape in [(3, 3, 5, 7), (2,), (0, 4), (512,)]:
        assert sized(shape, seed=1).shape == shape
    big = (backend._SIZED_DRAW_MAX + 1,)
    assert sized(big, seed=1).shape == big
    assert requested == [(512,), (256,), (256,), (512,), big]
    # Traced: the exact shape.
    requested.clear()
    jax.jit(lambda key: sized((3, 5), seed=key))(
        jax.numpy.asarray([7, 0], "uint32")
    )
    assert requested == [(3, 5)]


@JAX_ONLY
def test_a_network_built_with_sized_draws_has_the_same_weights():
    def build():
        with compat.seeded_initializers(11):
            network = keras.Sequential(
                [
                    keras.layers.Conv2D(5, 3),
                    keras.layers.Dense(7, kernel_initializer="he_normal"),
                    keras.layers.Embedding(10, 3),
                ]
            )
            network.build((None, 8, 8, 2))
        return [np.asarray(w) for w in network.weights]

    module = compat.jax_random_functions()
    before = {name: getattr(module, name) for name in ARGS}
    with backend.sized_draws():
        with backend.sized_draws():  # nested: replaced once
            sized = build()
    # Leaving the blocks puts back what was there (the test process holds
    # sized draws open itself: conftest.py).
    assert {name: getattr(module, name) for name in ARGS} == before
    originals = {
        name: getattr(fn, "__wrapped__", fn) for name, fn in before.items()
    }
    for name, fn in originals.items():
        setattr(module, name, fn)
    try:
        exact = build()
    finally:
        for name, fn in before.items():
            setattr(module, name, fn)
    for s, e in zip(sized, exact, strict=True):
        np.testing.assert_array_equal(s, e)


def test_sized_draws_change_no_value_on_any_backend():
    outside = keras.random.normal((3, 4), seed=2)
    with backend.sized_draws():
        inside = keras.random.normal((3, 4), seed=2)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(inside), keras.ops.convert_to_numpy(outside)
    )
