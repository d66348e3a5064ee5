"""Scaling out: model and data parallelism (`keras.distribution` on JAX;
`torch_ddp` for several PyTorch processes; TensorFlow uses `tf.distribute`
strategies directly)."""

from keras_gen.distribution import torch_ddp
from keras_gen.distribution.layout import (
    KERAS_LAYER_RULES,
    ModelParallel,
    device_mesh,
    fit_layout,
    layout_map_from_rules,
)
