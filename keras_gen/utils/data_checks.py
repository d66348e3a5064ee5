"""The same data checks for every input type `fit` takes.

NumPy arrays are checked whole before training. Streams (`tf.data`,
torch `DataLoader`, `keras.utils.PyDataset`, Python generators) are wrapped
so that every batch is checked on the host as it is produced, before it
reaches the compiled step: the check is a min/max over the batch, cheap next
to a training step. Every error names the argument and the value received.
"""

import copy

import keras
import numpy as np

from keras_gen.utils import validation

# Data may overshoot the declared range by this share of its width (an
# interpolating resize, a little noise) before it is refused.
RANGE_TOLERANCE = 0.01


class BatchChecker:
    """Checks one batch (`x`, or `(x, y)`, or `(x, y, sample_weight)`).

    It holds plain settings only (no model), so a torch `DataLoader` can
    send it to its worker processes.

    Args:
        model_name: the model's class name, for messages.
        data_shape: the shape of one sample, or `None`.
        value_range: `(low, high)` of the data, or `None`.
        num_classes: classes of a conditional model, or `None`.
        x_name, y_name: how the data and the labels are named in errors.
        labels: `"required"` (conditional), `"refused"` (unconditional),
            `"partial"` (conditional, with `UNLABELLED` (-1) marking the
            samples without a label: semi-supervised models) or `"free"`
            (the model gives `y` its own meaning).
    """

    def __init__(
        self,
        model_name,
        data_shape,
        value_range,
        num_classes,
        x_name="x",
        y_name="y",
        labels=None,
    ):
        self.model_name = model_name
        self.data_shape = None if data_shape is None else tuple(data_shape)
        self.value_range = None if value_range is None else tuple(value_range)
        self.num_classes = num_classes
        self.x_name, self.y_name = x_name, y_name
        if labels is None:
            labels = "refused" if num_classes is None else "required"
        self.labels = labels

    def __call__(self, batch):
        x, y = _split(batch)
        self.check_x(x)
        self.check_y(y, None if x is None else len(x))
        return batch

    def check_x(self, x, whole=False):
        name = self.x_name
        if x is None:
            raise ValueError(
                f"{self.model_name} got a batch without samples. Received: {name}=None"
            )
        x = _numpy(x)
        validation.check_array_data(x, name, self.data_shape)
        if self.value_range is None or x.size == 0:
            return
        low, high = self.value_range
        margin = RANGE_TOLERANCE * (high - low)
        x_min, x_max = float(x.min()), float(x.max())
        if x_min < low - margin or x_max > high + margin:
            where = "the data" if whole else "a batch"
            hint = ""
            if x_max > 2.0 and high <= 1.0:
                hint = f" Pixels in [0, 255]? Scale them first (e.g. `{name} / 255`)."
            raise ValueError(
                f"{self.model_name} was built for data in value_range=({low:g}, {high:g}), but {where} "
                f"of `{name}` spans [{x_min:g}, {x_max:g}].{hint} Rescale the data, or build the model "
                f"with the data's own range. Received: {name}.min()={x_min:g}, {name}.max()={x_max:g}"
            )

    def check_y(self, y, num_samples=None):
        name = self.y_name
        if self.labels == "free":
            return
        if self.labels == "refused":
            if y is not None:
                shape = getattr(y, "shape", None)
                raise ValueError(
                    f"{self.model_name} is unconditional (num_classes=None): it trains on samples only, "
                    "and would ignore labels. Drop them, or build the model with `num_classes` to "
                    f"train a conditional one. Received: {name} with shape {shape}"
                )
            return
        partial = self.labels == "partial"
        if y is None:
            unlabelled = (
                f", with {UNLABELLED} for the unlabelled samples"
                if partial
                else ""
            )
            raise ValueError(
                f"{self.model_name} is conditional (num_classes={self.num_classes}): pass the class "
                f"labels{unlabelled}, e.g. `fit(x, labels)` or a dataset of `(x, labels)`. Received: {name}=None"
            )
        check_labels(
            _numpy(y),
            self.num_classes,
            num_samples,
            name,
            allow_unlabelled=partial,
        )


# The label of an unlabelled sample, for models trained on partly labelled
# data (the `"partial"` label policy).
UNLABELLED = -1


