"""Variational autoencoder (Kingma & Welling, 2014), with beta-VAE and
KL warm-up, and the importance-weighted bound of Burda et al. (2016)."""

import math

import keras
import numpy as np
from keras import ops

from keras_gen.callbacks.kl_warmup import KLWarmup
from keras_gen.layers import upsampling as upsampling_lib
from keras_gen.models import network as network_lib
from keras_gen.models.autoencoder import networks
from keras_gen.models.generative_model import GenerativeModel
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
    logits of pixel probabilities (the data, mapped from `value_range` to
    [0, 1], are the Bernoulli means); for `"gaussian"` it outputs the mean,
    and a learned per-dimension log standard deviation completes the
    density.

    `model(x)` returns the posterior parameters `(z_mean, z_log_var)`; use
    `encode`, `reconstruct`, `generate`, `decode`, `interpolate` and
    `log_prob` for the rest. Losses are reported per sample in nats
    (summed over dimensions).

    Your own networks (checked when the model is built): the encoder maps a
    sample to `2 * latent_dim` values (mean, then log-variance), to a pair
    `[z_mean, z_log_var]`, or to keras.io's triple `[z_mean, z_log_var, z]`
    (the sampled `z` is ignored: the model samples it); the decoder maps a
    code of `latent_dim` values to a sample: logits for `"bernoulli"` (no
    final sigmoid), the mean for `"gaussian"`.

    Args:
        encoder: a `keras.Model` from a sample to the posterior's
            parameters (see above); `None` builds the default `Encoder`.
        decoder: a `keras.Model` from `latent_dim` to a sample; `None` builds
            the default `Decoder`.
        latent_dim: size of `z`.
        data_shape: shape of one sample (needed for the default networks).
        value_range: `(low, high)` of the data and the samples; `"auto"`:
            (0, 1) for a Bernoulli VAE and for images, `None` (unbounded)
            for the vectors of a Gaussian VAE.
        likelihood: `"bernoulli"` or `"gaussian"`.
        beta: weight of the KL term (1 is the VAE; > 1 a beta-VAE).
        kl_warmup_epochs: epochs over which the KL weight ramps from 0.
        hidden_units, filters: the default networks' hidden layer sizes
            and convolution channels (see `Encoder`, `Decoder`).
        upsampling: how the default decoder upsamples images:
            `"resize_conv"` (default), `"depth_to_space"` or `"transposed"`
            (see `keras_gen.models.autoencoder.Decoder`). Configs saved
            before this argument existed load as `"transposed"`.
        seed: seed of the model's random stream and of the default
            networks' initial weights.

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
    default_value_range = (0.0, 1.0)

    def __init__(
        self,
        encoder=None,
        decoder=None,
        latent_dim=16,
        data_shape=None,
        value_range="auto",
        likelihood="bernoulli",
        beta=1.0,
        kl_warmup_epochs=0,
        hidden_units=(256, 256),
        filters=(32, 64),
        upsampling="resize_conv",
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
        self.hidden_units = validation.check_int_sequence(hidden_units, "hidden_units")
        self.filters = validation.check_int_sequence(filters, "filters")
        self.upsampling = upsampling_lib.check_network_upsampling(upsampling)
        networks.require_data_shape(data_shape, encoder, decoder)
        if data_shape is None:
            data_shape = validation.network_input_shape(encoder)
        if isinstance(value_range, str) and value_range == "auto" and self.likelihood == "bernoulli":
            value_range = (0.0, 1.0)  # probabilities, for vectors too
        self._set_data_contract(data_shape, value_range, None)
        if self.likelihood == "bernoulli" and self.value_range is None:
            raise ValueError(
                "A Bernoulli VAE models data in a bounded range: pass `value_range` (e.g. (0, 1)), or "
                "use likelihood='gaussian' for unbounded data. Received: value_range=None"
            )
        self.encoder = self._default_network(
            "encoder", encoder, lambda: networks.Encoder(self.data_shape, 2 * self.latent_dim, self.hidden_units, self.filters)
        )
        self.decoder = self._default_network(
            "decoder",
            decoder,
            lambda: networks.Decoder(
                self.latent_dim, self.data_shape, self.hidden_units, self.filters, upsampling=self.upsampling
            ),
        )
        self._check_network_contract()
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

    @property
    def model_range(self):
        # Bernoulli means are probabilities; a Gaussian works in the data's units.
        return (0.0, 1.0) if self.likelihood == "bernoulli" else None

    def _check_network_contract(self):
        if not self.uses_default_network("encoder"):
            try:
                out = network_lib.symbolic_outputs(self.encoder, [(2,) + self.data_shape])
            except Exception as e:
                raise ValueError(
                    f"`encoder` must take samples of shape {(None,) + self.data_shape}; calling it failed: "
                    f"{e}. Received: encoder={self.encoder.name!r}"
                ) from e
            shapes = [tuple(o.shape[1:]) for o in out] if isinstance(out, (list, tuple)) else [tuple(out.shape[1:])]
            d = self.latent_dim
            if shapes not in ([(2 * d,)], [(d,), (d,)], [(d,), (d,), (d,)]):
                raise ValueError(
                    f"`encoder` must return 2 * latent_dim = {2 * d} values (mean, then log-variance), "
                    f"a pair [z_mean, z_log_var] or a triple [z_mean, z_log_var, z] of {d} values each. "
                    f"Received: encoder with output shapes {shapes}"
                )
        if not self.uses_default_network("decoder"):
            networks.check_decoder_input(self.decoder, self.latent_dim)
            if self.likelihood == "bernoulli":
                network_lib.refuse_final_activation(
                    self.decoder, "decoder", ("sigmoid",), "logits of pixel probabilities (likelihood='bernoulli')"
                )

    # -- the model's densities ----------------------------------------------

    def call(self, inputs, training=False):
        self._check_batch(inputs)
        out = self.encoder(inputs, training=training)
        if isinstance(out, (list, tuple)):
            # `[z_mean, z_log_var]`, or keras.io's `[z_mean, z_log_var, z]`.
            z_mean, z_log_var = out[0], out[1]
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
        x = self.to_model_space(x)
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

    def _prepare_fit(self, arguments):
        super()._prepare_fit(arguments)
        callbacks = arguments.get("callbacks")
        if self.kl_warmup_epochs and isinstance(callbacks, (list, tuple, type(None))):
            callbacks = list(callbacks or [])
            if not any(isinstance(c, KLWarmup) for c in callbacks):
                callbacks.append(KLWarmup())
            arguments["callbacks"] = callbacks

    # -- inference ---------------------------------------------------------------

    def encode(self, x, batch_size=256):
        """Posterior parameters `(z_mean, z_log_var)` of `x`, as NumPy arrays."""
        return self.predict(x, batch_size=batch_size, verbose=0)

    @property
    def latent_shape(self):
        return (self.latent_dim,)

    def _decode_batch(self, z, labels):
        return self._mean_of(self.decoder(z, training=False))

    def reconstruct(self, x, batch_size=256):
        """Decodes the posterior mean of each input (in `value_range`)."""
        z_mean, _ = self.encode(x, batch_size)
        return self.decode(z_mean, batch_size=batch_size)

    def generate(self, num_samples, *, seed=None, labels=None, batch_size=256, temperature=1.0):
        """Decodes `z ~ N(0, temperature^2 I)` (the mean of `p(x|z)`).

        Args:
            num_samples: how many samples.
            seed: an int for a reproducible draw, or `None` to use the
                model's random stream.
            labels: must be `None` (the VAE is unconditional).
            batch_size: samples per call.
            temperature: scale of the prior noise.

        Returns:
            A NumPy float32 array `(num_samples, *data_shape)` in
            `value_range` (pixel probabilities for a Bernoulli VAE).
        """
        return super().generate(
            num_samples, seed=seed, labels=labels, batch_size=batch_size, temperature=temperature
        )

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
        self.data_checker().check_x(x, whole=True)
        x = self.to_model_space(x)
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

    def default_optimizer(self):
        return keras.optimizers.Adam(1e-3)

    def get_config(self):
        config = super().get_config()
        config.update(
            latent_dim=self.latent_dim,
            data_shape=self.data_shape,
            likelihood=self.likelihood,
            beta=self.beta,
            kl_warmup_epochs=self.kl_warmup_epochs,
        )
        if self.uses_default_network("encoder") or self.uses_default_network("decoder"):
            config.update(hidden_units=self.hidden_units, filters=self.filters, upsampling=self.upsampling)
        return config

    @classmethod
    def from_config(cls, config):
        return super().from_config(upsampling_lib.with_legacy_upsampling(config))

