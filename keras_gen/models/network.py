"""Default networks as models configured by hyper-parameters, and the
checks a user's network passes before a family trains it."""

import warnings

import keras

from keras_gen import compat


class Network(keras.Model):
    """Base of keras_gen's default networks (keras-hub backbone style).

    A subclass builds a functional graph from its hyper-parameters in
    `__init__` and hands the inputs, the outputs and those hyper-parameters
    to this constructor. Its config is the hyper-parameters alone (a few
    hundred bytes, no module paths), so a saved model rebuilds the same
    network, and the weights load by structure.

    Args:
        inputs, outputs: the functional graph.
        config: the hyper-parameters the subclass's constructor takes.
        name: the network's name.
        **kwargs: passed to `keras.Model` (e.g. `dtype`).
    """

    def __init__(self, inputs, outputs, config, name=None, **kwargs):
        super().__init__(inputs=inputs, outputs=outputs, name=name, **kwargs)
        # Not tracked by Keras (plain values, never layers).
        object.__setattr__(self, "_hyper_parameters", dict(config))

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable}
        config.update(self._hyper_parameters)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _output_layer(network):
    """The layer that produces a functional network's (single) output."""
    outputs = getattr(network, "outputs", None)
    if not outputs or len(outputs) != 1:
        return None
    return compat.producing_layer(outputs[0])


def final_activation(network):
    """The name of the activation that ends `network` (`"sigmoid"`,
    `"tanh"`...), or `None` when it ends linearly or cannot be told."""
    layer = _output_layer(network)
    while layer is not None:
        activation = getattr(layer, "activation", None)
        if activation is not None:
            name = getattr(activation, "__name__", None)
            return None if name == "linear" else name
        if isinstance(layer, (keras.layers.Reshape, keras.layers.Flatten)):
            # Look through shape-only layers to the computation.
            calls = compat.inbound_tensors(layer)
            inbound = calls[0] if calls else []
            layer = (
                compat.producing_layer(inbound[0])
                if len(inbound) == 1
                else None
            )
            continue
        return None
    return None


def refuse_final_activation(network, name, activations, expected):
    """Raises if `network` ends in one of `activations` (e.g. a sigmoid
    where the family expects logits)."""
    found = final_activation(network)
    if found in activations:
        raise ValueError(
            f"`{name}` ends in a {found} activation, but keras_gen expects {expected}. Remove the final "
            f"{found} (keras_gen's losses apply it themselves, in a numerically stable form). "
            f"Received: {name} whose output layer has activation={found!r}"
        )


def warn_final_activation(network, name, activations, expected):
    found = final_activation(network)
    if found in activations:
        warnings.warn(
            f"`{name}` ends in a {found} activation, but keras_gen expects {expected}.",
            stacklevel=3,
        )


def symbolic_outputs(network, input_shapes, dtypes=None):
    """The output(s) of `network` on symbolic inputs of `input_shapes`
    (one shape per input, batch axis included): a symbolic call that
    builds nothing and runs no computation."""
    dtypes = dtypes or ["float32"] * len(input_shapes)
    inputs = [
        keras.KerasTensor(shape, dtype=dtype)
        for shape, dtype in zip(input_shapes, dtypes)
    ]
    return network.compute_output_spec(
        inputs[0] if len(inputs) == 1 else inputs
    )


def embeddings_reading(network, input_index):
    """The `Embedding` layers of a functional `network` fed directly by
    its input number `input_index`."""
    inputs = getattr(network, "inputs", None)
    if not inputs or input_index >= len(inputs):
        return []
    target = inputs[input_index]
    found = []
    for layer in compat.sublayers(network):
        if not isinstance(layer, keras.layers.Embedding):
            continue
        if any(
            any(t is target for t in call)
            for call in compat.inbound_tensors(layer)
        ):
            found.append(layer)
    return found