def check_labels(
    labels, num_classes, num_samples=None, name="labels", allow_unlabelled=False
):
    """Integer class labels in `[0, num_classes)`, one per sample
    (`UNLABELLED`, -1, too when `allow_unlabelled`).

    Returns:
        The labels as an int32 vector.
    """
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if (
        labels.ndim == 2
        and labels.shape[1] == num_classes
        and labels.size
        and np.isin(labels, (0, 1)).all()
    ):
        raise ValueError(
            f"`{name}` looks one-hot encoded: pass integer class indices instead, e.g. "
            f"`{name}.argmax(axis=-1)`. Received: {name}.shape={labels.shape}"
        )
    if labels.ndim > 1:
        raise ValueError(
            f"`{name}` must hold one integer class per sample (shape (n,)). Received: {name}.shape={labels.shape}"
        )
    if num_samples is not None and labels.shape[:1] != (num_samples,):
        raise ValueError(
            f"Expected one label per sample ({num_samples}). Received: {name}.shape={labels.shape}"
        )
    if labels.size and not np.issubdtype(labels.dtype, np.integer):
        is_number = np.issubdtype(labels.dtype, np.number)
        if not (
            is_number
            and np.all(np.isfinite(labels))
            and np.all(labels == np.round(labels))
        ):
            raise ValueError(
                f"`{name}` must hold integer classes. Received: {name}.dtype={labels.dtype}"
            )
    low = UNLABELLED if allow_unlabelled else 0
    bad = (
        labels[(labels < low) | (labels >= num_classes)]
        if labels.size
        else labels
    )
    if bad.size:
        unlabelled = (
            f", or {UNLABELLED} for an unlabelled sample"
            if allow_unlabelled
            else ""
        )
        raise ValueError(
            f"`{name}` must hold class labels in [0, {num_classes}) (num_classes={num_classes}){unlabelled}. "
            f"Received: {name} with values {np.unique(bad)[:5].tolist()}"
        )
    return labels.astype("int32").reshape(-1)


def _split(batch):
    if isinstance(batch, dict):
        raise ValueError(
            "keras_gen models take batches of `x`, `(x, y)` or `(x, y, sample_weight)`. "
            f"Received: a dict batch with keys {sorted(batch)}"
        )
    if isinstance(batch, (tuple, list)):
        x = batch[0] if len(batch) > 0 else None
        y = batch[1] if len(batch) > 1 else None
        return x, y
    return batch, None


def _numpy(t):
    if t is None or isinstance(t, np.ndarray):
        return t
    if hasattr(t, "numpy") and not hasattr(t, "detach"):
        return np.asarray(t.numpy())
    if hasattr(t, "detach"):  # torch
        return t.detach().cpu().numpy()
    return np.asarray(t)


def _kind(x):
    module = type(x).__module__ or ""
    if module.startswith("tensorflow") and hasattr(x, "element_spec"):
        return "tf_dataset"
    if module.startswith("torch.utils.data") and hasattr(x, "collate_fn"):
        return "torch_loader"
    if isinstance(x, keras.utils.PyDataset):
        return "py_dataset"
    if hasattr(x, "__next__") or (
        hasattr(x, "__iter__")
        and not hasattr(x, "__len__")
        and not hasattr(x, "shape")
    ):
        return "generator"
    return "array"


class _CheckedCollate:
    """A torch `collate_fn` followed by the batch check (picklable)."""

    def __init__(self, collate_fn, checker):
        self.collate_fn = collate_fn
        self.checker = checker

    def __call__(self, samples):
        return self.checker(self.collate_fn(samples))


class _CheckedPyDataset(keras.utils.PyDataset):
    """A `PyDataset` whose batches are checked as they are read."""

    def __init__(self, dataset, checker):
        super().__init__(
            workers=dataset.workers,
            use_multiprocessing=dataset.use_multiprocessing,
            max_queue_size=dataset.max_queue_size,
        )
        self.dataset = dataset
        self.checker = checker

    @property
    def num_batches(self):
        return self.dataset.num_batches

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        return self.checker(self.dataset[index])

    def on_epoch_begin(self):
        self.dataset.on_epoch_begin()

    def on_epoch_end(self):
        self.dataset.on_epoch_end()


