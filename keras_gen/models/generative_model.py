"""Base class shared by every keras_gen model."""

import numpy as np
import keras
from keras import ops

from keras_gen import backend
from keras_gen.callbacks import nan_guard
from keras_gen.distribution import layout
from keras_gen.presets.mixin import PresetMixin
from keras_gen.utils import validation


class GenerativeModel(PresetMixin, keras.Model):
    """A `keras.Model` with a seed generator, input checks and saved seeds.

    Every keras_gen model draws its randomness from one `SeedGenerator`
    attached to the model (`self.seed_generator`), so the noise changes from
    step to step on every backend (a detached generator repeats itself inside
    a JAX step) and training is reproducible from `seed`. The generator's
    state is saved with the weights, so a reloaded model continues with the
    same noise as the one that was saved.

    Every model loads and saves presets: `Model.from_preset(handle)` and
    `model.save_to_preset(directory)` (see `keras_gen.presets`).

    Args:
        seed: int or `None`. Seed of the model's random stream.
        **kwargs: passed to `keras.Model`.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise ValueError(
                f"`seed` must be an int or None. Received: seed={seed!r}"
            )
        self.seed = None if seed is None else int(seed)
        self.seed_generator = keras.random.SeedGenerator(
            seed, name="seed_generator"
        )

    # -- randomness ---------------------------------------------------------

    def _sample_seed(self, seed):
        """The seed for a sampling call: the model's stream or a fixed int."""
        if seed is None:
            return self.seed_generator
        if isinstance(seed, (int, np.integer)):
            return keras.random.SeedGenerator(int(seed))
        if isinstance(seed, keras.random.SeedGenerator):
            return seed
        raise ValueError(
            "`seed` must be an int, a `keras.random.SeedGenerator` or None. "
            f"Received: seed={seed!r}"
        )

    def random_normal(self, shape, dtype="float32"):
        """Standard normal noise from the model's stream (used by training)."""
        return keras.random.normal(shape, dtype=dtype, seed=self.seed_generator)

    def random_uniform(self, shape, dtype="float32"):
        """Uniform noise on [0, 1) from the model's stream."""
        return keras.random.uniform(shape, dtype=dtype, seed=self.seed_generator)

    @staticmethod
    def map_batches(fn, *arrays, batch_size=256):
        """`fn` over chunks of `arrays` (None entries pass through), eagerly;
        the results, converted to NumPy, are concatenated."""
        outputs = []
        for start in range(0, len(arrays[0]), batch_size):
            chunk = [
                None if a is None else ops.convert_to_tensor(a[start : start + batch_size])
                for a in arrays
            ]
            out = ops.convert_to_numpy(fn(*chunk))
            if str(out.dtype) in ("float16", "bfloat16"):
                # Networks under a mixed policy return float16/bfloat16:
                # samples come back as float32 NumPy arrays all the same.
                out = out.astype("float32")
            outputs.append(out)
        return np.concatenate(outputs)

    # -- input checks ------------------------------------------------------

    # Number of classes of a conditional model (`None`: unconditional).
    num_classes = None

    def fit(self, x=None, y=None, *args, **kwargs):
        validation.check_array_data(x, "x", self._expected_data_shape())
        validation.check_dataset_not_empty(x, "x")
        if self.num_classes is not None and isinstance(x, np.ndarray):
            self.check_labels(y, len(x))
        if len(args) < 4:  # `callbacks` not given positionally
            # A NaN or infinite loss stops `fit` with a message naming it and
            # the step, before a checkpoint can save it (see `NaNGuard`).
            kwargs["callbacks"] = nan_guard.with_nan_guard(kwargs.get("callbacks"))
        with backend.state_kept_on_error(self):
            return super().fit(x, y, *args, **kwargs)

    # -- scaling out ---------------------------------------------------------

    def _compute_loss(self, *args, **kwargs):
        # A `compute_loss` override returns the mean loss of this replica's
        # batch, but under `tf.distribute` Keras' trainer sums the replicas'
        # gradients and expects each loss divided by their number (as its
        # built-in losses are): without this, N replicas take N-fold steps.
        return backend.scale_loss_for_replicas(super()._compute_loss(*args, **kwargs))

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
                x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True
            )
            return loss, y_pred

        loss, y_pred = backend.optimize_step(loss_fn, self.trainable_variables, self.optimizer)
        batch_size = ops.shape(keras.tree.flatten(x)[0])[0]
        self._loss_tracker.update_state(loss, sample_weight=batch_size)
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    # -- class labels (conditional models) -----------------------------------

    def check_labels(self, labels, num_samples=None):
        """Checks labels given to a conditional model; returns int32 labels."""
        if labels is None:
            raise ValueError(
                f"{self.__class__.__name__} is conditional (num_classes="
                f"{self.num_classes}): pass the class labels, e.g. "
                "`fit(x, labels)`. Received: labels=None"
            )
        labels = np.asarray(labels)
        if num_samples is not None and labels.shape[:1] != (num_samples,):
            raise ValueError(
                f"Expected one label per sample ({num_samples}). "
                f"Received: labels.shape={labels.shape}"
            )
        if not (np.issubdtype(labels.dtype, np.integer) or labels.size == 0):
            raise ValueError(f"Labels must be integers. Received: labels.dtype={labels.dtype}")
        bad = labels[(labels < 0) | (labels >= self.num_classes)]
        if bad.size:
            raise ValueError(
                f"Labels must be integers in [0, {self.num_classes}). "
                f"Received: labels with values {np.unique(bad)[:5].tolist()}"
            )
        return labels.astype("int32").reshape(-1)

    def labels_for(self, num_samples, labels):
        """Labels for sampling: `None`, one class, or one per sample."""
        if self.num_classes is None:
            if labels is not None:
                raise ValueError(
                    f"{self.__class__.__name__} is not conditional "
                    f"(num_classes=None). Received: labels={labels!r}"
                )
            return None
        if labels is None:
            return np.arange(num_samples, dtype="int32") % self.num_classes
        labels = self.check_labels(np.atleast_1d(labels))
        if len(labels) == 1:
            labels = np.repeat(labels, num_samples)
        if len(labels) != num_samples:
            raise ValueError(
                f"Pass one label or `num_samples` ({num_samples}) labels. "
                f"Received: {len(labels)} labels"
            )
        return labels

    def _unpack_labelled(self, data):
        """`(x, labels)` from a training batch; labels checked if conditional."""
        x, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        self._check_batch(x)
        if self.num_classes is None:
            return x, None
        if labels is None:
            raise ValueError(
                f"{self.__class__.__name__} is conditional (num_classes="
                f"{self.num_classes}): train it with `fit(x, labels)`. "
                "Received: labels=None"
            )
        return x, ops.cast(ops.reshape(labels, (-1,)), "int32")

    def _expected_data_shape(self):
        """Shape of one sample (without batch), or None if unknown."""
        return None

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
        return layout.layout_map_from_rules(device_mesh, cls.layout_rules, model_axis=model_axis)

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

        path = os.fspath(filepath) if isinstance(filepath, (str, os.PathLike)) else None
        if (
            path is None
            or zipped is False
            or "://" in path
            or not path.endswith((".keras", ".h5", ".hdf5"))
            or (not overwrite and os.path.exists(path))
        ):
            return super().save(filepath, overwrite=overwrite, zipped=zipped, **kwargs)
        with atomic.atomic_path(path, label="save") as tmp:
            super().save(tmp, overwrite=True, zipped=zipped, **kwargs)

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

    # Constructor arguments that hold sub-networks (`keras.Model`s): they are
    # serialized whole in `get_config`, so custom networks reload too.
    network_args = ()

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable, "seed": self.seed}
        for name in self.network_args:
            config[name] = keras.saving.serialize_keras_object(getattr(self, name))
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in cls.network_args:
            if config.get(name) is not None:
                config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)
