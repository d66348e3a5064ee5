"""Editing data with a generative model: inpainting and image-to-image
translation (SDEdit), the part that does not depend on the family.

`ImageEditing` gives a model `inpaint(x, mask, ...)` and
`image_to_image(x, strength, ...)`: it checks the images, the mask, the
strength and the labels, draws the seed, maps the data to the model's
range, calls the family's hook (`_inpaint` or `_image_to_image`, which
runs the family's sampler in model space) and returns samples in
`value_range`, with the known pixels of an inpainting copied back exactly.
A family (FlowMatching on its ODE, DDPM on its VP-space samplers) writes
only the two hooks, and public wrappers with its
sampling options as explicit keywords that call these. `repaint_schedule`
and `repaint_moves` give RePaint's resampling schedule (Lugmayr et al.,
2022) to any family whose reverse steps the forward process can undo.
"""

import numpy as np

from keras_gen.utils import validation


def check_mask(mask, x_shape):
    """The inpainting mask as float32 0/1 of `x_shape`.

    `mask` is 1 (or True) where the model generates and 0 where the pixels
    of `x` are kept, as in diffusers' and keras-hub's inpainting: one mask
    per image `(n, *data_shape)` or one for all `data_shape`; for images,
    `(n, H, W)` or `(H, W)` masks apply to every channel.
    """
    mask = np.asarray(mask)
    sample_shape = tuple(x_shape[1:])
    if mask.dtype == bool:
        mask = mask.astype("float32")
    if not (np.issubdtype(mask.dtype, np.number)) or not np.all(
        np.isin(mask, (0, 1))
    ):
        raise ValueError(
            "`mask` must hold 0 (keep the pixel of `x`) and 1 (generate it), or booleans. "
            f"Received: mask with values {np.unique(mask)[:5].tolist()}"
        )
    mask = mask.astype("float32")
    if len(sample_shape) == 3 and mask.shape in (
        sample_shape[:2],
        tuple(x_shape[:3]),
    ):
        mask = mask[..., None]  # one mask for every channel
    try:
        return np.broadcast_to(mask, x_shape).astype("float32")
    except ValueError:
        raise ValueError(
            f"`mask` must be shaped like `x` {tuple(x_shape)}, like one sample {sample_shape}"
            + (
                ", or (n, H, W) / (H, W) for every channel"
                if len(sample_shape) == 3
                else ""
            )
            + f". Received: mask.shape={mask.shape}"
        ) from None


def check_strength(strength):
    """SDEdit's strength: a number in (0, 1]."""
    strength = validation.check_in_range(
        strength, "strength", 0.0, 1.0, "a number in (0, 1]"
    )
    if strength == 0.0:
        raise ValueError(
            "`strength` must be a number in (0, 1] (0 would return `x` unchanged). Received: strength=0.0"
        )
    return strength


def edit_steps(num_steps, strength):
    """The steps an SDEdit run takes: the part `strength` of the steps of a
    full run (at least one), as diffusers' image-to-image pipelines do."""
    return max(1, int(round(num_steps * strength)))


def repaint_schedule(num_steps, jump_length, jump_n_sample):
    """RePaint's time schedule with resampling jumps (Lugmayr et al., 2022,
    algorithm 1 and sec. 4.2).

    Times are levels of the `num_steps` reverse steps, `num_steps - 1`
    (noisiest) down to 0, and -1 for the finished sample. The run steps
    down one level at a time; on reaching a level that is a multiple of
    `jump_length` (below `num_steps - jump_length`) for the first
    `jump_n_sample - 1` times, it jumps back up `jump_length` levels by
    the forward process, one level at a time, and steps down again. So
    `jump_n_sample=1` is the plain schedule, and each of the
    `len(range(0, num_steps - jump_length, jump_length))` jump levels
    adds `(jump_n_sample - 1) * jump_length` reverse steps.

    Args:
        num_steps: reverse steps of the plain schedule (`T`).
        jump_length: levels per jump (`j`).
        jump_n_sample: passes over each jump's stretch (`r`).

    Returns:
        The list of levels visited, starting at `num_steps - 1` and ending
        at -1; consecutive levels differ by one.

    Example:

    ```python
    repaint_schedule(4, 2, 2)  # [3, 2, 1, 0, 1, 2, 1, 0, -1]
    ```
    """
    remaining = {
        level: jump_n_sample - 1
        for level in range(0, num_steps - jump_length, jump_length)
    }
    times = []
    level = num_steps
    while level > 0:
        level -= 1
        times.append(level)
        if remaining.get(level, 0) > 0:
            remaining[level] -= 1
            times.extend(range(level + 1, level + jump_length + 1))
            level += jump_length
    return times + [-1]


