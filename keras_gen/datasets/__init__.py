"""Offline datasets: everything here is generated or ships with a package."""

from keras_gen.datasets.digits import load_digits
from keras_gen.datasets.toy_2d import TOY_2D_NAMES, toy_2d, toy_2d_modes
