"""β-TCVAE: a VAE with the KL term decomposed (Chen et al., 2018)."""

from keras_gen.models import registry
from keras_gen.models.beta_tcvae.beta_tcvae import BetaTCVAE

registry.register(
    registry.Family(
        name="beta_tcvae",
        model_class=BetaTCVAE,
        description="β-TCVAE: ELBO with MI, total correlation and dimension-wise KL weighted apart",
        configurations={
            "tiny": registry.Configuration(
                dict(
                    data_shape=(8, 8, 1),
                    latent_dim=2,
                    hidden_units=(16,),
                    filters=(4, 8),
                    dataset_size=8,
                ),
                "tests",
                "tiny",
            ),
            "digits": registry.Configuration(
                dict(
                    data_shape=(8, 8, 1),
                    latent_dim=8,
                    beta=6.0,
                    dataset_size=1000,
                ),
                "binarised 8x8 digits, 1,000 training images",
                "digits",
            ),
            "sprites": registry.Configuration(
                dict(
                    data_shape=(32, 32, 1),
                    latent_dim=10,
                    beta=6.0,
                    hidden_units=(256,),
                    filters=(32, 32, 64),
                ),
                "the dSprites-like shapes of keras_gen.datasets.load_sprites (dataset_size from fit)",
                "sprites",
                batch_size=64,
            ),
            "fashion_mnist": registry.Configuration(
                dict(
                    data_shape=(28, 28, 1),
                    latent_dim=16,
                    beta=6.0,
                    dataset_size=60000,
                ),
                "Fashion-MNIST 28x28 in [0, 1], 60,000 training images",
                "fashion_mnist",
                batch_size=128,
            ),
        },
    )
)
