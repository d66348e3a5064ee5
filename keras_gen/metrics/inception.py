"""InceptionV3 pool-3 features for FID and KID, from a local weights file."""

import os

import keras

INCEPTION_SIZE = 299
NUM_INCEPTION_FEATURES = 2048


def inception_v3_features(weights_path=None, image_size=None, channels=3):
    """InceptionV3's 2,048 average-pooled ("pool-3") activations.

    Builds `keras.applications.InceptionV3(include_top=False,
    pooling="avg", weights=None)` and loads `weights_path`: nothing is
    downloaded. Use the file Keras would download as
    `inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5` (copy it
    from a machine with network access), or any weights saved from that
    model with `save_weights`. These are Keras' ImageNet weights, not the
    2015 TensorFlow graph of the reference FID implementations
    (TTUR, pytorch-fid), so the numbers rank models consistently but are not
    comparable with published FIDs.

    The returned model takes images in [0, 1] of any size (or `image_size`)
    with 1 or 3 channels, repeats a single channel three times, resizes to
    299x299 (bilinear) and scales to [-1, 1] as InceptionV3 expects.

    Args:
        weights_path: path of a local weights file (required).
        image_size: side of the input images, or `None` for any size.
        channels: 1 (grayscale, repeated) or 3.

    Returns:
        A `keras.Model` mapping `(batch, H, W, channels)` to `(batch, 2048)`.

    Example:

    ```python
    extractor = keras_gen.metrics.inception_v3_features("inception_v3_notop.h5")
    fid = keras_gen.metrics.FrechetDistance(extractor, name="fid")
    ```
    """
    if weights_path is None or not os.path.isfile(str(weights_path)):
        raise ValueError(
            "`inception_v3_features` needs a local InceptionV3 weights file: "
            "nothing is downloaded (these machines are offline). Pass the path "
            "of `inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5` "
            "(Keras' ImageNet weights without the top) or of weights saved "
            "from `keras.applications.InceptionV3(include_top=False, "
            "pooling='avg')`. For the embedded digits, use "
            "`keras_gen.metrics.digits_classifier(features=True)` instead and "
            "report a classifier Fréchet distance. Received: "
            f"weights_path={weights_path!r}"
        )
    if channels not in (1, 3):
        raise ValueError(
            f"`channels` must be 1 or 3. Received: channels={channels!r}"
        )
    inception = keras.applications.InceptionV3(
        include_top=False,
        pooling="avg",
        weights=None,
        input_shape=(INCEPTION_SIZE, INCEPTION_SIZE, 3),
    )
    inception.load_weights(weights_path)
    inception.trainable = False
    images = keras.Input((image_size, image_size, channels), name="images")
    x = images
    if channels == 1:
        x = keras.layers.Concatenate(name="gray_to_rgb")([x, x, x])
    x = keras.layers.Resizing(
        INCEPTION_SIZE, INCEPTION_SIZE, interpolation="bilinear", name="resize"
    )(x)
    x = keras.layers.Rescaling(2.0, offset=-1.0, name="to_minus_one_one")(x)
    return keras.Model(images, inception(x), name="inception_v3_features")
