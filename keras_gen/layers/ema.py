"""Exponential moving average of a network's weights."""

import keras
from keras import ops


def clone_network(network, name=None):
    """A frozen copy of `network` with the same weights, for an EMA.

    Its variables are non-trainable, so optimizers never touch them and the
    JAX trainer carries them as model state.
    """
    clone = keras.models.clone_model(network)
    if not clone.built:
        clone.build(network.input_shape)
    clone.set_weights(network.get_weights())
    clone.trainable = False
    if name is not None:
        clone.name = name
    return clone


def update_ema(ema_network, network, decay):
    """`ema <- decay * ema + (1 - decay) * weights`, for every weight.

    Called inside a training step after the network's update (Karras et al.,
    2018, appendix A.1; Yazici et al., 2019). Gradients are stopped, so it
    may also run inside a loss (the single-optimizer route).
    """
    for average, weight in zip(ema_network.weights, network.weights):
        value = ops.stop_gradient(ops.cast(weight, average.dtype))
        average.assign(decay * average + (1.0 - decay) * value)