def repaint_moves(num_steps, jump_length, jump_n_sample):
    """`repaint_schedule` as moves between evaluations of a sampler.

    Level `k` is the state ready for evaluation `num_steps - 1 - k` of the
    sampler (level `num_steps - 1`: the first). Returns `(index, up)`,
    int32 and bool arrays with one entry per move: `up=False`, run
    evaluation `index` (one reverse step, a denoiser call); `up=True`,
    noise the state forward to the timestep of evaluation `index` (one
    step of the forward process, no denoiser call).
    """
    times = repaint_schedule(num_steps, jump_length, jump_n_sample)
    index, up = [], []
    for before, after in zip(times[:-1], times[1:]):
        up.append(after > before)
        index.append(num_steps - 1 - (after if after > before else before))
    return np.asarray(index, "int32"), np.asarray(up, bool)


class ImageEditing:
    """`inpaint` and `image_to_image` for a `GenerativeModel` family.

    The family implements, in its model space (`to_model_space`):

    - `_inpaint(x, mask, labels, seed, batch_size, **options)`: samples
      for the pixels where `mask` is 1, consistent with the known pixels
      of `x` where it is 0;
    - `_image_to_image(x, strength, labels, seed, batch_size, **options)`:
      `x` noised to the level `strength` (1: pure noise) and carried back
      to the data by the sampler (Meng et al., 2022).

    Both return NumPy arrays shaped like `x`.
    """

    def _edit_inputs(self, x, labels, seed, batch_size):
        x = np.asarray(x, dtype="float32")
        self.data_checker().check_x(x, whole=True)
        batch_size = validation.check_positive_int(batch_size, "batch_size")
        labels = self.labels_for(len(x), labels)
        return x, labels, self._sample_seed(seed), batch_size

    def inpaint(
        self, x, mask, *, seed=None, labels=None, batch_size=256, **options
    ):
        """Fills in the pixels of `x` where `mask` is 1; keeps the others.

        Args:
            x: a batch of samples in `value_range`, `(n, *data_shape)`.
            mask: 1 (or True) where to generate, 0 where to keep `x`: one
                mask per sample or one for all; for images also `(n, H, W)`
                or `(H, W)` (every channel).
            seed: an int for a reproducible draw, or `None` for the model's
                random stream.
            labels: for a conditional model, one class for all or one per
                sample (default: cycling through the classes).
            batch_size: samples per compiled call.
            **options: the family's sampling options.

        Returns:
            A NumPy float32 array shaped like `x`, in `value_range`, equal
            to `x` wherever `mask` is 0.
        """
        x, labels, generator, batch_size = self._edit_inputs(
            x, labels, seed, batch_size
        )
        mask = check_mask(mask, x.shape)
        samples = self._inpaint(
            self.to_model_space(x),
            mask,
            labels,
            generator,
            batch_size,
            **options,
        )
        return np.where(mask > 0.5, self._finish_samples(samples), x).astype(
            "float32"
        )

    def image_to_image(
        self,
        x,
        strength=0.5,
        *,
        seed=None,
        labels=None,
        batch_size=256,
        **options,
    ):
        """Translates `x` by noising it and sampling back (SDEdit).

        Args:
            x: a batch of samples in `value_range`, `(n, *data_shape)`.
            strength: how far to noise `x`, in (0, 1]: near 0 keeps `x`
                almost as it is, 1 starts from pure noise (an ordinary
                sample, with no trace of `x`). The run takes that part of
                the sampler's steps.
            seed, labels, batch_size: as in `inpaint` (the labels steer a
                conditional model, e.g. toward another class).
            **options: the family's sampling options.

        Returns:
            A NumPy float32 array shaped like `x`, in `value_range`.
        """
        strength = check_strength(strength)
        x, labels, generator, batch_size = self._edit_inputs(
            x, labels, seed, batch_size
        )
        samples = self._image_to_image(
            self.to_model_space(x),
            strength,
            labels,
            generator,
            batch_size,
            **options,
        )
        return self._finish_samples(samples)

    def _inpaint(self, x, mask, labels, seed, batch_size, **options):
        raise NotImplementedError(
            f"{self.__class__.__name__} does not inpaint yet."
        )

    def _image_to_image(self, x, strength, labels, seed, batch_size, **options):
        raise NotImplementedError(
            f"{self.__class__.__name__} does not translate images yet."
        )
