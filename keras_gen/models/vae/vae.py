"""Variational autoencoder (Kingma & Welling, 2014), with beta-VAE and
KL warm-up, and the importance-weighted bound of Burda et al. (2016)."""

import math

import keras
import numpy as np
from keras import ops

from keras_gen.callbacks.kl_warmup import KLWarmup
from keras_gen.models.autoencoder import networks
from keras_gen.models.generative_model import GenerativeModel
from keras_gen.utils import latent as latent_utils
from keras_gen.utils import validation

LIKELIHOODS = ("bernoulli", "gaussian")
_LOG_2PI = math.log(2.0 * math.pi)


@keras.saving.register_keras_serializable(package="keras_gen")
class VAE(GenerativeModel):
    """Variational autoencoder with a diagonal-Gaussian posterior.

    Training minimises the negative evidence lower bound

        -ELBO(x) = -E_q[log p(x|z)] + beta * KL(q(z|x) || N(0, I)),

    with `z = mu + sigma * eps` (the reparameterisation trick) and the KL term
    in closed form (Kingma & Welling, appendix B). `beta > 1` gives a
    beta-VAE (Higgins et al., 2017). With `kl_warmup_epochs=N`, the KL
    weight ramps linearly from 0 to `beta` over the first N epochs of `fit`
    (Bowman et al., 2016; Sønderby et al., 2016).

    The decoder defines `p(x|z)`: for `likelihood="bernoulli"` it outputs
    logits (data in [0, 1]); for `"gaussian"` it outputs the mean, and a
    learned per-dimension log standard deviation completes the density.

    `model(x)` returns the posterior parameters `(z_mean, z_log_var)`; use
    `reconstruct`, `generate`, `interpolate` and `log_prob` for the rest.
    Losses are reported per sample in nats (summed over dimensions).

    Args:
        encoder: a `keras.Model` from a sample to `2 * latent_dim` values
            (mean, then log-variance) or to a pair of `latent_dim` tensors;
            `None` builds the default for `data_shape`.
        decoder: a `keras.Model` from `latent_dim` to a sample; `None` builds
            the default.
        latent_dim: size of `z`.
        data_shape: shape of one sample (needed for the default networks).
        likelihood: `"bernoulli"` or `"gaussian"`.
        beta: weight of the KL term (1 is the VAE; > 1 a beta-VAE).
        kl_warmup_epochs: epochs over which the KL weight ramps from 0.
        seed: seed of the model's random stream.

    Example:

    ```python
    x_train = keras_gen.datasets.load_digits("train", binarize=True)
    vae = keras_gen.models.VAE(data_shape=(8, 8, 1), latent_dim=8)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    vae.fit(x_train, epochs=5, batch_size=64)
    samples = vae.generate(16, seed=0)        # (16, 8, 8, 1) in [0, 1]
    nll = -vae.log_prob(x_train[:10], num_samples=100)  # nats per image
    ```
    """

    network_args = ("encoder", "decoder")

    def __init__(
        self,
        encoder=None,
        decoder=None,
        latent_dim=16,
        data_shape=None,
        likelihood="bernoulli",
        beta=1.0,
        kl_warmup_epochs=0,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.latent_dim = validation.check_positive_int(latent_dim, "latent_dim")
        self.likelihood = validation.check_choice(likelihood, "likelihood", LIKELIHOODS)
        self.beta = validation.check_non_negative(beta, "beta")
        self.kl_warmup_epochs = validation.check_positive_int(
            kl_warmup_epochs, "kl_warmup_epochs", allow_zero=True
        )
        networks.require_data_shape(data_shape, encoder, decoder)
        if encoder is None:
            encoder = networks.build_encoder(data_shape, 2 * self.latent_dim)
        if decoder is None:
            decoder = networks.build_decoder(self.latent_dim, data_shape)
        self.encoder = encoder
        self.decoder = decoder
        self.data_shape = validation.network_input_shape(encoder)
        if self.likelihood == "gaussian":
            self.log_scale = self.add_weight(
                shape=self.data_shape, initializer="zeros", name="log_scale"
            )
        # The KL weight in use; `KLWarmup` moves it at each epoch.
        self.kl_weight = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(
                0.0 if self.kl_warmup_epochs else self.beta
            ),
            trainable=False,
            name="kl_weight",
        )
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")

    def _expected_data_shape(self):
        return self.data_shape

    # -- the model's densities ----------------------------------------------

    def call(self, inputs, training=False):
        self._check_batch(inputs)
        out = self.encoder(inputs, training=training)
        if isinstance(out, (list, tuple)):
            z_mean, z_log_var = out
        else:
            z_mean, z_log_var = ops.split(out, 2, axis=-1)
        return z_mean, z_log_var

    def _sample_posterior(self, z_mean, z_log_var, seed=None):
        if seed is None:
            eps = self.random_normal(ops.shape(z_mean))
        else:
            eps = keras.random.normal(ops.shape(z_mean), seed=seed)
        # The encoder's dtype under a mixed policy (TF does not promote).
        eps = ops.cast(eps, z_mean.dtype)
        return z_mean + ops.exp(0.5 * z_log_var) * eps, eps

    def _log_likelihood(self, x, decoded):
        """log p(x|z) summed over the dimensions of each sample."""
        axes = tuple(range(1, len(self.data_shape) + 1))
        x = ops.cast(x, decoded.dtype)
        if self.likelihood == "bernoulli":
            # x log sigmoid(l) + (1 - x) log sigmoid(-l) = x l - softplus(l)
            ll = x * decoded - ops.softplus(decoded)
        else:
            log_scale = ops.maximum(self.log_scale, math.log(1e-3))
            ll = -0.5 * ops.square((x - decoded) / ops.exp(log_scale)) - log_scale - 0.5 * _LOG_2PI
        return ops.sum(ll, axis=axes)

    def _mean_of(self, decoded):
        return ops.sigmoid(decoded) if self.likelihood == "bernoulli" else decoded

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        z_mean, z_log_var = y_pred
        z, _ = self._sample_posterior(z_mean, z_log_var)
        decoded = self.decoder(z, training=training)
        reconstruction = -self._log_likelihood(x, decoded)
        # Closed-form KL(N(mu, sigma^2) || N(0, 1)), Kingma & Welling app. B.
        kl = 0.5 * ops.sum(
            ops.exp(z_log_var) + ops.square(z_mean) - 1.0 - z_log_var, axis=-1
        )
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        loss = ops.mean(reconstruction) + ops.cast(self.kl_weight, kl.dtype) * ops.mean(kl)
        losses = self.losses
        if losses:
            loss = loss + ops.sum(ops.stack(losses))
        return loss

    def fit(self, *args, callbacks=None, **kwargs):
        callbacks = list(callbacks or [])
        if self.kl_warmup_epochs and not any(isinstance(c, KLWarmup) for c in callbacks):
            callbacks.append(KLWarmup())
        return super().fit(*args, callbacks=callbacks, **kwargs)

    # -- inference ---------------------------------------------------------------

    def encode(self, x, batch_size=256):
        """Posterior parameters `(z_mean, z_log_var)` of `x`, as NumPy arrays."""
        return self.predict(x, batch_size=batch_size, verbose=0)

    def decode(self, z, batch_size=256):
        """The mean of `p(x|z)` (pixel probabilities for Bernoulli)."""
        z = np.asarray(z, dtype="float32")
        if len(z) == 0:
            return np.zeros((0,) + self.data_shape, "float32")
        return self.map_batches(
            lambda zb: self._mean_of(self.decoder(zb, training=False)), z, batch_size=batch_size
        )

    def reconstruct(self, x, batch_size=256):
        """Decodes the posterior mean of each input."""
        z_mean, _ = self.encode(x, batch_size)
        return self.decode(z_mean, batch_size)

    def generate(self, num_samples, seed=None, temperature=1.0):
        """Decodes `z ~ N(0, temperature^2 I)`.

        Args:
            num_samples: how many samples.
            seed: an int for a reproducible draw, or `None` to use the
                model's random stream.
            temperature: scale of the prior noise.

        Returns:
            A NumPy array of `num_samples` samples (means of `p(x|z)`).
        """
        num_samples = validation.check_positive_int(num_samples, "num_samples")
        z = keras.random.normal(
            (num_samples, self.latent_dim), seed=self._sample_seed(seed)
        ) * float(temperature)
        return self.decode(ops.convert_to_numpy(z))

    def interpolate(self, x_start, x_end, num_steps=8, method="linear"):
        """Decodes points between the posterior means of two inputs.

        Returns:
            A NumPy array `(num_steps, *data_shape)`.
        """
        z = self.encode(np.stack([x_start, x_end]))[0]
        path = latent_utils.interpolate(z[0], z[1], num_steps, method)
        return self.decode(path)

    def log_prob(self, x, num_samples=100, batch_size=None, seed=0):
        """Importance-weighted estimate of `log p(x)` per sample, in nats.

            log p(x) >= log (1/K) sum_k p(x, z_k) / q(z_k|x),  z_k ~ q(z|x)

        (Burda et al., 2016, eq. 8). `num_samples=1` gives the ELBO; the
        bound tightens as K grows. Higher is more likely, so `-log_prob` is
        an anomaly score.

        Args:
            x: NumPy array of samples.
            num_samples: K, importance samples per input.
            batch_size: inputs per chunk (default: about 8192 / K).
            seed: int seed of the importance samples.

        Returns:
            A NumPy array of shape `(len(x),)`.
        """
        num_samples = validation.check_positive_int(num_samples, "num_samples")
        x = np.asarray(x, dtype="float32")
        validation.check_array_data(x, "x", self.data_shape)
        batch_size = batch_size or max(1, 8192 // num_samples)
        seed = keras.random.SeedGenerator(seed)
        results = []
        for start in range(0, len(x), batch_size):
            xb = ops.convert_to_tensor(x[start : start + batch_size])
            n = ops.shape(xb)[0]
            z_mean, z_log_var = self(xb, training=False)
            # (n, K, latent): K importance samples per input.
            z_mean_k = ops.repeat(z_mean[:, None], num_samples, axis=1)
            z_log_var_k = ops.repeat(z_log_var[:, None], num_samples, axis=1)
            z, eps = self._sample_posterior(z_mean_k, z_log_var_k, seed)
            flat_z = ops.reshape(z, (-1, self.latent_dim))
            decoded = self.decoder(flat_z, training=False)
            x_k = ops.repeat(xb, num_samples, axis=0)
            log_px_z = ops.reshape(self._log_likelihood(x_k, decoded), (n, num_samples))
            log_pz = ops.sum(-0.5 * ops.square(z) - 0.5 * _LOG_2PI, axis=-1)
            log_qz = ops.sum(-0.5 * ops.square(eps) - 0.5 * z_log_var_k - 0.5 * _LOG_2PI, axis=-1)
            log_w = log_px_z + log_pz - log_qz
            results.append(
                ops.convert_to_numpy(ops.logsumexp(log_w, axis=1) - math.log(num_samples))
            )
        return np.concatenate(results)

    def get_config(self):
        config = super().get_config()
        config.update(
            latent_dim=self.latent_dim,
            data_shape=self.data_shape,
            likelihood=self.likelihood,
            beta=self.beta,
            kl_warmup_epochs=self.kl_warmup_epochs,
        )
        return config

