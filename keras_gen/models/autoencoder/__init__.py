"""Deterministic autoencoders (plain, sparse, denoising, contractive)."""

from keras_gen.models import registry
from keras_gen.models.autoencoder.autoencoder import AutoEncoder
from keras_gen.models.autoencoder.networks import Decoder, Encoder

registry.register(
    registry.Family(
        name="autoencoder",
        model_class=AutoEncoder,
        description="deterministic autoencoder (sparse, denoising, contractive variants)",
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
                    reconstruction_loss="binary_crossentropy",
                ),
                "8x8 digits in [0, 1]",
                "digits",
            ),
            "fashion_mnist": registry.Configuration(
                dict(
                    data_shape=(28, 28, 1),
                    latent_dim=16,
                    reconstruction_loss="binary_crossentropy",
                ),
                "Fashion-MNIST 28x28 in [0, 1]",
                "fashion_mnist",
                batch_size=128,
            ),
        },
    )
)
