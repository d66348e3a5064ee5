"""Base class shared by every keras_gen model."""

import numpy as np
import keras
from keras import ops

from keras_gen.utils import validation


class GenerativeModel(keras.Model):
    """A `keras.Model` with a seed generator, input checks and saved seeds.

    Every keras_gen model draws its randomness from one `SeedGenerator`
    attached to the model (`self.seed_generator`), so the noise changes from
    step to step on every backend (a detached generator repeats itself inside
    a JAX step) and training is reproducible from `seed`. The generator's
    state is saved with the weights, so a reloaded model continues with the
    same noise as the one that was saved.

    Args:
        seed: int or `None`. Seed of the model's random stream.
        **kwargs: passed to `keras.Model`.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise ValueError(
                f"`seed` must be an int or None. Received: seed={seed!r}"
            )
        self.seed = None if seed is None else int(seed)
        self.seed_generator = keras.random.SeedGenerator(
            seed, name="seed_generator"
        )

    # -- randomness ---------------------------------------------------------

    def _sample_seed(self, seed):
        """The seed for a sampling call: the model's stream or a fixed int."""
        if seed is None:
            return self.seed_generator
        if isinstance(seed, (int, np.integer)):
            return keras.random.SeedGenerator(int(seed))
        if isinstance(seed, keras.random.SeedGenerator):
            return seed
        raise ValueError(
            "`seed` must be an int, a `keras.random.SeedGenerator` or None. "
            f"Received: seed={seed!r}"
        )

    def random_normal(self, shape, dtype="float32"):
        """Standard normal noise from the model's stream (used by training)."""
        return keras.random.normal(shape, dtype=dtype, seed=self.seed_generator)

    def random_uniform(self, shape, dtype="float32"):
        """Uniform noise on [0, 1) from the model's stream."""
        return keras.random.uniform(shape, dtype=dtype, seed=self.seed_generator)

    # -- input checks ------------------------------------------------------

    def fit(self, x=None, y=None, *args, **kwargs):
        validation.check_array_data(x, "x", self._expected_data_shape())
        return super().fit(x, y, *args, **kwargs)

    def _expected_data_shape(self):
        """Shape of one sample (without batch), or None if unknown."""
        return None

    def _check_batch(self, x, name="x"):
        """Static check of a batch's sample shape (runs at trace time)."""
        validation.check_sample_shape(x, name, self._expected_data_shape())

    # -- saving ------------------------------------------------------------

    def save_own_variables(self, store):
        super().save_own_variables(store)
        # `.keras` files do not store seed generators; keep the model's own
        # stream so that a resumed run draws the noise it would have drawn.
        store["seed_generator_state"] = ops.convert_to_numpy(
            self.seed_generator.state.value
        )

    def load_own_variables(self, store):
        own = {k: store[k] for k in store.keys() if k != "seed_generator_state"}
        super().load_own_variables(own)
        if "seed_generator_state" in store.keys():
            self.seed_generator.state.assign(store["seed_generator_state"])

    # Constructor arguments that hold sub-networks (`keras.Model`s): they are
    # serialized whole in `get_config`, so custom networks reload too.
    network_args = ()

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable, "seed": self.seed}
        for name in self.network_args:
            config[name] = keras.saving.serialize_keras_object(getattr(self, name))
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in cls.network_args:
            if config.get(name) is not None:
                config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)
