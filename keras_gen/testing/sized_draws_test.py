import keras
import numpy as np
import pytest

from keras_gen import compat
from keras_gen.testing import sized_draws

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "jax", reason="patches JAX's random draws"
)

ARGS = {
    "uniform": {"minval": -1.0, "maxval": 3.0},
    "normal": {"mean": 0.5, "stddev": 2.0},
    "truncated_normal": {"mean": 0.5, "stddev": 2.0},
}


@pytest.mark.parametrize("name", sorted(ARGS))
@pytest.mark.parametrize("shape", [(3, 3, 5, 7), (1,), (300,), (0, 4)])
def test_a_sized_draw_equals_the_draw_of_that_shape(name, shape):
    import jax

    jax_random = compat.jax_random_functions()
    sized_draws.install()  # conftest.py's call; a second one changes nothing
    draw = getattr(jax_random, name)
    exact = draw.__wrapped__
    for seed in (3, lambda: keras.random.SeedGenerator(5)):
        make = seed if callable(seed) else lambda: seed
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
