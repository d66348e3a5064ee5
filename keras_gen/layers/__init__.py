"""Layers shared by the model families."""

from keras_gen.layers.adaptive_augment import AdaptiveAugment
from keras_gen.layers.diff_augment import DiffAugment
from keras_gen.layers.ema import ExponentialMovingAverage, clone_network
from keras_gen.layers.equalized import EqualizedConv2D, EqualizedDense
from keras_gen.layers.group_normalization import GroupNormalization
from keras_gen.layers.image_pool import ImagePool
from keras_gen.layers.masked_conv2d import MaskedConv2D
from keras_gen.layers.minibatch_stddev import MinibatchStdDev
from keras_gen.layers.pixel_norm import PixelNormalization
from keras_gen.layers.spectral_normalization import SpectralNormalization
from keras_gen.layers.timestep_embedding import SinusoidalEmbedding
from keras_gen.layers.upsampling import UpsampleConv2D
from keras_gen.layers.vector_quantizer import VectorQuantizer