def _checked_generator(generator, checker):
    for batch in generator:
        yield checker(batch)


# The last error raised by a check that ran inside a `tf.data` pipeline:
# TensorFlow wraps it in its own error type, and `fit` re-raises it as is.
last_pipeline_error = None


def _checked_tf_dataset(dataset, checker):
    import tensorflow as tf

    def check(*batch):
        global last_pipeline_error
        try:
            checker(batch[0] if len(batch) == 1 else batch)
        except ValueError as e:
            last_pipeline_error = e
            raise
        return batch

    def mapped(*batch):
        # The batch passes through the check (which returns it): a check
        # whose output nothing used could be pruned from the pipeline.
        out = tf.numpy_function(
            check, list(batch), [t.dtype for t in batch], stateful=True
        )
        out = [tf.ensure_shape(o, t.shape) for o, t in zip(out, batch)]
        return out[0] if len(out) == 1 else tuple(out)

    if isinstance(dataset.element_spec, dict):
        raise ValueError(
            "keras_gen models take batches of `x`, `(x, y)` or `(x, y, sample_weight)`. "
            f"Received: a tf.data.Dataset of dicts with keys {sorted(dataset.element_spec)}"
        )
    options = dataset.options()
    # The check is Python, so it must run only while the consumer waits for
    # a batch. tf.data otherwise injects a prefetch after the last `map`,
    # whose thread keeps calling the check after `fit` has stopped; on JAX
    # that thread ran the check while the dataset was being collected and
    # the process died of a segmentation fault (CI, 2026-12-06; see
    # docs/architecture.md, "Data flow of one fit").
    synchronous = tf.data.Options()
    synchronous.experimental_optimization.inject_prefetch = False
    return dataset.map(mapped).with_options(options).with_options(synchronous)


def checked_data(x, y, checker):
    """`(x, y)` with every batch checked by `checker`.

    NumPy arrays are checked now; streams are wrapped so that each batch is
    checked as it is produced (their type is kept, so Keras treats them as
    before: a `tf.data.Dataset` stays one, a torch `DataLoader` gets a
    checking `collate_fn` on a shallow copy, a `PyDataset` a checking
    proxy, a generator a checking generator).
    """
    kind = _kind(x)
    if kind == "array":
        if x is not None and not isinstance(x, (list, tuple, dict)):
            arr = _numpy(x)  # NumPy, or a backend tensor held whole
            checker.check_x(arr, whole=True)
            checker.check_y(None if y is None else _numpy(y), len(arr))
        return x, y
    if y is not None:
        raise ValueError(
            f"`y` must be None when `x` is a dataset (the dataset yields the labels). Received: y of type "
            f"{type(y).__name__} with x of type {type(x).__name__}"
        )
    if kind == "tf_dataset":
        return _checked_tf_dataset(x, checker), None
    if kind == "torch_loader":
        loader = copy.copy(x)
        loader.collate_fn = _CheckedCollate(x.collate_fn, checker)
        return loader, None
    if kind == "py_dataset":
        return _CheckedPyDataset(x, checker), None
    return _checked_generator(x, checker), None


def pipeline_error(error):
    """The check's own error behind a TensorFlow pipeline error, or None."""
    global last_pipeline_error
    found, last_pipeline_error = last_pipeline_error, None
    if found is not None and str(found).split(" Received:")[0][:60] in str(
        error
    ):
        return found
    return None


class DomainPairChecker:
    """Checks `(a, b)` batches of two unpaired image domains (CycleGAN)."""

    def __init__(self, checker):
        self.checker = checker

    def check_pair(self, a, b, whole=False):
        for name, x in (("x_a", a), ("x_b", b)):
            self.checker.x_name = name
            self.checker.check_x(x, whole=whole)
        self.checker.x_name = "x"

    def __call__(self, batch):
        if not (isinstance(batch, (tuple, list)) and len(batch) >= 2):
            raise ValueError(
                "CycleGAN trains on pairs of unpaired batches `(a, b)`. Received a batch of type "
                f"{type(batch).__name__} without a domain-B part"
            )
        self.check_pair(batch[0], batch[1])
        return batch
