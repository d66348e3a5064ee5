"""Stop training after a wall-clock budget."""

import time

import keras


class TimeLimit(keras.callbacks.Callback):
    """Stops `fit` once `seconds` of wall-clock time have passed since the
    start of training.

    The check runs after every training batch, so training ends at the end
    of the first step past the budget (one step late at most); the epoch's
    callbacks (checkpoints, sample grids) still run, and the rest of `fit`
    returns normally. Useful to train "as well as possible in ten minutes"
    (a demo, a benchmark at equal budget) with `epochs` set high.

    Args:
        seconds: the budget, a number > 0 (`float("inf")`: no limit; the
            callback then only counts the steps).

    Attributes:
        steps: training steps run by the last `fit`.
        stopped_at_step: the step after which it stopped training, or
            `None` when `fit` ended within the budget.

    Example:

    ```python
    gan.fit(x, y, epochs=1000, callbacks=[keras_gen.callbacks.TimeLimit(600)])
    ```
    """

    def __init__(self, seconds):
        super().__init__()
        number = isinstance(seconds, (int, float)) and not isinstance(
            seconds, bool
        )
        if not (number and seconds > 0):
            raise ValueError(
                f"`seconds` must be a number > 0. Received: seconds={seconds!r}"
            )
        self.seconds = float(seconds)
        self.start = None
        self.stopped_at_step = None
        self.steps = 0

    def on_train_begin(self, logs=None):
        self.start = time.monotonic()
        self.stopped_at_step = None
        self.steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if time.monotonic() - self.start >= self.seconds:
            # Read after every step by the jax, tensorflow and torch trainers.
            self.model.stop_training = True
            self.stopped_at_step = self.steps

    @property
    def elapsed(self):
        """Seconds since the start of the last `fit` (`None` before it)."""
        return None if self.start is None else time.monotonic() - self.start
