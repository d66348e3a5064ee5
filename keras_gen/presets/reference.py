"""Reference outputs: a deterministic fingerprint of a model's function.

Sampling draws its noise from `keras.random`, whose streams differ from one
backend to another, so "the same samples" cannot be compared across
backends. Instead each model is fed fixed inputs drawn with NumPy (the same
on every backend) through a deterministic path (decoding fixed latents, one
denoiser call, the flow's forward map, a translation, a classification).
`save_to_preset` stores a summary of those outputs in `metadata.json`, and
`check_reference` recomputes it after loading: a preset saved on any
backend must give the same outputs on every other.
"""

import numpy as np
from keras import ops

_NUM = 4  # inputs per probe (keep in step with GenerativeModel.reference_probe)
_NUM_VALUES = 16  # leading values kept in the metadata


def _probe(model):
    """`(name, outputs)` for `model`, or `None` when no probe applies."""
    if hasattr(model, "reference_probe"):
        return model.reference_probe()
    if len(getattr(model, "inputs", None) or []) == 1:
        shape = tuple(model.inputs[0].shape[1:])
        if all(d is not None for d in shape):
            x = (
                np.random.default_rng(0)
                .uniform(0.0, 1.0, (_NUM,) + shape)
                .astype("float32")
            )
            return "call", model(x, training=False)
    return None


def reference_outputs(model):
    """A JSON-ready summary of `model`'s outputs on fixed inputs, or `None`.

    Returns:
        A dict: `probe` (which path was run), `shape`, `sum`, `abs_sum` and
        the first values, or `None` for a model class without a probe.
    """
    found = _probe(model)
    if found is None:
        return None
    name, outputs = found
    values = np.asarray(ops.convert_to_numpy(outputs), dtype="float64")
    flat = values.ravel()
    return {
        "probe": name,
        "shape": list(values.shape),
        "sum": float(flat.sum()),
        "abs_sum": float(np.abs(flat).sum()),
        "values": [float(v) for v in flat[:_NUM_VALUES]],
    }


def check_reference(model, reference, atol=1e-4, rtol=1e-4):
    """Compares `model`'s outputs with a stored `reference_outputs` summary.

    Returns:
        `(ok, message)`; `message` says what differs.
    """
    current = reference_outputs(model)
    if current is None or current["probe"] != reference["probe"]:
        return (
            False,
            f"no comparable probe (stored {reference['probe']!r}, now {current and current['probe']!r})",
        )
    if current["shape"] != list(reference["shape"]):
        return (
            False,
            f"output shape {current['shape']} != stored {reference['shape']}",
        )
    n = max(1, int(np.prod(current["shape"])))
    checks = [
        (
            "values",
            np.asarray(current["values"]),
            np.asarray(reference["values"]),
            atol,
        ),
        ("sum", current["sum"], reference["sum"], atol * n),
        ("abs_sum", current["abs_sum"], reference["abs_sum"], atol * n),
    ]
    for key, now, stored, tol in checks:
        if not np.allclose(now, stored, atol=tol, rtol=rtol):
            return False, f"{key} differs: {now} vs stored {stored}"
    return True, "matches"
