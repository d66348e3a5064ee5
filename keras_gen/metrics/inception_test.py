import os

import keras
import numpy as np
import pytest

from keras_gen.metrics import inception_v3_features


def test_without_a_local_weights_file_the_error_says_what_to_do():
    with pytest.raises(
        ValueError, match="local InceptionV3 weights file.*weights_path=None"
    ):
        inception_v3_features()
    with pytest.raises(ValueError, match="weights_path='missing.h5'"):
        inception_v3_features("missing.h5")


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("KERAS_GEN_SLOW_TESTS"),
    reason="builds InceptionV3 twice (13-60 s on 2 CPU cores); set KERAS_GEN_SLOW_TESTS=1",
)
def test_loads_a_local_file_and_gives_2048_features(tmp_path):
    # Builds InceptionV3 twice (about 22 M parameters): kept out of the fast
    # run; `KERAS_GEN_SLOW_TESTS=1 pytest -m slow keras_gen/metrics` runs it.
    source = keras.applications.InceptionV3(
        include_top=False,
        pooling="avg",
        weights=None,
        input_shape=(299, 299, 3),
    )
    path = str(tmp_path / "inception.weights.h5")
    source.save_weights(path)
    extractor = inception_v3_features(path, image_size=8, channels=1)
    images = (
        np.random.default_rng(0).uniform(size=(2, 8, 8, 1)).astype("float32")
    )
    features = extractor.predict(images, verbose=0)
    assert features.shape == (2, 2048)
    resized = (
        keras.layers.Resizing(299, 299)(np.repeat(images, 3, axis=-1)) * 2.0
        - 1.0
    )
    np.testing.assert_allclose(
        features,
        keras.ops.convert_to_numpy(source(resized)),
        rtol=1e-4,
        atol=1e-5,
    )
