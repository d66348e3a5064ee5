"""The family contract, checked once for every family.

Each family's own test calls `run_family_contract_test(name, tmp_path)`
(in the spirit of keras-hub's `run_backbone_test`): it builds the family's
`"tiny"` configuration from the registry and checks everything the README
promises of every model: the call signatures, the data range, seeded
construction, `compile()` / `fit` / `generate`, latent decoding and
interpolation, the `.keras`, weights-file and preset round trips (small configs, no
`keras.src` paths), and named errors for bad data through NumPy and
`tf.data`.
"""

import inspect
import json
import os

import keras
import numpy as np

from keras_gen.models import registry


def _weights(model):
    return [np.array(keras.ops.convert_to_numpy(w)) for w in model.weights]


def check_signatures(model):
    """`generate(num_samples, *, seed, labels, batch_size, ...)`; keyword-only
    `compile` phases; `interpolate(num_points, *, start, end, ...)`."""
    parameters = list(inspect.signature(model.generate).parameters.values())
    assert parameters[0].name == "num_samples", parameters
    for p in parameters[1:]:
        assert p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD), (
            f"generate: `{p.name}` is not keyword-only"
        )
    names = {p.name for p in parameters}
    assert {"seed", "labels", "batch_size"} <= names, names
    compile_parameters = list(
        inspect.signature(model.compile).parameters.values()
    )
    if getattr(model, "optimizer_names", ()):
        for p in compile_parameters:
            assert p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD), (
                f"compile: `{p.name}` is not keyword-only"
            )
    if model.latent_shape is not None:
        parameters = list(
            inspect.signature(model.interpolate).parameters.values()
        )
        assert parameters[0].name == "num_points"
        assert {"start", "end", "seed", "labels", "method"} <= {
            p.name for p in parameters
        }


def check_seeded_construction(family):
    """`Model(seed=s)` has the same initial weights every time (default
    networks follow the model's seed); another seed gives others."""
    first, second = family.build("tiny", seed=3), family.build("tiny", seed=3)
    for a, b in zip(_weights(first), _weights(second)):
        np.testing.assert_array_equal(a, b)
    other = family.build("tiny", seed=4)
    assert any(
        a.shape == b.shape and not np.array_equal(a, b)
        for a, b in zip(_weights(first), _weights(other))
        if a.size > 1
    ), "seed=4 built the same weights as seed=3"


def _expect_error(fn, *texts):
    try:
        fn()
    except ValueError as e:
        message = str(e)
        for text in texts:
            assert text in message, f"{text!r} not in the error: {message}"
        return message
    raise AssertionError(f"no ValueError (expected one naming {texts})")


def check_bad_data(family, model, x, y):
    """Bad data through NumPy and `tf.data` is refused with a named error."""

    def fit(data, labels=None):
        model.fit(data, labels, epochs=1, batch_size=4, verbose=0)

    if family.pairs:
        x_a, x_b = x
        _expect_error(
            lambda: fit((np.full(x_a.shape, 255, "uint8"), x_b)), "x_a", "uint8"
        )
        _expect_error(
            lambda: fit(
                (x_a[..., :1] if x_a.shape[-1] > 1 else x_a[:, :-1], x_b)
            ),
            "x_a",
            "shape",
        )
        return
    _expect_error(
        lambda: fit(np.full(x.shape, 255, "uint8"), y), "`x`", "uint8"
    )
    _expect_error(
        lambda: fit(
            np.zeros((4,) + tuple(d + 1 for d in x.shape[1:]), "float32"), y
        ),
        "`x`",
        "shape",
    )
    if model.value_range is not None:
        low, high = model.value_range
        raw = np.full(x.shape, high * 255.0 + 1.0, "float32")
        _expect_error(lambda: fit(raw, y), "value_range", "x.max()")
    if model.num_classes is None:
        _expect_error(
            lambda: fit(x, np.zeros(len(x), "int32")), "unconditional"
        )
    else:
        _expect_error(lambda: fit(x, None), "labels")
        _expect_error(
            lambda: fit(x, np.full(len(x), model.num_classes, "int32")),
            "labels",
            str(model.num_classes),
        )
        one_hot = np.eye(model.num_classes, dtype="float32")[
            np.arange(len(x)) % model.num_classes
        ]
        _expect_error(lambda: fit(x, one_hot), "one-hot")
    import tensorflow as tf

    if model.value_range is not None:
        raw = np.full(x.shape, model.value_range[1] * 255.0 + 1.0, "float32")
        dataset = tf.data.Dataset.from_tensor_slices(
            (raw,) if y is None else (raw, y)
        ).batch(4)
        _expect_error(
            lambda: model.fit(dataset, epochs=1, verbose=0), "value_range"
        )
    empty = (
        tf.data.Dataset.from_tensor_slices((x,) if y is None else (x, y))
        .filter(lambda *a: False)
        .batch(4)
    )
    _expect_error(lambda: model.fit(empty, epochs=1, verbose=0), "no batches")


