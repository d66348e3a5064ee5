"""keras_gen: generative models for Keras 3 on TensorFlow, JAX and PyTorch."""

from keras_gen import backend
from keras_gen import callbacks
from keras_gen import datasets
from keras_gen import distribution
from keras_gen import layers
from keras_gen import losses
from keras_gen import metrics
from keras_gen import models
from keras_gen import optimizers
from keras_gen import presets
from keras_gen import schedulers
from keras_gen import utils
from keras_gen.backend import input_gradient
from keras_gen.backend import optimize_step

__version__ = "0.2.0"
