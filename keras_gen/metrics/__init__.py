"""Evaluation metrics."""

from keras_gen.metrics.mode_coverage import mode_coverage
