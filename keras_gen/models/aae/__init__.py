"""Adversarial autoencoders."""

from keras_gen.models import registry
from keras_gen.models.aae.aae import AAE

registry.register(
    registry.Family(
        name="aae",
        model_class=AAE,
        description="adversarial autoencoder (Gaussian, mixture, uniform or custom prior; supervised)",
        configurations={
            "tiny": registry.Configuration(
                dict(data_shape=(8, 8, 1), latent_dim=2, hidden_units=(16,), filters=(4, 8)), "tests", "tiny"
            ),
            "digits": registry.Configuration(
                dict(
                    data_shape=(8, 8, 1),
                    latent_dim=2,
                    prior="mixture",
                    mixture_radius=4.0,
                    upsampling="transposed",
                ),
                "8x8 digits, 2-D code shaped like a ring of 10 Gaussians (the aae_digits preset)",
                "digits",
            ),
            "toy": registry.Configuration(
                dict(data_shape=(2,), latent_dim=2, reconstruction_loss="mse", hidden_units=(128, 128)),
                "2-D points",
                "toy",
                batch_size=256,
            ),
            "fashion_mnist": registry.Configuration(
                dict(data_shape=(28, 28, 1), latent_dim=8), "Fashion-MNIST 28x28 in [0, 1]", "fashion_mnist", 128
            ),
        },
    )
)
