"""StyleGAN2: style-based generator, residual discriminator, training."""

from keras_gen.layers.equalized import EqualizedConv2D, EqualizedDense
from keras_gen.models import registry
from keras_gen.models.stylegan2.discriminator import StyleGAN2Discriminator
from keras_gen.models.stylegan2.generator import StyleGAN2Generator
from keras_gen.models.stylegan2.mapping import MappingNetwork
from keras_gen.models.stylegan2.modulated_conv import ModulatedConv2D
from keras_gen.models.stylegan2.stylegan2 import StyleGAN2
from keras_gen.models.stylegan2.synthesis import SynthesisNetwork
from keras_gen.models.stylegan2.synthesis_layers import (
    NoiseInjection,
    SynthesisLayer,
    ToRGB,
)

# The CPU-sized model of the digits preset and of Fashion-MNIST (same widths:
# a 28x28 network is as wide, block for block, as a 16x16 one).
_SMALL = dict(
    value_range=(0.0, 1.0),
    latent_dim=64,
    w_dim=64,
    channel_base=512,
    channel_max=64,
    r1_gamma=0.1,
    ema_decay=0.995,
)

registry.register(
    registry.Family(
        name="stylegan2",
        model_class=StyleGAN2,
        description="StyleGAN2 (style-based generator, lazy R1 and path-length regularisation, ADA)",
        configurations={
            "tiny": registry.Configuration(
                dict(
                    resolution=4,
                    latent_dim=8,
                    w_dim=8,
                    mapping_layers=1,
                    channel_base=32,
                    channel_max=8,
                ),
                "tests",
                "tiny",
                batch_size=4,
            ),
            "digits": registry.Configuration(
                dict(_SMALL, data_shape=(16, 16, 1)),
                "digits resized to 16x16, in [0, 1] (the stylegan2_digits preset)",
                "digits16",
                batch_size=32,
                learning_rate=0.0025,
            ),
            "fashion_mnist": registry.Configuration(
                dict(_SMALL, data_shape=(28, 28, 1)),
                "Fashion-MNIST 28x28 in [0, 1]: a 7x7 constant, 7 -> 14 -> 28, "
                "as wide as the 16x16 digits model",
                "fashion_mnist",
                batch_size=32,
                learning_rate=0.0025,
            ),
        },
    )
)
