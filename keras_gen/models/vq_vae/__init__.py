"""VQ-VAE: an autoencoder with a learned discrete codebook."""

from keras_gen.models import registry
from keras_gen.models.vq_vae.networks import GatedPixelCNN, VQDecoder, VQEncoder
from keras_gen.models.vq_vae.vq_vae import VQVAE
from keras_gen.models.vq_vae.vq_vae_prior import VQVAEPrior

registry.register(
    registry.Family(
        name="vq_vae",
        model_class=VQVAE,
        description="VQ-VAE: discrete codebook, straight-through gradients, EMA codebook and dead-code restarts",
        configurations={
            "tiny": registry.Configuration(
                dict(
                    data_shape=(8, 8, 1),
                    num_embeddings=8,
                    embedding_dim=4,
                    filters=(4,),
                    num_res_blocks=1,
                    dead_code_threshold=1.0,
                ),
                "tests",
                "tiny",
            ),
            "digits": registry.Configuration(
                dict(
                    data_shape=(8, 8, 1),
                    num_embeddings=64,
                    embedding_dim=8,
                    filters=(64,),
                    num_res_blocks=1,
                    dead_code_threshold=1.0,
                ),
                "8x8 digits to a 4x4 grid of 64 codes",
                "digits",
                learning_rate=1e-3,
            ),
            "fashion_mnist": registry.Configuration(
                dict(
                    data_shape=(28, 28, 1),
                    num_embeddings=128,
                    embedding_dim=16,
                    filters=(32, 64),
                    num_res_blocks=1,
                    dead_code_threshold=1.0,
                ),
                "Fashion-MNIST 28x28 to a 7x7 grid of 128 codes",
                "fashion_mnist",
                batch_size=128,
                learning_rate=1e-3,
            ),
        },
    )
)

registry.register(
    registry.Family(
        name="vq_vae_prior",
        model_class=VQVAEPrior,
        description="a gated PixelCNN prior over the codes of a frozen VQ-VAE (its generator)",
        configurations={
            "tiny": registry.Configuration(
                dict(
                    vqvae=registry.Nested("vq_vae", "tiny"),
                    hidden_dim=4,
                    num_layers=1,
                ),
                "tests",
                "tiny",
            ),
            "digits": registry.Configuration(
                dict(
                    vqvae=registry.Nested("vq_vae", "digits"),
                    hidden_dim=64,
                    num_layers=4,
                ),
                "a gated PixelCNN on the 4x4 codes of the digits VQ-VAE; train the VQ-VAE first",
                "digits",
                learning_rate=1e-3,
            ),
            "fashion_mnist": registry.Configuration(
                dict(
                    vqvae=registry.Nested("vq_vae", "fashion_mnist"),
                    hidden_dim=64,
                    num_layers=6,
                ),
                "a gated PixelCNN on the 7x7 codes of the Fashion-MNIST VQ-VAE; train the VQ-VAE first",
                "fashion_mnist",
                batch_size=128,
                learning_rate=1e-3,
            ),
        },
    )
)
