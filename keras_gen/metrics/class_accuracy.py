"""How often a shipped classifier reads a conditional sample as the class
that was asked for."""

import numpy as np

from keras_gen.metrics import classifiers
from keras_gen.metrics.evaluation import _rescale


def requested_class_accuracy(
    images, labels, classifier=None, value_range=(0.0, 1.0), batch_size=256
):
    """The fraction of `images` that a shipped classifier assigns to the
    class in `labels`, the usual check of a class-conditional generator.

    Read it beside the classifier's accuracy on real test images (digits
    CNN: about 0.98; Fashion-MNIST CNN: 0.92, see
    `benchmarks/fashion_classifier_results.md`), the ceiling for samples
    that look like real items of their class.

    Args:
        images: samples `(n, side, side, 1)`, e.g. from
            `model.generate(n, labels=labels)`.
        labels: the requested classes, integers `(n,)` in `[0, 10)`.
        classifier: `"digits"`, `"fashion_mnist"` or `None` (chosen by the
            images' shape as in `keras_gen.metrics.evaluate`).
        value_range: `(low, high)` of `images`, mapped to the classifier's
            [0, 1] (a tanh generator has `(-1, 1)`; pass `model.value_range`).
        batch_size: classifier batch size.

    Returns:
        A dict: `accuracy` (a float in [0, 1]) and `per_class` (the accuracy
        for each class in `0..9` that was requested, `nan` for the others).

    Example:

    ```python
    labels = np.arange(1000) % 10
    samples = gan.generate(1000, labels=labels, seed=0)
    keras_gen.metrics.requested_class_accuracy(
        samples, labels, value_range=gan.value_range)["accuracy"]
    ```
    """
    images = np.asarray(images, dtype="float32")
    labels = np.asarray(labels)
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(
            "`images` must be a non-empty batch of images (n, side, side, 1). "
            f"Received: images.shape={images.shape}"
        )
    integral = labels.dtype.kind in "iu" or (
        labels.dtype.kind == "f" and np.all(labels == np.round(labels))
    )
    if labels.shape != (len(images),) or not integral:
        raise ValueError(
            "`labels` must hold one integer class per image, shape "
            f"({len(images)},). Received: labels with shape {labels.shape} "
            f"and dtype {labels.dtype}"
        )
    spec, side = classifiers.classifier_for_shape(
        images.shape[1:], classifier, "requested_class_accuracy"
    )
    model = spec.load(image_size=side)
    num_classes = model.output_shape[-1]
    labels = labels.astype("int64")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(
            f"`labels` must be classes in [0, {num_classes}) of the {spec.name} "
            f"classifier. Received: labels in [{labels.min()}, {labels.max()}]"
        )
    images = np.clip(_rescale(images, value_range), 0.0, 1.0)
    predicted = model.predict(images, batch_size=batch_size, verbose=0)
    hits = np.argmax(predicted, axis=-1) == labels
    per_class = [
        float(hits[labels == k].mean()) if np.any(labels == k) else np.nan
        for k in range(num_classes)
    ]
    return {"accuracy": float(hits.mean()), "per_class": per_class}
