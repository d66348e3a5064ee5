"""RealNVP: density estimation with real-valued non-volume preserving
transformations (Dinh, Sohl-Dickstein & Bengio, 2017)."""

import math

import keras
import numpy as np
from keras import ops

from keras_gen.models.generative_model import GenerativeModel
from keras_gen.models.real_nvp.actnorm import ActNorm
from keras_gen.models.real_nvp.bijector import BijectorMixin
from keras_gen.models.real_nvp.coupling import AffineCoupling
from keras_gen.models.real_nvp.invertible_conv import InvertibleConv1x1
from keras_gen.models.real_nvp.logit import LogitTransform
from keras_gen.models.real_nvp.squeeze import squeeze, unsqueeze
from keras_gen.utils import validation

PERMUTATIONS = ("alternate", "1x1_conv")
_LOG_2PI = math.log(2.0 * math.pi)


def _check_data_shape(data_shape, num_scales):
    ok = isinstance(data_shape, (tuple, list)) and len(data_shape) in (1, 3)
    ok = ok and all(
        isinstance(d, (int, np.integer)) and d > 0 for d in data_shape
    )
    if not ok:
        raise ValueError(
            "`data_shape` must be `(features,)` for vectors or `(height, width, "
            f"channels)` for images. Received: data_shape={data_shape!r}"
        )
    data_shape = tuple(int(d) for d in data_shape)
    if len(data_shape) == 1 and data_shape[0] < 2:
        raise ValueError(
            "A coupling flow needs at least 2 features (one half conditions "
            f"the other). Received: data_shape={data_shape}"
        )
    factor = 2**num_scales
    if len(data_shape) == 3 and (
        data_shape[0] % factor or data_shape[1] % factor
    ):
        raise ValueError(
            f"With num_scales={num_scales}, the image height and width must "
            f"divide by 2**num_scales = {factor} (one squeeze per scale, and "
            f"a checkerboard of at least 2x2 at the last). Received: "
            f"data_shape={data_shape}"
        )
    return data_shape


