"""Optimizer utilities: learning-rate schedules."""

from keras_gen.optimizers import schedules
from keras_gen.optimizers.schedules import ConstantThenLinearDecay
