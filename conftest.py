import os

# Quiet TensorFlow's C++ start-up logs in test output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def seeded():
    """Every test starts from the same global seed (weight initialisers,
    Python and NumPy), so each backend's run is reproducible."""
    keras.utils.set_random_seed(0)
    yield