def check_conditional(family):
    """A conditional variant (`num_classes=3`) trains on labels, samples the
    requested classes and names bad labels."""
    if (
        "num_classes"
        not in inspect.signature(family.model_class.__init__).parameters
    ):
        return None
    model = family.compile(family.build("tiny", num_classes=3, seed=0))
    x, y = family.sample_data(model, 8)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    options = family.generate_options("tiny", x)
    samples = model.generate(4, seed=0, labels=[0, 1, 2, 1], **options)
    assert samples.shape == (4,) + tuple(model.data_shape)
    _expect_error(
        lambda: model.fit(x, None, epochs=1, verbose=0),
        "conditional (num_classes=3)",
        "labels",
    )
    _expect_error(
        lambda: model.fit(x, np.full(len(x), 7), epochs=1, verbose=0),
        "[0, 3)",
        "[7]",
    )
    _expect_error(
        lambda: model.fit(x, np.zeros(5, "int32"), epochs=1, verbose=0),
        "one label per sample (8)",
    )
    _expect_error(
        lambda: model.fit(
            x, np.eye(3, dtype="float32")[y], epochs=1, verbose=0
        ),
        "one-hot",
    )
    _expect_error(lambda: model.generate(4, labels=[0, 5], **options), "labels")
    return model


def run_family_contract_test(name, tmp_path, check_bad_inputs=True):
    """Checks the contract for the registered family `name` (its `"tiny"`
    configuration). `tmp_path` is a directory for the saved files."""
    family = registry.get(name)
    model = family.build("tiny", seed=0)
    check_signatures(model)
    assert model.data_shape is not None and all(
        isinstance(d, int) for d in model.data_shape
    )
    assert model.value_range is None or (
        len(model.value_range) == 2
        and model.value_range[0] < model.value_range[1]
    )
    check_seeded_construction(family)

    family.compile(model)
    x, y = family.sample_data(model, 8)
    history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    for key, values in history.history.items():
        assert np.all(np.isfinite(values)), f"{key}: {values}"

    options = family.generate_options("tiny", x)
    samples = model.generate(3, seed=0, **options)
    assert (
        samples.shape == (3,) + tuple(model.data_shape)
        and samples.dtype == np.float32
    )
    if model.value_range is not None:
        assert (
            samples.min() >= model.value_range[0]
            and samples.max() <= model.value_range[1]
        )
    np.testing.assert_array_equal(samples, model.generate(3, seed=0, **options))
    if model.latent_shape is not None:
        assert not np.allclose(samples, model.generate(3, seed=1, **options)), (
            "seed=1 gave seed=0's samples"
        )
        z = model.sample_latents(2, seed=0)
        assert z.shape == (2,) + tuple(model.latent_shape)
        labels = None if model.num_classes is None else 0
        assert model.decode(z, labels=labels, **options).shape == (2,) + tuple(
            model.data_shape
        )
        path = model.interpolate(3, seed=0, labels=labels, **options)
        assert path.shape == (3,) + tuple(model.data_shape)
    if model.num_classes is None:
        _expect_error(
            lambda: model.generate(2, labels=0, **options),
            "labels",
            "not conditional",
        )
    else:
        model.generate(2, labels=model.num_classes - 1, seed=0, **options)
        _expect_error(
            lambda: model.generate(2, labels=model.num_classes, **options),
            "labels",
        )

    # The `.keras` file and the preset give the same samples.
    path = os.path.join(str(tmp_path), f"{name}.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_allclose(
        restored.generate(3, seed=0, **options), samples, atol=1e-5
    )
    # `save_weights` loads into a fresh model of the same configuration,
    # never called (Keras refuses to load into an unbuilt model).
    weights_path = os.path.join(str(tmp_path), f"{name}.weights.h5")
    model.save_weights(weights_path)
    fresh = family.build("tiny", seed=1)
    fresh.load_weights(weights_path)
    for saved, loaded in zip(_weights(model), _weights(fresh), strict=True):
        np.testing.assert_array_equal(loaded, saved)
    directory = os.path.join(str(tmp_path), f"{name}_preset")
    model.save_to_preset(directory)
    with open(os.path.join(directory, "config.json")) as f:
        config_text = f.read()
    assert "keras.src" not in config_text, (
        "a saved config names a private Keras module"
    )
    assert len(config_text) < 20_000, (
        f"the preset config is {len(config_text)} bytes"
    )
    json.loads(config_text)
    loaded = family.model_class.from_preset(directory)
    np.testing.assert_allclose(
        loaded.generate(3, seed=0, **options), samples, atol=1e-5
    )

    if check_bad_inputs:
        check_bad_data(family, model, x, y)
    check_conditional(family)
    return model
