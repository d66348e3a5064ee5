"""Offline datasets: generated, shipped with a package, or read from local
files (Fashion-MNIST: Debian's `dataset-fashion-mnist` or Keras' cache)."""

from keras_gen.datasets.digits import load_digits
from keras_gen.datasets.fashion_mnist import load_fashion_mnist
from keras_gen.datasets.sample_photos import load_sample_photos
from keras_gen.datasets.sprites import (
    SPRITE_FACTORS,
    SPRITE_SHAPES,
    load_sprites,
)
from keras_gen.datasets.toy_2d import TOY_2D_NAMES, toy_2d, toy_2d_modes
from keras_gen.datasets.unpaired import UnpairedDataset, unpaired_image_folders
