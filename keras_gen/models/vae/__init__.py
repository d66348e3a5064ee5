"""Variational autoencoders (VAE, beta-VAE)."""

from keras_gen.models import registry
from keras_gen.models.vae.vae import VAE

registry.register(
    registry.Family(
        name="vae",
        model_class=VAE,
        description="variational autoencoder (beta-VAE, KL warm-up, IWAE log-likelihood)",
        configurations={
            "tiny": registry.Configuration(
                dict(
                    data_shape=(8, 8, 1),
                    latent_dim=2,
                    hidden_units=(16,),
                    filters=(4, 8),
                ),
                "tests",
                "tiny",
            ),
            "digits": registry.Configuration(
                dict(
                    data_shape=(8, 8, 1),
                    latent_dim=8,
                    kl_warmup_epochs=10,
                    upsampling="transposed",
                ),
                "binarised 8x8 digits (the vae_digits preset)",
                "digits",
            ),
            "toy": registry.Configuration(
                dict(
                    data_shape=(2,),
                    latent_dim=2,
                    likelihood="gaussian",
                    hidden_units=(128, 128),
                ),
                "2-D points",
                "toy",
                batch_size=256,
            ),
            "fashion_mnist": registry.Configuration(
                dict(data_shape=(28, 28, 1), latent_dim=16),
                "Fashion-MNIST 28x28 in [0, 1] (Bernoulli likelihood on grey levels; the vae_fashion_mnist preset)",
                "fashion_mnist",
                batch_size=128,
            ),
        },
    )
)
