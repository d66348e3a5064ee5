"""Adaptive discriminator augmentation (ADA): DiffAugment ops applied with
a probability `p` that follows the discriminator's overfitting."""

import keras
from keras import ops

from keras_gen.layers.diff_augment import DiffAugment
from keras_gen.utils import validation


@keras.saving.register_keras_serializable(package="keras_gen")
class AdaptiveAugment(keras.layers.Layer):
    """Adaptive discriminator augmentation (Karras et al., 2020, sec. 3).

    Every image the discriminator sees, real or generated, in both the
    discriminator and the generator updates, goes through this layer. Each
    of the policy's DiffAugment ops (`"color"`, `"translation"`,
    `"cutout"`, see `DiffAugment`) is applied to each image independently
    with probability `p`, so that `p < 1` keeps part of the batch clean and
    the augmentations do not leak into the generated images (sec. 2.2).

    `p` starts at `initial_probability` (0) and is tuned by the overfitting
    heuristic `r_t = E[sign(D(x_real))]` (eq. 1, right): `update(real_logits)`
    accumulates the signs of the discriminator's logits on (augmented) real
    images, and every `interval` (N = 4) calls

        p <- clip(p + sign(r_t - target) * (images seen) / speed, 0, 1)

    with `images seen = N * batch size`: `p` rises while the discriminator
    is too sure of the reals (`r_t > target`) and falls otherwise, and can
    go from 0 to 1 in `speed` images. `p`, the accumulators and the last
    `r_t` are non-trainable weights: they are model state inside a compiled
    step on every backend (threaded through the JAX step, never a Python
    attribute) and are saved with the model.

    The paper's `speed` is 500k images, about 2 % of its 25M-image runs.
    The default here, 10,000 images, suits CPU-sized runs on the 1,000
    embedded digits (30k-60k images in all): `p` can cross [0, 1] in ten
    passes over the data (about 300 steps of 32), and one adjustment moves
    it by only 0.0128 at batch 32. With 500k it would hardly leave 0.

    Args:
        policy: the DiffAugment ops to gate, e.g.
            `"color,translation,cutout"`.
        target: the target value of `r_t` (0.6).
        speed: images for `p` to go from 0 to 1 (see above).
        interval: adjust `p` every this many `update` calls (N = 4).
        initial_probability: `p` at the start (0).
        translation_ratio, cutout_ratio: as in `DiffAugment`.
        seed: seed of the layer's random stream.

    Example:

    ```python
    ada = keras_gen.layers.AdaptiveAugment("color,translation,cutout")
    real_logits = discriminator(ada(real, training=True))
    fake_logits = discriminator(ada(fake, training=True))
    ada.update(real_logits)  # once per discriminator step
    print(float(ada.probability))
    ```
    """

    def __init__(
        self,
        policy="color,translation,cutout",
        target=0.6,
        speed=10_000,
        interval=4,
        initial_probability=0.0,
        translation_ratio=0.125,
        cutout_ratio=0.5,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.target = validation.check_in_range(target, "target", -1.0, 1.0)
        self.speed = validation.check_in_range(
            speed, "speed", 1e-12, description="a finite number > 0"
        )
        self.interval = validation.check_positive_int(interval, "interval")
        self.initial_probability = validation.check_probability(
            initial_probability, "initial_probability"
        )
        self.seed = seed
        self.augment = DiffAugment(
            policy,
            translation_ratio,
            cutout_ratio,
            seed=seed,
            name="diff_augment",
        )

        def state(name, value=0.0):
            return self.add_weight(
                shape=(),
                initializer=keras.initializers.Constant(value),
                trainable=False,
                name=name,
            )

        self.probability = state("probability", self.initial_probability)
        # The latest r_t, for logs; the signs and counts since the last adjustment.
        self.overfitting = state("overfitting")
        self.sign_sum = state("sign_sum")
        self.sign_count = state("sign_count")
        self.pending_updates = state("pending_updates")
        self.built = True

    policy = property(lambda self: self.augment.policy)

    def call(self, inputs, training=None):
        if not training or not self.augment.policies:
            return inputs
        x = inputs
        p = ops.cast(ops.convert_to_tensor(self.probability), x.dtype)
        batch = ops.shape(x)[0]
        for name in self.augment.policies:
            augmented = getattr(self.augment, name)(x)
            # One draw per image and op: applied with probability p.
            apply = self.augment._uniform(batch) < p
            x = ops.where(apply, augmented, x)
        return x

    def update(self, real_logits):
        """Accumulates `sign(real_logits)`; adjusts `p` every `interval` calls.

        Call once per discriminator step with its logits on the (augmented)
        real images; safe inside a compiled training step.
        """
        signs = ops.sign(
            ops.stop_gradient(
                ops.cast(ops.reshape(real_logits, (-1,)), "float32")
            )
        )
        # Read the state as tensors (a variable is not an array inside a JAX trace).
        probability, overfitting = (
            ops.convert_to_tensor(self.probability),
            ops.convert_to_tensor(self.overfitting),
        )
        total = ops.convert_to_tensor(self.sign_sum) + ops.sum(signs)
        count = ops.convert_to_tensor(self.sign_count) + ops.cast(
            ops.shape(signs)[0], "float32"
        )
        pending = ops.convert_to_tensor(self.pending_updates) + 1.0
        due = pending >= self.interval
        # r_t = E[sign(D_train)] (eq. 1); p moves by sign(r_t - target) times
        # the images seen since the last adjustment over `speed` (sec. 3).
        r_t = total / ops.maximum(count, 1.0)
        adjusted = ops.clip(
            probability + ops.sign(r_t - self.target) * count / self.speed,
            0.0,
            1.0,
        )
        self.probability.assign(ops.where(due, adjusted, probability))
        self.overfitting.assign(ops.where(due, r_t, overfitting))
        self.sign_sum.assign(ops.where(due, 0.0, total))
        self.sign_count.assign(ops.where(due, 0.0, count))
        self.pending_updates.assign(ops.where(due, 0.0, pending))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            policy=self.policy,
            target=self.target,
            speed=self.speed,
            interval=self.interval,
            initial_probability=self.initial_probability,
            translation_ratio=self.augment.translation_ratio,
            cutout_ratio=self.augment.cutout_ratio,
            seed=self.seed,
        )
        return config
