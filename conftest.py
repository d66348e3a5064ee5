import os

# Quiet TensorFlow's C++ start-up logs in test output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# JAX's persistent compilation cache, for every program however small:
# the tests build many models of the same few tiny configurations, whose
# compiled training and sampling steps are the same XLA programs (weights
# are arguments), so later tests load them instead of compiling again.
# Measured 2026-12-06 on the vae and gan tests (one core): 244 s without
# it, 210 s from an empty cache (a run as in CI), 63 s with the cache a
# whole JAX pass left (a developer's next run).
# The entries are keyed by the program, jax version and flags, so a stale
# entry is never used; `make clean` removes the folder. Must be set before
# jax is imported.
if os.environ.get("KERAS_BACKEND") == "jax":
    os.environ.setdefault(
        "JAX_COMPILATION_CACHE_DIR",
        os.path.join(os.path.dirname(os.path.abspath(__file__)), ".jax_cache"),
    )
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "-1")

import keras  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def seeded():
    """Every test starts from the same global seed (weight initialisers,
    Python and NumPy), so each backend's run is reproducible."""
    keras.utils.set_random_seed(0)
    yield
