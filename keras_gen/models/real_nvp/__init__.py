"""RealNVP (Dinh et al., 2017): a normalising flow of affine couplings."""

from keras_gen.models import registry
from keras_gen.models.real_nvp.actnorm import ActNorm
from keras_gen.models.real_nvp.coupling import AffineCoupling
from keras_gen.models.real_nvp.invertible_conv import InvertibleConv1x1
from keras_gen.models.real_nvp.logit import LogitTransform
from keras_gen.models.real_nvp.real_nvp import RealNVP
from keras_gen.models.real_nvp.squeeze import Squeeze

registry.register(
    registry.Family(
        name="real_nvp",
        model_class=RealNVP,
        description="RealNVP normalising flow (affine couplings, multi-scale, exact likelihood)",
        configurations={
            "tiny": registry.Configuration(
                dict(data_shape=(2,), num_coupling_layers=2, hidden_units=(8,)),
                "tests",
                "tiny",
            ),
            "toy": registry.Configuration(
                dict(
                    data_shape=(2,),
                    num_coupling_layers=8,
                    hidden_units=(128, 128),
                ),
                "2-D points (the real_nvp_8gaussians preset)",
                "toy",
                batch_size=256,
                learning_rate=2e-3,
            ),
            "digits": registry.Configuration(
                dict(
                    data_shape=(8, 8, 1),
                    num_scales=2,
                    filters=16,
                    num_blocks=1,
                    num_bins=17,
                    value_range=(0.0, 1.0),
                ),
                "dequantised 8x8 digits, 17 grey levels (the real_nvp_digits preset)",
                "digits",
                learning_rate=2e-3,
            ),
            "fashion_mnist": registry.Configuration(
                dict(
                    data_shape=(28, 28, 1),
                    num_scales=2,
                    filters=32,
                    num_blocks=2,
                    num_bins=256,
                    value_range=(0.0, 1.0),
                    # Glow's learned 1x1 convolutions between couplings: at
                    # 200 CPU-s on TensorFlow, classifier FD 118-123 over
                    # three seeds against 126-143 without them, at the same
                    # bits/dim and cost per step
                    # (benchmarks/fashion_peers_results.md, 2026-12-07).
                    permutation="1x1_conv",
                ),
                "dequantised Fashion-MNIST 28x28, 256 grey levels, Glow's 1x1 convolutions between couplings (the real_nvp_fashion_mnist preset)",
                "fashion_mnist",
                learning_rate=1e-3,
            ),
        },
    )
)
