"""StyleGAN2's generator: mapping network, truncation, synthesis network."""

import keras
from keras import ops

from keras_gen.models.stylegan2.mapping import MappingNetwork
from keras_gen.models.stylegan2.synthesis import SynthesisNetwork


@keras.saving.register_keras_serializable(package="keras_gen")
class StyleGAN2Generator(keras.Model):
    """`z -> w -> (truncated) per-layer ws -> image`.

    Args:
        latent_dim, w_dim, mapping_layers, mapping_lr_multiplier,
        w_avg_beta: the mapping network (see `MappingNetwork`).
        resolution, image_channels, channel_base, channel_max: the synthesis
            network (see `SynthesisNetwork`).

    Call arguments:
        z: `(batch, latent_dim)`.
        truncation_psi, truncation_cutoff: see `truncate`.
        noise_mode, seed: see `SynthesisNetwork`.

    Example:

    ```python
    generator = StyleGAN2Generator(latent_dim=64, w_dim=64, resolution=16)
    images = generator(keras.random.normal((4, 64)), truncation_psi=0.7)
    ```
    """

    def __init__(
        self,
        latent_dim=128,
        w_dim=128,
        mapping_layers=8,
        mapping_lr_multiplier=0.01,
        w_avg_beta=0.995,
        resolution=16,
        image_channels=1,
        channel_base=1024,
        channel_max=128,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.mapping = MappingNetwork(
            latent_dim,
            w_dim,
            mapping_layers,
            mapping_lr_multiplier,
            w_avg_beta,
            name="mapping",
        )
        self.synthesis = SynthesisNetwork(
            w_dim,
            resolution,
            image_channels,
            channel_base,
            channel_max,
            name="synthesis",
        )
        self.built = True

    latent_dim = property(lambda self: self.mapping.latent_dim)
    w_dim = property(lambda self: self.mapping.w_dim)
    num_ws = property(lambda self: self.synthesis.num_ws)
    resolution = property(lambda self: self.synthesis.resolution)
    image_channels = property(lambda self: self.synthesis.image_channels)

    def build(self, input_shape=None):
        self.built = True

    def broadcast(self, w):
        """`(batch, w_dim)` -> `(batch, num_ws, w_dim)`: the same w everywhere."""
        return ops.repeat(w[:, None, :], self.num_ws, axis=1)

    def truncate(self, ws, truncation_psi=1.0, truncation_cutoff=None):
        """The truncation trick in W (Karras et al., 2019, sec. 3.3, eq. 3 of
        appendix B): `w' = w_avg + psi * (w - w_avg)` for the layers before
        `truncation_cutoff` (all layers if `None`)."""
        if truncation_psi == 1:
            return ws
        truncated = self.mapping.w_avg + truncation_psi * (
            ws - self.mapping.w_avg
        )
        if truncation_cutoff is None:
            return truncated
        mask = ops.arange(self.num_ws)[None, :, None] < truncation_cutoff
        return ops.where(mask, truncated, ws)

    def map(self, z, truncation_psi=1.0, truncation_cutoff=None):
        """`z` -> per-layer latents `ws` `(batch, num_ws, w_dim)`."""
        ws = self.broadcast(self.mapping(z))
        return self.truncate(ws, truncation_psi, truncation_cutoff)

    def call(
        self,
        z,
        truncation_psi=1.0,
        truncation_cutoff=None,
        noise_mode="const",
        seed=None,
    ):
        ws = self.map(z, truncation_psi, truncation_cutoff)
        return self.synthesis(ws, noise_mode=noise_mode, seed=seed)

    def compute_output_shape(self, input_shape):
        return (
            input_shape[0],
            self.resolution,
            self.resolution,
            self.image_channels,
        )

    def get_config(self):
        m, s = self.mapping, self.synthesis
        return {
            "name": self.name,
            "trainable": self.trainable,
            "latent_dim": m.latent_dim,
            "w_dim": m.w_dim,
            "mapping_layers": m.num_layers,
            "mapping_lr_multiplier": m.lr_multiplier,
            "w_avg_beta": m.w_avg_beta,
            "resolution": s.resolution,
            "image_channels": s.image_channels,
            "channel_base": s.channel_base,
            "channel_max": s.channel_max,
        }
