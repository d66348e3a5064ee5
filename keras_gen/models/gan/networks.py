"""Default generator and discriminator networks of the adversarial family.

Images: DCGAN networks (Radford et al., 2016): a generator of 2x learned
upsamplings with batch norm and ReLU ending in tanh, and a discriminator
of stride-2 convolutions with LeakyReLU(0.2). Vectors: MLPs. The
upsampling is a resize and a convolution by default (fast on every
backend); `upsampling="transposed"` gives DCGAN's stride-2 transposed
convolutions (see `keras_gen.layers.UpsampleConv2D`).

Conditional networks take `[inputs, labels]` (integer labels of shape
`(batch,)`). The generator concatenates a label embedding to `z`. The
discriminator either concatenates a label embedding to its input
(`"concat"`) or adds the projection term `<embed(y), phi(x)>` to its logit
(`"projection"`, Miyato & Koyama, 2018, eq. 3).
"""

import keras

from keras_gen.layers import upsampling as upsampling_lib
from keras_gen.layers.minibatch_stddev import MinibatchStdDev
from keras_gen.layers.spectral_normalization import SpectralNormalization
from keras_gen.models.network import Network
from keras_gen.utils import validation

CONDITIONINGS = ("concat", "projection")


def _maybe_sn(layer, spectral_norm):
    return SpectralNormalization(layer) if spectral_norm else layer


