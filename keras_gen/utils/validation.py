"""Argument and data checks that name what they received."""

import numpy as np


def check_positive_int(value, name, allow_zero=False):
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    ok = ok and (value >= 0 if allow_zero else value > 0)
    if not ok:
        kind = "a non-negative" if allow_zero else "a positive"
        raise ValueError(
            f"`{name}` must be {kind} integer. Received: {name}={value!r}"
        )
    return int(value)


def check_seed(seed):
    """An int seed (as a Python int), or `None`."""
    if seed is not None and (
        not isinstance(seed, (int, np.integer)) or isinstance(seed, bool)
    ):
        raise ValueError(
            f"`seed` must be an int or None. Received: seed={seed!r}"
        )
    return None if seed is None else int(seed)


def check_in_range(value, name, low, high=np.inf, description=None):
    """A finite number in [low, high]."""
    try:
        ok = low <= float(value) <= high and np.isfinite(float(value))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        description = description or f"a finite number in [{low}, {high}]"
        raise ValueError(
            f"`{name}` must be {description}. Received: {name}={value!r}"
        )
    return float(value)


def check_non_negative(value, name):
    return check_in_range(value, name, 0.0, description="a finite number >= 0")


def check_probability(value, name):
    return check_in_range(
        value, name, 0.0, 1.0, description="a number in [0, 1]"
    )


def check_choice(value, name, choices):
    if value not in choices:
        raise ValueError(
            f"`{name}` must be one of {sorted(choices, key=repr)}. "
            f"Received: {name}={value!r}"
        )
    return value


def _shape_text(shape):
    return "(None, " + ", ".join(str(d) for d in shape) + ")"


def check_sample_shape(x, name, expected):
    """Raises if the per-sample shape of `x` differs from `expected`."""
    if expected is None or not hasattr(x, "shape"):
        return
    shape = tuple(x.shape)
    received = shape[1:]
    expected = tuple(expected)
    matches = len(received) == len(expected) and all(
        r is None or e is None or int(r) == int(e)
        for r, e in zip(received, expected)
    )
    if not matches:
        raise ValueError(
            f"`{name}` does not match the model: it expects batches of shape "
            f"{_shape_text(expected)}. Received: {name}.shape={shape}"
        )


def check_array_data(x, name, expected_shape):
    """Checks NumPy data given to `fit` before any step runs."""
    if not isinstance(x, np.ndarray):
        return
    if x.size == 0 or x.ndim == 0 or x.shape[0] == 0:
        raise ValueError(f"`{name}` is empty. Received: {name}.shape={x.shape}")
    check_sample_shape(x, name, expected_shape)
    if np.issubdtype(x.dtype, np.floating):
        bad = ~np.isfinite(x)
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"`{name}` contains {int(bad.sum())} NaN or infinite values "
                f"(the first at index {index}). Received: {name} with "
                f"{name}[{', '.join(map(str, index))}]={x[index]}"
            )
    elif not (
        np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.bool_)
    ):
        raise ValueError(
            f"`{name}` must hold numbers. Received: {name}.dtype={x.dtype}"
        )
    elif np.issubdtype(x.dtype, np.integer) and (x.min() < -1 or x.max() > 1):
        # Raw pixels (uint8, 0..255) would train silently on the wrong
        # scale: every model takes floats in its own range.
        raise ValueError(
            f"`{name}` holds integers from {x.min()} to {x.max()}, like raw "
            "image pixels: scale them to the model's range first, e.g. "
            f"`{name} / 255` for [0, 1] or `{name} / 127.5 - 1` for [-1, 1] "
            f"(or `{name}.astype('float32')` if the model's range is 0..255). "
            f"Received: {name}.dtype={x.dtype}, {name}.max()={x.max()}"
        )


def check_dataset_not_empty(x, name):
    """Raises if a dataset (`tf.data`, `PyDataset`, torch `DataLoader`)
    is known to yield no batch (Keras would fail later, obscurely)."""
    if x is None or isinstance(x, (np.ndarray, list, tuple, dict)):
        return
    num_batches = None
    if hasattr(x, "cardinality"):  # tf.data: -1 infinite, -2 unknown
        try:
            num_batches = int(x.cardinality())
        except (TypeError, ValueError):
            num_batches = None
    elif hasattr(x, "__len__"):
        try:
            num_batches = len(x)
        except TypeError:
            num_batches = None
    if num_batches == 0:
        raise ValueError(
            f"`{name}` is an empty dataset: it yields no batches. Received: "
            f"{name}={type(x).__name__} with 0 batches"
        )


def check_default_network_shape(data_shape, num_stages, family):
    """The default networks take vectors, or images whose sides divide by
    `2**num_stages` (one stride-2 stage per entry of `filters`)."""
    data_shape = tuple(int(d) for d in data_shape)
    factor = 2**num_stages
    if len(data_shape) == 1:
        return data_shape
    if (
        len(data_shape) == 3
        and data_shape[0] % factor == 0
        and data_shape[1] % factor == 0
    ):
        return data_shape
    raise ValueError(
        f"The default {family} networks handle vectors `(features,)` and "
        f"images `(height, width, channels)` whose sides divide by {factor} "
        "(one stride-2 stage per entry of `filters`); pass your own networks "
        f"for other shapes. Received: data_shape={data_shape}"
    )


def network_input_shape(network):
    """The per-sample shape of a network's (first) input."""
    shape = network.input_shape
    if isinstance(shape, list):
        shape = shape[0]
    return tuple(shape[1:])


def check_data_shape(data_shape, name="data_shape", allow_none=True):
    """A sample shape: a tuple of positive integers (or None when allowed)."""
    if data_shape is None and allow_none:
        return None
    ok = isinstance(data_shape, (tuple, list)) and len(data_shape) > 0
    ok = ok and all(
        isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0
        for d in data_shape
    )
    if not ok:
        raise ValueError(
            f"`{name}` must be the shape of one sample: a tuple of positive integers such as "
            f"(28, 28, 1) or (2,). Received: {name}={data_shape!r}"
        )
    return tuple(int(d) for d in data_shape)


def check_value_range(value_range, name="value_range"):
    """`(low, high)` floats with low < high, or None (unbounded data)."""
    if value_range is None:
        return None
    ok = isinstance(value_range, (tuple, list)) and len(value_range) == 2
    if ok:
        try:
            low, high = (float(v) for v in value_range)
            ok = not any(isinstance(v, (str, bytes, bool)) for v in value_range)
            ok = ok and np.isfinite(low) and np.isfinite(high) and low < high
        except (TypeError, ValueError):
            ok = False
    if not ok:
        raise ValueError(
            f"`{name}` must be `(low, high)` with finite low < high, or None for unbounded data. "
            f"Received: {name}={value_range!r}"
        )
    return (low, high)


def check_num_classes(num_classes):
    """None (unconditional) or an integer >= 1."""
    if num_classes is None:
        return None
    return check_positive_int(num_classes, "num_classes")


def check_rate(value, name):
    """A rate in [0, 1): dropout-like probabilities that may not be 1."""
    return check_in_range(
        value,
        name,
        0.0,
        np.nextafter(1.0, 0.0),
        description="a number in [0, 1)",
    )


def check_int_sequence(value, name, allow_empty=False):
    """A tuple of positive integers (layer widths, filters...)."""
    ok = isinstance(value, (tuple, list)) and (allow_empty or len(value) > 0)
    ok = ok and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0
        for v in value
    )
    if not ok:
        raise ValueError(
            f"`{name}` must be a non-empty sequence of positive integers. Received: {name}={value!r}"
        )
    return tuple(int(v) for v in value)
