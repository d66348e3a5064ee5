"""Vector quantisation to a learned codebook (van den Oord et al., 2017)."""

import keras
import numpy as np
from keras import ops

from keras_gen.utils import validation


@keras.saving.register_keras_serializable(package="keras_gen")
class VectorQuantizer(keras.layers.Layer):
    """Maps each vector to its nearest entry of a learned codebook.

    The input's last axis holds `embedding_dim` values; each vector `z_e` is
    replaced by its nearest codebook entry `e_k` (Euclidean distance,
    van den Oord et al., 2017, eq. 1-2). Gradients pass straight through the
    quantisation (`z_e + stop_gradient(e_k - z_e)`, sec. 3.2), and the
    layer returns the VQ part of the loss (eq. 3):

        ||sg[z_e] - e||^2 + commitment_cost * ||z_e - sg[e]||^2,

    each term a mean over the elements (as in the reference
    implementation). With `ema_decay`, the codebook is not trained by
    gradients but set to exponential moving averages of the vectors
    assigned to each entry (appendix A.1, eq. 6-8, with Laplace smoothing
    of the counts), and the loss is the commitment term alone.

    Dead-code restarts (with `dead_code_threshold > 0`): the layer keeps a
    moving average (decay `usage_decay`) of how many vectors of each batch
    every entry receives; at each training step, an entry whose average
    falls below the threshold is re-initialised to an encoder output drawn
    at random from the batch (as in Jukebox, Dhariwal et al., 2020), and its
    average is set to the threshold, so that it is restarted again only
    while it stays unused. Restarts are non-trainable updates (with
    gradient-trained codes, to a non-trainable offset of the entry), so
    they are part of the compiled step on every backend.

    Args:
        num_embeddings: K, the number of codebook entries.
        embedding_dim: D, the size of each entry.
        commitment_cost: β, the weight of the commitment term.
        ema_decay: γ of the moving-average codebook, e.g. 0.99, or `None`
            to train the codebook by gradients.
        epsilon: the Laplace smoothing of the moving-average counts.
        dead_code_threshold: the average number of vectors per batch below
            which an entry is restarted (0: never).
        usage_decay: decay of the usage average.
        **kwargs: passed to `keras.layers.Layer` (e.g. `name`).

    Call arguments:
        inputs: `(..., embedding_dim)` vectors.
        training: update the moving averages and restart dead entries.
        seed: a `keras.random.SeedGenerator` for the restarts' draws.

    Returns:
        `(quantized, indices, loss)`: the straight-through quantized
        vectors (float32, the input's shape), the int32 indices
        (the input's shape without its last axis) and the scalar VQ loss.

    Example:

    ```python
    quantizer = keras_gen.layers.VectorQuantizer(num_embeddings=64, embedding_dim=8)
    z_q, indices, vq_loss = quantizer(keras.random.normal((2, 7, 7, 8)))
    ```
    """

    def __init__(
        self,
        num_embeddings,
        embedding_dim,
        commitment_cost=0.25,
        ema_decay=None,
        epsilon=1e-5,
        dead_code_threshold=0.0,
        usage_decay=0.99,
        **kwargs,
    ):
        kwargs.setdefault(
            "dtype", "float32"
        )  # distances and averages in float32
        super().__init__(**kwargs)
        self.num_embeddings = validation.check_positive_int(
            num_embeddings, "num_embeddings"
        )
        self.embedding_dim = validation.check_positive_int(
            embedding_dim, "embedding_dim"
        )
        self.commitment_cost = validation.check_non_negative(
            commitment_cost, "commitment_cost"
        )
        if ema_decay is not None:
            ema_decay = validation.check_in_range(
                ema_decay,
                "ema_decay",
                0.0,
                1.0,
                description="a number in [0, 1), or None",
            )
            if ema_decay >= 1.0:
                raise ValueError(
                    f"`ema_decay` must be a number in [0, 1), or None. Received: ema_decay={ema_decay}"
                )
        self.ema_decay = ema_decay
        self.epsilon = validation.check_non_negative(epsilon, "epsilon")
        self.dead_code_threshold = validation.check_non_negative(
            dead_code_threshold, "dead_code_threshold"
        )
        self.usage_decay = validation.check_rate(usage_decay, "usage_decay")
        shape = (self.num_embeddings, self.embedding_dim)
        # Entries of norm about 1, the scale of a freshly initialised
        # encoder's outputs.
        initializer = keras.initializers.VarianceScaling(
            1.0, mode="fan_out", distribution="uniform"
        )
        self.codebook = self.add_weight(
            shape=shape,
            initializer=initializer,
            trainable=ema_decay is None,
            name="codebook",
        )
        if ema_decay is not None:
            # The averages start as if each entry had been assigned itself
            # once, so that an entry keeps its place until it is used.
            self.ema_cluster_size = self.add_weight(
                shape=(self.num_embeddings,),
                initializer="ones",
                trainable=False,
                name="ema_cluster_size",
            )
            self.ema_embedding_sum = self.add_weight(
                shape=shape,
                initializer="zeros",
                trainable=False,
                name="ema_embedding_sum",
            )
            # A copy (on JAX, two variables sharing one buffer would be
            # donated twice by the compiled train step).
            self.ema_embedding_sum.assign(
                np.array(ops.convert_to_numpy(self.codebook.value))
            )
        elif self.dead_code_threshold:
            self.codebook_offset = self.add_weight(
                shape=shape,
                initializer="zeros",
                trainable=False,
                name="codebook_offset",
            )
        self.usage = self.add_weight(
            shape=(self.num_embeddings,),
            initializer=keras.initializers.Constant(self.dead_code_threshold),
            trainable=False,
            name="usage",
        )
        self.built = True

    def embeddings(self):
        """The codebook in use, `(num_embeddings, embedding_dim)`."""
        codebook = self.codebook.value
        if self.ema_decay is None and self.dead_code_threshold:
            codebook = codebook + self.codebook_offset.value
        return codebook

    def nearest(self, inputs, codebook=None):
        """Index of the nearest entry of each vector of `inputs`."""
        codebook = self.embeddings() if codebook is None else codebook
        flat = ops.reshape(
            ops.cast(inputs, "float32"), (-1, self.embedding_dim)
        )
        # ||z||^2 - 2 z.e + ||e||^2 (eq. 2), without the (n, K, D) difference.
        distances = (
            ops.sum(ops.square(flat), axis=1, keepdims=True)
            - 2.0 * ops.matmul(flat, ops.transpose(codebook))
            + ops.sum(ops.square(codebook), axis=1)[None, :]
        )
        indices = ops.cast(ops.argmin(distances, axis=1), "int32")
        return ops.reshape(indices, ops.shape(inputs)[:-1])

    def lookup(self, indices):
        """The codebook entries of integer `indices` (any shape)."""
        return ops.take(self.embeddings(), ops.cast(indices, "int32"), axis=0)

    def call(self, inputs, training=False, seed=None):
        z_e = ops.cast(inputs, "float32")
        codebook = self.embeddings()
        indices = self.nearest(z_e, codebook)
        quantized = ops.take(codebook, indices, axis=0)
        commitment = ops.mean(ops.square(z_e - ops.stop_gradient(quantized)))
        loss = self.commitment_cost * commitment
        if self.ema_decay is None:
            loss = loss + ops.mean(
                ops.square(ops.stop_gradient(z_e) - quantized)
            )
        if training:
            self._update(ops.stop_gradient(z_e), indices, seed)
        # The straight-through estimator (sec. 3.2): forward e_k, backward
        # the gradient of z_q passed to z_e unchanged.
        quantized = z_e + ops.stop_gradient(quantized - z_e)
        return quantized, indices, loss

    def _update(self, z_e, indices, seed):
        flat = ops.reshape(z_e, (-1, self.embedding_dim))
        one_hot = ops.one_hot(
            ops.reshape(indices, (-1,)), self.num_embeddings, dtype="float32"
        )
        counts = ops.sum(one_hot, axis=0)
        if self.ema_decay is not None:
            self._update_ema(flat, one_hot, counts)
        usage = (
            self.usage_decay * self.usage.value
            + (1.0 - self.usage_decay) * counts
        )
        if self.dead_code_threshold:
            dead = usage < self.dead_code_threshold
            num_vectors = ops.cast(ops.shape(flat)[0], "float32")
            draws = keras.random.uniform((self.num_embeddings,), seed=seed)
            picks = ops.minimum(
                ops.cast(ops.floor(draws * num_vectors), "int32"),
                ops.shape(flat)[0] - 1,
            )
            candidates = ops.take(flat, picks, axis=0)
            self._restart(dead, candidates)
            usage = ops.where(dead, self.dead_code_threshold, usage)
        self.usage.assign(usage)

    def _update_ema(self, flat, one_hot, counts):
        decay = self.ema_decay
        # Appendix A.1, eq. 6-8: N_i and m_i are moving averages of the
        # number and the sum of the vectors assigned to entry i; e_i = m_i / N_i.
        cluster_size = (
            decay * self.ema_cluster_size.value + (1.0 - decay) * counts
        )
        embedding_sum = decay * self.ema_embedding_sum.value + (
            1.0 - decay
        ) * ops.matmul(ops.transpose(one_hot), flat)
        # Laplace smoothing of the counts: an unused entry is never divided by 0.
        total = ops.sum(cluster_size)
        smoothed = (
            (cluster_size + self.epsilon)
            / (total + self.num_embeddings * self.epsilon)
            * total
        )
        self.ema_cluster_size.assign(cluster_size)
        self.ema_embedding_sum.assign(embedding_sum)
        self.codebook.assign(embedding_sum / smoothed[:, None])

    def _restart(self, dead, candidates):
        mask = dead[:, None]
        if self.ema_decay is not None:
            # One vector's worth of average at the new place.
            self.ema_cluster_size.assign(
                ops.where(dead, 1.0, self.ema_cluster_size.value)
            )
            self.ema_embedding_sum.assign(
                ops.where(mask, candidates, self.ema_embedding_sum.value)
            )
            self.codebook.assign(
                ops.where(mask, candidates, self.codebook.value)
            )
        else:
            offset = self.codebook_offset.value
            self.codebook_offset.assign(
                ops.where(mask, candidates - self.codebook.value, offset)
            )

    def compute_output_spec(self, inputs, training=False, seed=None):
        return (
            keras.KerasTensor(inputs.shape, dtype="float32"),
            keras.KerasTensor(inputs.shape[:-1], dtype="int32"),
            keras.KerasTensor((), dtype="float32"),
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            num_embeddings=self.num_embeddings,
            embedding_dim=self.embedding_dim,
            commitment_cost=self.commitment_cost,
            ema_decay=self.ema_decay,
            epsilon=self.epsilon,
            dead_code_threshold=self.dead_code_threshold,
            usage_decay=self.usage_decay,
        )
        return config
