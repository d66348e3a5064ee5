"""Callbacks for training generative models."""

from keras_gen.callbacks.backup_and_restore import (
    BackupAndRestore,
    BackupWriteError,
)
from keras_gen.callbacks.kl_warmup import KLWarmup
from keras_gen.callbacks.metrics_callback import MetricsCallback
from keras_gen.callbacks.nan_guard import NaNGuard, NonFiniteLossError
from keras_gen.callbacks.sample_grid import SampleGrid
from keras_gen.callbacks.time_limit import TimeLimit
