"""Generative adversarial networks: GAN, DCGAN, conditional GAN, WGAN-GP."""

from keras_gen.models import registry
from keras_gen.models.gan.gan import GAN
from keras_gen.models.gan.networks import GANDiscriminator, GANGenerator
from keras_gen.models.gan.wgan_gp import WGANGP

registry.register(
    registry.Family(
        name="gan",
        model_class=GAN,
        description="GAN / DCGAN / conditional GAN",
        configurations={
            "tiny": registry.Configuration(
                dict(
                    data_shape=(8, 8, 1),
                    latent_dim=4,
                    hidden_units=(16,),
                    generator_filters=(8, 4),
                    discriminator_filters=(4, 8),
                ),
                "tests",
                "tiny",
            ),
            "digits": registry.Configuration(
                dict(
                    data_shape=(8, 8, 1),
                    value_range=(0.0, 1.0),
                    latent_dim=32,
                    ema_decay=0.99,
                    upsampling="transposed",
                ),
                "DCGAN on 8x8 digits in [0, 1], EMA generator (the gan_digits preset)",
                "digits",
            ),
            "toy": registry.Configuration(
                dict(data_shape=(2,), latent_dim=2),
                "2-D points",
                "toy",
                batch_size=256,
            ),
            "fashion_mnist": registry.Configuration(
                dict(
                    data_shape=(28, 28, 1),
                    value_range=(0.0, 1.0),
                    latent_dim=64,
                    num_classes=10,
                    conditioning="projection",
                    ema_decay=0.999,
                ),
                "class-conditional DCGAN on Fashion-MNIST 28x28 in [0, 1] (the gan_fashion_mnist preset)",
                "fashion_mnist",
                batch_size=128,
            ),
        },
    )
)

registry.register(
    registry.Family(
        name="wgan_gp",
        model_class=WGANGP,
        description="Wasserstein GAN with gradient penalty (or weight clipping)",
        configurations={
            "tiny": registry.Configuration(
                dict(
                    data_shape=(2,),
                    latent_dim=2,
                    n_critic=1,
                    hidden_units=(16,),
                ),
                "tests",
                "tiny",
            ),
            "toy": registry.Configuration(
                dict(data_shape=(2,), latent_dim=2),
                "2-D points (the wgan_gp_8gaussians preset)",
                "toy",
                batch_size=256,
                learning_rate=1e-3,
            ),
            "digits": registry.Configuration(
                dict(
                    data_shape=(8, 8, 1), value_range=(0.0, 1.0), latent_dim=32
                ),
                "8x8 digits in [0, 1]",
                "digits",
            ),
            "fashion_mnist": registry.Configuration(
                dict(
                    data_shape=(28, 28, 1),
                    value_range=(0.0, 1.0),
                    latent_dim=64,
                ),
                "Fashion-MNIST 28x28 in [0, 1]",
                "fashion_mnist",
                batch_size=128,
            ),
        },
    )
)
