"""Loading a preset's weights into a model whose architecture differs.

Keras writes `.weights.h5` files keyed by structure, not by the layers'
(auto-generated) names: `layers/dense_1/vars/0` is the kernel of the second
`Dense` of a functional network, `encoder/...` a sub-network held in the
attribute `encoder`. Two instances of the same architecture therefore have
the same keys, and a model whose head changed (a different number of
classes, a wider input) keeps the keys of every unchanged layer. Loading by
key and shape moves every weight that fits and leaves the others at their
initial values.
"""

import os
import tempfile
import warnings


def _datasets(h5file):
    found = {}

    def visit(name, obj):
        # Datasets only; an optimizer's state belongs to a training run and
        # is never transferred.
        if hasattr(obj, "shape") and not name.startswith("optimizer/"):
            found[name] = obj

    h5file.visititems(visit)
    return found


def load_matching_weights(model, weights_path):
    """Loads every weight of `weights_path` whose key and shape fit `model`.

    Args:
        model: a built `keras.Model`.
        weights_path: a `.weights.h5` file written by `save_weights`.

    Returns:
        `(skipped, unused)`: lists of `(key, preset_shape, model_shape)` for
        the model's weights left at their initial values (`preset_shape` is
        `None` when the preset has no such weight), and the keys of preset
        weights the model has no place for.
    """
    import h5py

    skipped = []
    with tempfile.TemporaryDirectory() as tmp:
        merged = os.path.join(tmp, "merged.weights.h5")
        # The model's own weights give the keys and shapes it expects.
        model.save_weights(merged)
        with h5py.File(weights_path, "r") as source, h5py.File(merged, "r+") as target:
            preset = _datasets(source)
            own = _datasets(target)
            for key, dataset in sorted(own.items()):
                stored = preset.get(key)
                if stored is None or stored.shape != dataset.shape:
                    skipped.append((key, None if stored is None else tuple(stored.shape), tuple(dataset.shape)))
                    continue
                dataset[...] = stored[...]
            unused = sorted(set(preset) - set(own))
        model.load_weights(merged)
    return skipped, unused


def report_skipped(source, skipped, unused):
    """Warns about weights that did not transfer (see `load_matching_weights`)."""
    if not skipped and not unused:
        return
    lines = [
        f"{key}: preset {'absent' if shape is None else shape}, model {own}"
        for key, shape, own in skipped
    ]
    message = (
        f"{len(skipped)} weight(s) of the model were not loaded from {source} "
        "(different shape or absent) and keep their initial values"
    )
    if lines:
        message += ":\n  " + "\n  ".join(lines)
    if unused:
        message += f"\n{len(unused)} preset weight(s) had no place in the model: " + ", ".join(unused[:10])
        if len(unused) > 10:
            message += ", ..."
    warnings.warn(message, stacklevel=3)
