"""Default generator and discriminator networks of the adversarial family.

Images: DCGAN networks (Radford et al., 2016): a generator of stride-2
transposed convolutions with batch norm and ReLU ending in tanh, and a
discriminator of stride-2 convolutions with LeakyReLU(0.2). Vectors: MLPs.

Conditional networks take `[inputs, labels]` (integer labels of shape
`(batch,)`). The generator concatenates a label embedding to `z`. The
discriminator either concatenates a label embedding to its input
(`"concat"`) or adds the projection term `<embed(y), phi(x)>` to its logit
(`"projection"`, Miyato & Koyama, 2018, eq. 3).
"""

import keras

from keras_gen.layers.minibatch_stddev import MinibatchStdDev
from keras_gen.layers.spectral_normalization import SpectralNormalization
from keras_gen.utils import validation

CONDITIONINGS = ("concat", "projection")


def _maybe_sn(layer, spectral_norm):
    return SpectralNormalization(layer) if spectral_norm else layer


def build_generator(
    latent_dim,
    data_shape,
    num_classes=None,
    hidden_units=(256, 256),
    filters=(128, 64),
    batch_norm=True,
    output_activation="auto",
    name="generator",
):
    """Generator from `z` (and labels) to a sample.

    `output_activation="auto"` ends images in tanh (data in [-1, 1], as in
    DCGAN) and vectors in a linear layer (toy data on any scale).
    """
    if output_activation == "auto":
        output_activation = "tanh" if len(data_shape) == 3 else None
    data_shape = validation.check_default_network_shape(data_shape, len(filters), "adversarial")
    z = keras.Input((latent_dim,), name="z")
    inputs = [z]
    h = z
    if num_classes:
        labels = keras.Input((), dtype="int32", name="labels")
        inputs.append(labels)
        embedding = keras.layers.Embedding(num_classes, latent_dim)(labels)
        h = keras.layers.Concatenate()([z, embedding])

    def block(h, layer):
        h = layer(h)
        if batch_norm:
            h = keras.layers.BatchNormalization(momentum=0.9)(h)
        return keras.layers.ReLU()(h)

    if len(data_shape) == 1:
        for units in hidden_units:
            h = block(h, keras.layers.Dense(units))
        x = keras.layers.Dense(data_shape[0], activation=output_activation)(h)
    else:
        height, width, channels = data_shape
        factor = 2 ** len(filters)
        h = block(h, keras.layers.Dense(height // factor * width // factor * filters[0]))
        h = keras.layers.Reshape((height // factor, width // factor, filters[0]))(h)
        for f in filters[1:]:
            h = block(h, keras.layers.Conv2DTranspose(f, 4, strides=2, padding="same"))
        x = keras.layers.Conv2DTranspose(
            channels, 4, strides=2, padding="same", activation=output_activation
        )(h)
    return keras.Model(inputs if num_classes else z, x, name=name)


def build_discriminator(
    data_shape,
    num_classes=None,
    conditioning="concat",
    hidden_units=(256, 256),
    filters=(64, 128),
    batch_norm=False,
    spectral_norm=False,
    minibatch_stddev=False,
    name="discriminator",
):
    """Discriminator from a sample (and labels) to one logit per sample.

    Its penultimate features come out of a layer named `"features"`, which
    the GAN's feature-matching loss reads.
    """
    data_shape = validation.check_default_network_shape(data_shape, len(filters), "adversarial")
    if conditioning not in CONDITIONINGS:
        raise ValueError(
            f"`conditioning` must be one of {list(CONDITIONINGS)}. "
            f"Received: conditioning={conditioning!r}"
        )
    x = keras.Input(data_shape, name="x")
    inputs = [x]
    h = x
    if num_classes:
        labels = keras.Input((), dtype="int32", name="labels")
        inputs.append(labels)
        if conditioning == "concat":
            size = 1
            for d in data_shape[:-1]:
                size *= d
            embedding = keras.layers.Embedding(num_classes, size)(labels)
            embedding = keras.layers.Reshape(data_shape[:-1] + (1,))(embedding)
            h = keras.layers.Concatenate()([x, embedding])

    def block(h, layer):
        h = _maybe_sn(layer, spectral_norm)(h)
        if batch_norm:
            h = keras.layers.BatchNormalization(momentum=0.9)(h)
        return keras.layers.LeakyReLU(0.2)(h)

    if len(data_shape) == 1:
        for units in hidden_units:
            h = block(h, keras.layers.Dense(units))
    else:
        for f in filters:
            h = block(h, keras.layers.Conv2D(f, 4, strides=2, padding="same"))
        h = keras.layers.Flatten()(h)
    if minibatch_stddev:
        h = MinibatchStdDev()(h)
    features = keras.layers.Identity(name="features")(h)
    logits = _maybe_sn(keras.layers.Dense(1), spectral_norm)(features)
    if num_classes and conditioning == "projection":
        embedding = keras.layers.Embedding(num_classes, features.shape[-1])(labels)
        projection = keras.layers.Dot(axes=-1)([embedding, features])
        logits = keras.layers.Add()([logits, projection])
    logits = keras.layers.Reshape(())(logits)
    return keras.Model(inputs if num_classes else x, logits, name=name)
