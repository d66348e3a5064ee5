"""Latent diffusion: a DDPM on the latents of a frozen autoencoder."""

from keras_gen.models import registry
from keras_gen.models.latent_diffusion.latent_diffusion import LatentDiffusion

registry.register(
    registry.Family(
        name="latent_diffusion",
        model_class=LatentDiffusion,
        description="latent diffusion on a frozen VAE or AutoEncoder",
        configurations={
            "tiny": registry.Configuration(
                dict(
                    autoencoder=registry.Nested("vae", "tiny"),
                    hidden_dim=8,
                    num_layers=1,
                ),
                "tests",
                "tiny",
                generate_options={"num_steps": 3},
            ),
            "digits": registry.Configuration(
                dict(
                    autoencoder=registry.Nested(
                        "vae", "digits", {"beta": 0.1, "kl_warmup_epochs": 0}
                    ),
                    hidden_dim=128,
                    ema_decay=0.999,
                ),
                "an MLP denoiser on the 8-D codes of a VAE (beta 0.1) of the 8x8 digits; train the VAE first",
                "digits",
                learning_rate=1e-3,
            ),
            "fashion_mnist": registry.Configuration(
                dict(
                    autoencoder=registry.Nested(
                        "vae", "fashion_mnist", {"beta": 0.1}
                    ),
                    hidden_dim=256,
                    ema_decay=0.999,
                ),
                "an MLP denoiser (4 residual layers of 256) on the 16-D codes of a VAE (beta 0.1) of Fashion-MNIST 28x28 in [0, 1]; train the VAE first",
                "fashion_mnist",
                batch_size=128,
                learning_rate=1e-3,
            ),
        },
    )
)
