"""Utilities: atomic file writes, image grids, latent paths and argument checks."""

from keras_gen.utils import atomic
from keras_gen.utils import images
from keras_gen.utils import latent
from keras_gen.utils import validation
