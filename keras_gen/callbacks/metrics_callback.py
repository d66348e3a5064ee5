"""Computes evaluation metrics every N epochs during `fit`."""

import keras
import numpy as np

from keras_gen.metrics import evaluation as evaluate_lib
from keras_gen.utils import validation


class MetricsCallback(keras.callbacks.Callback):
    """Scores `model.generate(...)` against real data every `every` epochs.

    At the end of every `every`-th epoch (and of the last one) it draws
    `num_samples` samples with a fixed `seed`, runs
    `keras_gen.metrics.evaluate` and writes the results into the epoch's
    `logs`, so `History`, `CSVLogger`, `TensorBoard`, `EarlyStopping` (list
    this callback before them) see them. As with Keras' `validation_freq`,
    epochs without an evaluation have no entry: `history.history[name]` has
    one value per evaluation, and `callback.history` maps each evaluated
    epoch (1-based) to its results.

    Args:
        data: real samples to compare with (e.g. the test split).
        metrics: names from `keras_gen.metrics.METRIC_NAMES` and/or metric
            objects.
        every: evaluate every `every` epochs.
        num_samples: generated samples per evaluation (default `len(data)`).
        seed: seed of `generate`, the same at every evaluation.
        value_range: `(low, high)` of the samples and of `data`, mapped to
            [0, 1] for the classifier (default: the model's `value_range`).
        validation_data: data to choose the Parzen bandwidth.
        generate_kwargs: extra arguments for `model.generate`.
        verbose: 1 prints the results after each evaluation.
        classifier: the shipped classifier of the `classifier_*` metrics
            (`"digits"`, `"fashion_mnist"`), or `None` to choose it by the
            data's shape (see `keras_gen.metrics.evaluate`).

    Example:

    ```python
    x_test = keras_gen.datasets.load_digits("test")
    gan = keras_gen.models.GAN(data_shape=(8, 8, 1), value_range=(0, 1))
    gan.compile()
    callback = keras_gen.callbacks.MetricsCallback(x_test, ["classifier_frechet_distance"], every=5)
    history = gan.fit(x_train, epochs=20, callbacks=[callback])
    history.history["classifier_frechet_distance"]  # 4 values
    ```
    """

    def __init__(
        self,
        data,
        metrics=("classifier_frechet_distance",),
        every=1,
        num_samples=None,
        seed=0,
        value_range=None,
        validation_data=None,
        generate_kwargs=None,
        verbose=0,
        classifier=None,
    ):
        super().__init__()
        self.data = np.asarray(data)
        self.every = validation.check_positive_int(every, "every")
        self.num_samples = num_samples
        self.seed = seed
        self.value_range = value_range
        self.validation_data = validation_data
        self.generate_kwargs = dict(generate_kwargs or {})
        self.verbose = verbose
        metrics = metrics if isinstance(metrics, (list, tuple)) else [metrics]
        # Resolved once: the classifier is loaded here, not per epoch.
        self.metrics = [
            evaluate_lib.get_metric(m, self.data.shape[1:], classifier)
            for m in metrics
        ]
        self.history = {}
        if value_range is not None:
            evaluate_lib.check_data_range(
                self.data, value_range
            )  # fail before training

    def _value_range(self):
        return self.value_range or getattr(self.model, "value_range", None)

    def on_train_begin(self, logs=None):
        evaluate_lib.check_data_range(
            self.data, self._value_range()
        )  # fail before training

    def evaluate(self):
        return evaluate_lib.evaluate(
            self.model,
            self.data,
            self.metrics,
            num_samples=self.num_samples,
            seed=self.seed,
            value_range=self._value_range(),
            validation_data=self.validation_data,
            generate_kwargs=self.generate_kwargs,
        )

    def on_epoch_end(self, epoch, logs=None):
        last = self.params.get("epochs") if self.params else None
        if (epoch + 1) % self.every and not (
            last is not None and epoch + 1 == last
        ):
            return
        results = self.evaluate()
        self.history[epoch + 1] = results
        if logs is not None:
            logs.update(results)
        if self.verbose:
            text = ", ".join(f"{k}: {v:.4g}" for k, v in results.items())
            print(f"Epoch {epoch + 1} metrics: {text}")
