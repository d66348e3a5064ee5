"""Writes PNG grids of samples or reconstructions during training."""

import os

import keras
import numpy as np

from keras_gen.utils import images as image_utils
from keras_gen.utils import validation


class SampleGrid(keras.callbacks.Callback):
    """Saves a grid of `model.generate(...)` (or reconstructions) every N epochs.

    Args:
        path: file name pattern, formatted with `epoch` (1-based), e.g.
            `"out/samples_{epoch:03d}.png"`.
        every: write every `every` epochs (and after the last one).
        num_samples: samples in the grid.
        seed: fixed seed, so that successive grids show the same latents.
        inputs: if given, the grid shows `model.reconstruct(inputs)` instead
            of samples.
        image_shape: reshape flat samples to this shape, e.g. `(8, 8)`.
        value_range: the sample values shown as black and white (default:
            the model's `value_range`, else (0, 1)).
        generate_kwargs: extra arguments for `model.generate`.

    Example:

    ```python
    vae.fit(x, epochs=10, callbacks=[
        keras_gen.callbacks.SampleGrid("out/samples_{epoch:03d}.png", every=5)])
    ```
    """

    def __init__(
        self,
        path="samples_{epoch:03d}.png",
        every=1,
        num_samples=64,
        seed=0,
        inputs=None,
        image_shape=None,
        value_range=None,
        generate_kwargs=None,
    ):
        super().__init__()
        self.path = path
        self.every = validation.check_positive_int(every, "every")
        self.num_samples = validation.check_positive_int(
            num_samples, "num_samples"
        )
        self.seed = seed
        self.inputs = inputs
        self.image_shape = image_shape
        self.value_range = value_range
        self.generate_kwargs = dict(generate_kwargs or {})
        self.written = []

    def images(self):
        if self.inputs is not None:
            out = self.model.reconstruct(self.inputs[: self.num_samples])
        else:
            out = self.model.generate(
                self.num_samples, seed=self.seed, **self.generate_kwargs
            )
        out = np.asarray(out)
        if self.image_shape is not None:
            out = out.reshape((len(out),) + tuple(self.image_shape))
        return out

    def write(self, epoch):
        path = self.path.format(epoch=epoch)
        value_range = (
            self.value_range
            or getattr(self.model, "value_range", None)
            or (0.0, 1.0)
        )
        image_utils.save_image_grid(
            self.images(), path, value_range=value_range
        )
        self.written.append(os.path.abspath(path))
        return path

    def on_epoch_end(self, epoch, logs=None):
        last = self.params.get("epochs") if self.params else None
        if (epoch + 1) % self.every == 0 or (
            last is not None and epoch + 1 == last
        ):
            self.write(epoch + 1)
