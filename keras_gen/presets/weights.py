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


def load_matching_weights(model, weights_path, key_map=None):
    """Loads every weight of `weights_path` whose key and shape fit `model`.

    Args:
        model: a built `keras.Model`.
        weights_path: a `.weights.h5` file written by `save_weights`.
        key_map: optional function from a key of the file to the model's key
            (for files written by an earlier layout of the model).

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
        with (
            h5py.File(weights_path, "r") as source,
            h5py.File(merged, "r+") as target,
        ):
            preset = _datasets(source)
            if key_map is not None:
                preset = {key_map(k): v for k, v in preset.items()}
            own = _datasets(target)
            for key, dataset in sorted(own.items()):
                stored = preset.get(key)
                if stored is None or stored.shape != dataset.shape:
                    skipped.append(
                        (
                            key,
                            None if stored is None else tuple(stored.shape),
                            tuple(dataset.shape),
                        )
                    )
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
        message += (
            f"\n{len(unused)} preset weight(s) had no place in the model: "
            + ", ".join(unused[:10])
        )
        if len(unused) > 10:
            message += ", ..."
    warnings.warn(message, stacklevel=3)


def _auto_named(layer):
    """Whether `layer` has a name Keras made up (`dense`, `dense_3`): such
    names differ from one build to the next, explicit ones do not."""
    import re

    from keras_gen import compat

    return (
        re.fullmatch(
            compat.snake_case(type(layer).__name__) + r"(_\d+)?", layer.name
        )
        is not None
    )


def _variable_keys(model):
    """`{key: variable}` for every variable of `model`, keyed by where it
    lives: the attribute that holds its network, then its layer's name when
    the name is explicit (the U-Net's `down_0_0_conv_1`), else the layer's
    class and rank among the auto-named layers of that class (as Keras'
    own weight files do), then the variable's name."""
    import keras

    from keras_gen import compat

    keys = {}
    seen = set()
    for v in compat.own_variables(model):
        keys[("<model>", v.name)] = v
        seen.add(id(v))
    skip = set(
        dir(keras.Model)
    )  # Keras' own properties (`layers`, `weights`...)
    for attr in sorted(dir(model)):
        if attr.startswith("_") or attr in skip:
            continue
        try:
            value = getattr(model, attr)
        except Exception:
            continue
        if isinstance(value, (list, tuple)):
            roots = [(f"{attr}[{i}]", item) for i, item in enumerate(value)]
        else:
            roots = [(attr, value)]
        for where, root in roots:
            if not isinstance(root, keras.layers.Layer) or root is model:
                continue
            ranks = {}
            for layer in [root] + compat.sublayers(root):
                own = [
                    v for v in compat.own_variables(layer) if id(v) not in seen
                ]
                if layer is root:
                    name = "<root>"
                elif _auto_named(layer):
                    rank = ranks.setdefault(type(layer).__name__, 0)
                    ranks[type(layer).__name__] += 1
                    name = f"{compat.snake_case(type(layer).__name__)}[{rank}]"
                else:
                    name = layer.name
                for v in own:
                    keys[(where, name, v.name)] = v
                    seen.add(id(v))
    return keys


def transfer_weights(source, target):
    """Copies `source`'s weights into `target` wherever they fit.

    Variables are matched by the network attribute that holds them, their
    layer (by its explicit name, or by class and rank for auto-named
    layers) and their name; those whose shape differs, or that `source`
    lacks, keep their initial values.

    Returns:
        `(skipped, unused)` as `load_matching_weights`: `(key, source_shape,
        target_shape)` for the target's variables left as they were, and
        the keys of source variables with no place in `target`.
    """
    from keras import ops

    source_keys = _variable_keys(source)
    target_keys = _variable_keys(target)
    skipped = []
    for key, variable in target_keys.items():
        match = source_keys.get(key)
        if match is None or tuple(match.shape) != tuple(variable.shape):
            skipped.append(
                (
                    "/".join(map(str, key)),
                    None if match is None else tuple(match.shape),
                    tuple(variable.shape),
                )
            )
            continue
        variable.assign(
            ops.convert_to_tensor(
                ops.convert_to_numpy(match.value), dtype=variable.dtype
            )
        )
    unused = [
        "/".join(map(str, key))
        for key in sorted(set(source_keys) - set(target_keys), key=str)
    ]
    return skipped, unused
