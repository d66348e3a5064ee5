"""StyleGAN2: style-based generator, residual discriminator, training."""

from keras_gen.models.stylegan2.discriminator import StyleGAN2Discriminator
from keras_gen.models.stylegan2.equalized import EqualizedConv2D
from keras_gen.models.stylegan2.equalized import EqualizedDense
from keras_gen.models.stylegan2.generator import StyleGAN2Generator
from keras_gen.models.stylegan2.mapping import MappingNetwork
from keras_gen.models.stylegan2.modulated_conv import ModulatedConv2D
from keras_gen.models.stylegan2.stylegan2 import StyleGAN2
from keras_gen.models.stylegan2.synthesis import SynthesisNetwork
from keras_gen.models.stylegan2.synthesis_layers import NoiseInjection
from keras_gen.models.stylegan2.synthesis_layers import SynthesisLayer
from keras_gen.models.stylegan2.synthesis_layers import ToRGB
