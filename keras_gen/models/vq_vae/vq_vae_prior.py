"""An autoregressive prior over the code indices of a trained VQ-VAE."""

import keras
import numpy as np
from keras import ops

from keras_gen.models import network as network_lib
from keras_gen.models.generative_model import GenerativeModel
from keras_gen.models.vq_vae import networks
from keras_gen.models.vq_vae.vq_vae import VQVAE
from keras_gen.utils import validation


@keras.saving.register_keras_serializable(package="keras_gen")
class VQVAEPrior(GenerativeModel):
    """A gated PixelCNN prior over the codes of a frozen, trained VQ-VAE.

    The second stage of van den Oord et al. (2017, sec. 3.3): the VQ-VAE is
    trained under a uniform prior over its code indices; then an
    autoregressive prior `p(c) = prod_ij p(c_ij | c_<ij [, y])` is fitted
    to the indices of the training data, and new samples are drawn by
    sampling the indices one position at a time in raster order and
    decoding them with the VQ-VAE's decoder.

    The model takes the data (in the VQ-VAE's `value_range`): `fit(x)` (or
    `fit(x, labels)` with `num_classes`) encodes each batch with the frozen
    VQ-VAE and minimises the cross-entropy of the prior network's logits
    with the indices (the negative log-likelihood of the codes, logged as
    `nll`, in nats per code). `generate` samples indices with
    `sample_indices` and decodes them; `log_prob(x)` gives the prior's
    log-likelihood of the codes of `x`.

    Your own prior network takes `(n, h, w)` int32 indices (and `(n,)`
    int32 labels, `[indices, labels]`, when conditional) and returns
    `(n, h, w, num_embeddings)` logits whose `(i, j)` entry depends only on
    the indices before `(i, j)` in raster order.

    Args:
        vqvae: a trained `keras_gen.models.VQVAE` (frozen here).
        prior_network: a `keras.Model` from index grids to logits; `None`
            builds `GatedPixelCNN`.
        num_classes: number of classes to condition the prior on, or
            `None`.
        hidden_dim, num_layers, kernel_size: the default `GatedPixelCNN`'s
            channels, gated blocks and kernel size.
        seed: seed of the model's random stream and of the prior network's
            initial weights.

    Example:

    ```python
    x = keras_gen.datasets.load_digits("train")
    vqvae = keras_gen.models.VQVAE(data_shape=(8, 8, 1), num_embeddings=64,
                                   embedding_dim=8, filters=(64,), num_res_blocks=1)
    vqvae.compile()
    vqvae.fit(x, epochs=20, batch_size=64)
    prior = keras_gen.models.VQVAEPrior(vqvae, hidden_dim=64, num_layers=4)
    prior.compile()
    prior.fit(x, epochs=20, batch_size=64)
    images = prior.generate(16, seed=0)         # (16, 8, 8, 1) in [0, 1]
    codes = prior.sample_indices(16, seed=0)    # (16, 4, 4) int32
    ```
    """

    network_args = ("vqvae", "prior_network")

    def __init__(
        self,
        vqvae=None,
        prior_network=None,
        num_classes=None,
        hidden_dim=64,
        num_layers=4,
        kernel_size=3,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        if not isinstance(vqvae, VQVAE):
            raise ValueError(
                f"Pass a trained `keras_gen.models.VQVAE` as `vqvae`. Received: vqvae={vqvae!r}"
            )
        self.hidden_dim = validation.check_positive_int(
            hidden_dim, "hidden_dim"
        )
        self.num_layers = validation.check_positive_int(
            num_layers, "num_layers"
        )
        self.kernel_size = validation.check_positive_int(
            kernel_size, "kernel_size"
        )
        self._set_data_contract(
            tuple(vqvae.data_shape), vqvae.value_range, num_classes
        )
        self.index_shape = tuple(vqvae.index_shape)
        # Frozen: the prior learns the codes the VQ-VAE was trained to give
        # (set once here, never toggled).
        vqvae.trainable = False
        self.vqvae = vqvae
        self.prior_network = self._default_network(
            "prior_network",
            prior_network,
            lambda: networks.GatedPixelCNN(
                self.index_shape,
                self.num_embeddings,
                hidden_dim=self.hidden_dim,
                num_layers=self.num_layers,
                kernel_size=self.kernel_size,
                num_classes=self.num_classes,
            ),
        )
        self._check_prior_network()
        self.nll_tracker = keras.metrics.Mean(name="nll")

    @property
    def num_embeddings(self):
        return self.vqvae.num_embeddings

    def _check_prior_network(self):
        shapes = [(2,) + self.index_shape] + (
            [(2,)] if self.num_classes is not None else []
        )
        try:
            out = network_lib.symbolic_outputs(
                self.prior_network, shapes, ["int32"] * len(shapes)
            )
        except Exception as e:
            raise ValueError(
                f"`prior_network` must take index grids {(None,) + self.index_shape}"
                f"{' and labels (None,)' if self.num_classes is not None else ''}; calling it failed: {e}"
            ) from e
        expected = self.index_shape + (self.num_embeddings,)
        if isinstance(out, (list, tuple)) or tuple(out.shape[1:]) != expected:
            raise ValueError(
                f"`prior_network` must return logits of shape {(None,) + expected}. "
                f"Received: output {getattr(out, 'shape', out)}"
            )

    # -- training --------------------------------------------------------------

    def build(self, input_shape=None):
        # Every variable exists from `__init__` (functional networks); the
        # frozen VQ-VAE is never called as a layer here, so mark it.
        self.vqvae.built = True
        self.built = True

    def call(self, inputs, training=False):
        """A batch of data passes through (checked); `compute_loss` encodes
        it. Use `logits` for the prior's outputs."""
        self._check_batch(inputs)
        return inputs

    def default_optimizer(self):
        # van den Oord et al. (2017) train the PixelCNN prior with Adam.
        return keras.optimizers.Adam(1e-3)

    def logits(self, indices, labels=None, training=False):
        """The prior's logits `(n, h, w, K)` for index grids `(n, h, w)`."""
        indices = ops.cast(indices, "int32")
        inputs = (
            indices
            if self.num_classes is None
            else [indices, ops.cast(labels, "int32")]
        )
        return ops.cast(
            self.prior_network(inputs, training=training), "float32"
        )

    def _labels(self, y):
        return self._training_labels(y)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        indices = self.vqvae.encode_indices(x)
        logits = self.logits(indices, self._labels(y), training=training)
        # -log p(c) = -sum_ij log p(c_ij | c_<ij) (2017, sec. 3.3), a mean
        # over the codes here.
        nll = keras.losses.sparse_categorical_crossentropy(
            indices, logits, from_logits=True
        )
        nll = ops.mean(ops.reshape(nll, (ops.shape(nll)[0], -1)), axis=-1)
        self.nll_tracker.update_state(nll)
        loss = ops.mean(nll)
        losses = self.losses
        if losses:
            loss = loss + ops.sum(ops.stack(losses))
        return loss

    # -- codes -----------------------------------------------------------------

    def encode(self, x, batch_size=256):
        """The VQ-VAE's code indices of `x`, `(n, h, w)` int32."""
        return self.vqvae.encode(x, batch_size=batch_size)

    def log_prob(self, x, *, labels=None, batch_size=256):
        """log p(c(x) [| labels]) of each sample's codes, in nats, `(n,)`
        (eq. 1 of van den Oord et al., 2016a, summed over the grid); a
        conditional prior needs the samples' `labels`."""
        indices = self.encode(x, batch_size)
        if self.num_classes is None:
            labels = self.labels_for(len(indices), labels)  # refuses labels
        else:
            labels = self.check_labels(labels, len(indices))

        def batch(ib, lb):
            log_p = ops.log_softmax(self.logits(ib, lb), axis=-1)
            picked = ops.take_along_axis(
                log_p, ops.cast(ib, "int32")[..., None], axis=-1
            )
            return ops.sum(
                ops.reshape(picked, (ops.shape(picked)[0], -1)), axis=-1
            )

        return self.map_batches(batch, indices, labels, batch_size=batch_size)

    # -- sampling ----------------------------------------------------------------

    def sample_indices(
        self,
        num_samples,
        *,
        seed=None,
        labels=None,
        temperature=1.0,
        batch_size=256,
    ):
        """Index grids drawn from the prior, one position at a time.

        Args:
            num_samples: how many grids.
            seed: an int for a reproducible draw, or `None` for the model's
                random stream.
            labels: classes of a conditional prior (one, or one per grid).
            temperature: the logits are divided by it (0: the most likely
                code at each step).
            batch_size: grids per call.

        Returns:
            A NumPy int32 array `(num_samples, h, w)`.
        """
        num_samples = validation.check_positive_int(num_samples, "num_samples")
        batch_size = validation.check_positive_int(batch_size, "batch_size")
        temperature = validation.check_non_negative(temperature, "temperature")
        labels = self.labels_for(num_samples, labels)
        generator = self._sample_seed(seed)
        height, width = self.index_shape
        chunks = []
        for start in range(0, num_samples, batch_size):
            n = min(batch_size, num_samples - start)
            chunk_labels = (
                None
                if labels is None
                else ops.convert_to_tensor(labels[start : start + n])
            )
            grid = ops.zeros((n, height, width), "int32")
            # Raster order (eq. 1 of van den Oord et al., 2016a): position
            # (i, j) is drawn given every index before it.
            for position in range(height * width):
                i, j = divmod(position, width)
                logits = self.logits(grid, chunk_labels)[:, i, j, :]
                if temperature == 0:
                    code = ops.argmax(logits, axis=-1)
                else:
                    code = keras.random.categorical(
                        logits / temperature, 1, seed=generator
                    )[:, 0]
                here = np.zeros((1, height, width), bool)
                here[0, i, j] = True
                grid = ops.where(
                    here, ops.cast(code, "int32")[:, None, None], grid
                )
            chunks.append(ops.convert_to_numpy(grid).astype("int32"))
        return np.concatenate(chunks)

    def generate(
        self,
        num_samples,
        *,
        seed=None,
        labels=None,
        batch_size=256,
        temperature=1.0,
    ):
        """Samples decoded from index grids drawn from the prior.

        Args:
            num_samples: how many samples.
            seed: an int for a reproducible draw, or `None` for the model's
                random stream.
            labels: classes of a conditional prior (default: cycling
                through the classes).
            batch_size: samples per call.
            temperature: of the prior's logits (0: greedy).

        Returns:
            A NumPy float32 array `(num_samples, *data_shape)` in
            `value_range`.
        """
        indices = self.sample_indices(
            num_samples,
            seed=seed,
            labels=labels,
            temperature=temperature,
            batch_size=batch_size,
        )
        return self.vqvae.decode_indices(indices, batch_size=batch_size)

    def reference_probe(self, num=4):
        """The prior's logits on fixed index grids (drawn with NumPy)."""
        indices = np.random.default_rng(0).integers(
            0, self.num_embeddings, (num,) + self.index_shape
        )
        labels = (
            None
            if self.num_classes is None
            else np.arange(num, dtype="int32") % self.num_classes
        )
        return "logits", ops.convert_to_numpy(
            self.logits(indices.astype("int32"), labels)
        )

    # -- saving ------------------------------------------------------------------

    def get_config(self):
        config = super().get_config()
        config.pop("value_range")  # the VQ-VAE's
        # The VQ-VAE's own training settings belong to its run: it is frozen here.
        config["vqvae"].pop("compile_config", None)
        config.update(num_classes=self.num_classes)
        if self.uses_default_network("prior_network"):
            config.update(
                hidden_dim=self.hidden_dim,
                num_layers=self.num_layers,
                kernel_size=self.kernel_size,
            )
        return config
