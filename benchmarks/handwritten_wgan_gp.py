"""WGAN-GP written by hand for ONE backend: the baseline of the overhead test.

These are the training steps a Keras user writes today without keras_gen,
copied in structure from keras.io:

- `TFWGANGP`: keras.io's `wgan_gp.py` (A. K. Nain): `train_step` with
  `tf.GradientTape`, `d_steps` critic updates per generator update, the
  gradient penalty from a nested tape, optimizers kept as attributes.
- `TorchWGANGP`: keras.io's "Writing a training loop from scratch in
  PyTorch" / "Customizing what happens in fit() with PyTorch" GAN: losses
  differentiated with torch autograd (`loss.backward()` after `zero_grad()`,
  gradients read from `.grad`), applied under `torch.no_grad()`; the penalty
  uses `torch.autograd.grad(create_graph=True)`.

Both use the same algorithm as `keras_gen.models.WGANGP` (lambda 10,
n_critic 5, Adam(1e-4, 0, 0.9), uniform interpolates, the same batch for
the critic steps with fresh latents) and take the same networks, so the
only difference timed is the training-step machinery. They work on their
own backend only, which is the point of the comparison.
"""

import keras


def _adam():
    return keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9)


class TFWGANGP(keras.Model):
    """keras.io's WGAN-GP train step (TensorFlow only)."""

    def __init__(
        self, generator, critic, latent_dim, n_critic=5, gp_weight=10.0
    ):
        super().__init__()
        self.generator = generator
        self.critic = critic
        self.latent_dim = latent_dim
        self.n_critic = n_critic
        self.gp_weight = gp_weight
        # No `call()`: the networks are built, so the trainer must not build it.
        self.built = True

    def compile(self, **kwargs):
        super().compile(**kwargs)
        self.discriminator_optimizer = _adam()
        self.generator_optimizer = _adam()
        self.discriminator_optimizer.build(self.critic.trainable_variables)
        self.generator_optimizer.build(self.generator.trainable_variables)

    def gradient_penalty(self, real, fake):
        import tensorflow as tf

        batch = tf.shape(real)[0]
        alpha = tf.random.uniform([batch, 1, 1, 1], 0.0, 1.0)
        interpolated = real + alpha * (fake - real)
        with tf.GradientTape() as gp_tape:
            gp_tape.watch(interpolated)
            pred = self.critic(interpolated, training=True)
        grads = gp_tape.gradient(pred, [interpolated])[0]
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]) + 1e-12)
        return tf.reduce_mean((norm - 1.0) ** 2)

    def train_step(self, real):
        import tensorflow as tf

        batch = tf.shape(real)[0]
        for _ in range(self.n_critic):
            z = tf.random.normal((batch, self.latent_dim))
            with tf.GradientTape() as tape:
                fake = self.generator(z, training=True)
                fake_logits = self.critic(fake, training=True)
                real_logits = self.critic(real, training=True)
                d_cost = tf.reduce_mean(fake_logits) - tf.reduce_mean(
                    real_logits
                )
                d_loss = d_cost + self.gp_weight * self.gradient_penalty(
                    real, fake
                )
            grads = tape.gradient(d_loss, self.critic.trainable_variables)
            self.discriminator_optimizer.apply(
                grads, self.critic.trainable_variables
            )
        z = tf.random.normal((batch, self.latent_dim))
        with tf.GradientTape() as tape:
            fake = self.generator(z, training=True)
            g_loss = -tf.reduce_mean(self.critic(fake, training=True))
        grads = tape.gradient(g_loss, self.generator.trainable_variables)
        self.generator_optimizer.apply(
            grads, self.generator.trainable_variables
        )
        return {"d_loss": d_loss, "g_loss": g_loss}


class TorchWGANGP(keras.Model):
    """keras.io's torch custom-fit GAN pattern, with the WGAN-GP losses."""

    def __init__(
        self, generator, critic, latent_dim, n_critic=5, gp_weight=10.0
    ):
        super().__init__()
        self.generator = generator
        self.critic = critic
        self.latent_dim = latent_dim
        self.n_critic = n_critic
        self.gp_weight = gp_weight
        self.seed_generator = keras.random.SeedGenerator(0)
        # No `call()`: the networks are built, so the trainer must not build it.
        self.built = True

    def compile(self, **kwargs):
        super().compile(**kwargs)
        self.discriminator_optimizer = _adam()
        self.generator_optimizer = _adam()
        self.discriminator_optimizer.build(self.critic.trainable_variables)
        self.generator_optimizer.build(self.generator.trainable_variables)

    def gradient_penalty(self, real, fake):
        import torch

        alpha = torch.rand((real.shape[0], 1, 1, 1), device=real.device)
        interpolated = (real + alpha * (fake - real)).requires_grad_(True)
        pred = self.critic(interpolated, training=True)
        (grads,) = torch.autograd.grad(
            pred.sum(), interpolated, create_graph=True
        )
        norm = torch.sqrt(torch.sum(grads**2, dim=[1, 2, 3]) + 1e-12)
        return torch.mean((norm - 1.0) ** 2)

    def train_step(self, real):
        import torch

        batch = real.shape[0]
        d_weights = self.critic.trainable_weights
        g_weights = self.generator.trainable_weights
        for _ in range(self.n_critic):
            z = keras.random.normal(
                (batch, self.latent_dim), seed=self.seed_generator
            )
            with torch.no_grad():
                fake = self.generator(z, training=True)
            d_cost = torch.mean(self.critic(fake, training=True)) - torch.mean(
                self.critic(real, training=True)
            )
            d_loss = d_cost + self.gp_weight * self.gradient_penalty(real, fake)
            self.zero_grad()
            d_loss.backward()
            grads = [v.value.grad for v in d_weights]
            with torch.no_grad():
                self.discriminator_optimizer.apply(grads, d_weights)
        z = keras.random.normal(
            (batch, self.latent_dim), seed=self.seed_generator
        )
        g_loss = -torch.mean(
            self.critic(self.generator(z, training=True), training=True)
        )
        self.zero_grad()
        g_loss.backward()
        grads = [v.value.grad for v in g_weights]
        with torch.no_grad():
            self.generator_optimizer.apply(grads, g_weights)
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}
