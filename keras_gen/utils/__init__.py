"""Utilities: atomic file writes, image grids, latent paths and argument checks."""

from keras_gen.utils import atomic, images, latent, validation
