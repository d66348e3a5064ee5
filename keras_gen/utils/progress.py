"""A Keras progress bar over the steps of a compiled sampling loop."""

import keras

# `verbose="auto"` shows the bar from this many network evaluations on (all
# batches together): DDPM's 1,000 ancestral steps, or many batches of a
# 50-step sampler, but not one batch of DDIM-50.
AUTO_MIN_STEPS = 200

# A loop with a bar runs in about this many compiled calls per batch, so the
# bar moves without costing much dispatch.
UPDATES_PER_BATCH = 20


class LoopProgress:
    """Splits a `num_steps` loop, run once per batch, into chunks and shows
    a `keras.utils.Progbar` over all of them when asked to.

    Args:
        num_steps: steps of the loop for one batch.
        num_batches: batches the loop runs for.
        verbose: `True`/`1` (a bar), `False`/`0` (none) or `"auto"` (a bar
            when `num_steps * num_batches >= AUTO_MIN_STEPS`).

    Example:

    ```python
    progress = LoopProgress(1000, num_batches=2, verbose="auto")
    for batch in range(2):
        for start, stop in progress.chunks():
            x = compiled_loop(x, start, stop)
            progress.add(stop - start)
    ```
    """

    def __init__(self, num_steps, num_batches, verbose="auto"):
        if verbose not in ("auto", True, False, 0, 1):
            raise ValueError(
                "`verbose` must be 'auto', True/1 or False/0. "
                f"Received: verbose={verbose!r}"
            )
        total = num_steps * num_batches
        if verbose == "auto":
            verbose = total >= AUTO_MIN_STEPS
        self.num_steps = num_steps
        self.bar = (
            keras.utils.Progbar(total, unit_name="step") if verbose else None
        )

    def chunks(self):
        """`(start, stop)` of each compiled call of one batch's loop: the
        whole loop at once without a bar."""
        size = self.num_steps
        if self.bar is not None:
            size = max(1, self.num_steps // UPDATES_PER_BATCH)
        return [
            (start, min(start + size, self.num_steps))
            for start in range(0, self.num_steps, size)
        ]

    def add(self, steps):
        if self.bar is not None:
            self.bar.add(steps)
