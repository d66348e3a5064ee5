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


def warmup_decay(decay, num_updates):
    """`min(decay, (1 + n) / (10 + n))` after `n` earlier updates.

    With a fixed decay of 0.999 the average still holds 0.999^1000 = 37 % of
    the initial (random) weights after 1,000 steps, which is most of a short
    run; the warm-up (the `num_updates` rule of TensorFlow's
    `ExponentialMovingAverage`) lets it follow the weights early on and
    reach `decay` after about 10 / (1 - decay) updates.
    """
    n = ops.cast(num_updates, "float32")
    return ops.minimum(decay, (1.0 + n) / (10.0 + n))


def update_ema(ema_network, network, decay, num_updates=None):
    """`ema <- decay * ema + (1 - decay) * weights`, for every weight.

    Called inside a training step after the network's update (Karras et al.,
    2018, appendix A.1; Yazici et al., 2019). Gradients are stopped, so it
    may also run inside a loss (the single-optimizer route).

    Args:
        ema_network: the average (see `clone_network`).
        network: the trained network.
        decay: the decay (e.g. 0.999).
        num_updates: if given, the number of earlier updates (a scalar
            tensor): the decay is then warmed up (see `warmup_decay`).
    """
    if num_updates is not None:
        decay = warmup_decay(decay, num_updates)
    for average, weight in zip(ema_network.weights, network.weights):
        value = ops.stop_gradient(ops.cast(weight, average.dtype))
        average.assign(decay * average + (1.0 - decay) * value)
