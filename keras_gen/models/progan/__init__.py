"""Progressive GAN: growing generator and discriminator, WGAN-GP with drift."""

from keras_gen.models import registry
from keras_gen.models.progan.networks import (
    ProgressiveDiscriminator,
    ProgressiveGenerator,
)
from keras_gen.models.progan.progan import ProgressiveGAN, growth_at

registry.register(
    registry.Family(
        name="progan",
        model_class=ProgressiveGAN,
        description="Progressive GAN (growing resolutions with fade-in, equalised learning rate, WGAN-GP)",
        configurations={
            "tiny": registry.Configuration(
                dict(
                    data_shape=(8, 8, 1),
                    latent_dim=8,
                    channel_base=32,
                    channel_max=8,
                    stable_images=4,
                    fade_images=8,
                ),
                "tests: 4 -> 8, fading in during the first epoch of 8 samples",
                "tiny",
                batch_size=4,
            ),
            "digits": registry.Configuration(
                dict(
                    data_shape=(16, 16, 1),
                    value_range=(0.0, 1.0),
                    latent_dim=64,
                    channel_base=512,
                    channel_max=64,
                    stable_images=20_000,
                    fade_images=20_000,
                ),
                "digits resized to 16x16, in [0, 1]: 4 -> 8 -> 16",
                "digits16",
                batch_size=32,
            ),
            "fashion_mnist": registry.Configuration(
                dict(
                    data_shape=(28, 28, 1),
                    value_range=(0.0, 1.0),
                    latent_dim=64,
                    channel_base=512,
                    channel_max=64,
                    stable_images=60_000,
                    fade_images=60_000,
                ),
                "Fashion-MNIST 28x28 in [0, 1]: 7 -> 14 -> 28",
                "fashion_mnist",
                batch_size=64,
            ),
        },
    )
)
