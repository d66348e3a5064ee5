"""β-TCVAE (Chen et al., 2018): a VAE whose KL term is decomposed into
index-code mutual information, total correlation and dimension-wise KL,
each with its own weight."""

import keras
from keras import ops

from keras_gen.losses import total_correlation
from keras_gen.models.vae.vae import VAE, gaussian_kl
from keras_gen.utils import validation


@keras.saving.register_keras_serializable(package="keras_gen")
class BetaTCVAE(VAE):
    """β-TCVAE: a VAE that penalises the total correlation of its codes.

    The KL term of the ELBO, averaged over the data, decomposes as
    (Chen et al., 2018, eq. 2)

        E_x KL(q(z|x) || p(z)) = I_q(z; x) + KL(q(z) || prod_j q(z_j))
                                 + sum_j KL(q(z_j) || p(z_j)),

    the index-code mutual information, the total correlation (TC) of the
    aggregate posterior `q(z)` and the dimension-wise KL. β-TCVAE minimises

        -E_q[log p(x|z)] + alpha * MI + beta * TC + gamma * DWKL

    (eq. 4), so that a large `beta` pushes the code dimensions towards
    independence (disentanglement) without squeezing the information the
    code carries about `x` as a β-VAE does. `q(z)` and its marginals are
    estimated on each training batch by minibatch-weighted sampling
    (`estimator="mws"`, sec. 3 and appendix C.1), which needs the number of
    training samples `dataset_size` (N); `"mss"` uses the stratified
    estimator of appendix C.2. `alpha = beta = gamma = 1` is the VAE's
    objective. The fit logs `mutual_information`, `total_correlation` and
    `dimension_wise_kl` (batch estimates) beside `kl_loss` (the closed-form
    KL); `kl_decomposition(x)` / `total_correlation(x)` estimate them on
    held-out data.

    Everything else is the `VAE`'s (networks, likelihoods, class
    conditioning, `log_prob`, sampling): β-TCVAE is the VAE with this KL
    term, so it subclasses it. KL warm-up (`kl_warmup_epochs`) ramps a
    weight from 0 to 1 on the whole decomposed term. The IWAE objective and
    free bits, which replace the KL term, are not options here.

    Args:
        encoder, decoder, latent_dim, data_shape, value_range, likelihood,
            kl_warmup_epochs, num_classes, hidden_units, filters, seed: as
            for `keras_gen.models.VAE`.
        alpha: weight of the index-code mutual information.
        beta: weight of the total correlation.
        gamma: weight of the dimension-wise KL.
        dataset_size: N, the number of training samples; `None` takes the
            length of the arrays given to the first `fit`.
        estimator: `"mws"` (minibatch-weighted sampling) or `"mss"`
            (minibatch-stratified sampling).

    Example:

    ```python
    x, factors = keras_gen.datasets.load_sprites()
    model = keras_gen.models.BetaTCVAE(
        data_shape=x.shape[1:], latent_dim=10, beta=6.0, dataset_size=len(x))
    model.compile()
    model.fit(x, epochs=20, batch_size=64)
    print(model.kl_decomposition(x[:1000]))    # MI, TC, DWKL in nats
    ```
    """

    def __init__(
        self,
        encoder=None,
        decoder=None,
        latent_dim=10,
        data_shape=None,
        value_range="auto",
        likelihood="bernoulli",
        alpha=1.0,
        beta=6.0,
        gamma=1.0,
        dataset_size=None,
        estimator="mws",
        kl_warmup_epochs=0,
        num_classes=None,
        hidden_units=(256, 256),
        filters=(32, 64),
        seed=None,
        **kwargs,
    ):
        for name in ("num_importance_samples", "free_bits"):
            if name in kwargs:
                raise ValueError(
                    f"BetaTCVAE trains on the decomposed KL term; `{name}`, which replaces it, is an option of "
                    f"the VAE. Received: {name}={kwargs[name]!r}"
                )
        super().__init__(
            encoder=encoder,
            decoder=decoder,
            latent_dim=latent_dim,
            data_shape=data_shape,
            value_range=value_range,
            likelihood=likelihood,
            beta=beta,
            kl_warmup_epochs=kl_warmup_epochs,
            num_classes=num_classes,
            hidden_units=hidden_units,
            filters=filters,
            seed=seed,
            **kwargs,
        )
        self.alpha = validation.check_non_negative(alpha, "alpha")
        self.gamma = validation.check_non_negative(gamma, "gamma")
        self.dataset_size = (
            None
            if dataset_size is None
            else validation.check_positive_int(dataset_size, "dataset_size")
        )
        self.estimator = validation.check_choice(
            estimator, "estimator", total_correlation.ESTIMATORS
        )
        self.mutual_information_tracker = keras.metrics.Mean(
            name="mutual_information"
        )
        self.total_correlation_tracker = keras.metrics.Mean(
            name="total_correlation"
        )
        self.dimension_wise_kl_tracker = keras.metrics.Mean(
            name="dimension_wise_kl"
        )

    @property
    def kl_weight_target(self):
        # The warm-up scales the whole decomposed term; alpha, beta and gamma
        # weigh its parts.
        return 1.0

    def _kl_penalty(self, z, z_mean, z_log_var):
        if self.dataset_size is None:
            raise ValueError(
                "BetaTCVAE's estimator needs the number of training samples: pass `dataset_size`, or "
                "train on arrays (their length is used). Received: dataset_size=None"
            )
        self.kl_tracker.update_state(
            ops.sum(gaussian_kl(z_mean, z_log_var), axis=-1)
        )
        mi, tc, dwkl = total_correlation.kl_decomposition(
            z, z_mean, z_log_var, self.dataset_size, self.estimator
        )
        self.mutual_information_tracker.update_state(mi)
        self.total_correlation_tracker.update_state(tc)
        self.dimension_wise_kl_tracker.update_state(dwkl)
        # Chen et al. (2018), eq. 4.
        penalty = (
            self.alpha * ops.mean(mi)
            + self.beta * ops.mean(tc)
            + self.gamma * ops.mean(dwkl)
        )
        return ops.cast(self.kl_weight, "float32") * penalty

    def _prepare_fit(self, arguments):
        if self.dataset_size is None:
            x = arguments.get("x")
            if hasattr(x, "shape") and hasattr(x, "__len__"):
                self.dataset_size = validation.check_positive_int(
                    len(x), "dataset_size"
                )
        super()._prepare_fit(arguments)

    def get_config(self):
        config = super().get_config()
        # The VAE options that replace the KL term are not BetaTCVAE's.
        config.pop("num_importance_samples")
        config.pop("free_bits")
        config.update(
            alpha=self.alpha,
            gamma=self.gamma,
            dataset_size=self.dataset_size,
            estimator=self.estimator,
        )
        return config
