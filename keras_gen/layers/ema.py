"""Exponential moving average of a network's weights."""

import keras
from keras import ops

from keras_gen import backend
from keras_gen.utils import validation


def clone_network(network, name=None):
    """A frozen copy of `network` with the same weights.

    Its variables are non-trainable, so optimizers never touch them and the
    JAX trainer carries them as model state.
    """
    # The clone's initial weights are overwritten at once: sized draws spare
    # JAX compiling a draw per kernel shape (see `backend.sized_draws`).
    with backend.sized_draws():
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


@keras.saving.register_keras_serializable(package="keras_gen")
class ExponentialMovingAverage(keras.layers.Layer):
    """The moving average of a network's weights, with its own counter.

    `ema <- d * ema + (1 - d) * weights` after every update of the network
    (Polyak averaging as used by progressive GANs, StyleGAN and DDPM:
    Karras et al., 2018, appendix A.1; Yazici et al., 2019; Ho et al., 2020),
    with the warm-up `d = min(decay, (1 + n) / (10 + n))` after `n` earlier
    updates (see `warmup_decay`). It owns the averaged copy of the network
    (`network`, frozen) and the update counter, both saved with the model
    and carried by the JAX trainer as model state; calling it calls the
    averaged network.

    Args:
        network: the trained network to average (its architecture is
            cloned and its current weights copied).
        decay: the decay `d` in (0, 1), e.g. 0.999.
        warmup: apply the warm-up rule.
        name: name of the layer.

    Example:

    ```python
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    ema = keras_gen.layers.ExponentialMovingAverage(generator, decay=0.999)
    # ... after each optimizer step of `generator`, inside the train step:
    ema.update(generator)
    samples = ema(keras.random.normal((8, 4)))   # the averaged generator
    ```
    """

    def __init__(self, network, decay=0.999, warmup=True, name=None, **kwargs):
        super().__init__(name=name or f"{network.name}_ema", **kwargs)
        self.decay = validation.check_in_range(decay, "decay", 0.0, 1.0)
        self.warmup = bool(warmup)
        self.network = clone_network(network)
        self.num_updates = self.add_weight(
            shape=(),
            dtype="int32",
            initializer="zeros",
            trainable=False,
            name="num_updates",
        )
        self.trainable = False
        self.built = True

    def current_decay(self):
        """The decay the next update will use (a scalar tensor)."""
        if self.warmup:
            return warmup_decay(self.decay, self.num_updates)
        return ops.convert_to_tensor(self.decay, "float32")

    def update(self, network):
        """Moves the average toward `network`'s weights; counts the update.

        Gradients are stopped, so it may also run inside a loss (the
        single-optimizer route of Keras' own train step).
        """
        decay = self.current_decay()
        for average, weight in zip(self.network.weights, network.weights):
            value = ops.stop_gradient(ops.cast(weight, average.dtype))
            average.assign(decay * average + (1.0 - decay) * value)
        self.num_updates.assign(self.num_updates + 1)

    def reset(self, network):
        """Copies `network`'s weights into the average and zeroes the counter."""
        for average, weight in zip(self.network.weights, network.weights):
            # A copy: on JAX two variables sharing one buffer cannot both be
            # donated to a compiled step.
            average.assign(ops.convert_to_numpy(weight).astype(average.dtype))
        self.num_updates.assign(0)

    def call(self, *args, **kwargs):
        kwargs["training"] = False
        return self.network(*args, **kwargs)

    def get_config(self):
        # Built by its owner from the owner's own arguments (never from a
        # config of its own: the network comes from the owner).
        raise NotImplementedError(
            "ExponentialMovingAverage is created by the model that owns it; it has no config of its own."
        )
