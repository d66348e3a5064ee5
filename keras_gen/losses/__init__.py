"""Losses and penalties shared by the model families."""

from keras_gen.losses.adversarial import LOSSES as ADVERSARIAL_LOSSES
from keras_gen.losses.adversarial import discriminator_loss, generator_loss
from keras_gen.losses.gaussian import (
    gaussian_kl,
    gaussian_log_likelihood,
    sum_per_sample,
)
from keras_gen.losses.path_length import path_length_penalty
from keras_gen.losses.penalties import gradient_penalty, r1_penalty
from keras_gen.losses.total_correlation import kl_decomposition
