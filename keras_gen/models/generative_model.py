"""The family contract: the base class every keras_gen model satisfies."""

import contextlib
import inspect
import zlib

import keras
import numpy as np
from keras import ops

from keras_gen import backend, compat
from keras_gen.callbacks import nan_guard
from keras_gen.distribution import layout
from keras_gen.presets.mixin import PresetMixin
from keras_gen.utils import data_checks, validation
from keras_gen.utils import latent as latent_utils

# Keras' own `fit`: `GenerativeModel.fit` binds its arguments to these names
# (so `callbacks` is found however it was passed) and calls it with them.
_FIT_SIGNATURE = inspect.signature(keras.Model.fit)

INTERPOLATIONS = ("linear", "slerp")


@keras.saving.register_keras_serializable(package="keras_gen")
class GenerativeModel(PresetMixin, keras.Model):
    """A `keras.Model` that generates: the contract every family satisfies.

    **Data.** `data_shape` is the shape of one sample and `value_range` the
    `(low, high)` range of the data (`None`: unbounded vectors). Every
    model takes its training data in `value_range`, and `generate`,
    `decode` and `interpolate` return samples in it (clipped to it), as
    NumPy float32 arrays. Internally each family maps the data to the range
    its networks work in (`model_range`, e.g. [-1, 1] for tanh generators
    and diffusion); user networks see and produce that range. `fit` checks
    every batch of every input type (NumPy, `tf.data`, torch `DataLoader`,
    `PyDataset`, generators) against `data_shape`, `value_range` and
    `num_classes` and names what it received.

    **Sampling.** `generate(num_samples, *, seed=None, labels=None,
    batch_size=256, **options)`: every option after `num_samples` is a
    keyword (steps, guidance, temperature, truncation, EMA...). A fixed
    `seed` gives the same samples every call; `seed=None` draws from the
    model's own stream. Conditional models (`num_classes`) take `labels`:
    one class for all samples or one per sample (default: cycling through
    the classes). Latent-variable models also have `sample_latents`,
    `decode` and `interpolate(num_points, *, start=None, end=None, ...)`.

    **Training.** `compile()` with no argument uses the paper's optimizers;
    single-optimizer families take `compile(optimizer=...)`, multi-network
    families `compile(<phase>_optimizer=...)` (e.g. `generator_optimizer`,
    `discriminator_optimizer`), keyword-only. `fit` adds a `NaNGuard`
    (which stops at the first non-finite loss, naming it) unless the
    callbacks hold one or a `keras.callbacks.TerminateOnNaN`.

    **Randomness.** All noise comes from one `SeedGenerator` attached to the
    model (`seed_generator`), saved with the weights. With an int `seed`,
    the default networks' initial weights are a function of it too, so
    `Model(seed=0)` is the same model in any process; networks you pass
    keep their own initialisation (seed them with
    `keras.utils.set_random_seed` before building them).

    **Presets.** `Model.from_preset(handle, **overrides)` and
    `model.save_to_preset(directory)` (see `keras_gen.presets`).

    Args:
        seed: int or `None`. Seed of the model's random stream and of the
            default networks' initial weights.
        **kwargs: passed to `keras.Model`.
    """

    # Constructor arguments that hold networks. A network the model built
    # by default is rebuilt from the hyper-parameters in the config; one
    # passed by the user is serialized whole.
    network_args = ()
    # The range the family's networks work in (`None`: the data's units).
    model_range = None
    # `value_range="auto"`: images get this range, vectors `None`.
    default_value_range = (0.0, 1.0)
    # Number of classes of a conditional model (`None`: unconditional).
    num_classes = None
    data_shape = None
    value_range = None

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = validation.check_seed(seed)
        self.seed_generator = keras.random.SeedGenerator(
            seed, name="seed_generator"
        )
        self._default_networks = set()

    # -- construction helpers for the families --------------------------------

    def _set_data_contract(
        self, data_shape=None, value_range="auto", num_classes=None
    ):
        """Checks and stores `data_shape`, `value_range` and `num_classes`."""
        self.data_shape = validation.check_data_shape(data_shape)
        if isinstance(value_range, str) and value_range == "auto":
            if self.data_shape is None or len(self.data_shape) > 1:
                value_range = self.default_value_range
            else:
                value_range = None
        self.value_range = validation.check_value_range(value_range)
        self.num_classes = validation.check_num_classes(num_classes)

    def _network_seed(self, name):
        if self.seed is None:
            return None
        return (self.seed * 1_000_003 + zlib.crc32(name.encode())) % (2**31)

    def _default_network(self, name, given, build):
        """`given`, or the family's default network built by `build()`.

        A default network is recorded (the config then stores the
        hyper-parameters it was built from, not the network), and its
        initial weights follow the model's seed.
        """
        if given is not None:
            if not isinstance(given, keras.layers.Layer):
                raise ValueError(
                    f"`{name}` must be a Keras model (or None for the default network). "
                    f"Received: {name}={given!r}"
                )
            return given
        with self._initializing(name):
            network = build()
        self._default_networks.add(name)
        return network

    @contextlib.contextmanager
    def _initializing(self, name):
        """The block where the part `name` creates its weights: their
        initial values follow the model's seed, drawn with sized draws (the
        same values, far fewer JAX compilations: `backend.sized_draws`)."""
        with (
            compat.seeded_initializers(self._network_seed(name)),
            backend.sized_draws(),
        ):
            yield

    def uses_default_network(self, name):
        """Whether the network `name` is the family's default (built from
        the model's hyper-parameters) rather than one the user passed."""
        return name in self._default_networks

    # -- the data range ---------------------------------------------------------

    def _range_map(self):
        if self.value_range is None or self.model_range is None:
            return None
        low, high = self.value_range
        m_low, m_high = self.model_range
        if (low, high) == (m_low, m_high):
            return None
        return low, high, m_low, m_high

    def to_model_space(self, x):
        """Data in `value_range` to the range the networks work in."""
        mapping = self._range_map()
        if mapping is None:
            return x
        low, high, m_low, m_high = mapping
        return (x - low) * ((m_high - m_low) / (high - low)) + m_low

    def to_data_space(self, x):
        """The networks' range back to `value_range` (the inverse map)."""
        mapping = self._range_map()
        if mapping is None:
            return x
        low, high, m_low, m_high = mapping
        return (x - m_low) * ((high - low) / (m_high - m_low)) + low

    def _finish_samples(self, samples):
        """NumPy float32 samples in `value_range` from model-space values."""
        samples = np.asarray(
            self.to_data_space(np.asarray(samples, dtype="float32")),
            dtype="float32",
        )
        if self.value_range is not None:
            samples = np.clip(samples, *self.value_range)
        return samples

    # -- randomness ---------------------------------------------------------

    def _sample_seed(self, seed):
        """The seed for a sampling call: the model's stream or a fixed int."""
        if seed is None:
            return self.seed_generator
        if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
            return keras.random.SeedGenerator(int(seed))
        if isinstance(seed, keras.random.SeedGenerator):
            return seed
        raise ValueError(
            f"`seed` must be an int, a `keras.random.SeedGenerator` or None. Received: seed={seed!r}"
        )

    def random_normal(self, shape, dtype="float32"):
        """Standard normal noise from the model's stream (used by training)."""
        return keras.random.normal(shape, dtype=dtype, seed=self.seed_generator)

    def random_uniform(self, shape, dtype="float32"):
        """Uniform noise on [0, 1) from the model's stream."""
        return keras.random.uniform(
            shape, dtype=dtype, seed=self.seed_generator
        )

    @staticmethod
    def map_batches(fn, *arrays, batch_size=256):
        """`fn` over chunks of `arrays` (None entries pass through), eagerly;
        the results, converted to NumPy, are concatenated."""
        outputs = []
        for start in range(0, len(arrays[0]), batch_size):
            chunk = [
                None
                if a is None
                else ops.convert_to_tensor(a[start : start + batch_size])
                for a in arrays
            ]
            out = ops.convert_to_numpy(fn(*chunk))
            if str(out.dtype) in ("float16", "bfloat16"):
                # Networks under a mixed policy return float16/bfloat16:
                # samples come back as float32 NumPy arrays all the same.
                out = out.astype("float32")
            outputs.append(out)
        return np.concatenate(outputs)

    # -- the sampling contract ---------------------------------------------------

    # The shape of one latent code (latent-variable families set it).
    latent_shape = None

    def sample_latents(self, num_samples, *, seed=None, temperature=1.0):
        """`num_samples` latent codes from the prior (standard normal,
        scaled by `temperature`), as a NumPy array.

        Args:
            num_samples: how many.
            seed: an int for a reproducible draw, a `SeedGenerator`, or
                `None` for the model's stream.
            temperature: scale of the prior noise (1: the prior itself).
        """
        num_samples = validation.check_positive_int(num_samples, "num_samples")
        temperature = validation.check_non_negative(temperature, "temperature")
        self._require_latents()
        z = keras.random.normal(
            (num_samples,) + tuple(self.latent_shape),
            seed=self._sample_seed(seed),
        )
        return ops.convert_to_numpy(z) * np.float32(temperature)

    def _require_latents(self):
        if self.latent_shape is None:
            raise NotImplementedError(
                f"{self.__class__.__name__} has no latent space to sample or decode."
            )

    def decode(self, z, *, labels=None, seed=None, batch_size=256, **options):
        """Maps latent codes `z` (and labels) to samples in `value_range`.

        Args:
            z: `(n, *latent_shape)` latent codes.
            labels: classes of a conditional model (one, or one per code).
            seed: seed of any noise the decoding draws (e.g. a stochastic
                sampler); `None` uses the model's stream.
            batch_size: codes per call.
            **options: the family's sampling options (see `generate`).

        Returns:
            A NumPy float32 array `(n, *data_shape)`.
        """
        self._require_latents()
        z = np.asarray(z, dtype="float32")
        expected = tuple(self.latent_shape)
        if z.ndim != len(expected) + 1 or tuple(z.shape[1:]) != expected:
            raise ValueError(
                f"`z` must be a batch of latent codes of shape (n, {', '.join(map(str, expected))}). "
                f"Received: z.shape={z.shape}"
            )
        batch_size = validation.check_positive_int(batch_size, "batch_size")
        labels = self.labels_for(len(z), labels)
        if len(z) == 0:
            return np.zeros((0,) + tuple(self.data_shape), "float32")
        samples = self._decode(
            z, labels, self._sample_seed(seed), batch_size, **options
        )
        return self._finish_samples(samples)

    def _decode(self, z, labels, seed, batch_size, **options):
        """Model-space samples for `z` (NumPy); families override this or
        `_decode_batch`."""
        return self.map_batches(
            lambda zb, lb: self._decode_batch(zb, lb, **options),
            z,
            labels,
            batch_size=batch_size,
        )

    def _decode_batch(self, z, labels, **options):
        raise NotImplementedError

    def generate(
        self, num_samples, *, seed=None, labels=None, batch_size=256, **options
    ):
        """Draws `num_samples` samples.

        Args:
            num_samples: how many samples.
            seed: an int for a reproducible draw (the same samples at every
                call), or `None` for the model's random stream.
            labels: for a conditional model, one class for every sample or
                one per sample (default: cycling through the classes).
            batch_size: samples per call of the networks.
            **options: the family's own sampling options (keywords).

        Returns:
            A NumPy float32 array `(num_samples, *data_shape)` in
            `value_range`.
        """
        num_samples = validation.check_positive_int(num_samples, "num_samples")
        batch_size = validation.check_positive_int(batch_size, "batch_size")
        labels = self.labels_for(num_samples, labels)
        generator = self._sample_seed(seed)
        temperature = options.pop("temperature", 1.0)
        z = self.sample_latents(
            num_samples, seed=generator, temperature=temperature
        )
        return self.decode(
            z, labels=labels, seed=generator, batch_size=batch_size, **options
        )

    def interpolate(
        self,
        num_points=8,
        *,
        start=None,
        end=None,
        seed=None,
        labels=None,
        method="slerp",
        **options,
    ):
        """Samples along a path between two latent codes.

        Args:
            num_points: points on the path, ends included.
            start, end: latent codes `latent_shape` (e.g. from `encode` for
                an autoencoder); `None` draws them from the prior.
            seed: seed of the drawn ends (and of any sampling noise).
            labels: one class for the whole path (conditional models).
            method: `"slerp"` (spherical, for Gaussian codes) or `"linear"`.
            **options: the family's sampling options, as in `generate`.

        Returns:
            A NumPy float32 array `(num_points, *data_shape)`.
        """
        num_points = validation.check_positive_int(num_points, "num_points")
        validation.check_choice(method, "method", INTERPOLATIONS)
        self._require_latents()
        generator = self._sample_seed(seed)
        if start is None or end is None:
            drawn = self.sample_latents(2, seed=generator)
            start = drawn[0] if start is None else start
            end = drawn[1] if end is None else end
        ends = []
        for name, value in (("start", start), ("end", end)):
            value = np.asarray(value, dtype="float32")
            if value.shape != tuple(self.latent_shape):
                raise ValueError(
                    f"`{name}` must be one latent code of shape {tuple(self.latent_shape)}. "
                    f"Received: {name}.shape={value.shape}"
                )
            ends.append(value)
        flat = latent_utils.interpolate(
            ends[0].reshape(-1), ends[1].reshape(-1), num_points, method
        )
        path = np.asarray(flat, "float32").reshape(
            (num_points,) + tuple(self.latent_shape)
        )
        if labels is not None:
            labels = np.atleast_1d(np.asarray(labels))
            if labels.size != 1:
                raise ValueError(
                    f"`labels` must be one class for the whole path. Received: labels with {labels.size} values"
                )
            labels = np.repeat(labels, num_points)
        return self.decode(path, labels=labels, seed=generator, **options)

    # -- a fingerprint for presets -------------------------------------------

    @staticmethod
    def _fixed_normal(shape):
        return np.random.default_rng(0).standard_normal(shape).astype("float32")

    def _fixed_samples(self, num):
        low, high = self.value_range or (-1.0, 1.0)
        shape = (num,) + tuple(self.data_shape)
        return (
            np.random.default_rng(0).uniform(low, high, shape).astype("float32")
        )

    def reference_probe(self, num=4):
        """`(name, outputs)` of a deterministic path on fixed inputs drawn
        with NumPy (the same on every backend): by default the decoding of
        fixed latent codes. A preset records a summary of these outputs
        (`keras_gen.presets.reference`) and a loaded preset must reproduce
        them on any backend. `None` when the family has no such path."""
        if self.latent_shape is None:
            return None
        labels = (
            None
            if self.num_classes is None
            else np.arange(num, dtype="int32") % self.num_classes
        )
        return "decode", self.decode(
            self._fixed_normal((num,) + tuple(self.latent_shape)), labels=labels
        )

    # -- compile and fit -----------------------------------------------------

    def default_optimizer(self):
        """The optimizer `compile()` uses when none is given."""
        return keras.optimizers.Adam(1e-3)

    def compile(self, optimizer=None, loss=None, **kwargs):
        """Configures training.

        Args:
            optimizer: a `keras.optimizers.Optimizer`, a name or a config
                (default: the family's, see `default_optimizer`).
            loss: must stay `None`: the model defines its own loss.
            **kwargs: the other arguments of `keras.Model.compile`
                (`metrics`, `run_eagerly`, `jit_compile`,
                `steps_per_execution`...).
        """
        if loss is not None:
            raise ValueError(
                f"{self.__class__.__name__} defines its own training loss; do not pass `loss`. "
                f"Received: loss={loss!r}"
            )
        if optimizer is None:
            optimizer = self.default_optimizer()
        super().compile(optimizer=optimizer, **kwargs)

    def compile_from_config(self, config):
        # Keras skips a custom `compile` when it loads a `.keras` file (and
        # the optimizer's state with it); this one is safe to replay.
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if getattr(self, "optimizer", None) is not None and self.built:
            self.optimizer.build(self.trainable_variables)

    def fit(self, *args, **kwargs):
        """Trains the model: `keras.Model.fit`, with the data checked and a
        `NaNGuard` added (see the class docstring)."""
        arguments = _FIT_SIGNATURE.bind(self, *args, **kwargs).arguments
        arguments.pop("self")
        self._check_fit_arguments(arguments)
        self._prepare_fit(arguments)
        arguments["callbacks"] = nan_guard.with_nan_guard(
            arguments.get("callbacks")
        )
        counter = _BatchCounter()
        if isinstance(arguments["callbacks"], (list, tuple)):
            arguments["callbacks"] = list(arguments["callbacks"]) + [counter]
        empty = ValueError(
            "`x` yielded no batches (an empty or fully filtered dataset). "
            f"Received: x={arguments.get('x')!r}"
        )
        with backend.state_kept_on_error(self):
            try:
                history = super().fit(**arguments)
            except UnboundLocalError as e:
                # Keras' TensorFlow and JAX loops end without a single step
                # on an empty stream (e.g. a `tf.data` pipeline filtered to
                # nothing) with this error; torch's loop returns quietly.
                raise empty from e
            except Exception as e:
                cause = data_checks.pipeline_error(e)
                if cause is not None:
                    raise cause from None
                raise
        if counter.epochs and not counter.batches:
            raise empty
        return history

    @staticmethod
    def _check_fit_arguments(arguments):
        if arguments.get("batch_size") is not None:
            validation.check_positive_int(arguments["batch_size"], "batch_size")
        validation.check_positive_int(
            arguments.get("epochs", 1), "epochs", allow_zero=True
        )
        validation.check_positive_int(
            arguments.get("initial_epoch", 0), "initial_epoch", allow_zero=True
        )
        for name in (
            "steps_per_epoch",
            "validation_steps",
            "validation_batch_size",
        ):
            if arguments.get(name) is not None:
                validation.check_positive_int(arguments[name], name)

    def data_checker(self, x_name="x", y_name="y"):
        """The `BatchChecker` `fit` applies to each batch."""
        return data_checks.BatchChecker(
            self.__class__.__name__,
            self.data_shape,
            self.value_range,
            self.num_classes,
            x_name=x_name,
            y_name=y_name,
            labels=self.label_policy,
        )

    # What `y` means to `fit`: class labels of a conditional model
    # ("required" / "refused"), or the family's own (`"free"`).
    @property
    def label_policy(self):
        return "refused" if self.num_classes is None else "required"

    def _prepare_fit(self, arguments):
        """Checks (and wraps) the data `fit` got; families add their own
        preparation (callbacks, data-dependent initialisation)."""
        validation.check_dataset_not_empty(arguments.get("x"), "x")
        checker = self.data_checker()
        arguments["x"], arguments["y"] = data_checks.checked_data(
            arguments.get("x"), arguments.get("y"), checker
        )
        validation_data = arguments.get("validation_data")
        if validation_data is not None:
            if (
                isinstance(validation_data, tuple)
                and 1 <= len(validation_data) <= 3
            ):
                vx, vy = (
                    validation_data[0],
                    validation_data[1] if len(validation_data) > 1 else None,
                )
                vx, vy = data_checks.checked_data(
                    vx,
                    vy,
                    self.data_checker(
                        "validation_data[0]", "validation_data[1]"
                    ),
                )
                arguments["validation_data"] = (
                    (vx, vy) + tuple(validation_data[2:])
                    if vy is not None
                    else vx
                )
            else:
                arguments["validation_data"], _ = data_checks.checked_data(
                    validation_data, None, self.data_checker("validation_data")
                )

    # -- scaling out ---------------------------------------------------------

    def _compute_loss(self, *args, **kwargs):  # compat.TRAINER_COMPUTE_LOSS
        # A `compute_loss` override returns the mean loss of this replica's
        # batch, but under `tf.distribute` Keras' trainer sums the replicas'
        # gradients and expects each loss divided by their number (as its
        # built-in losses are): without this, N replicas take N-fold steps.
        return backend.scale_loss_for_replicas(
            super()._compute_loss(*args, **kwargs)
        )

    def train_step(self, *args):
        if backend.data_parallel_processes() > 1:
            # `torch.distributed`: Keras' torch trainer would step on this
            # process's gradients alone; `optimize_step` averages them over
            # the processes first (multi-optimizer models override this).
            return self._data_parallel_train_step(*args)
        return super().train_step(*args)

    def _data_parallel_train_step(self, data):
        """Keras' torch `train_step`, with the update by `optimize_step`."""
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)

        def loss_fn():
            y_pred = self(x, training=True)
            loss = self._compute_loss(
                x=x,
                y=y,
                y_pred=y_pred,
                sample_weight=sample_weight,
                training=True,
            )
            return loss, y_pred

        loss, y_pred = backend.optimize_step(
            loss_fn, self.trainable_variables, self.optimizer
        )
        batch_size = ops.shape(keras.tree.flatten(x)[0])[0]
        compat.loss_tracker(self).update_state(loss, sample_weight=batch_size)
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    # -- class labels (conditional models) -----------------------------------

    def check_labels(self, labels, num_samples=None):
        """Checks labels given to a conditional model; returns int32 labels."""
        if labels is None:
            raise ValueError(
                f"{self.__class__.__name__} is conditional (num_classes={self.num_classes}): pass the "
                "class labels, e.g. `fit(x, labels)`. Received: labels=None"
            )
        return data_checks.check_labels(
            labels, self.num_classes, num_samples, "labels"
        )

    def labels_for(self, num_samples, labels):
        """Labels for sampling: `None`, one class, or one per sample."""
        if self.num_classes is None:
            if labels is not None:
                raise ValueError(
                    f"{self.__class__.__name__} is not conditional (num_classes=None). Received: labels={labels!r}"
                )
            return None
        if labels is None:
            return np.arange(num_samples, dtype="int32") % self.num_classes
        labels = np.asarray(labels)
        if labels.ndim == 0:
            labels = labels.reshape(1)
        labels = self.check_labels(labels)
        if len(labels) == 1:
            labels = np.repeat(labels, num_samples)
        if len(labels) != num_samples:
            raise ValueError(
                f"Pass one label or `num_samples` ({num_samples}) labels. Received: {len(labels)} labels"
            )
        return labels

    def _unpack_labelled(self, data):
        """`(x, labels)` from a training batch; labels checked if conditional."""
        x, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        self._check_batch(x)
        return x, self._training_labels(labels)

    def _training_labels(self, y):
        """The int32 labels `(batch,)` of a training batch of a conditional
        model (`None` for an unconditional one); missing labels are named."""
        if self.num_classes is None:
            return None
        if y is None:
            raise ValueError(
                f"{self.__class__.__name__} is conditional (num_classes={self.num_classes}): pass the class "
                "labels, e.g. `fit(x, labels)` or a dataset of `(x, labels)`. Received: y=None"
            )
        return ops.cast(ops.reshape(y, (-1,)), "int32")

    def _expected_data_shape(self):
        """Shape of one sample (without batch), or None if unknown."""
        return self.data_shape

    def _check_batch(self, x, name="x"):
        """Static check of a batch's sample shape (runs at trace time)."""
        validation.check_sample_shape(x, name, self._expected_data_shape())

    # -- model parallelism ---------------------------------------------------

    # `(path_regex, axes)` rules of `get_layout_map`; "model" marks the
    # sharded axis. Families whose layers have their own names add rules.
    layout_rules = layout.KERAS_LAYER_RULES

    @classmethod
    def get_layout_map(cls, device_mesh, model_axis="model"):
        """A `keras.distribution.LayoutMap` that shards the big weights.

        Dense kernels and embeddings are split on their output axis and
        convolution kernels on their output channels, over the mesh axis
        `model_axis`; everything else is replicated. Optimizer slots follow
        their variable. Use it with `keras_gen.distribution.ModelParallel`,
        which replicates an axis the mesh does not divide (a single logit,
        an image's channels).

        Args:
            device_mesh: a `keras.distribution.DeviceMesh`, e.g.
                `keras_gen.distribution.device_mesh(model=2)`.
            model_axis: the mesh axis the weights are sharded over.

        Returns:
            A `keras.distribution.LayoutMap`.

        Example:

        ```python
        mesh = keras_gen.distribution.device_mesh(model=2)  # (batch, model)
        # Set globally, so that `fit` runs under it too: a model built in
        # `distribution.scope()` but fitted outside it gets unsplit batches.
        keras.distribution.set_distribution(keras_gen.distribution.ModelParallel(
            layout_map=keras_gen.models.DDPM.get_layout_map(mesh),
            batch_dim_name="batch",
        ))
        model = keras_gen.models.DDPM(data_shape=(8, 8, 1))
        model.compile()
        model.fit(x, batch_size=64)
        ```
        """
        return layout.layout_map_from_rules(
            device_mesh, cls.layout_rules, model_axis=model_axis
        )

    # -- saving ------------------------------------------------------------

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Saves the model as a `.keras` file, atomically.

        As `keras.Model.save`, except that a local `.keras` (or `.h5`) file
        is written under a temporary name in the same directory, `fsync`ed
        and renamed over `filepath` only once complete (Keras writes in
        place): a process killed mid-save leaves the previous file intact
        (see `keras_gen.utils.atomic`).
        """
        import os

        from keras_gen.utils import atomic

        path = (
            os.fspath(filepath)
            if isinstance(filepath, (str, os.PathLike))
            else None
        )
        if (
            path is None
            or zipped is False
            or "://" in path
            or not path.endswith((".keras", ".h5", ".hdf5"))
            or (not overwrite and os.path.exists(path))
        ):
            return super().save(
                filepath, overwrite=overwrite, zipped=zipped, **kwargs
            )
        with atomic.atomic_path(path, label="save") as tmp:
            super().save(tmp, overwrite=True, zipped=zipped, **kwargs)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """As `keras.Model.load_weights`, into a model that may never have
        been called.

        keras_gen models create their networks in `__init__`, but Keras
        refuses to load weights into a model not yet marked built; such a
        model is built first, so `Model(...).load_weights(path)` works as it
        does on a functional model.
        """
        from keras_gen.presets.saving import ensure_built

        ensure_built(self)
        return super().load_weights(
            filepath, skip_mismatch=skip_mismatch, **kwargs
        )

    def save_own_variables(self, store):
        super().save_own_variables(store)
        # `.keras` files do not store seed generators; keep the model's own
        # stream so that a resumed run draws the noise it would have drawn.
        store["seed_generator_state"] = ops.convert_to_numpy(
            self.seed_generator.state.value
        )

    def load_own_variables(self, store):
        own = {k: store[k] for k in store.keys() if k != "seed_generator_state"}
        super().load_own_variables(own)
        if "seed_generator_state" in store.keys():
            self.seed_generator.state.assign(store["seed_generator_state"])

    def get_config(self):
        """The constructor arguments: hyper-parameters, and the networks the
        user passed (serialized); default networks are rebuilt from the
        hyper-parameters, so they are not stored."""
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "seed": self.seed,
        }
        config["value_range"] = self.value_range
        for name in self.network_args:
            if not self.uses_default_network(name):
                config[name] = keras.saving.serialize_keras_object(
                    getattr(self, name)
                )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in cls.network_args:
            if isinstance(config.get(name), dict):
                config[name] = keras.saving.deserialize_keras_object(
                    config[name]
                )
        for key in ("data_shape", "value_range"):
            if isinstance(config.get(key), list):
                config[key] = tuple(config[key])
        return cls(**config)


class _BatchCounter(keras.callbacks.Callback):
    """Counts the training batches of one `fit`, so that an empty stream is
    an error on every backend."""

    def __init__(self):
        super().__init__()
        self.epochs = 0
        self.batches = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs += 1

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1
