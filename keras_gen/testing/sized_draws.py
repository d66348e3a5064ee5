"""Eager JAX random draws through one compiled program per power-of-two
size, with the very same values: a test-suite speed-up.

Every weight initialiser draws through `jax.random.uniform`, `normal` or
`truncated_normal`, which XLA compiles once per shape (0.3-1 s each on one
core). The tests' many tiny models have hundreds of kernel shapes: in the
GAN tests, from an empty compilation cache, compiling the draws took 21 s
beside 47 s for the training steps.

With `jax_threefry_partitionable` (JAX's default since 0.5), element i of a
draw depends only on the key and i, so the first n values of a longer draw
are bit for bit the draw of n values. `install()` makes Keras' JAX random
functions draw the next power of two (at least 256) and keep the first n,
for draws outside a traced function; draws inside one (a tracer key) are
left alone. The tests that compare a run in the test process with one in a
fresh process (kill-and-resume, cross-process determinism) check that the
values are unchanged: their fresh processes draw without this.
"""

import math

import numpy as np

from keras_gen import compat

_NAMES = ("uniform", "normal", "truncated_normal")


def _by_size(draw):
    import jax

    jax_random = compat.jax_random_functions()

    def drawn(shape, *args, seed=None, **kwargs):
        seed = jax_random.jax_draw_seed(seed)
        shape = tuple(shape)
        if isinstance(seed, jax.core.Tracer) or not all(
            type(d) is int for d in shape
        ):
            return draw(shape, *args, seed=seed, **kwargs)
        size = math.prod(shape)
        flat = draw(
            (max(256, 1 << (size - 1).bit_length()),),
            *args,
            seed=seed,
            **kwargs,
        )
        return jax.numpy.asarray(np.asarray(flat)[:size].reshape(shape))

    drawn.__wrapped__ = draw
    return drawn


def install():
    """Patches Keras' JAX random draws (JAX backend only; idempotent)."""
    import jax

    jax_random = compat.jax_random_functions()
    if not jax.config.jax_threefry_partitionable:
        raise RuntimeError(
            "sized draws need jax_threefry_partitionable=True (JAX's "
            "default since 0.5); received False"
        )
    for name in _NAMES:
        draw = getattr(jax_random, name)
        if not hasattr(draw, "__wrapped__"):
            setattr(jax_random, name, _by_size(draw))
