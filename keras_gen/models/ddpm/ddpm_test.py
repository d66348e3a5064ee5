import keras
import numpy as np
import pytest
from keras import ops

import keras_gen
from keras_gen import backend
from keras_gen.models.ddpm import DDPM, networks
from keras_gen.schedulers import DDIMScheduler, DDPMScheduler
from keras_gen.testing import contract


def test_family_contract(tmp_path):
    contract.run_family_contract_test("ddpm", tmp_path)


CENTRES = np.array([[-2.0, 0.0], [2.0, 0.0]], "float32")


def two_blobs(n=512, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n).astype("int32")
    x = CENTRES[labels] + 0.2 * rng.normal(size=(n, 2)).astype("float32")
    return x, labels


def toy_model(**kwargs):
    kwargs.setdefault(
        "scheduler", DDPMScheduler(num_train_timesteps=100, clip_sample=False)
    )
    return DDPM(
        data_shape=(2,),
        value_range=None,
        hidden_dim=64,
        num_layers=2,
        ema_decay=0.9,
        seed=1,
        **kwargs,
    )


def tiny_image_model(**kwargs):
    kwargs.setdefault("scheduler", DDPMScheduler(num_train_timesteps=50))
    return DDPM(
        data_shape=(8, 8, 1),
        value_range=(0.0, 1.0),
        width=8,
        channel_multipliers=(1,),
        num_res_blocks=1,
        seed=2,
        **kwargs,
    )