def _generator_graph(
    latent_dim,
    data_shape,
    num_classes,
    hidden_units,
    filters,
    batch_norm,
    output_activation,
    upsampling,
):
    upsampling = upsampling_lib.check_network_upsampling(upsampling)
    if output_activation == "auto":
        output_activation = "tanh" if len(data_shape) == 3 else None
    data_shape = validation.check_default_network_shape(
        data_shape, len(filters), "adversarial"
    )
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

    def up(filters, **kwargs):
        return lambda h: upsampling_lib.upsample(
            h, filters, 4, upsampling, **kwargs
        )

    if len(data_shape) == 1:
        for units in hidden_units:
            h = block(h, keras.layers.Dense(units))
        x = keras.layers.Dense(data_shape[0], activation=output_activation)(h)
    else:
        height, width, channels = data_shape
        factor = 2 ** len(filters)
        h = block(
            h,
            keras.layers.Dense(height // factor * width // factor * filters[0]),
        )
        h = keras.layers.Reshape(
            (height // factor, width // factor, filters[0])
        )(h)
        for f in filters[1:]:
            h = block(h, up(f))
        x = up(channels, activation=output_activation)(h)
    return (inputs if num_classes else z), x


@keras.saving.register_keras_serializable(package="keras_gen")
class GANGenerator(Network):
    """The default GAN generator: DCGAN's for images, an MLP for vectors.

    Images: a dense layer to a `(H / 2^k, W / 2^k, filters[0])` map, then
    2x upsamplings (`upsampling`) with batch norm and ReLU, ending in tanh
    (Radford et al., 2016). Vectors: `hidden_units` ReLU layers, then
    a linear output. A conditional generator takes `[z, labels]` and
    concatenates a label embedding to `z`.

    Args:
        latent_dim: size of `z`.
        data_shape: `(features,)` or `(height, width, channels)`, sides
            divisible by `2 ** len(filters)`.
        num_classes: classes of a conditional generator, or `None`.
        hidden_units: hidden layers for vectors (the last one also feeds
            the image generator's first map).
        filters: channels of the image generator's stages, coarse to fine.
        batch_norm: batch normalisation after each hidden layer.
        output_activation: `"auto"` (tanh for images, linear for vectors),
            or an activation name.
        upsampling: how images are upsampled: `"resize_conv"` (nearest
            resize, then a 3x3 convolution), `"depth_to_space"` (a 3x3
            convolution, then a pixel shuffle) or `"transposed"` (DCGAN's
            4x4 stride-2 `Conv2DTranspose`, many times slower to train on
            JAX's CPU backend; the built-in presets use it). See
            `keras_gen.layers.UpsampleConv2D`.
        name: the network's name.

    Example:

    ```python
    g = keras_gen.models.gan.GANGenerator(latent_dim=32, data_shape=(28, 28, 1))
    images = g(keras.random.normal((4, 32)))      # (4, 28, 28, 1) in [-1, 1]
    ```
    """

    def __init__(
        self,
        latent_dim,
        data_shape,
        num_classes=None,
        hidden_units=(256, 256),
        filters=(128, 64),
        batch_norm=True,
        output_activation="auto",
        upsampling="resize_conv",
        name="generator",
        **kwargs,
    ):
        config = dict(
            latent_dim=int(latent_dim),
            data_shape=tuple(data_shape),
            num_classes=num_classes,
            hidden_units=tuple(hidden_units),
            filters=tuple(filters),
            batch_norm=bool(batch_norm),
            output_activation=output_activation,
            upsampling=upsampling,
        )
        inputs, outputs = _generator_graph(**config)
        super().__init__(inputs, outputs, config, name=name, **kwargs)

    @classmethod
    def from_config(cls, config):
        # Saved before `upsampling` existed: transposed convolutions.
        return cls(**{"upsampling": "transposed", **config})


def _discriminator_graph(
    data_shape,
    num_classes,
    conditioning,
    hidden_units,
    filters,
    batch_norm,
    spectral_norm,
    minibatch_stddev,
):
    data_shape = validation.check_default_network_shape(
        data_shape, len(filters), "adversarial"
    )
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
        embedding = keras.layers.Embedding(num_classes, features.shape[-1])(
            labels
        )
        projection = keras.layers.Dot(axes=-1)([embedding, features])
        logits = keras.layers.Add()([logits, projection])
    logits = keras.layers.Reshape(())(logits)
    return (inputs if num_classes else x), logits


@keras.saving.register_keras_serializable(package="keras_gen")
class GANDiscriminator(Network):
    """The default GAN discriminator: DCGAN's for images, an MLP for vectors.

    Images: stride-2 4x4 convolutions with LeakyReLU(0.2); vectors:
    `hidden_units` LeakyReLU layers; then one logit per sample. Its
    penultimate features come out of a layer named `"features"` (the GAN's
    feature matching reads them). Conditional: `[x, labels]`, with a label
    map concatenated to the input (`"concat"`) or the projection term
    `<embed(y), phi(x)>` added to the logit (`"projection"`, Miyato &
    Koyama, 2018, eq. 3).

    Args:
        data_shape: `(features,)` or `(height, width, channels)`.
        num_classes: classes of a conditional discriminator, or `None`.
        conditioning: `"concat"` or `"projection"`.
        hidden_units: hidden layers for vectors.
        filters: channels of the image discriminator's stages.
        batch_norm: batch normalisation after each hidden layer.
        spectral_norm: spectral normalisation of every kernel (Miyato et
            al., 2018).
        minibatch_stddev: a minibatch standard-deviation feature (Karras et
            al., 2018).
        name: the network's name.

    Example:

    ```python
    d = keras_gen.models.gan.GANDiscriminator(data_shape=(28, 28, 1))
    logits = d(keras.random.normal((4, 28, 28, 1)))   # (4,)
    ```
    """

    def __init__(
        self,
        data_shape,
        num_classes=None,
        conditioning="concat",
        hidden_units=(256, 256),
        filters=(64, 128),
        batch_norm=False,
        spectral_norm=False,
        minibatch_stddev=False,
        name="discriminator",
        **kwargs,
    ):
        config = dict(
            data_shape=tuple(data_shape),
            num_classes=num_classes,
            conditioning=conditioning,
            hidden_units=tuple(hidden_units),
            filters=tuple(filters),
            batch_norm=bool(batch_norm),
            spectral_norm=bool(spectral_norm),
            minibatch_stddev=bool(minibatch_stddev),
        )
        inputs, outputs = _discriminator_graph(**config)
        super().__init__(inputs, outputs, config, name=name, **kwargs)
