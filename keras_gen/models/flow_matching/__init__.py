"""Flow matching (Lipman et al., 2023; rectified flow, Liu et al., 2023):
a velocity field trained by regression and sampled by an ODE solver."""

from keras_gen.models import registry
from keras_gen.models.flow_matching.flow_matching import FlowMatching
from keras_gen.models.flow_matching.latent_flow_matching import (
    LatentFlowMatching,
)

registry.register(
    registry.Family(
        name="flow_matching",
        model_class=FlowMatching,
        description="conditional flow matching / rectified flow (OT coupling, ODE solvers, guidance, likelihood)",
        configurations={
            "tiny": registry.Configuration(
                dict(data_shape=(2,), hidden_dim=16, num_layers=1),
                "tests",
                "tiny",
                generate_options={"num_steps": 3},
            ),
            "toy": registry.Configuration(
                dict(
                    data_shape=(2,),
                    hidden_dim=256,
                    num_layers=3,
                    ema_decay=0.999,
                ),
                "MLP velocity network for 2-D points",
                "toy",
                batch_size=256,
                learning_rate=1e-3,
            ),
            "digits": registry.Configuration(
                dict(
                    data_shape=(8, 8, 1),
                    value_range=(0.0, 1.0),
                    num_classes=10,
                    width=16,
                    channel_multipliers=(1, 2),
                    num_res_blocks=1,
                    attention_resolutions=(4,),
                    ema_decay=0.999,
                ),
                "class-conditional U-Net on 8x8 digits in [0, 1] (DDPM's digits U-Net)",
                "digits",
                learning_rate=2e-3,
            ),
            "fashion_mnist": registry.Configuration(
                dict(
                    data_shape=(28, 28, 1),
                    value_range=(0.0, 1.0),
                    num_classes=10,
                    width=32,
                    channel_multipliers=(1, 2, 2),
                    num_res_blocks=1,
                    attention_resolutions=(7,),
                    ema_decay=0.999,
                ),
                "class-conditional U-Net on Fashion-MNIST 28x28 in [0, 1] (DDPM's Fashion-MNIST U-Net)",
                "fashion_mnist",
                batch_size=128,
                learning_rate=1e-3,
            ),
        },
    )
)

registry.register(
    registry.Family(
        name="latent_flow_matching",
        model_class=LatentFlowMatching,
        description="flow matching on the latents of a frozen VAE or AutoEncoder",
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
                "an MLP velocity network on the 8-D codes of a VAE (beta 0.1) of the 8x8 digits; train the VAE first",
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
                "an MLP velocity network (4 residual layers of 256) on the 16-D codes of a VAE (beta 0.1) of Fashion-MNIST 28x28 in [0, 1]; train the VAE first",
                "fashion_mnist",
                batch_size=128,
                learning_rate=1e-3,
            ),
        },
    )
)
