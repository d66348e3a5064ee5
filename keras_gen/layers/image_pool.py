"""A history of generated images for the discriminator (an image pool)."""

import keras
from keras import ops

from keras_gen.utils import validation


@keras.saving.register_keras_serializable(package="keras_gen")
class ImagePool(keras.layers.Layer):
    """A buffer of earlier generated images, queried inside the train step.

    Shrivastava et al. (2017, sec. 2.3) and CycleGAN (Zhu et al., 2017,
    sec. 4) update the discriminator with a history of generated images
    rather than only the latest ones, which damps oscillation. For each image
    of the incoming batch, in order:

    - while the pool holds fewer than `pool_size` images, the image is stored
      and returned unchanged (the pool fills first);
    - once full, with probability 0.5 a stored image chosen uniformly at
      random is returned and replaced by the new image; otherwise the new
      image is returned and the pool is left as it is.

    The pool is layer state, not a Python list: the images and the fill count
    are non-trainable variables updated with `keras.ops`, and the coin flips
    come from the layer's own `SeedGenerator`. So it works inside a compiled
    training step on every backend (on JAX the variables travel in the
    trainer's state), and it is saved with the model (the seed state too), so
    a resumed run continues with the same pool.

    Call it outside any gradient computation (after the generator update);
    its output carries no gradient to the generator.

    Args:
        pool_size: number of stored images (50 in the paper); 0 returns the
            input unchanged.
        seed: int or `None`, seed of the coin flips.
        **kwargs: passed to `keras.layers.Layer`.

    Example:

    ```python
    pool = keras_gen.layers.ImagePool(pool_size=50, seed=0)
    pool.build((None, 32, 32, 3))
    fakes_for_d = pool(fakes)  # inside `train_step_logic`
    ```
    """

    def __init__(self, pool_size=50, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = validation.check_positive_int(
            pool_size, "pool_size", allow_zero=True
        )
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(
            seed, name="pool_seed_generator"
        )

    def build(self, input_shape):
        image_shape = tuple(input_shape[1:])
        if any(d is None for d in image_shape):
            raise ValueError(
                "`ImagePool` needs a fully known image shape. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        self.images = self.add_weight(
            shape=(max(self.pool_size, 1),) + image_shape,
            initializer="zeros",
            trainable=False,
            name="images",
        )
        self.count = self.add_weight(
            shape=(),
            dtype="int32",
            initializer="zeros",
            trainable=False,
            name="count",
        )

    def call(self, images):
        if self.pool_size == 0:
            return images
        images = ops.convert_to_tensor(images)
        dtype = images.dtype
        batch = ops.shape(images)[0]
        coins = keras.random.uniform((batch,), seed=self.seed_generator)
        picks = keras.random.randint(
            (batch,), 0, self.pool_size, seed=self.seed_generator
        )
        new = ops.cast(images, self.images.dtype)
        slots_shape = (self.pool_size,) + (1,) * (len(self.images.shape) - 1)
        batch_shape = (-1,) + (1,) * (len(self.images.shape) - 1)

        def query_one(i, state):
            # One image at a time, as in the published implementation: two
            # images of a batch may meet the same slot.
            pool, count, out = state
            image = ops.take(new, i, axis=0)
            filling = count < self.pool_size
            swap = ops.logical_and(
                ops.logical_not(filling), ops.take(coins, i) > 0.5
            )
            slot = ops.where(filling, count, ops.take(picks, i))
            stored = ops.take(pool, slot, axis=0)
            returned = ops.where(swap, stored, image)
            at_slot = ops.reshape(
                ops.arange(self.pool_size) == slot, slots_shape
            )
            pool = ops.where(
                ops.logical_and(at_slot, ops.logical_or(filling, swap)),
                image[None],
                pool,
            )
            at_i = ops.reshape(ops.arange(batch) == i, batch_shape)
            out = ops.where(at_i, returned[None], out)
            return pool, count + ops.cast(filling, "int32"), out

        pool, count, out = ops.fori_loop(
            0,
            batch,
            query_one,
            (
                ops.convert_to_tensor(self.images),
                ops.convert_to_tensor(self.count),
                new,
            ),
        )
        self.images.assign(pool)
        self.count.assign(count)
        return ops.cast(out, dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def save_own_variables(self, store):
        super().save_own_variables(store)
        # `.keras` files leave seed generators out; a resumed run should flip
        # the coins it would have flipped.
        store["seed_generator_state"] = ops.convert_to_numpy(
            self.seed_generator.state.value
        )

    def load_own_variables(self, store):
        own = {k: store[k] for k in store.keys() if k != "seed_generator_state"}
        super().load_own_variables(own)
        if "seed_generator_state" in store.keys():
            self.seed_generator.state.assign(store["seed_generator_state"])

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=self.pool_size, seed=self.seed)
        return config
