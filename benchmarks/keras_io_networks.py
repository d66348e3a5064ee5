"""Networks written the way keras.io's examples write them, for 28x28x1
images: the user networks of the step-time benchmark (`step_times.py`).

- `dcgan_generator` / `dcgan_discriminator`: keras.io's "Conditional GAN"
  (S. Paul) networks, unconditional: a dense layer to 7x7x128, two 4x4
  stride-2 `Conv2DTranspose(128)` with LeakyReLU, a 7x7 convolution out;
  the discriminator two 3x3 stride-2 convolutions, global max pooling and
  one logit (no sigmoid: keras_gen takes logits).
  `dcgan_generator(upsampling="resize_conv")` is the same network with
  `keras_gen.layers.UpsampleConv2D(128, 3)` in place of each
  `Conv2DTranspose` (what a user changes to train fast on JAX).
- `vae_encoder` / `vae_decoder`: keras.io's "Variational AutoEncoder"
  (fchollet) networks: two stride-2 convolutions and a dense layer to the
  posterior's mean and log-variance; the decoder a dense layer to 7x7x64
  and three 3x3 `Conv2DTranspose` (logits, no final sigmoid).
- `wgan_gp_generator` / `wgan_gp_critic`: keras.io's "WGAN-GP" (A. K.
  Nain) networks for Fashion-MNIST: upsampling + convolution blocks with
  batch norm in the generator (4x4 -> 32x32, cropped to 28x28), 5x5
  stride-2 convolutions with dropout in the critic (28x28 padded to
  32x32).
"""

import keras
from keras import layers

import keras_gen


def dcgan_generator(latent_dim=128, upsampling="transposed"):
    def up():
        if upsampling == "transposed":
            return layers.Conv2DTranspose(128, 4, strides=2, padding="same")
        return keras_gen.layers.UpsampleConv2D(128, 3, method=upsampling)

    return keras.Sequential(
        [
            keras.Input((latent_dim,)),
            layers.Dense(7 * 7 * 128),
            layers.LeakyReLU(0.2),
            layers.Reshape((7, 7, 128)),
            up(),
            layers.LeakyReLU(0.2),
            up(),
            layers.LeakyReLU(0.2),
            layers.Conv2D(1, 7, padding="same", activation="tanh"),
        ],
        name="generator",
    )


def dcgan_discriminator():
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(64, 3, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Conv2D(128, 3, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.GlobalMaxPooling2D(),
            layers.Dense(1),
        ],
        name="discriminator",
    )


def vae_encoder(latent_dim=2):
    inputs = keras.Input((28, 28, 1))
    h = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(
        inputs
    )
    h = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(h)
    h = layers.Flatten()(h)
    h = layers.Dense(16, activation="relu")(h)
    z_mean = layers.Dense(latent_dim, name="z_mean")(h)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(h)
    return keras.Model(inputs, [z_mean, z_log_var], name="encoder")


def vae_decoder(latent_dim=2):
    inputs = keras.Input((latent_dim,))
    h = layers.Dense(7 * 7 * 64, activation="relu")(inputs)
    h = layers.Reshape((7, 7, 64))(h)
    h = layers.Conv2DTranspose(
        64, 3, activation="relu", strides=2, padding="same"
    )(h)
    h = layers.Conv2DTranspose(
        32, 3, activation="relu", strides=2, padding="same"
    )(h)
    outputs = layers.Conv2DTranspose(1, 3, padding="same")(h)
    return keras.Model(inputs, outputs, name="decoder")


def wgan_gp_critic():
    def block(h, filters, dropout):
        h = layers.Conv2D(filters, 5, strides=2, padding="same")(h)
        h = layers.LeakyReLU(0.2)(h)
        return layers.Dropout(dropout)(h) if dropout else h

    inputs = keras.Input((28, 28, 1))
    h = layers.ZeroPadding2D(2)(inputs)
    h = block(h, 64, 0.0)
    h = block(h, 128, 0.3)
    h = block(h, 256, 0.3)
    h = block(h, 512, 0.0)
    h = layers.Flatten()(h)
    h = layers.Dropout(0.2)(h)
    return keras.Model(inputs, layers.Dense(1)(h), name="critic")


def wgan_gp_generator(latent_dim=128):
    def block(h, filters):
        h = layers.UpSampling2D(2)(h)
        h = layers.Conv2D(filters, 3, padding="same", use_bias=False)(h)
        h = layers.BatchNormalization()(h)
        return layers.LeakyReLU(0.2)(h)

    inputs = keras.Input((latent_dim,))
    h = layers.Dense(4 * 4 * 256, use_bias=False)(inputs)
    h = layers.BatchNormalization()(h)
    h = layers.LeakyReLU(0.2)(h)
    h = layers.Reshape((4, 4, 256))(h)
    h = block(h, 128)
    h = block(h, 64)
    h = layers.UpSampling2D(2)(h)
    h = layers.Conv2D(1, 3, padding="same", use_bias=False)(h)
    h = layers.BatchNormalization()(h)
    h = layers.Activation("tanh")(h)
    h = layers.Cropping2D((2, 2))(h)
    return keras.Model(inputs, h, name="generator")