def test_loss_falls_and_samples_move_to_the_data():
    x, _ = two_blobs()
    model = toy_model()
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = model.generate(200, num_steps=20, scheduler="ddim", seed=0)
    history = model.fit(x, epochs=12, batch_size=64, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.7 * losses[0]
    after = model.generate(200, num_steps=20, scheduler="ddim", seed=0)
    distance = lambda s: np.min(
        np.linalg.norm(s[:, None] - CENTRES[None], axis=-1), axis=1
    ).mean()  # noqa: E731
    assert distance(after) < 0.5 * distance(before)
    # Both modes are found.
    assert (after[:, 0] < 0).mean() > 0.2 and (after[:, 0] > 0).mean() > 0.2
    # EMA: one update per training step, and its weights moved.
    assert int(ops.convert_to_numpy(model.ema_denoiser.num_updates)) == 12 * 8
    ema = model.ema_denoiser.network.get_weights()[-1]
    assert not np.allclose(ema, model.denoiser.get_weights()[-1])


@pytest.mark.parametrize(
    "sampler", ["ddim", "dpm_solver", "euler", "heun", "score_sde_vp"]
)
def test_every_sampler_finds_both_modes(sampler, trained_blobs):
    model = trained_blobs
    samples = model.generate(200, scheduler=sampler, num_steps=10, seed=0)
    assert samples.shape == (200, 2) and np.isfinite(samples).all()
    distance = np.min(
        np.linalg.norm(samples[:, None] - CENTRES[None], axis=-1), axis=1
    )
    assert np.median(distance) < 0.6, (sampler, np.median(distance))
    assert (samples[:, 0] < 0).mean() > 0.2 and (samples[:, 0] > 0).mean() > 0.2


@pytest.fixture(scope="module")
def trained_blobs():
    x, _ = two_blobs()
    model = toy_model()
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    model.fit(x, epochs=12, batch_size=64, verbose=0)
    return model


@pytest.mark.parametrize("sampler", ["ddim", "ddpm"])
def test_inpainting_keeps_the_known_values_and_fills_the_others(
    sampler, trained_blobs
):
    """RePaint-style: knowing the second coordinate, the first lands on a
    blob (|x| near 2); the known values come back exactly."""
    model = trained_blobs
    x, _ = two_blobs(100, seed=7)
    mask = np.array([1.0, 0.0], "float32")  # generate x[:, 0], keep x[:, 1]
    filled = model.inpaint(x, mask, scheduler=sampler, num_steps=10, seed=0)
    assert filled.shape == x.shape and np.isfinite(filled).all()
    np.testing.assert_array_equal(filled[:, 1], x[:, 1])
    assert np.median(np.abs(np.abs(filled[:, 0]) - 2.0)) < 0.6
    assert (filled[:, 0] < 0).mean() > 0.2 and (filled[:, 0] > 0).mean() > 0.2
    np.testing.assert_array_equal(
        model.inpaint(x, mask, scheduler=sampler, num_steps=10, seed=0), filled
    )
    with pytest.raises(ValueError, match="VP space"):
        model.inpaint(x, mask, scheduler="euler", num_steps=4)


def test_inpainting_with_resampling_jumps(trained_blobs):
    """RePaint's jumps (j = 2, r = 2 on 10 steps: 18 denoiser calls and 8
    forward steps in one compiled loop) keep the known values exactly and
    still fill in a blob."""
    model = trained_blobs
    x, _ = two_blobs(100, seed=7)
    mask = np.array([1.0, 0.0], "float32")
    options = dict(scheduler="ddpm", num_steps=10, seed=0)
    plain = model.inpaint(x, mask, **options)
    np.testing.assert_array_equal(
        model.inpaint(x, mask, jump_length=2, jump_n_sample=1, **options),
        plain,
    )  # r = 1 is the plain run
    filled = model.inpaint(x, mask, jump_length=2, jump_n_sample=2, **options)
    assert np.isfinite(filled).all()
    np.testing.assert_array_equal(filled[:, 1], x[:, 1])
    assert not np.allclose(filled[:, 0], plain[:, 0])
    assert np.median(np.abs(np.abs(filled[:, 0]) - 2.0)) < 0.6
    np.testing.assert_array_equal(
        model.inpaint(x, mask, jump_length=2, jump_n_sample=2, **options),
        filled,
    )
    if keras.backend.backend() == "torch":  # eager: count the calls
        calls = []
        original = model.guided_output
        model.guided_output = lambda *a: calls.append(1) or original(*a)
        try:
            model.inpaint(x, mask, jump_length=2, jump_n_sample=2, **options)
        finally:
            del model.guided_output
        assert len(calls) == 18  # RePaint's schedule: 10 + 4 jumps x 2
    for kwargs, match in [
        (dict(jump_length=0, jump_n_sample=2), "jump_length=0"),
        (dict(jump_n_sample=0), "jump_n_sample=0"),
        (dict(jump_length=10, jump_n_sample=2), "jump_length=10"),
        (
            dict(scheduler="ddim", jump_length=2, jump_n_sample=2),
            "scheduler=DDIMScheduler",
        ),
    ]:
        with pytest.raises(ValueError, match=match):
            model.inpaint(x, mask, **{**options, **kwargs})


def test_image_to_image_keeps_the_blob_at_low_strength(trained_blobs):
    """SDEdit: a little noise and back keeps each point on its blob; more
    strength moves it further; strength 1 is an ordinary sample."""
    model = trained_blobs
    x, _ = two_blobs(64, seed=8)
    edited = model.image_to_image(
        x, 0.3, scheduler="ddim", num_steps=10, seed=0
    )
    assert np.mean(np.sign(edited[:, 0]) == np.sign(x[:, 0])) > 0.9
    changes = [
        np.abs(
            model.image_to_image(x, s, scheduler="ddim", num_steps=10, seed=0)
            - x
        ).mean()
        for s in (0.1, 0.5, 1.0)
    ]
    assert changes[0] < changes[1] < changes[2], changes
    full = model.image_to_image(x, 1.0, scheduler="ddim", num_steps=10, seed=0)
    assert (
        np.median(
            np.min(
                np.linalg.norm(full[:, None] - CENTRES[None], axis=-1), axis=1
            )
        )
        < 0.6
    )
    with pytest.raises(ValueError, match="strength=0.0"):
        model.image_to_image(x, 0.0)


def test_min_snr_weighting_and_offset_noise_train():
    x, _ = two_blobs(256)
    model = toy_model(min_snr_gamma=5.0, offset_noise=0.1)
    t = ops.convert_to_tensor(np.array([0, 50, 99], "int32"))
    snr = model.scheduler.alphas_cumprod_np[[0, 50, 99]] / (
        1 - model.scheduler.alphas_cumprod_np[[0, 50, 99]]
    )
    # ε-prediction: min(SNR, γ) / SNR (Hang et al., 2023).
    np.testing.assert_allclose(
        ops.convert_to_numpy(model.scheduler.loss_weights(t, 5.0)),
        np.minimum(snr, 5.0) / snr,
        rtol=1e-4,
    )
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = model.fit(x, epochs=4, batch_size=64, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert (
        model.get_config()["min_snr_gamma"] == 5.0
        and model.get_config()["offset_noise"] == 0.1
    )
    with pytest.raises(ValueError, match=r"min_snr_gamma=0"):
        toy_model(min_snr_gamma=0)


def test_conditional_generation_and_guidance():
    x, labels = two_blobs()
    model = toy_model(num_classes=2, label_dropout=0.2)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    model.fit(x, labels, epochs=25, batch_size=64, verbose=0)
    for label in (0, 1):
        side = lambda s: np.mean(np.sign(s[:, 0]) == np.sign(CENTRES[label, 0]))  # noqa: E731
        plain = model.generate(
            200, num_steps=20, scheduler="ddim", labels=label, seed=0
        )
        guided = model.generate(
            200,
            num_steps=20,
            scheduler="ddim",
            labels=label,
            seed=0,
            guidance_scale=3.0,
        )
        # Conditioning is learned, and classifier-free guidance sharpens it.
        assert side(plain) > 0.6
        assert side(guided) > 0.9 and side(guided) >= side(plain)


def test_classifier_guidance_moves_samples_toward_the_class():
    model = toy_model()
    direction = ops.convert_to_tensor([[1.0, -1.0], [0.0, 0.0]])

    def classifier(x_t, t):
        # log p(y=0 | x) grows with x[0]: guidance toward class 0 pushes right.
        return ops.matmul(x_t, direction)

    plain = model.generate(64, num_steps=10, scheduler="ddim", seed=0)
    guided = model.generate(
        64,
        num_steps=10,
        scheduler="ddim",
        seed=0,
        classifier=classifier,
        labels=0,
        classifier_scale=5.0,
    )
    assert guided[:, 0].mean() > plain[:, 0].mean() + 0.5


def test_compiled_loop_equals_a_python_loop():
    model = tiny_image_model()
    x_t = keras.random.normal((3, 8, 8, 1), seed=5)
    # A DDIM loop (η = 0, no noise) written out with the scheduler.
    scheduler = DDIMScheduler(num_train_timesteps=50)
    x = x_t
    for t in scheduler.set_timesteps(10):
        out = model.ema_denoiser([x, ops.full((3,), t, dtype="int32")])
        x = scheduler.step(out, int(t), x, ops.zeros_like(x))
    expected = np.clip((ops.convert_to_numpy(x) + 1.0) / 2.0, 0.0, 1.0)
    # generate draws x_T from the seed in the same way.
    got = model.generate(
        3, num_steps=10, scheduler="ddim", seed=keras.random.SeedGenerator(5)
    )
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_scheduler_objects_keep_their_settings():
    """The sampler is the scheduler object: the model's own (a DDIM model
    samples with DDIM, 50 steps by default) or one passed to `generate`,
    with its own `eta` (0: deterministic given x_T; > 0: noisy)."""
    ddim = tiny_image_model(
        scheduler=DDIMScheduler(num_train_timesteps=50, eta=0.0)
    )
    z = ddim.sample_latents(2, seed=0)
    a = ddim.decode(z, seed=1, num_steps=5)
    np.testing.assert_allclose(
        ddim.decode(z, seed=2, num_steps=5), a, atol=1e-6
    )
    noisy = DDIMScheduler(num_train_timesteps=50, eta=1.0)
    assert not np.allclose(
        ddim.decode(z, seed=2, num_steps=5, scheduler=noisy), a, atol=1e-3
    )
    assert (
        noisy.eta == 1.0 and noisy.num_inference_steps == 50
    )  # the caller's object is untouched
    stochastic = tiny_image_model(
        scheduler=DDIMScheduler(num_train_timesteps=50, eta=0.5)
    )
    z = stochastic.sample_latents(2, seed=0)
    assert not np.allclose(
        stochastic.decode(z, seed=1, num_steps=5),
        stochastic.decode(z, seed=2, num_steps=5),
    )
    # A name converts the model's scheduler, keeping its forward process.
    assert ddim._sampler("ddpm", 5).num_train_timesteps == 50
    with pytest.raises(ValueError, match=r"num_train_timesteps=1000"):
        ddim.generate(1, scheduler=DDIMScheduler())


def test_a_user_denoiser_is_checked():
    x_t, t = keras.Input((2,)), keras.Input(())
    label = keras.Input((), dtype="int32")
    h = keras.layers.Concatenate()([x_t, keras.layers.Reshape((1,))(t)])
    embedded = keras.layers.Flatten()(
        keras.layers.Embedding(3, 4)(label)
    )  # one row short
    out = keras.layers.Dense(2)(keras.layers.Concatenate()([h, embedded]))
    with pytest.raises(
        ValueError,
        match=r"needs num_classes \+ 1 = 4 rows.*Embedding\(input_dim=3\)",
    ):
        DDPM(
            denoiser=keras.Model([x_t, t, label], out),
            num_classes=3,
            value_range=None,
        )
    wrong = keras.Model([x_t, t], keras.layers.Dense(3)(h))
    with pytest.raises(
        ValueError, match=r"shaped like x_t \(None, 2\).*\(2, 3\)"
    ):
        DDPM(denoiser=wrong, value_range=None)


def test_seeded_sampling_is_reproducible_and_stream_advances():
    model = tiny_image_model()
    a = model.generate(2, num_steps=5, seed=3)
    b = model.generate(2, num_steps=5, seed=3)
    np.testing.assert_array_equal(a, b)
    c = model.generate(2, num_steps=5)
    d = model.generate(2, num_steps=5)
    assert not np.allclose(c, d)
    assert a.shape == (2, 8, 8, 1) and a.min() >= 0.0 and a.max() <= 1.0
    # The progress bar runs the same loop in chunks: the same samples.
    e = model.generate(2, num_steps=5, seed=3, verbose=True)
    np.testing.assert_allclose(e, a, atol=1e-6)


def test_save_load_gives_same_samples_and_resumes(tmp_path):
    x = keras_gen.datasets.load_digits("train")[:128]
    model = tiny_image_model()
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit(x, epochs=1, batch_size=32, verbose=0)
    path = str(tmp_path / "ddpm.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert isinstance(restored.scheduler, DDPMScheduler)
    assert restored.scheduler.num_train_timesteps == 50
    np.testing.assert_allclose(
        model.generate(2, num_steps=5, scheduler="ddim", seed=0),
        restored.generate(2, num_steps=5, scheduler="ddim", seed=0),
        atol=1e-6,
    )
    # Training resumes from the saved optimizer and seed state.
    model.fit(x[:32], epochs=1, batch_size=32, shuffle=False, verbose=0)
    restored.fit(x[:32], epochs=1, batch_size=32, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_log_prob_ranks_data_above_outliers():
    x, _ = two_blobs()
    model = toy_model()
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    model.fit(x, epochs=12, batch_size=64, verbose=0)
    inliers = model.log_prob(x[:50], num_timesteps=25)
    outliers = model.log_prob(
        np.array([[0.0, 3.0], [0.0, -3.0], [5.0, 5.0]], "float32"),
        num_timesteps=25,
    )
    assert inliers.shape == (50,)
    assert np.median(inliers) > outliers.max()
    # The bound cannot exceed the log-density of the best Gaussian blob.
    assert np.median(inliers) < -2 * np.log(0.2 * np.sqrt(2 * np.pi)) - np.log(
        2
    )


def test_bits_per_dim_of_discrete_images():
    model = tiny_image_model()
    x = keras_gen.datasets.load_digits("test")[:4]
    bpd = model.bits_per_dim(x, num_bins=17, num_timesteps=5)
    # A bound on a probability mass: positive bits, and the same number as
    # the log-probability in nats.
    assert bpd.shape == (4,) and np.all(np.isfinite(bpd)) and np.all(bpd > 0)
    log_p = model.log_prob(x, num_bins=17, num_timesteps=5)
    np.testing.assert_allclose(bpd, -log_p / (64 * np.log(2.0)), rtol=1e-5)


UNET_ARGS = dict(
    width=8,
    channel_multipliers=(1, 2),
    num_res_blocks=1,
    attention_resolutions=(4,),
    num_classes=3,
)


def test_unet_shapes_and_conditioning():
    model = DDPM(
        data_shape=(8, 8, 1), num_classes=3, width=8, num_res_blocks=1, seed=0
    )
    x = np.zeros((2, 8, 8, 1), "float32")
    out = model([x, np.array([0, 999], "int32"), np.array([0, 3], "int32")])
    assert tuple(out.shape) == (2, 8, 8, 1)


@pytest.mark.skipif(
    keras.backend.backend() == "tensorflow",
    reason="channels-first is refused on TensorFlow: Keras 3.15's ops.add fuses a conv bias "
    "with tf.nn.bias_add in NHWC whenever channels == width (wrong outputs)",
)
def test_unet_layouts_give_the_same_outputs():
    # The layout is a speed choice (channels-first is faster on torch):
    # same weights, same function, channels-last inputs either way.
    last = networks.UNet((8, 8, 2), data_format="channels_last", **UNET_ARGS)
    first = networks.UNet((8, 8, 2), data_format="channels_first", **UNET_ARGS)
    rng = np.random.default_rng(0)
    weights = [
        rng.normal(size=w.shape).astype("float32") * 0.2 for w in last.weights
    ]
    last.set_weights(weights)
    first.set_weights(weights)
    inputs = [
        rng.normal(size=(3, 8, 8, 2)).astype("float32"),
        np.array([1, 50, 999], "int32"),
        np.array([0, 2, 3], "int32"),
    ]
    out_last = ops.convert_to_numpy(last(inputs))
    np.testing.assert_allclose(
        ops.convert_to_numpy(first(inputs)), out_last, atol=1e-5
    )
    assert np.abs(out_last).max() > 0.1  # not trivially zero
    # The model-level argument builds and serialises the layout.
    model = DDPM(
        data_shape=(8, 8, 1),
        width=8,
        num_res_blocks=1,
        data_format="channels_first",
        seed=0,
    )
    assert model.get_config()["data_format"] == "channels_first"
    assert model.denoiser.get_layer("conv_in").data_format == "channels_first"


def test_unet_data_format_errors():
    with pytest.raises(ValueError, match="data_format"):
        networks.UNet((8, 8, 1), data_format="NCHW")
    if keras.backend.backend() == "tensorflow":
        with pytest.raises(ValueError, match="channels_first"):
            networks.UNet((8, 8, 2), data_format="channels_first", **UNET_ARGS)
        with pytest.raises(ValueError, match="channels_first"):
            DDPM(
                data_shape=(8, 8, 1),
                width=8,
                num_res_blocks=1,
                data_format="channels_first",
            )


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(data_shape=None), "data_shape"),
        (dict(data_shape=(8, 8, 1), value_range=(1, 0)), "value_range"),
        (
            dict(data_shape=(6, 6, 1), channel_multipliers=(1, 2, 2)),
            "divisible",
        ),
        (dict(data_shape=(2,), label_dropout=1.5), "label_dropout"),
        (dict(data_shape=(2,), scheduler="ddpm"), "scheduler"),
    ],
)
def test_bad_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DDPM(**kwargs)


def test_bad_sampling_and_training_arguments():
    model = toy_model()
    with pytest.raises(ValueError, match="scheduler='lms'"):
        model.generate(2, scheduler="lms")
    with pytest.raises(ValueError, match="guidance_scale"):
        model.generate(2, guidance_scale=2.0)
    with pytest.raises(ValueError, match="num_inference_steps"):
        model.generate(2, num_steps=101)
    with pytest.raises(ValueError, match="x"):
        model.compile(optimizer="adam")
        model.fit(np.zeros((4, 3), "float32"), verbose=0)
    conditional = toy_model(num_classes=2)
    conditional.compile(optimizer="adam")
    with pytest.raises(ValueError, match="labels"):
        conditional.fit(np.zeros((4, 2), "float32"), verbose=0)
    with pytest.raises(ValueError, match="labels"):
        conditional.fit(
            np.zeros((4, 2), "float32"), np.array([0, 1, 2, 1]), verbose=0
        )


# -- learned reverse variance (Nichol & Dhariwal, 2021, section 3.1) ---------


def test_learned_variance_trains_samples_saves_and_round_trips(tmp_path):
    # The U-Net outputs the prediction and v: twice the data's channels.
    unet = tiny_image_model(variance_type="learned_range").denoiser
    assert tuple(unet.output_shape) == (None, 8, 8, 2)
    x, _ = two_blobs(64)
    model = toy_model(variance_type="learned_range", min_snr_gamma=5.0)
    assert tuple(model.denoiser.output_shape) == (None, 4)
    assert model.scheduler.variance_type == "learned_range"
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(x, epochs=1, batch_size=32, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    ancestral = model.generate(2, num_steps=5, seed=0)
    ddim = model.generate(2, num_steps=5, scheduler="ddim", seed=0)
    assert ancestral.shape == ddim.shape == (2, 2)
    assert np.isfinite(ancestral).all() and np.isfinite(ddim).all()
    assert np.isfinite(model.log_prob(x[:2], num_timesteps=3)).all()
    config = model.get_config()
    assert config["variance_type"] == "learned_range"
    assert config["vlb_weight"] == 0.001
    assert DDPM.from_config(config).get_config() == config
    path = str(tmp_path / "learned.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert restored.variance_type == "learned_range"
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_vlb_term_trains_the_variance_only():
    """The hybrid loss's L_vlb sees the prediction through a stop-gradient
    (section 3.1): no gradient reaches the mean branch, some reaches v."""
    model = toy_model(variance_type="learned_range")
    rng = np.random.default_rng(0)
    x0, noise = (
        ops.convert_to_tensor(rng.normal(size=(3, 2)).astype("float32"))
        for _ in range(2)
    )
    output = ops.convert_to_tensor(rng.normal(size=(3, 4)).astype("float32"))
    t = ops.convert_to_tensor(np.array([0, 5, 60], "int32"))
    x_t = model.scheduler.add_noise(x0, noise, t)

    def vlb(output):
        prediction, v = model.split_output(output)
        return model._vlb_loss(x0, x_t, t, prediction, v)

    grad = ops.convert_to_numpy(backend.input_gradient(vlb, output))
    np.testing.assert_array_equal(grad[:, :2], 0.0)  # the prediction
    assert np.abs(grad[:, 2:]).min() > 0  # v


def test_guidance_mixes_the_prediction_and_keeps_the_conditional_variance():
    model = toy_model(variance_type="learned_range", num_classes=2)
    rng = np.random.default_rng(1)
    x = ops.convert_to_tensor(rng.normal(size=(3, 2)).astype("float32"))
    t = ops.convert_to_tensor(np.array([3.0, 40.0, 90.0], "float32"))
    labels = ops.convert_to_tensor(np.array([0, 1, 0], "int32"))
    null = ops.full((3,), 2, dtype="int32")
    weights = [
        rng.normal(size=w.shape).astype("float32") * 0.1
        for w in model.denoiser.weights
    ]
    model.denoiser.set_weights(weights)
    net = model.denoiser
    conditional = ops.convert_to_numpy(model._denoise(net, x, t, labels))
    unconditional = ops.convert_to_numpy(model._denoise(net, x, t, null))
    guided = ops.convert_to_numpy(model.guided_output(net, x, t, labels, 3.0))
    assert guided.shape == (3, 4)
    np.testing.assert_allclose(
        guided[:, :2],
        unconditional[:, :2]
        + 3.0 * (conditional[:, :2] - unconditional[:, :2]),
        rtol=1e-5,
        atol=1e-5,
    )
    np.testing.assert_allclose(
        guided[:, 2:], conditional[:, 2:], rtol=1e-5, atol=1e-5
    )


def test_learned_variance_errors():
    with pytest.raises(ValueError, match="variance_type='learned'"):
        toy_model(variance_type="learned")
    with pytest.raises(ValueError, match="variance_type='learned_range'"):
        toy_model().generate(
            2,
            scheduler=DDPMScheduler(
                num_train_timesteps=100,
                variance_type="learned_range",
                clip_sample=False,
            ),
        )
