import keras
import numpy as np

from keras_gen.models import registry
from keras_gen.testing import contract


def _images(n=16, seed=0):
    return (
        np.random.RandomState(seed)
        .uniform(0.0, 1.0, (n, 8, 8, 1))
        .astype("float32")
    )


def test_family_contract(tmp_path):
    contract.run_family_contract_test("vq_vae", tmp_path)


def test_straight_through_gradients_reach_the_encoder():
    # No commitment term and an EMA codebook: the VQ loss gives the encoder
    # no gradient, so only the straight-through copy of the decoder's
    # gradient (sec. 3.2) can move it.
    model = registry.get("vq_vae").build(
        "tiny",
        seed=0,
        commitment_cost=0.0,
        ema_decay=0.9,
        dead_code_threshold=0.0,
    )
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    encoder = [np.array(w) for w in model.encoder.get_weights()]
    codebook = np.array(model.quantizer.embeddings())
    model.fit(_images(4), epochs=1, batch_size=4, verbose=0)
    moved = [
        not np.allclose(a, b)
        for a, b in zip(encoder, model.encoder.get_weights())
    ]
    assert all(moved), moved
    # The EMA codebook is not trained by gradients but moved by the update.
    assert not model.quantizer.codebook.trainable
    assert not np.allclose(
        codebook, keras.ops.convert_to_numpy(model.quantizer.embeddings())
    )


def test_codebook_usage_and_perplexity_are_reported():
    model = registry.get("vq_vae").build("tiny", seed=0)
    model.compile()
    history = model.fit(_images(8), epochs=2, batch_size=4, verbose=0)
    assert {"reconstruction_loss", "vq_loss", "perplexity"} <= set(
        history.history
    )
    assert all(
        1.0 <= p <= model.num_embeddings + 1e-3
        for p in history.history["perplexity"]
    )
    x = _images(16, seed=1)
    usage = model.codebook_usage(x)
    codes = model.encode(x)
    assert codes.shape == (16, 4, 4) and codes.dtype == np.int32
    assert usage["used"] == len(np.unique(codes))
    assert usage["usage"] == usage["used"] / model.num_embeddings
    assert 1.0 <= usage["perplexity"] <= usage["used"] + 1e-6
    # Reconstructions decode the codes, in the data's range.
    same = model.reconstruct(x)
    np.testing.assert_allclose(same, model.decode_indices(codes), atol=1e-6)
    assert same.shape == x.shape and same.min() >= 0.0 and same.max() <= 1.0


def test_bad_indices_and_arguments_are_named():
    model = registry.get("vq_vae").build("tiny", seed=0)
    for indices, text in (
        (np.zeros((2, 3, 3), "int32"), "shape"),
        (np.full((2, 4, 4), model.num_embeddings, "int32"), "num_embeddings"),
        (np.zeros((2, 4, 4), "float32"), "integers"),
    ):
        try:
            model.decode_indices(indices)
        except ValueError as e:
            assert text in str(e), str(e)
        else:
            raise AssertionError(f"no error for {text}")
    for kwargs, text in (
        (dict(commitment_cost=-1.0), "commitment_cost=-1.0"),
        (dict(ema_decay=1.0), "ema_decay"),
    ):
        try:
            registry.get("vq_vae").build("tiny", **kwargs)
        except ValueError as e:
            assert text in str(e), str(e)
        else:
            raise AssertionError(f"no error for {kwargs}")