@keras.saving.register_keras_serializable(package="keras_gen")
class RealNVP(BijectorMixin, GenerativeModel):
    """RealNVP normalising flow with exact log-likelihood.

    A stack of affine coupling layers maps data `x` to `z = f(x)` with a
    standard normal base density, so by the change of variables
    (Dinh et al., 2017, eq. 3)

        log p(x) = log N(f(x); 0, I) + log|det df/dx|,

    and training minimises the mean negative log-likelihood (the `compute_loss`
    route: one optimizer, Keras' own trainer on every backend).

    Architectures (Dinh et al., 2017, sec. 3.6 and 4.1):
    - vectors `(D,)`: `num_coupling_layers` couplings with alternating
      masks and MLP networks;
    - images `(H, W, C)`: the multi-scale architecture. Each scale but the
      last has 3 checkerboard couplings, a squeeze, 3 channel-wise couplings,
      and factors out half of the channels straight to `z`; the last scale
      has 4 checkerboard couplings. The networks are small ResNets.
    An actnorm bijector precedes every coupling (Glow's replacement for
    RealNVP's batch norm: the same map at training and inference); `fit`
    initialises it from the data (see `initialize`). Consecutive couplings
    alternate their masks so that every entry is transformed; with
    `permutation="1x1_conv"` a learned invertible 1x1 convolution (Glow's
    generalised permutation, Kingma & Dhariwal, 2018, sec. 3.2; a dense
    invertible matrix for vectors) also mixes the channels after each
    actnorm, before each coupling.

    Discrete data (images): with `num_bins` set, the data hold `num_bins`
    levels spread evenly over `value_range` (e.g. `num_bins=256,
    value_range=(0, 255)` for 8-bit images, `num_bins=17, value_range=(0, 1)`
    for `keras_gen.datasets.load_digits`). Each level `k` is dequantised to
    `k + u` with `u ~ U[0, 1)` (Theis et al., 2016), rescaled to [0, 1) and
    passed through the logit transform with margin `logit_alpha` (sec. 4.1),
    whose Jacobian enters the log-determinant. `log_prob` is then the
    dequantised log-likelihood in units where each level is a bin of width 1,
    a lower bound on the log-probability of the discrete data, and
    `bits_per_dim` is the standard bits per dimension of the discrete data
    (for 8-bit images, the figure papers report).

    `model(x)` returns the per-sample log-likelihood (with fresh
    dequantisation noise for discrete data); `forward`, `inverse`,
    `log_prob`, `bits_per_dim` and `generate` cover the rest. The latent
    code of a sample is its `z = f(x)`, shaped like the data.

    Args:
        data_shape: shape of one sample: `(features,)` or `(H, W, C)`.
        num_coupling_layers: couplings of the vector flow (vectors only).
        hidden_units: hidden layers of each coupling's MLP (vectors only).
        num_scales: scales of the image flow; H and W must divide by
            `2**num_scales` (images only).
        filters: width of each coupling's ResNet (images only).
        num_blocks: residual blocks of each ResNet (images only).
        activation: activation of the coupling networks.
        num_bins: number of discrete levels of the data, or `None` for
            continuous data (no dequantisation, no logit).
        value_range: `(low, high)` of the data: with `num_bins`, the values
            of the lowest and highest level; `"auto"`: (0, 1) for images,
            `None` (unbounded) for vectors.
        logit_alpha: margin of the logit transform, in (0, 0.5), or `None`
            to model the dequantised data rescaled to [0, 1) (with
            `num_bins`).
        actnorm: put an actnorm bijector before each coupling.
        permutation: how the couplings' halves are mixed: `"alternate"`
            (RealNVP: consecutive masks alternate) or `"1x1_conv"` (also a
            learned LU-decomposed invertible 1x1 convolution after each
            actnorm, as in Glow; see `InvertibleConv1x1`).
        seed: seed of the model's random stream and of the initial
            weights.

    Example:

    ```python
    x = keras_gen.datasets.toy_2d("8gaussians", 20000, seed=0)
    flow = keras_gen.models.RealNVP(data_shape=(2,), seed=0)
    flow.compile(optimizer=keras.optimizers.Adam(1e-3))
    flow.fit(x, epochs=10, batch_size=256)
    nll = -flow.log_prob(x[:1000]).mean()          # nats per sample
    samples = flow.generate(500, temperature=0.8, seed=0)

    digits = keras_gen.datasets.load_digits("train")   # 17 levels in [0, 1]
    flow = keras_gen.models.RealNVP(data_shape=(8, 8, 1), num_bins=17)
    ```
    """

    def __init__(
        self,
        data_shape=None,
        num_coupling_layers=8,
        hidden_units=(256, 256),
        num_scales=2,
        filters=64,
        num_blocks=2,
        activation="relu",
        num_bins=None,
        value_range="auto",
        logit_alpha=0.05,
        actnorm=True,
        permutation="alternate",
        seed=None,
        **kwargs,
    ):
        # The flow's densities and log-determinants stay float32 under a
        # mixed policy (a model-level autocast scope would read its float32
        # variables as float16/bfloat16); only the coupling networks, layers
        # with the global policy, compute in the low precision.
        kwargs.setdefault("dtype", "float32")
        super().__init__(seed=seed, **kwargs)
        self.num_coupling_layers = validation.check_positive_int(
            num_coupling_layers, "num_coupling_layers"
        )
        if isinstance(hidden_units, (int, np.integer)) or not all(
            isinstance(u, (int, np.integer)) and u > 0 for u in hidden_units
        ):
            raise ValueError(
                "`hidden_units` must be a sequence of positive integers. "
                f"Received: hidden_units={hidden_units!r}"
            )
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.num_scales = validation.check_positive_int(
            num_scales, "num_scales"
        )
        self.filters = validation.check_positive_int(filters, "filters")
        self.num_blocks = validation.check_positive_int(
            num_blocks, "num_blocks", allow_zero=True
        )
        self.activation = activation
        keras.activations.get(activation)  # fails early on an unknown name
        self._set_data_contract(
            _check_data_shape(data_shape, self.num_scales), value_range, None
        )
        if num_bins is not None:
            num_bins = validation.check_positive_int(num_bins, "num_bins")
            if num_bins < 2:
                raise ValueError(
                    f"`num_bins` must be None or an integer >= 2. Received: num_bins={num_bins}"
                )
        self.num_bins = num_bins
        if num_bins is not None and self.value_range is None:
            raise ValueError(
                "Discrete data (`num_bins`) need the values of their lowest and highest levels: pass "
                "`value_range`. Received: value_range=None"
            )
        if logit_alpha is not None:
            validation.check_in_range(
                logit_alpha,
                "logit_alpha",
                0.0,
                0.5,
                "None or a number in (0, 0.5)",
            )
            if not 0.0 < logit_alpha < 0.5:
                raise ValueError(
                    "`logit_alpha` must be None or a number in (0, 0.5). "
                    f"Received: logit_alpha={logit_alpha!r}"
                )
            logit_alpha = float(logit_alpha)
        self.logit_alpha = logit_alpha
        self.actnorm = bool(actnorm)
        self.permutation = validation.check_choice(
            permutation, "permutation", PERMUTATIONS
        )

        low, high = self.value_range or (0.0, 1.0)
        if self.num_bins is None:
            self.preprocess = None
            self._bin_width = None
        else:
            # Level k sits at low + k * bin_width; its dequantised values
            # fill [low + k * bin_width, low + (k + 1) * bin_width).
            self._bin_width = (high - low) / (self.num_bins - 1)
            self.preprocess = LogitTransform(
                low,
                self.num_bins * self._bin_width,
                self.logit_alpha,
                name="logit",
            )
        with self._initializing("bijectors"):
            self.bijectors, self._plan = self._build_bijectors()
        if self.actnorm:
            self.actnorm_initialized = self.add_weight(
                shape=(),
                initializer="zeros",
                trainable=False,
                name="actnorm_initialized",
            )
        self.bits_per_dim_tracker = keras.metrics.Mean(name="bits_per_dim")
        self.built = True

    # -- architecture --------------------------------------------------------

    def _build_bijectors(self):
        bijectors = []

        def chain(mask_type, parities, shape, prefix):
            indices = []
            for i, parity in enumerate(parities):
                layers = (
                    [ActNorm(name=f"{prefix}_actnorm_{i}")]
                    if self.actnorm
                    else []
                )
                if self.permutation == "1x1_conv":
                    # Its rotation's seed comes from the seeded `random`.
                    layers.append(
                        InvertibleConv1x1(name=f"{prefix}_1x1_conv_{i}")
                    )
                layers.append(
                    AffineCoupling(
                        mask_type,
                        parity,
                        hidden_units=self.hidden_units,
                        filters=self.filters,
                        num_blocks=self.num_blocks,
                        activation=self.activation,
                        name=f"{prefix}_coupling_{i}",
                    )
                )
                for layer in layers:
                    layer.build((None,) + shape)
                    indices.append(len(bijectors))
                    bijectors.append(layer)
            return tuple(indices)

        shape = self.data_shape
        if len(shape) == 1:
            parities = [i % 2 for i in range(self.num_coupling_layers)]
            return bijectors, (
                (chain("alternating", parities, shape, "flow"), ()),
            )
        plan = []
        for scale in range(self.num_scales):
            prefix = f"scale_{scale}"
            if scale == self.num_scales - 1:
                plan.append(
                    (chain("checkerboard", (0, 1, 0, 1), shape, prefix), ())
                )
                break
            pre = chain(
                "checkerboard", (0, 1, 0), shape, prefix + "_checkerboard"
            )
            h, w, c = shape
            post = chain(
                "channel",
                (0, 1, 0),
                (h // 2, w // 2, 4 * c),
                prefix + "_channel",
            )
            plan.append((pre, post))
            # Half of the channels leave for `z`; the rest go on (sec. 3.6).
            shape = (h // 2, w // 2, 2 * c)
        return bijectors, tuple(plan)

    @property
    def num_dims(self):
        """Number of dimensions of one sample."""
        return int(np.prod(self.data_shape))

    # -- the bijection -------------------------------------------------------

    def _run(self, indices, h, initialize=False):
        log_det = 0.0
        for i in indices:
            layer = self.bijectors[i]
            if initialize and isinstance(layer, ActNorm):
                layer.initialize(h)
            h, ld = layer._forward(h)
            log_det = log_det + ld
        return h, log_det

    def _run_inverse(self, indices, h):
        log_det = 0.0
        for i in reversed(indices):
            h, ld = self.bijectors[i]._inverse(h)
            log_det = log_det + ld
        return h, log_det

    def _flow_forward(self, h, scale=0, initialize=False):
        pre, post = self._plan[scale]
        h, log_det = self._run(pre, h, initialize)
        if scale == len(self._plan) - 1:
            return h, log_det
        h, ld = self._run(post, squeeze(h), initialize)
        # Multi-scale factor-out (Dinh et al., 2017, eq. 15): the first half
        # of the channels is final; the second half goes through the next
        # scales. Unsqueezing puts `z` back in the shape of `x`.
        c = h.shape[-1] // 2
        rest, ld_rest = self._flow_forward(h[..., c:], scale + 1, initialize)
        z = unsqueeze(ops.concatenate([h[..., :c], rest], axis=-1))
        return z, log_det + ld + ld_rest

    def _flow_inverse(self, z, scale=0):
        pre, post = self._plan[scale]
        if scale == len(self._plan) - 1:
            return self._run_inverse(pre, z)
        h = squeeze(z)
        c = h.shape[-1] // 2
        rest, ld_rest = self._flow_inverse(h[..., c:], scale + 1)
        h, ld = self._run_inverse(
            post, ops.concatenate([h[..., :c], rest], axis=-1)
        )
        h, log_det = self._run_inverse(pre, unsqueeze(h))
        return h, log_det + ld + ld_rest

    def _forward(self, x, initialize=False):
        log_det = 0.0
        if self.preprocess is not None:
            x, log_det = self.preprocess._forward(x)
        z, ld = self._flow_forward(x, initialize=initialize)
        return z, log_det + ld

    def _inverse(self, z):
        x, log_det = self._flow_inverse(z)
        if self.preprocess is not None:
            x, ld = self.preprocess._inverse(x)
            log_det = log_det + ld
        return x, log_det

    def _as_batch(self, x, name):
        x = ops.convert_to_tensor(x)
        if keras.backend.standardize_dtype(x.dtype) != "float32":
            x = ops.cast(x, "float32")
        validation.check_sample_shape(x, name, self.data_shape)
        return x

    def forward(self, x, *args, **kwargs):
        """The bijection `z = f(x)` and `log|det df/dx|` per sample.

        For discrete data `x` is a dequantised sample (continuous values in
        `[low, high + bin_width)`) and `f` includes the logit transform.

        Args:
            x: a batch of samples (array or tensor).

        Returns:
            `(z, log_det)`: backend tensors, `z` shaped like `x` (for images,
            the factored-out parts are put back in place) and `log_det` of
            shape `(batch,)`.
        """
        if self._is_module_call():  # torch: `model(x)` lands here
            return keras.Operation.__call__(self, x, *args, **kwargs)
        z, log_det = self._forward(self._as_batch(x, "x"))
        return z, log_det

    def inverse(self, z):
        """The inverse bijection `x = f^-1(z)` and `log|det df^-1/dz|`.

        Args:
            z: a batch of latent points shaped like the data.

        Returns:
            `(x, log_det)`: backend tensors (for discrete data, `x` is
            continuous: `generate` quantises it).
        """
        x, log_det = self._inverse(self._as_batch(z, "z"))
        return x, log_det

    # -- densities -------------------------------------------------------------

    def _dequantize(self, x, seed):
        """Level `k` of each entry plus `u ~ U[0, 1)`, back in data units."""
        low = self.value_range[0]
        levels = ops.clip(
            ops.round((x - low) / self._bin_width), 0.0, self.num_bins - 1.0
        )
        u = keras.random.uniform(ops.shape(x), dtype=x.dtype, seed=seed)
        return low + (levels + u) * self._bin_width

    def _log_density(self, x):
        """log p(x) of continuous `x` (for discrete models: per unit bin)."""
        z, log_det = self._forward(x)
        axes = tuple(range(1, len(self.data_shape) + 1))
        log_pz = ops.sum(-0.5 * ops.square(z) - 0.5 * _LOG_2PI, axis=axes)
        log_px = log_pz + log_det
        if self.num_bins is not None:
            # Change of units from data values to level indices (bins of
            # width 1): p_level = p_data * bin_width per dimension.
            log_px = log_px + self.num_dims * math.log(self._bin_width)
        return log_px

    def call(self, inputs, training=False):
        self._check_batch(inputs)
        x = ops.cast(inputs, "float32")
        if self.num_bins is not None:
            x = self._dequantize(x, self.seed_generator)
        return self._log_density(x)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        nll = -y_pred
        self.bits_per_dim_tracker.update_state(
            nll / (self.num_dims * math.log(2.0))
        )
        if sample_weight is not None:
            weights = ops.cast(ops.reshape(sample_weight, (-1,)), nll.dtype)
            loss = ops.sum(nll * weights) / ops.maximum(ops.sum(weights), 1e-12)
        else:
            loss = ops.mean(nll)
        losses = self.losses
        if losses:
            loss = loss + ops.sum(ops.stack(losses))
        return loss

    def log_prob(self, x, num_samples=1, batch_size=1024, seed=0):
        """Log-likelihood of each sample, in nats.

        Continuous data: the exact log-density `log p(x)`.
        Discrete data (`num_bins`): the dequantised log-likelihood of the
        levels, `log (1/K) sum_k p(k + u_k)` with `u_k ~ U[0, 1)^D` and each
        level a bin of width 1: a lower bound on `log P(levels)` that
        tightens with `K = num_samples` (K = 1 is the usual figure).

        Args:
            x: NumPy array of samples.
            num_samples: dequantisation draws per sample (discrete data).
            batch_size: samples per chunk.
            seed: int seed of the dequantisation noise.

        Returns:
            A NumPy array of shape `(len(x),)`.
        """
        num_samples = validation.check_positive_int(num_samples, "num_samples")
        batch_size = validation.check_positive_int(batch_size, "batch_size")
        x = np.asarray(x, dtype="float32")
        self.data_checker().check_x(x, whole=True)
        if self.num_bins is None:
            return self.map_batches(self._log_density, x, batch_size=batch_size)
        seed = keras.random.SeedGenerator(seed)

        def dequantized_log_prob(xb):
            draws = ops.stack(
                [
                    self._log_density(self._dequantize(xb, seed))
                    for _ in range(num_samples)
                ],
                axis=1,
            )
            return ops.logsumexp(draws, axis=1) - math.log(num_samples)

        return self.map_batches(dequantized_log_prob, x, batch_size=batch_size)

    def bits_per_dim(self, x, num_samples=1, batch_size=1024, seed=0):
        """`-log_prob(x) / (D ln 2)` per sample: bits per dimension.

        For discrete data this is the standard figure for the discrete
        data (dequantised, logit Jacobian included, levels as unit bins).

        Returns:
            A NumPy array of shape `(len(x),)`; report its mean.
        """
        log_p = self.log_prob(
            x, num_samples=num_samples, batch_size=batch_size, seed=seed
        )
        return -log_p / (self.num_dims * math.log(2.0))

    # -- sampling --------------------------------------------------------------

    @property
    def latent_shape(self):
        return self.data_shape

    def _decode_batch(self, z, labels):
        x, _ = self._inverse(z)
        if self.num_bins is None:
            return x
        low = self.value_range[0]
        levels = ops.clip(
            ops.floor((x - low) / self._bin_width), 0.0, self.num_bins - 1.0
        )
        return low + levels * self._bin_width

    def generate(
        self,
        num_samples,
        *,
        seed=None,
        labels=None,
        batch_size=1024,
        temperature=1.0,
    ):
        """Samples `x = f^-1(z)` with `z ~ N(0, temperature^2 I)`.

        Args:
            num_samples: how many samples.
            seed: an int for a reproducible draw, or `None` to use the
                model's random stream.
            labels: must be `None` (unconditional).
            batch_size: samples per chunk of the inverse pass.
            temperature: scale of the base noise (Kingma & Dhariwal, 2018:
                below 1 gives cleaner, less varied samples).

        Returns:
            A NumPy array `(num_samples, *data_shape)`; for discrete data,
            values on the `num_bins` levels of `value_range`.
        """
        return super().generate(
            num_samples,
            seed=seed,
            labels=labels,
            batch_size=batch_size,
            temperature=temperature,
        )

    def reference_probe(self, num=4):
        """The forward map and its log-determinant on fixed samples."""
        z, log_det = self.forward(self._fixed_samples(num))
        return "forward", np.concatenate(
            [
                np.ravel(ops.convert_to_numpy(log_det)),
                np.ravel(ops.convert_to_numpy(z)),
            ]
        )

    # -- actnorm initialisation ------------------------------------------------

    @property
    def is_initialized(self):
        """Whether the actnorm layers were initialised from data."""
        if not self.actnorm:
            return True
        return bool(ops.convert_to_numpy(self.actnorm_initialized) > 0.5)

    def initialize(self, x, max_samples=1024, seed=0):
        """Data-dependent actnorm initialisation (Kingma & Dhariwal, 2018).

        One eager forward pass over up to `max_samples` samples of `x`
        (evenly spaced, so sorted data still give a fair batch) sets each
        actnorm layer so that its outputs have zero mean and unit variance.
        `fit` calls this on NumPy data before the first step; call it
        yourself before fitting a `tf.data.Dataset` or another stream.

        Args:
            x: NumPy array of training samples.
            max_samples: most samples used.
            seed: int seed of the dequantisation noise.
        """
        x = np.asarray(x, dtype="float32")
        self.data_checker().check_x(x, whole=True)
        x = x[:: max(1, len(x) // max_samples)][:max_samples]
        x = ops.convert_to_tensor(x)
        if self.num_bins is not None:
            x = self._dequantize(x, keras.random.SeedGenerator(seed))
        self._forward(x, initialize=True)
        if self.actnorm:
            self.actnorm_initialized.assign(1.0)

    def _prepare_fit(self, arguments):
        super()._prepare_fit(arguments)  # checks the data first
        x = arguments.get("x")
        if (
            self.actnorm
            and isinstance(x, np.ndarray)
            and not self.is_initialized
        ):
            self.initialize(x)

    def default_optimizer(self):
        return keras.optimizers.Adam(1e-3)

    def get_config(self):
        config = super().get_config()
        config.update(
            data_shape=self.data_shape,
            num_coupling_layers=self.num_coupling_layers,
            hidden_units=self.hidden_units,
            num_scales=self.num_scales,
            filters=self.filters,
            num_blocks=self.num_blocks,
            activation=self.activation,
            num_bins=self.num_bins,
            logit_alpha=self.logit_alpha,
            actnorm=self.actnorm,
            permutation=self.permutation,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "data_range" in config:  # keras_gen 0.1.0
            config["value_range"] = config.pop("data_range")
        for key in ("data_shape", "hidden_units", "value_range"):
            if config.get(key) is not None:
                config[key] = tuple(config[key])
        return cls(**config)
