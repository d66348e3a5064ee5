"""A tiny two-network adversarial model that exercises the training core.

It is a real `MultiOptimizerModel`: a generator with BatchNorm, a critic, a
non-saturating loss and a gradient penalty through `input_gradient`, so that
one test covers both primitives, BatchNorm state, seeds and two optimizers.
The noise can be injected as the targets (`fit(x, z)`) so that runs on
different backends see identical inputs.
"""

import keras
from keras import ops

from keras_gen import backend
from keras_gen.models.multi_optimizer_model import MultiOptimizerModel


def make_generator(latent_dim, data_dim):
    z = keras.Input((latent_dim,))
    h = keras.layers.Dense(8)(z)
    h = keras.layers.BatchNormalization(momentum=0.9)(h)
    h = keras.layers.Activation("tanh")(h)
    x = keras.layers.Dense(data_dim)(h)
    return keras.Model(z, x, name="generator")


def make_critic(data_dim):
    x = keras.Input((data_dim,))
    h = keras.layers.Dense(8, activation="tanh")(x)
    y = keras.layers.Dense(1)(h)
    return keras.Model(x, y, name="critic")


@keras.saving.register_keras_serializable(package="keras_gen.testing")
class ToyGAN(MultiOptimizerModel):
    optimizer_names = ("critic", "generator")
    loss_names = ("c_loss", "g_loss", "penalty")
    # `fit(x, z)` injects the noise as `y`.
    label_policy = "free"

    def __init__(
        self,
        latent_dim=3,
        data_dim=2,
        penalty_weight=0.1,
        value_range=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self._set_data_contract((data_dim,), value_range, None)
        self.latent_dim = latent_dim
        self.data_dim = data_dim
        self.penalty_weight = penalty_weight
        self.generator = make_generator(latent_dim, data_dim)
        self.critic = make_critic(data_dim)

    def default_optimizers(self):
        return {
            "critic": keras.optimizers.Adam(1e-3),
            "generator": keras.optimizers.Adam(1e-3),
        }

    def phase_variables(self):
        return {
            "critic": self.critic.trainable_variables,
            "generator": self.generator.trainable_variables,
        }

    def _unpack(self, data):
        # `fit(x)` draws the noise; `fit(x, z)` injects it.
        x, z, _ = keras.utils.unpack_x_y_sample_weight(data)
        if z is None:
            z = keras.random.normal(
                (ops.shape(x)[0], self.latent_dim), seed=self.seed_generator
            )
        return x, z

    def train_step_logic(self, data):
        x, z = self._unpack(data)

        def critic_loss():
            fake = ops.stop_gradient(self.generator(z, training=True))
            real_logits = self.critic(x, training=True)
            fake_logits = self.critic(fake, training=True)
            loss = ops.mean(ops.softplus(-real_logits)) + ops.mean(
                ops.softplus(fake_logits)
            )
            grads = backend.input_gradient(
                lambda t: self.critic(t, training=True), x
            )
            penalty = ops.mean(ops.sum(ops.square(grads), axis=-1))
            return loss + self.penalty_weight * penalty, penalty

        c_loss, penalty = self.optimize_step("critic", critic_loss)

        def generator_loss():
            fake = self.generator(z, training=True)
            return ops.mean(ops.softplus(-self.critic(fake, training=False)))

        g_loss = self.optimize_step("generator", generator_loss)
        self.update_trackers(c_loss=c_loss, g_loss=g_loss, penalty=penalty)

    def test_step_logic(self, data):
        x, z = self._unpack(data)
        fake = self.generator(z, training=False)
        real_logits = self.critic(x, training=False)
        fake_logits = self.critic(fake, training=False)
        c_loss = ops.mean(ops.softplus(-real_logits)) + ops.mean(
            ops.softplus(fake_logits)
        )
        g_loss = ops.mean(ops.softplus(-fake_logits))
        self.update_trackers(c_loss=c_loss, g_loss=g_loss, penalty=0.0)

    def get_config(self):
        config = super().get_config()
        config.update(
            latent_dim=self.latent_dim,
            data_dim=self.data_dim,
            penalty_weight=self.penalty_weight,
        )
        return config
