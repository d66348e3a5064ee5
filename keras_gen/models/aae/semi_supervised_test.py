import keras
import numpy as np
import pytest

from keras_gen import datasets
from keras_gen.models import SemiSupervisedAAE
from keras_gen.models.aae import mix_labelled
from keras_gen.testing import contract


def test_family_contract(tmp_path):
    contract.run_family_contract_test("semi_supervised_aae", tmp_path)


@pytest.fixture(scope="module")
def digits():
    x, y = datasets.load_digits("train", flatten=True, with_labels=True)
    x_test, y_test = datasets.load_digits(
        "test", flatten=True, with_labels=True
    )
    return x, y, x_test, y_test


def hundred_labels(y):
    """10 labels per class, -1 for the other samples."""
    rng = np.random.default_rng(0)
    keep = np.concatenate(
        [
            rng.choice(np.flatnonzero(y == k), 10, replace=False)
            for k in range(10)
        ]
    )
    partial = np.full(len(y), -1)
    partial[keep] = y[keep]
    return partial


def tiny(**kwargs):
    kwargs = dict(
        dict(
            data_shape=(64,),
            num_classes=10,
            latent_dim=4,
            hidden_units=(64,),
            seed=0,
        ),
        **kwargs,
    )
    return SemiSupervisedAAE(**kwargs)


def test_four_phases_each_advance_their_optimizer(digits):
    x, y, _, _ = digits
    model = tiny()
    model.compile()
    history = model.fit(
        x[:256], hundred_labels(y)[:256], batch_size=64, epochs=1, verbose=0
    )
    for name in ("autoencoder", "discriminator", "generator", "classifier"):
        assert int(model.get_optimizer(name).iterations) == 4, name
    assert set(history.history) == {
        "reconstruction_loss",
        "d_loss",
        "g_loss",
        "classification_loss",
    }


def test_the_classification_loss_is_the_mean_over_labelled_samples(digits):
    """-1 marks a sample without label: it adds nothing to the cross-entropy,
    which is averaged over the labelled samples only."""
    x, y, _, _ = digits
    x, y = x[:32], y[:32].copy()
    partial = np.where(np.arange(32) % 4 == 0, y, -1)
    model = tiny()
    frozen = {
        f"{name}_optimizer": keras.optimizers.SGD(0.0)
        for name in model.optimizer_names
    }
    model.compile(**frozen)
    history = model.fit(
        x, partial, batch_size=32, epochs=1, verbose=0, shuffle=False
    )
    p = model.class_probabilities(x)
    labelled = partial >= 0
    expected = -np.log(p[labelled, partial[labelled]]).mean()
    np.testing.assert_allclose(
        history.history["classification_loss"][0], expected, rtol=1e-4
    )


def test_hundred_labels_teach_the_classifier(digits):
    """With 100 labels among 1,000 digits the classifier learns the classes;
    without the classification phase its classes are arbitrary."""
    x, y, x_test, y_test = digits
    x_mixed, y_mixed = mix_labelled(x, hundred_labels(y), labelled_share=0.2)
    accuracy = {}
    for classify in (True, False):
        model = tiny()
        model.compile(
            classifier_optimizer=None if classify else keras.optimizers.SGD(0.0)
        )
        # `mix_labelled` has shuffled (seeded); no unseeded shuffle on top.
        model.fit(
            x_mixed, y_mixed, batch_size=100, epochs=8, verbose=0, shuffle=False
        )
        accuracy[classify] = (model.classify(x_test) == y_test).mean()
    # Chance is 0.1; 8 epochs gave 0.49 on TensorFlow with an unseeded
    # shuffle (0.55 was too tight a floor across backends).
    assert accuracy[True] > 0.4 and accuracy[False] < 0.3, accuracy
    # The class is the decoder's one-hot input: one style, two classes,
    # two different images.
    a, b = model.decode(np.zeros((2, 4), "float32"), labels=[0, 1])
    assert np.abs(a - b).mean() > 0.02


def test_save_and_load_classify_the_same(digits, tmp_path):
    x, y, x_test, _ = digits
    model = tiny()
    model.compile()
    model.fit(
        x[:128], hundred_labels(y)[:128], batch_size=64, epochs=1, verbose=0
    )
    path = str(tmp_path / "ssaae.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert isinstance(restored, SemiSupervisedAAE)
    np.testing.assert_array_equal(
        restored.classify(x_test), model.classify(x_test)
    )
    np.testing.assert_allclose(
        restored.encode(x_test[:5]), model.encode(x_test[:5]), atol=1e-6
    )
    assert model.encode(x_test[:5]).shape == (5, 4)
    assert model.class_probabilities(x_test[:5]).shape == (5, 10)
    np.testing.assert_allclose(
        model.class_probabilities(x_test[:5]).sum(axis=1), 1.0, rtol=1e-5
    )


def test_partial_labels_are_checked_by_name(digits):
    x, y, _, _ = digits
    model = tiny()
    model.compile()
    with pytest.raises(
        ValueError,
        match=r"with -1 for the unlabelled samples.*Received: y=None",
    ):
        model.fit(x[:8], verbose=0)
    with pytest.raises(
        ValueError,
        match=r"\[0, 10\) \(num_classes=10\), or -1 for an unlabelled sample\. "
        r"Received: y with values \[-2\]",
    ):
        model.fit(x[:8], np.full(8, -2), verbose=0)
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        model.generate(2, labels=[-1, 0])  # sampling needs real classes


def test_mix_labelled_repeats_the_labelled_samples():
    x = np.arange(1000, dtype="float32")[:, None]
    labels = np.full(1000, -1)
    labels[:10] = np.arange(10)
    x_mixed, y_mixed = mix_labelled(x, labels, labelled_share=0.1)
    assert (y_mixed == -1).sum() == 990
    assert abs((y_mixed >= 0).mean() - 0.1) < 0.02
    np.testing.assert_array_equal(
        x_mixed[:, 0][y_mixed >= 0], y_mixed[y_mixed >= 0]
    )  # pairs kept
    with pytest.raises(ValueError, match="labelled_share=1.0"):
        mix_labelled(x, labels, labelled_share=1.0)
    with pytest.raises(ValueError, match="no labelled sample"):
        mix_labelled(x, np.full(1000, -1))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(num_classes=None), "num_classes=None"),
        (dict(num_classes=1), "num_classes=1"),
        (dict(encoder="dense4"), "output shape \\(2, 4\\)"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    if kwargs.get("encoder") == "dense4":  # built here, not at collection
        kwargs = dict(
            encoder=keras.Sequential(
                [keras.Input((64,)), keras.layers.Dense(4)]
            )
        )
    with pytest.raises(ValueError, match=match):
        tiny(**kwargs)
