"""Adversarial autoencoders: AAE (Gaussian, mixture, uniform or custom
prior; supervised), the semi-supervised AAE and the AAE with a
label-informed prior."""

from keras_gen.models import registry
from keras_gen.models.aae.aae import AAE
from keras_gen.models.aae.label_prior import LabelPriorAAE
from keras_gen.models.aae.semi_supervised import SemiSupervisedAAE, mix_labelled

registry.register(
    registry.Family(
        name="aae",
        model_class=AAE,
        description="adversarial autoencoder (Gaussian, mixture, uniform or custom prior; supervised)",
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
                    latent_dim=2,
                    prior="mixture",
                    mixture_radius=4.0,
                    upsampling="transposed",
                ),
                "8x8 digits, 2-D code shaped like a ring of 10 Gaussians (the aae_digits preset)",
                "digits",
            ),
            "toy": registry.Configuration(
                dict(
                    data_shape=(2,),
                    latent_dim=2,
                    reconstruction_loss="mse",
                    hidden_units=(128, 128),
                ),
                "2-D points",
                "toy",
                batch_size=256,
            ),
            "fashion_mnist": registry.Configuration(
                dict(data_shape=(28, 28, 1), latent_dim=8),
                "Fashion-MNIST 28x28 in [0, 1]",
                "fashion_mnist",
                128,
            ),
        },
    )
)

registry.register(
    registry.Family(
        name="semi_supervised_aae",
        model_class=SemiSupervisedAAE,
        description="semi-supervised AAE (class and style codes; trains on partly labelled data, classifies)",
        configurations={
            "tiny": registry.Configuration(
                dict(
                    data_shape=(8, 8, 1),
                    num_classes=3,
                    latent_dim=2,
                    hidden_units=(16,),
                    filters=(4, 8),
                ),
                "tests",
                "tiny",
            ),
            "digits": registry.Configuration(
                dict(data_shape=(8, 8, 1), num_classes=10, latent_dim=4),
                "8x8 digits, 10 classes, 4-D style",
                "digits",
                batch_size=100,
            ),
            "fashion_mnist": registry.Configuration(
                dict(data_shape=(28, 28, 1), num_classes=10, latent_dim=8),
                "Fashion-MNIST 28x28 in [0, 1], 10 classes, 8-D style",
                "fashion_mnist",
                batch_size=100,
            ),
        },
    )
)

registry.register(
    registry.Family(
        name="label_prior_aae",
        model_class=LabelPriorAAE,
        description="AAE with a label-informed mixture prior (one component per class; labels may be partial)",
        configurations={
            "tiny": registry.Configuration(
                dict(
                    data_shape=(8, 8, 1),
                    num_classes=3,
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
                    num_classes=10,
                    latent_dim=2,
                    mixture_radius=4.0,
                ),
                "8x8 digits, 2-D code, a ring of 10 Gaussians, one per digit",
                "digits",
            ),
            "fashion_mnist": registry.Configuration(
                dict(
                    data_shape=(28, 28, 1),
                    num_classes=10,
                    latent_dim=2,
                    mixture_radius=4.0,
                ),
                "Fashion-MNIST 28x28 in [0, 1], 2-D code, one Gaussian per class",
                "fashion_mnist",
                batch_size=128,
            ),
        },
    )
)
