"""Variational autoencoder (Kingma & Welling, 2014), with beta-VAE, KL
warm-up, free bits, class conditioning, and the importance-weighted bound of
Burda et al. (2016) as an estimate and as a training objective."""

import math

import keras
import numpy as np
from keras import ops

from keras_gen.callbacks.kl_warmup import KLWarmup
from keras_gen.layers import upsampling as upsampling_lib
from keras_gen.losses import total_correlation
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

    Options (each off by default):

    - `num_classes`: a conditional VAE (Sohn et al., 2015), `p(x|z, y)`
      and `q(z|x, y)`: the one-hot class is appended to the encoder's input
      (as extra channels of an image) and to the decoder's code. Train with
      `fit(x, labels)`; `generate(labels=...)` picks the class.
    - `num_importance_samples=K > 1`: train on the importance-weighted bound
      (IWAE, Burda et al., 2016, eq. 8) with K posterior samples per input
      instead of the ELBO (K = 1). The KL weight, when not 1 (warm-up,
      beta), weighs `log p(z) - log q(z|x)` inside each importance weight.
    - `free_bits=λ`: the KL term becomes `sum_j max(λ, E_batch KL_j)`, each
      latent dimension's KL averaged over the batch and floored at λ nats
      (the "free bits" of Kingma et al., 2016), so that no dimension is
      pushed all the way to the prior (posterior collapse).

    `kl_decomposition(x)` estimates the index-code mutual information, the
    total correlation and the dimension-wise KL of the aggregate posterior
    on a data set (Chen et al., 2018; see `keras_gen.models.BetaTCVAE`,
    which trains on them).

    The decoder defines `p(x|z)`: for `likelihood="bernoulli"` it outputs
    logits of pixel probabilities (the data, mapped from `value_range` to
    [0, 1], are the Bernoulli means); for `"gaussian"` it outputs the mean,
    and a learned per-dimension log standard deviation completes the
    density.

    `model(x)` (`model([x, labels])` when conditional) returns the posterior
    parameters `(z_mean, z_log_var)`; use `encode`, `reconstruct`,
    `generate`, `decode`, `interpolate` and `log_prob` for the rest. Losses
    are reported per sample in nats (summed over dimensions).

    Your own networks (checked when the model is built): the encoder maps a
    sample to `2 * latent_dim` values (mean, then log-variance), to a pair
    `[z_mean, z_log_var]`, or to keras.io's triple `[z_mean, z_log_var, z]`
    (the sampled `z` is ignored: the model samples it); the decoder maps a
    code of `latent_dim` values to a sample: logits for `"bernoulli"` (no
    final sigmoid), the mean for `"gaussian"`. When conditional, the
    encoder's input has `num_classes` more channels (features) and the
    decoder's `num_classes` more values: the one-hot class.

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
        num_classes: classes of a conditional VAE, or `None`.
        num_importance_samples: K, posterior samples per input of the
            training bound: 1 for the ELBO, more for the IWAE bound.
        free_bits: λ, the floor in nats of each latent dimension's
            batch-averaged KL (0: no floor).
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

    # Conditional, trained on the IWAE bound with K = 5.
    x, y = keras_gen.datasets.load_digits("train", binarize=True, with_labels=True)
    cvae = keras_gen.models.VAE(
        data_shape=(8, 8, 1), latent_dim=8, num_classes=10, num_importance_samples=5)
    cvae.compile()
    cvae.fit(x, y, epochs=5, batch_size=64)
    sevens = cvae.generate(8, labels=7, seed=0)
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
        num_classes=None,
        num_importance_samples=1,
        free_bits=0.0,
        hidden_units=(256, 256),
        filters=(32, 64),
        upsampling="resize_conv",
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.latent_dim = validation.check_positive_int(
            latent_dim, "latent_dim"
        )
        self.likelihood = validation.check_choice(
            likelihood, "likelihood", LIKELIHOODS
        )
        self.beta = validation.check_non_negative(beta, "beta")
        self.kl_warmup_epochs = validation.check_positive_int(
            kl_warmup_epochs, "kl_warmup_epochs", allow_zero=True
        )
        self.num_importance_samples = validation.check_positive_int(
            num_importance_samples, "num_importance_samples"
        )
        self.free_bits = validation.check_non_negative(free_bits, "free_bits")
        if self.free_bits and self.num_importance_samples > 1:
            raise ValueError(
                "Free bits floor the KL term of the ELBO, which the IWAE bound does not have: use "
                "`free_bits` with num_importance_samples=1. Received: "
                f"free_bits={free_bits}, num_importance_samples={num_importance_samples}"
            )
        self.hidden_units = validation.check_int_sequence(
            hidden_units, "hidden_units"
        )
        self.filters = validation.check_int_sequence(filters, "filters")
        self.upsampling = upsampling_lib.check_network_upsampling(upsampling)
        networks.require_data_shape(data_shape, encoder, decoder)
        if data_shape is None:
            data_shape = validation.network_input_shape(encoder)
        if (
            isinstance(value_range, str)
            and value_range == "auto"
            and self.likelihood == "bernoulli"
        ):
            value_range = (0.0, 1.0)  # probabilities, for vectors too
        self._set_data_contract(data_shape, value_range, num_classes)
        if self.likelihood == "bernoulli" and self.value_range is None:
            raise ValueError(
                "A Bernoulli VAE models data in a bounded range: pass `value_range` (e.g. (0, 1)), or "
                "use likelihood='gaussian' for unbounded data. Received: value_range=None"
            )
        self.encoder = self._default_network(
            "encoder",
            encoder,
            lambda: networks.Encoder(
                networks.labelled_shape(self.data_shape, self.num_classes),
                2 * self.latent_dim,
                self.hidden_units,
                self.filters,
            ),
        )
        self.decoder = self._default_network(
            "decoder",
            decoder,
            lambda: networks.Decoder(
                self.latent_dim + (self.num_classes or 0),
                self.data_shape,
                self.hidden_units,
                self.filters,
                upsampling=self.upsampling,
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
                0.0 if self.kl_warmup_epochs else self.kl_weight_target
            ),
            trainable=False,
            name="kl_weight",
        )
        self.reconstruction_tracker = keras.metrics.Mean(
            name="reconstruction_loss"
        )
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def kl_weight_target(self):
        """The KL weight once warmed up (`KLWarmup` ramps up to it)."""
        return self.beta

    @property
    def model_range(self):
        # Bernoulli means are probabilities; a Gaussian works in the data's units.
        return (0.0, 1.0) if self.likelihood == "bernoulli" else None

    def _check_network_contract(self):
        if not self.uses_default_network("encoder"):
            try:
                encoder_shape = networks.labelled_shape(
                    self.data_shape, self.num_classes
                )
                out = network_lib.symbolic_outputs(
                    self.encoder, [(2,) + encoder_shape]
                )
            except Exception as e:
                raise ValueError(
                    f"`encoder` must take samples of shape {(None,) + encoder_shape}"
                    f"{' (the one-hot class appended)' if self.num_classes else ''}; calling it failed: "
                    f"{e}. Received: encoder={self.encoder.name!r}"
                ) from e
            shapes = (
                [tuple(o.shape[1:]) for o in out]
                if isinstance(out, (list, tuple))
                else [tuple(out.shape[1:])]
            )
            d = self.latent_dim
            if shapes not in ([(2 * d,)], [(d,), (d,)], [(d,), (d,), (d,)]):
                raise ValueError(
                    f"`encoder` must return 2 * latent_dim = {2 * d} values (mean, then log-variance), "
                    f"a pair [z_mean, z_log_var] or a triple [z_mean, z_log_var, z] of {d} values each. "
                    f"Received: encoder with output shapes {shapes}"
                )
        if not self.uses_default_network("decoder"):
            if self.num_classes:
                networks.check_decoder_input(
                    self.decoder,
                    self.latent_dim + self.num_classes,
                    "latent_dim + num_classes",
                )
            else:
                networks.check_decoder_input(self.decoder, self.latent_dim)
            if self.likelihood == "bernoulli":
                network_lib.refuse_final_activation(
                    self.decoder,
                    "decoder",
                    ("sigmoid",),
                    "logits of pixel probabilities (likelihood='bernoulli')",
                )

    # -- the model's densities ----------------------------------------------

    def call(self, inputs, training=False):
        """`model(x)`, or `model([x, labels])` when conditional: the
        posterior parameters `(z_mean, z_log_var)`. A conditional model's
        bare batch passes through unchanged: the training forward pass,
        which needs the labels, runs in `compute_loss`."""
        x, labels = (
            inputs if isinstance(inputs, (list, tuple)) else (inputs, None)
        )
        self._check_batch(x)
        if self.num_classes is not None and labels is None:
            return x
        return self._posterior(x, labels, training)

    def _posterior(self, x, labels, training=False):
        out = self.encoder(self._with_labels(x, labels), training=training)
        if isinstance(out, (list, tuple)):
            # `[z_mean, z_log_var]`, or keras.io's `[z_mean, z_log_var, z]`.
            z_mean, z_log_var = out[0], out[1]
        else:
            z_mean, z_log_var = ops.split(out, 2, axis=-1)
        return z_mean, z_log_var

    def _with_labels(self, x, labels):
        """The encoder's input (or the decoder's, for a code `x`): the
        one-hot class appended when conditional."""
        if self.num_classes is None:
            if labels is not None:
                raise ValueError(
                    f"{self.__class__.__name__} is not conditional (num_classes=None). Received: labels={labels!r}"
                )
            return x
        return networks.append_labels(x, labels, self.num_classes)

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
            ll = (
                -0.5 * ops.square((x - decoded) / ops.exp(log_scale))
                - log_scale
                - 0.5 * _LOG_2PI
            )
        return ops.sum(ll, axis=axes)

    def _mean_of(self, decoded):
        return (
            ops.sigmoid(decoded) if self.likelihood == "bernoulli" else decoded
        )

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        labels = self._training_labels(y)
        if labels is not None:
            y_pred = self._posterior(x, labels, training)
        z_mean, z_log_var = y_pred
        x = self.to_model_space(x)
        if self.num_importance_samples > 1:
            loss = self._iwae_loss(x, labels, z_mean, z_log_var, training)
        else:
            z, _ = self._sample_posterior(z_mean, z_log_var)
            decoded = self.decoder(
                self._with_labels(z, labels), training=training
            )
            reconstruction = ops.cast(
                -self._log_likelihood(x, decoded), "float32"
            )
            self.reconstruction_tracker.update_state(reconstruction)
            loss = ops.mean(reconstruction) + self._kl_penalty(
                z, z_mean, z_log_var
            )
        losses = self.losses
        if losses:
            loss = loss + ops.sum(ops.stack(losses))
        return loss

    def _kl_penalty(self, z, z_mean, z_log_var):
        """The weighted KL term of the loss (`z`: the posterior sample)."""
        kl_per_dim = gaussian_kl(z_mean, z_log_var)
        self.kl_tracker.update_state(ops.sum(kl_per_dim, axis=-1))
        if self.free_bits:
            # Free bits (Kingma et al., 2016): sum_j max(λ, E_batch KL_j).
            kl_term = ops.sum(
                ops.maximum(ops.mean(kl_per_dim, axis=0), self.free_bits)
            )
        else:
            kl_term = ops.mean(ops.sum(kl_per_dim, axis=-1))
        return ops.cast(self.kl_weight, "float32") * kl_term

    def _iwae_loss(self, x, labels, z_mean, z_log_var, training):
        """The negative importance-weighted bound (Burda et al., 2016, eq. 8)."""
        k = self.num_importance_samples
        log_px_z, log_pz, log_qz = self._importance_terms(
            x, labels, z_mean, z_log_var, k, None, training
        )
        # log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x); the KL weight (1
        # but under warm-up or a beta) scales the prior-over-posterior ratio.
        log_w = log_px_z + ops.cast(self.kl_weight, "float32") * (
            log_pz - log_qz
        )
        bound = ops.logsumexp(log_w, axis=1) - math.log(k)
        self.reconstruction_tracker.update_state(-ops.mean(log_px_z, axis=1))
        self.kl_tracker.update_state(ops.mean(log_qz - log_pz, axis=1))
        return -ops.mean(bound)

    def _importance_terms(
        self, x, labels, z_mean, z_log_var, num_samples, seed, training
    ):
        """`(log p(x|z_k), log p(z_k), log q(z_k|x))`, each `(n, K)` float32,
        for K posterior samples per input (`x` in model space)."""
        # (n, K, latent): K importance samples per input.
        z_mean_k = ops.repeat(z_mean[:, None], num_samples, axis=1)
        z_log_var_k = ops.repeat(z_log_var[:, None], num_samples, axis=1)
        z, eps = self._sample_posterior(z_mean_k, z_log_var_k, seed)
        flat_z = ops.reshape(z, (-1, self.latent_dim))
        flat_labels = (
            None if labels is None else ops.repeat(labels, num_samples, axis=0)
        )
        decoded = self.decoder(
            self._with_labels(flat_z, flat_labels), training=training
        )
        x_k = ops.repeat(x, num_samples, axis=0)
        log_px_z = ops.reshape(
            ops.cast(self._log_likelihood(x_k, decoded), "float32"),
            (-1, num_samples),
        )
        z, eps, z_log_var_k = (
            ops.cast(t, "float32") for t in (z, eps, z_log_var_k)
        )
        log_pz = ops.sum(-0.5 * ops.square(z) - 0.5 * _LOG_2PI, axis=-1)
        log_qz = ops.sum(
            -0.5 * ops.square(eps) - 0.5 * z_log_var_k - 0.5 * _LOG_2PI, axis=-1
        )
        return log_px_z, log_pz, log_qz

    def _prepare_fit(self, arguments):
        super()._prepare_fit(arguments)
        callbacks = arguments.get("callbacks")
        if self.kl_warmup_epochs and isinstance(
            callbacks, (list, tuple, type(None))
        ):
            callbacks = list(callbacks or [])
            if not any(isinstance(c, KLWarmup) for c in callbacks):
                callbacks.append(KLWarmup())
            arguments["callbacks"] = callbacks

    # -- inference ---------------------------------------------------------------

    def encode(self, x, batch_size=256, *, labels=None):
        """Posterior parameters `(z_mean, z_log_var)` of `x` (and `labels`,
        when conditional), as NumPy arrays."""
        if self.num_classes is None:
            self._with_labels(None, labels)  # refuses labels
            return self.predict(x, batch_size=batch_size, verbose=0)
        labels = self.check_labels(labels, len(x))
        return self.predict(
            [np.asarray(x, "float32"), labels], batch_size=batch_size, verbose=0
        )

    @property
    def latent_shape(self):
        return (self.latent_dim,)

    def _decode_batch(self, z, labels):
        return self._mean_of(
            self.decoder(self._with_labels(z, labels), training=False)
        )

    def reconstruct(self, x, batch_size=256, *, labels=None):
        """Decodes the posterior mean of each input (in `value_range`)."""
        z_mean, _ = self.encode(x, batch_size, labels=labels)
        return self.decode(z_mean, labels=labels, batch_size=batch_size)

    def generate(
        self,
        num_samples,
        *,
        seed=None,
        labels=None,
        batch_size=256,
        temperature=1.0,
    ):
        """Decodes `z ~ N(0, temperature^2 I)` (the mean of `p(x|z)`).

        Args:
            num_samples: how many samples.
            seed: an int for a reproducible draw, or `None` to use the
                model's random stream.
            labels: the class of every sample, or one per sample, of a
                conditional VAE (default: cycling through the classes);
                `None` for an unconditional one.
            batch_size: samples per call.
            temperature: scale of the prior noise.

        Returns:
            A NumPy float32 array `(num_samples, *data_shape)` in
            `value_range` (pixel probabilities for a Bernoulli VAE).
        """
        return super().generate(
            num_samples,
            seed=seed,
            labels=labels,
            batch_size=batch_size,
            temperature=temperature,
        )

    def log_prob(
        self, x, num_samples=100, batch_size=None, seed=0, *, labels=None
    ):
        """Importance-weighted estimate of `log p(x)` per sample, in nats.

            log p(x) >= log (1/K) sum_k p(x, z_k) / q(z_k|x),  z_k ~ q(z|x)

        (Burda et al., 2016, eq. 8). `num_samples=1` gives the ELBO; the
        bound tightens as K grows. Higher is more likely, so `-log_prob` is
        an anomaly score. A conditional VAE gives `log p(x | labels)`.

        Args:
            x: NumPy array of samples.
            num_samples: K, importance samples per input.
            batch_size: inputs per chunk (default: about 8192 / K).
            seed: int seed of the importance samples.
            labels: the classes of `x` (conditional VAE).

        Returns:
            A NumPy array of shape `(len(x),)`.
        """
        num_samples = validation.check_positive_int(num_samples, "num_samples")
        x = np.asarray(x, dtype="float32")
        self.data_checker().check_x(x, whole=True)
        labels = self._labels_of(x, labels)
        x = self.to_model_space(x)
        batch_size = batch_size or max(1, 8192 // num_samples)
        seed = keras.random.SeedGenerator(seed)
        results = []
        for start in range(0, len(x), batch_size):
            xb = ops.convert_to_tensor(x[start : start + batch_size])
            lb = (
                None
                if labels is None
                else ops.convert_to_tensor(labels[start : start + batch_size])
            )
            z_mean, z_log_var = self._posterior(xb, lb)
            log_px_z, log_pz, log_qz = self._importance_terms(
                xb, lb, z_mean, z_log_var, num_samples, seed, False
            )
            log_w = log_px_z + log_pz - log_qz
            results.append(
                ops.convert_to_numpy(
                    ops.logsumexp(log_w, axis=1) - math.log(num_samples)
                )
            )
        return np.concatenate(results)

    def _labels_of(self, x, labels):
        """Checked int32 labels of `x` (conditional), or None."""
        if self.num_classes is None:
            self._with_labels(None, labels)  # refuses labels
            return None
        return self.check_labels(labels, len(x))

    def kl_decomposition(
        self,
        x,
        *,
        labels=None,
        dataset_size=None,
        estimator="mss",
        batch_size=1024,
        seed=0,
    ):
        """Estimates the KL term's decomposition on a data set (Chen et al.,
        2018, eq. 2): index-code mutual information, total correlation of
        the aggregate posterior `q(z)` and dimension-wise KL, in nats.

        The data (e.g. a held-out split) are shuffled and cut into batches
        of `batch_size`; in each, one code `z ~ q(z|x)` per sample is scored
        under the batch's posteriors with `keras_gen.losses.kl_decomposition`
        (minibatch-weighted: `"mws"`, or stratified: `"mss"`, whose weights
        sum to 1 and so carry no `log N` offset; see there), for a data set of
        `dataset_size` samples; the batches' means are averaged. Large
        batches make the estimate less biased.

        Args:
            x: NumPy array of samples, in `value_range`.
            labels: their classes (conditional VAE).
            dataset_size: N of the estimator (default: `len(x)`).
            estimator: `"mss"` or `"mws"`.
            batch_size: samples per batch (M).
            seed: seed of the shuffle and of the codes.

        Returns:
            A dict of floats: `mutual_information`, `total_correlation`,
            `dimension_wise_kl`, and `kl` (their sum, the mean
            `log q(z|x) - log p(z)`).

        Example:

        ```python
        x_test = keras_gen.datasets.load_digits("test", binarize=True)
        print(vae.kl_decomposition(x_test)["total_correlation"])
        ```
        """
        x = np.asarray(x, dtype="float32")
        self.data_checker().check_x(x, whole=True)
        labels = self._labels_of(x, labels)
        dataset_size = validation.check_positive_int(
            dataset_size or len(x), "dataset_size"
        )
        validation.check_choice(
            estimator, "estimator", total_correlation.ESTIMATORS
        )
        batch_size = validation.check_positive_int(batch_size, "batch_size")
        order = np.random.default_rng(seed).permutation(len(x))
        generator = keras.random.SeedGenerator(seed)
        totals = np.zeros(3)
        for start in range(0, len(x), batch_size):
            index = order[start : start + batch_size]
            lb = (
                None if labels is None else ops.convert_to_tensor(labels[index])
            )
            z_mean, z_log_var = self._posterior(
                ops.convert_to_tensor(x[index]), lb
            )
            z, _ = self._sample_posterior(z_mean, z_log_var, generator)
            terms = total_correlation.kl_decomposition(
                z, z_mean, z_log_var, dataset_size, estimator
            )
            totals += [float(ops.convert_to_numpy(ops.sum(t))) for t in terms]
        mi, tc, dwkl = totals / len(x)
        return {
            "mutual_information": mi,
            "total_correlation": tc,
            "dimension_wise_kl": dwkl,
            "kl": mi + tc + dwkl,
        }

    def total_correlation(self, x, **kwargs):
        """The total correlation of the aggregate posterior on `x`, in nats:
        `kl_decomposition(x, **kwargs)["total_correlation"]`."""
        return self.kl_decomposition(x, **kwargs)["total_correlation"]

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
            num_classes=self.num_classes,
            num_importance_samples=self.num_importance_samples,
            free_bits=self.free_bits,
        )
        if self.uses_default_network("encoder") or self.uses_default_network(
            "decoder"
        ):
            config.update(
                hidden_units=self.hidden_units,
                filters=self.filters,
                upsampling=self.upsampling,
            )
        return config

    @classmethod
    def from_config(cls, config):
        return super().from_config(
            upsampling_lib.with_legacy_upsampling(config)
        )


def gaussian_kl(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, 1)) per dimension, in closed form
    (Kingma & Welling, 2014, appendix B), as float32."""
    mean, log_var = ops.cast(mean, "float32"), ops.cast(log_var, "float32")
    return 0.5 * (ops.exp(log_var) + ops.square(mean) - 1.0 - log_var)
