"""keras_gen: generative models for Keras 3 on TensorFlow, JAX and PyTorch."""

from keras_gen import (
    backend,
    callbacks,
    datasets,
    distribution,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    presets,
    schedulers,
    utils,
)
from keras_gen.backend import input_gradient, optimize_step

__version__ = "0.2.0"
