"""Differentiable augmentation for GANs trained on little data."""

import keras
from keras import ops

from keras_gen.utils import validation

POLICIES = ("color", "translation", "cutout")


def _check_policy(policy):
    if isinstance(policy, str):
        parts = [p.strip() for p in policy.split(",") if p.strip()]
    else:
        parts = list(policy or ())
    for part in parts:
        if part not in POLICIES:
            raise ValueError(
                f"`policy` must be a comma-separated subset of {list(POLICIES)}. "
                f"Received: policy={policy!r}"
            )
    return ",".join(parts)


@keras.saving.register_keras_serializable(package="keras_gen")
class DiffAugment(keras.layers.Layer):
    """DiffAugment (Zhao et al., 2020): random, differentiable image changes.

    A GAN's discriminator overfits a small training set within a few
    thousand steps. DiffAugment applies the SAME family of random
    transformations to real and generated images every time the
    discriminator sees them, in both the discriminator and the generator
    updates; every transformation is differentiable, so the generator's
    gradient passes through it (sec. 3 of the paper). Policies, with the
    paper's parameters:

    - `"color"`: brightness `x + U(-0.5, 0.5)`, saturation (scale around the
      channel mean by `U(0, 2)`) and contrast (scale around the image mean
      by `U(0.5, 1.5)`), one draw per image;
    - `"translation"`: an integer shift of up to 1/8 of the side in each
      direction, zero fill;
    - `"cutout"`: a zeroed square of half the side at a random position.

    Images are channels-last. Randomness comes from the layer's own
    `SeedGenerator`, so it changes at every call on every backend (also
    inside a compiled JAX step); the layer is the identity when
    `training=False`.

    Args:
        policy: comma-separated policies, e.g. `"color,translation,cutout"`
            (the paper's choice for 100-shot data), or `""` for none.
        translation_ratio: largest shift, as a fraction of the side.
        cutout_ratio: side of the cutout square, as a fraction of the side.
        seed: seed of the layer's random stream.

    Example:

    ```python
    augment = keras_gen.layers.DiffAugment("color,translation,cutout")
    real_logits = discriminator(augment(real, training=True))
    fake_logits = discriminator(augment(fake, training=True))
    ```
    """

    def __init__(
        self,
        policy="color,translation,cutout",
        translation_ratio=0.125,
        cutout_ratio=0.5,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.policy = _check_policy(policy)
        self.translation_ratio = validation.check_probability(
            translation_ratio, "translation_ratio"
        )
        self.cutout_ratio = validation.check_probability(
            cutout_ratio, "cutout_ratio"
        )
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(
            seed, name="diff_augment_seed"
        )
        self.built = True

    @property
    def policies(self):
        return tuple(p for p in self.policy.split(",") if p)

    def _uniform(self, batch, low=0.0, high=1.0):
        return keras.random.uniform(
            (batch, 1, 1, 1), low, high, seed=self.seed_generator
        )

    def _randint(self, batch, low, high):
        return keras.random.randint(
            (batch,), low, high, dtype="int32", seed=self.seed_generator
        )

    def color(self, x):
        batch = ops.shape(x)[0]
        x = x + self._uniform(batch, -0.5, 0.5)
        mean = ops.mean(x, axis=-1, keepdims=True)
        x = (x - mean) * self._uniform(batch, 0.0, 2.0) + mean
        mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
        return (x - mean) * self._uniform(batch, 0.5, 1.5) + mean

    @staticmethod
    def _shift_matrix(shift, size, dtype):
        # M[b, i, j] = 1 where j = i - shift[b]: row i of the output is row
        # i - shift of the input (zero when that lies outside the image).
        # A matmul keeps the shift differentiable and backend-neutral.
        i = ops.arange(size, dtype="int32")[None, :, None]
        j = ops.arange(size, dtype="int32")[None, None, :]
        return ops.cast(ops.equal(j, i - shift[:, None, None]), dtype)

    def translation(self, x):
        batch, height, width = ops.shape(x)[0], x.shape[1], x.shape[2]
        shift_h = int(height * self.translation_ratio + 0.5)
        shift_w = int(width * self.translation_ratio + 0.5)
        ty = self._randint(batch, -shift_h, shift_h + 1)
        tx = self._randint(batch, -shift_w, shift_w + 1)
        x = ops.einsum(
            "bij,bjwc->biwc", self._shift_matrix(ty, height, x.dtype), x
        )
        return ops.einsum(
            "bkw,biwc->bikc", self._shift_matrix(tx, width, x.dtype), x
        )

    def cutout(self, x):
        batch, height, width = ops.shape(x)[0], x.shape[1], x.shape[2]
        size_h = int(height * self.cutout_ratio + 0.5)
        size_w = int(width * self.cutout_ratio + 0.5)
        # The official offsets: the square's centre in [0, side + (1 - size % 2)).
        top = self._randint(batch, 0, height + (1 - size_h % 2)) - size_h // 2
        left = self._randint(batch, 0, width + (1 - size_w % 2)) - size_w // 2
        rows = ops.arange(height, dtype="int32")[None, :]
        cols = ops.arange(width, dtype="int32")[None, :]
        in_rows = ops.logical_and(
            rows >= top[:, None], rows < (top + size_h)[:, None]
        )
        in_cols = ops.logical_and(
            cols >= left[:, None], cols < (left + size_w)[:, None]
        )
        inside = ops.logical_and(in_rows[:, :, None], in_cols[:, None, :])
        return x * ops.cast(ops.logical_not(inside), x.dtype)[..., None]

    def call(self, inputs, training=None):
        if not training or not self.policies:
            return inputs
        x = inputs
        for name in self.policies:
            x = getattr(self, name)(x)
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            policy=self.policy,
            translation_ratio=self.translation_ratio,
            cutout_ratio=self.cutout_ratio,
            seed=self.seed,
        )
        return config
