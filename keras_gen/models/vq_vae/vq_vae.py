"""VQ-VAE (van den Oord et al., 2017): an autoencoder with a discrete,
learned codebook as its latent space."""

import keras
import numpy as np
from keras import ops

from keras_gen.layers.vector_quantizer import VectorQuantizer
from keras_gen.models import network as network_lib
from keras_gen.models.generative_model import GenerativeModel
from keras_gen.models.vq_vae import networks
from keras_gen.utils import validation


@keras.saving.register_keras_serializable(package="keras_gen")
class VQVAE(GenerativeModel):
    """Vector-quantised variational autoencoder.

    The encoder maps an image to a grid of vectors `z_e(x)`; each is
    replaced by its nearest entry of a codebook of `num_embeddings` vectors
    (`keras_gen.layers.VectorQuantizer`), and the decoder maps the grid of
    entries `z_q(x)` back to the image. Training minimises (eq. 3)

        ||x - D(z_q(x))||^2 + ||sg[z_e(x)] - e||^2 + β ||z_e(x) - sg[e]||^2,

    with gradients copied straight through the quantisation (sec. 3.2);
    each term is a mean over its elements, and the reconstruction error is
    measured in the model's [-1, 1] range (the data are mapped from
    `value_range`). With `ema_decay` the codebook follows moving averages of
    the encoder outputs (appendix A.1) instead of the codebook loss; with
    `dead_code_threshold` unused entries are re-initialised from encoder
    outputs. The fit logs `reconstruction_loss`, `vq_loss` and the
    `perplexity` of the batch's codes (the effective number of entries in
    use).

    The latent space is the grid of code vectors, `latent_shape = (h, w,
    embedding_dim)`: `decode(z)` snaps each vector of `z` to its nearest
    entry and decodes (so `interpolate` walks through codes), and
    `sample_latents` / `generate` draw every index uniformly, the prior the
    VQ-VAE is trained under (sec. 3.1). Such samples are not images of the
    data: fit `keras_gen.models.VQVAEPrior`, an autoregressive prior over
    the indices, on the trained VQ-VAE to generate. `encode(x)` gives the
    indices, `decode_indices` decodes them, `codebook_usage(x)` measures
    the share of the codebook a data set uses.

    Your own networks: the encoder maps a sample to `(..., embedding_dim)`
    vectors; the decoder maps that grid back to a sample (linear output in
    [-1, 1]).

    Args:
        encoder: a `keras.Model` from a sample to a grid of
            `embedding_dim` vectors; `None` builds `VQEncoder`.
        decoder: a `keras.Model` from that grid to a sample; `None` builds
            `VQDecoder`.
        data_shape: shape of one sample (needed for the default networks).
        value_range: `(low, high)` of the data and samples (`"auto"`:
            (0, 1)).
        num_embeddings: K, the codebook size.
        embedding_dim: D, the size of each code vector.
        commitment_cost: β of the commitment term.
        ema_decay: decay γ of the moving-average codebook (e.g. 0.99), or
            `None` to learn it by gradients (the paper's main setting).
        dead_code_threshold: restart entries that receive on average
            fewer vectors per batch than this (0: never).
        filters, num_res_blocks: the default networks' strided convolution
            channels (one stride-2 stage each) and residual blocks.
        seed: seed of the model's random stream and of the initial
            weights (networks and codebook).

    Example:

    ```python
    x = keras_gen.datasets.load_fashion_mnist("train", num_samples=10000)
    vqvae = keras_gen.models.VQVAE(
        data_shape=(28, 28, 1), num_embeddings=128, embedding_dim=16,
        filters=(32, 64), num_res_blocks=1, dead_code_threshold=1.0)
    vqvae.compile()
    vqvae.fit(x, epochs=5, batch_size=64)
    codes = vqvae.encode(x[:8])                 # (8, 7, 7) int32 indices
    same = vqvae.decode_indices(codes)          # reconstructions
    print(vqvae.codebook_usage(x[:1000]))
    ```
    """

    network_args = ("encoder", "decoder")
    model_range = (-1.0, 1.0)

    def __init__(
        self,
        encoder=None,
        decoder=None,
        data_shape=None,
        value_range="auto",
        num_embeddings=512,
        embedding_dim=64,
        commitment_cost=0.25,
        ema_decay=None,
        dead_code_threshold=0.0,
        filters=(128, 256),
        num_res_blocks=2,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.embedding_dim = validation.check_positive_int(
            embedding_dim, "embedding_dim"
        )
        self.filters = validation.check_int_sequence(filters, "filters")
        self.num_res_blocks = validation.check_positive_int(
            num_res_blocks, "num_res_blocks", allow_zero=True
        )
        if (encoder is None or decoder is None) and data_shape is None:
            raise ValueError(
                "Pass `data_shape` (the shape of one sample) to build the default networks, or pass both "
                f"`encoder` and `decoder`. Received: data_shape=None, encoder={encoder!r}, decoder={decoder!r}"
            )
        if data_shape is None:
            data_shape = validation.network_input_shape(encoder)
        self._set_data_contract(data_shape, value_range, None)
        if self.value_range is None:
            raise ValueError(
                "The VQ-VAE maps its data to [-1, 1]: pass a bounded `value_range`. Received: value_range=None"
            )
        self.encoder = self._default_network(
            "encoder",
            encoder,
            lambda: networks.VQEncoder(
                self.data_shape,
                self.embedding_dim,
                self.filters,
                self.num_res_blocks,
            ),
        )
        self.decoder = self._default_network(
            "decoder",
            decoder,
            lambda: networks.VQDecoder(
                self.data_shape,
                self.embedding_dim,
                self.filters,
                self.num_res_blocks,
            ),
        )
        self.code_shape = self._check_networks()
        with self._initializing("quantizer"):
            self.quantizer = VectorQuantizer(
                num_embeddings,
                self.embedding_dim,
                commitment_cost=commitment_cost,
                ema_decay=ema_decay,
                dead_code_threshold=dead_code_threshold,
                name="quantizer",
            )
        self.reconstruction_tracker = keras.metrics.Mean(
            name="reconstruction_loss"
        )
        self.vq_tracker = keras.metrics.Mean(name="vq_loss")
        self.perplexity_tracker = keras.metrics.Mean(name="perplexity")

    def _check_networks(self):
        """The shape of the code grid; a user's networks checked by a
        symbolic call."""
        try:
            out = network_lib.symbolic_outputs(
                self.encoder, [(2,) + self.data_shape]
            )
        except Exception as e:
            raise ValueError(
                f"`encoder` must take samples of shape {(None,) + self.data_shape}; calling it failed: {e}. "
                f"Received: encoder={self.encoder.name!r}"
            ) from e
        code_shape = (
            tuple(out.shape[1:]) if not isinstance(out, (list, tuple)) else None
        )
        if (
            code_shape is None
            or code_shape[-1] != self.embedding_dim
            or any(d is None for d in code_shape)
        ):
            shapes = (
                [tuple(o.shape[1:]) for o in out]
                if isinstance(out, (list, tuple))
                else [code_shape]
            )
            raise ValueError(
                f"`encoder` must return one grid of vectors of embedding_dim={self.embedding_dim} values. "
                f"Received: encoder with output shapes {shapes}"
            )
        decoder_shape = tuple(validation.network_input_shape(self.decoder))
        if decoder_shape != code_shape:
            raise ValueError(
                f"`decoder` must take the encoder's grid of codes, of shape {(None,) + code_shape}. "
                f"Received: decoder with input shape {(None,) + decoder_shape}"
            )
        return code_shape

    @property
    def num_embeddings(self):
        return self.quantizer.num_embeddings

    # -- training ------------------------------------------------------------

    def build(self, input_shape=None):
        # Every variable exists from `__init__`.
        self.built = True

    def call(self, inputs, training=False):
        """The encoder's output `z_e(x)`, before quantisation."""
        self._check_batch(inputs)
        return self.encoder(self.to_model_space(inputs), training=training)

    def default_optimizer(self):
        # van den Oord et al. (2017), sec. 4.1: Adam, learning rate 2e-4.
        return keras.optimizers.Adam(2e-4)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        x = ops.cast(self.to_model_space(x), "float32")
        quantized, indices, vq_loss = self.quantizer(
            y_pred, training=training, seed=self.seed_generator
        )
        decoded = ops.cast(
            self.decoder(quantized, training=training), "float32"
        )
        reconstruction = ops.mean(
            ops.reshape(ops.square(decoded - x), (ops.shape(x)[0], -1)), axis=-1
        )
        self.reconstruction_tracker.update_state(reconstruction)
        self.vq_tracker.update_state(vq_loss)
        self.perplexity_tracker.update_state(self._perplexity(indices))
        loss = ops.mean(reconstruction) + vq_loss
        losses = self.losses
        if losses:
            loss = loss + ops.sum(ops.stack(losses))
        return loss

    def _perplexity(self, indices):
        """exp(entropy) of the codes' frequencies: the entries in use."""
        one_hot = ops.one_hot(
            ops.reshape(indices, (-1,)), self.num_embeddings, dtype="float32"
        )
        p = ops.mean(one_hot, axis=0)
        return ops.exp(-ops.sum(p * ops.log(p + 1e-10)))

    # -- codes ---------------------------------------------------------------

    @property
    def latent_shape(self):
        return self.code_shape

    @property
    def index_shape(self):
        """The shape of one grid of code indices, `(h, w)`."""
        return self.code_shape[:-1]

    def encode(self, x, batch_size=256):
        """The code indices of `x` (in `value_range`), `(n, h, w)` int32."""
        x = np.asarray(x, dtype="float32")
        self.data_checker().check_x(x, whole=True)
        return self.map_batches(
            self.encode_indices, x, batch_size=batch_size
        ).astype("int32")

    def encode_indices(self, x, training=False):
        """The code indices of a batch `x` (a tensor in `value_range`),
        without gradients; used by the priors trained on this VQ-VAE."""
        z_e = self.encoder(
            self.to_model_space(ops.cast(x, "float32")), training=training
        )
        return ops.stop_gradient(self.quantizer.nearest(z_e))

    def decode_indices(self, indices, batch_size=256):
        """Samples (in `value_range`) decoded from code indices `(n, h, w)`."""
        indices = np.asarray(indices)
        if indices.shape[1:] != tuple(self.index_shape) or not np.issubdtype(
            indices.dtype, np.integer
        ):
            raise ValueError(
                f"`indices` must be integers of shape (n, {', '.join(map(str, self.index_shape))}). "
                f"Received: indices.shape={indices.shape}, dtype={indices.dtype}"
            )
        if indices.size and (
            indices.min() < 0 or indices.max() >= self.num_embeddings
        ):
            raise ValueError(
                f"`indices` must be in [0, {self.num_embeddings}) (num_embeddings). "
                f"Received: indices in [{indices.min()}, {indices.max()}]"
            )
        samples = self.map_batches(
            lambda ib: self.decoder(self.quantizer.lookup(ib), training=False),
            indices,
            batch_size=batch_size,
        )
        return self._finish_samples(samples)

    def reconstruct(self, x, batch_size=256):
        """`decode_indices(encode(x))`, in `value_range`."""
        return self.decode_indices(self.encode(x, batch_size), batch_size)

    def codebook_usage(self, x, batch_size=256):
        """How much of the codebook the codes of `x` use.

        Returns:
            A dict: `usage`, the fraction of the entries used at least once;
            `perplexity`, exp of the entropy of the codes' frequencies (the
            effective number of entries in use); `used`, the number used.
        """
        counts = np.bincount(
            self.encode(x, batch_size).reshape(-1),
            minlength=self.num_embeddings,
        )
        p = counts / counts.sum()
        entropy = -(p[p > 0] * np.log(p[p > 0])).sum()
        used = int((counts > 0).sum())
        return {
            "usage": used / self.num_embeddings,
            "perplexity": float(np.exp(entropy)),
            "used": used,
        }

    # -- sampling ------------------------------------------------------------

    def sample_latents(self, num_samples, *, seed=None, temperature=1.0):
        """Grids of code vectors with every index drawn uniformly (the
        prior of the VQ-VAE's training, sec. 3.1), `(n, h, w, D)`.
        `temperature` has no effect on a uniform draw."""
        num_samples = validation.check_positive_int(num_samples, "num_samples")
        validation.check_non_negative(temperature, "temperature")
        indices = keras.random.randint(
            (num_samples,) + tuple(self.index_shape),
            0,
            self.num_embeddings,
            seed=self._sample_seed(seed),
        )
        return ops.convert_to_numpy(self.quantizer.lookup(indices)).astype(
            "float32"
        )

    def _decode_batch(self, z, labels):
        # Each vector snaps to its nearest entry: the decoder only ever sees codes.
        return self.decoder(
            self.quantizer.lookup(self.quantizer.nearest(z)), training=False
        )

    def generate(self, num_samples, *, seed=None, labels=None, batch_size=256):
        """Decodes grids of uniformly drawn codes (not images of the data:
        train a `VQVAEPrior` on this model to generate).

        Args:
            num_samples: how many samples.
            seed: an int for a reproducible draw, or `None` for the model's
                random stream.
            labels: must be `None` (the VQ-VAE is unconditional).
            batch_size: samples per call.

        Returns:
            A NumPy float32 array `(num_samples, *data_shape)` in
            `value_range`.
        """
        return super().generate(
            num_samples, seed=seed, labels=labels, batch_size=batch_size
        )

    # -- saving --------------------------------------------------------------

    def get_config(self):
        config = super().get_config()
        quantizer = self.quantizer
        config.update(
            data_shape=self.data_shape,
            num_embeddings=quantizer.num_embeddings,
            embedding_dim=self.embedding_dim,
            commitment_cost=quantizer.commitment_cost,
            ema_decay=quantizer.ema_decay,
            dead_code_threshold=quantizer.dead_code_threshold,
        )
        if self.uses_default_network("encoder") or self.uses_default_network(
            "decoder"
        ):
            config.update(
                filters=self.filters, num_res_blocks=self.num_res_blocks
            )
        return config
