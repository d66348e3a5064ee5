"""Trains tiny registry models from a seed and records their weights and
samples, for the determinism test (a fresh process runs it as
`python -m keras_gen.testing.determinism OUT.npz FAMILY...`)."""

import sys

import keras
import numpy as np


def _flat(model):
    return np.concatenate(
        [keras.ops.convert_to_numpy(v).ravel() for v in model.weights]
    )


def seeded_runs(families, seed=7):
    """`{"<family>/initial"|"/trained"|"/samples": array}` for each family's
    "tiny" configuration built with `seed`, trained with `shuffle=False`."""
    from keras_gen.models import registry

    out = {}
    for name in families:
        family = registry.get(name)
        model = family.compile(family.build("tiny", seed=seed))
        out[name + "/initial"] = _flat(model)
        x, y = family.sample_data(model, 8)
        model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
        out[name + "/trained"] = _flat(model)
        out[name + "/samples"] = model.generate(
            2, seed=1, **family.generate_options("tiny", x)
        )
    return out


if __name__ == "__main__":
    np.savez(sys.argv[1], **seeded_runs(sys.argv[2:]))
