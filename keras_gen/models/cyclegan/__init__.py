"""CycleGAN: unpaired image-to-image translation."""

from keras_gen.models.cyclegan.cyclegan import CycleGAN
