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

# Under pytest-xdist (`make test` runs two workers per backend, one per
# core): one thread per library in each worker. The tests' models are tiny,
# so a second thread per op buys nothing, and two workers each spinning
# threads for both cores oversubscribe them (measured on a 2-core machine
# under load: torch steps 6-60x slower). Must be set before the backends
# are imported; the processes the tests start themselves set their own.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for name in (
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "TF_NUM_INTRAOP_THREADS",
        "TF_NUM_INTEROP_THREADS",
    ):
        os.environ.setdefault(name, "1")
    if "intra_op_parallelism_threads" not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (
            os.environ.get("XLA_FLAGS", "")
            + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        ).strip()

import keras  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def seeded():
    """Every test starts from the same global seed (weight initialisers,
    Python and NumPy), so each backend's run is reproducible."""
    keras.utils.set_random_seed(0)
    yield


if os.environ.get("PYTEST_XDIST_WORKER") and keras.backend.backend() == "torch":
    import torch

    torch.set_num_threads(1)


if keras.backend.backend() == "jax":
    # Sized draws for the whole test process, not only while keras_gen
    # builds its default networks and loads presets: the tests' own networks
    # and layers draw the same initialisers, and the tiny models have
    # hundreds of kernel shapes. The values are bit for bit JAX's own
    # (`keras_gen.backend.sized_draws`; keras_gen/backend_test.py), which
    # the tests that compare a run here with one in a fresh process
    # (kill-and-resume, cross-process determinism) check again;
    # integration_tests/test_process_test.py checks that they stay on.
    # Measurements: docs/architecture.md, "Test-suite speed".
    from keras_gen import backend as _backend

    _SIZED_DRAWS = _backend.sized_draws()  # held open for the process
    _SIZED_DRAWS.__enter__()


if keras.backend.backend() == "tensorflow":
    # No tf.data autotuning in the test process. An iterator that an
    # earlier test left in a reference cycle is freed by Python's cyclic
    # garbage collector at any later moment, and its destructor joins the
    # iterator's autotuning thread, which may be asleep for up to 60 s
    # between rounds (`Model::OptimizeLoop`): so each full TensorFlow pass
    # had one or two unrelated tests 40-150 s slow (py-spy and gdb stacks:
    # docs/architecture.md, "Test-suite speed"). Autotuning only sizes
    # buffers and thread pools; the elements and their order are the same.
    import tensorflow as tf

    _no_autotune = tf.data.Options()
    _no_autotune.autotune.enabled = False
    _dataset_iter = tf.data.Dataset.__iter__

    def _iter_without_autotune(dataset):
        if dataset.options().autotune.enabled is not False:
            dataset = dataset.with_options(_no_autotune)
        return _dataset_iter(dataset)

    tf.data.Dataset.__iter__ = _iter_without_autotune


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.backend_independent(reason)`: a test whose subject is
    the same code on every backend (where a kill lands in a file-write
    protocol, say, or an example script's own code) runs in the torch pass
    only, the fastest one; each such matrix or file keeps an unmarked case
    that every pass runs, for that backend's own part (its state's round
    trip, an example on that backend)."""
    if keras.backend.backend() == "torch":
        return
    for item in items:
        marker = item.get_closest_marker("backend_independent")
        if marker is not None:
            item.add_marker(
                pytest.mark.skip(
                    reason=f"backend-independent ({marker.args[0]}): "
                    "the torch pass runs it"
                )
            )
