"""CycleGAN: unpaired image-to-image translation."""

from keras_gen.models import registry
from keras_gen.models.cyclegan.cyclegan import CycleGAN
from keras_gen.models.cyclegan.networks import (
    PatchGANDiscriminator,
    ResNetGenerator,
)

registry.register(
    registry.Family(
        name="cyclegan",
        model_class=CycleGAN,
        description="CycleGAN: unpaired image-to-image translation",
        pairs=True,
        configurations={
            "tiny": registry.Configuration(
                dict(
                    data_shape=(8, 8, 3),
                    generator_filters=4,
                    num_residual_blocks=1,
                    num_downsampling=1,
                    discriminator_filters=4,
                    discriminator_layers=1,
                ),
                "tests",
                "tiny",
                batch_size=4,
            ),
            "photos": registry.Configuration(
                dict(
                    data_shape=(32, 32, 3),
                    value_range=(0.0, 1.0),
                    generator_filters=16,
                    num_residual_blocks=3,
                    discriminator_filters=32,
                    discriminator_layers=2,
                    upsampling="transposed",
                ),
                "32x32 patches of scikit-learn's two sample photos, in [0, 1] (the cyclegan_photos preset)",
                "photos",
                batch_size=4,
            ),
            "fashion_mnist": registry.Configuration(
                dict(
                    data_shape=(28, 28, 1),
                    value_range=(0.0, 1.0),
                    generator_filters=16,
                    num_residual_blocks=3,
                    discriminator_filters=32,
                    discriminator_layers=2,
                ),
                "two Fashion-MNIST classes as the domains, 28x28 in [0, 1]",
                "fashion_mnist_pairs",
                batch_size=8,
            ),
        },
    )
)
