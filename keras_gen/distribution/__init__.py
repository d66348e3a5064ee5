"""Scaling out: model and data parallelism (`keras.distribution` on JAX;
`torch_ddp` for several PyTorch processes; TensorFlow uses `tf.distribute`
strategies directly)."""

from keras_gen.distribution.layout import KERAS_LAYER_RULES
from keras_gen.distribution.layout import ModelParallel
from keras_gen.distribution.layout import device_mesh
from keras_gen.distribution.layout import fit_layout
from keras_gen.distribution.layout import layout_map_from_rules
from keras_gen.distribution import torch_ddp
