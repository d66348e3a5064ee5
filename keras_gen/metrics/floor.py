"""The real-data floor: what real held-out images score, to print beside
every figure."""

from keras_gen.metrics import classifiers
from keras_gen.metrics.evaluation import evaluate
from keras_gen.utils import validation

# Results per process: the same real images always score the same.
_FLOORS = {}


def real_data_floor(
    dataset,
    metrics=("classifier_frechet_distance",),
    num_samples=None,
    image_size=None,
):
    """What a perfect generator would score: real test images against as
    many real train images.

    The sample metrics are biased by the number of samples (the Fréchet
    distance of two sets drawn from one distribution shrinks as they grow),
    so a figure means little without the floor computed with the same
    metric, classifier and `num_samples`: the first `num_samples` images of
    the test split play the data, the first `num_samples` of the train split
    the samples, exactly as `evaluate(model, x_test[:n], metrics,
    num_samples=n, classifier=dataset)` would compare a generator's samples.

    Args:
        dataset: `"digits"` or `"fashion_mnist"` (the data and its shipped
            classifier).
        metrics: names from `keras_gen.metrics.METRIC_NAMES` starting with
            `classifier_`, or metric objects.
        num_samples: images from each split; default: the whole test split
            (447 digits, 10,000 Fashion-MNIST images).
        image_size: side of the images (default: the native one; the
            floor of 16x16 digits differs from that of 8x8 digits, while
            padded Fashion-MNIST gives the same floor as 28x28).

    Returns:
        A dict of floats, as `evaluate` returns.

    Example:

    ```python
    x_test = keras_gen.datasets.load_fashion_mnist("test", num_samples=1000)
    score = keras_gen.metrics.evaluate(model, x_test, num_samples=1000)
    floor = keras_gen.metrics.real_data_floor("fashion_mnist", num_samples=1000)
    print(f"classifier FD {score['classifier_frechet_distance']:.2f} "
          f"(real data: {floor['classifier_frechet_distance']:.2f})")
    ```
    """
    spec = classifiers.get_classifier(dataset)
    image_size = spec.check_image_size(image_size or spec.image_size)
    if num_samples is not None:
        num_samples = validation.check_positive_int(num_samples, "num_samples")
    metrics = (
        tuple(metrics) if isinstance(metrics, (list, tuple)) else (metrics,)
    )
    key = (dataset, metrics, num_samples, image_size)
    cacheable = all(isinstance(m, str) for m in metrics)
    if cacheable and key in _FLOORS:
        return dict(_FLOORS[key])
    x_train, _ = spec.load_data("train", image_size)
    x_test, _ = spec.load_data("test", image_size)
    largest = min(len(x_train), len(x_test))
    if num_samples is not None and num_samples > largest:
        raise ValueError(
            f"`num_samples` must be at most {largest} for {dataset} (the size "
            f"of its smaller split). Received: num_samples={num_samples}"
        )
    n = num_samples or len(x_test)
    result = evaluate(
        None, x_test[:n], metrics, samples=x_train[:n], classifier=dataset
    )
    if cacheable:
        _FLOORS[key] = dict(result)
    return result
