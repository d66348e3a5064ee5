"""Evaluation metrics."""

from keras_gen.metrics.digits_probe import DigitsProbe
from keras_gen.metrics.mmd import gaussian_mmd
from keras_gen.metrics.mode_coverage import mode_coverage
