"""What the training scripts of the shipped classifiers share: their
arguments, and keeping the epoch with the best validation accuracy."""

import numpy as np


def add_arguments(parser, epochs, batch_size, learning_rate, out):
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--batch-size", type=int, default=batch_size)
    parser.add_argument("--learning-rate", type=float, default=learning_rate)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=out, help="the weights file to write")


def accuracy_and_loss(model, x, y, batch_size=None):
    """Accuracy and mean cross-entropy of `model`'s probabilities."""
    p = model.predict(x, batch_size=batch_size, verbose=0)
    return float((p.argmax(-1) == y).mean()), float(
        -np.log(p[np.arange(len(y)), y] + 1e-7).mean()
    )


def train_best_epoch(
    spec,
    optimizer,
    fit_epoch,
    epochs,
    x_val,
    y_val,
    val_batch_size=None,
    verbose=False,
):
    """Trains `spec.build()` and keeps its best epoch.

    Args:
        spec: a `keras_gen.metrics.shipped_classifier.ShippedClassifier`.
        optimizer: the optimizer (the loss is the cross-entropy).
        fit_epoch: `fit_epoch(model)` trains the model for one epoch.
        epochs: number of epochs.
        x_val, y_val: the validation images and labels; the epoch with the
            best accuracy is kept, the loss breaking ties (it saturates).
        val_batch_size: batch size of the validation predictions.
        verbose: print each epoch's validation figures.

    Returns:
        `(model, accuracy, loss, epoch)`: a fresh, uncompiled model with the
        best weights (so a saved file holds no optimizer state), and its
        validation accuracy, loss and 1-based epoch.
    """
    model = spec.build()
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    best, best_weights, best_epoch = (-1.0, 0.0), None, 0
    for epoch in range(1, epochs + 1):
        fit_epoch(model)
        accuracy, loss = accuracy_and_loss(model, x_val, y_val, val_batch_size)
        if verbose:
            print(
                f"epoch {epoch}: val accuracy {100 * accuracy:.2f} %, loss {loss:.4f}",
                flush=True,
            )
        if (accuracy, -loss) >= best:
            best, best_weights, best_epoch = (
                (accuracy, -loss),
                model.get_weights(),
                epoch,
            )
    model = spec.build()
    model.set_weights(best_weights)
    return model, best[0], -best[1], best_epoch
