"""The shared scheduler machinery: spacings, conversion, configs, checks."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_gen import schedulers as S

CLASSES = [
    S.DDPMScheduler,
    S.DDIMScheduler,
    S.DPMSolverMultistepScheduler,
    S.EulerScheduler,
    S.HeunScheduler,
    S.ScoreSdeScheduler,
]

# Each scheduler with non-default settings of its own and of the forward process.
CONFIGURED = [
    S.DDPMScheduler(
        variance_type="fixed_large",
        num_train_timesteps=500,
        beta_schedule="cosine",
        prediction_type="v_prediction",
        timestep_spacing="trailing",
    ),
    S.DDIMScheduler(
        eta=0.3,
        use_clipped_model_output=False,
        num_train_timesteps=200,
        beta_end=0.03,
        thresholding=True,
        sample_max_value=2.0,
    ),
    S.DPMSolverMultistepScheduler(
        solver_order=1, rescale_betas_zero_snr=True, clip_sample=False
    ),
    S.EulerScheduler(
        use_karras_sigmas=False, rho=5.0, prediction_type="sample"
    ),
    S.HeunScheduler(sigma_min=0.02, sigma_max=80.0, num_train_timesteps=300),
    S.ScoreSdeScheduler(
        sde="ve", snr=0.1, num_corrector_steps=2, dynamic_thresholding_ratio=0.9
    ),
]


def test_timestep_spacings_of_lin_et_al_table_2():
    # Lin et al. (2024), table 2: T = 1000, 10 sampling steps.
    expected = {
        "leading": [900, 800, 700, 600, 500, 400, 300, 200, 100, 0],
        "linspace": [999, 888, 777, 666, 555, 444, 333, 222, 111, 0],
        "trailing": [999, 899, 799, 699, 599, 499, 399, 299, 199, 99],
    }
    for spacing, want in expected.items():
        scheduler = S.DDIMScheduler(timestep_spacing=spacing)
        np.testing.assert_array_equal(scheduler.set_timesteps(10), want)
        # Each visited timestep steps to the next one, the last to −1.
        prev = ops.convert_to_numpy(
            scheduler.previous_timestep(ops.convert_to_tensor(want))
        )
        np.testing.assert_array_equal(prev, want[1:] + [-1])


def test_step_index_form_equals_timestep_form():
    for scheduler in (
        S.DDIMScheduler(eta=0.5, timestep_spacing="linspace"),
        S.DDPMScheduler(),
    ):
        scheduler.set_timesteps(7)
        rng = np.random.default_rng(0)
        x, out, z = (
            ops.convert_to_tensor(rng.normal(size=(2, 3)), "float32")
            for _ in range(3)
        )
        for i, t in enumerate(scheduler.timesteps):
            by_index, state = scheduler.step(out, i, x, z, ())
            assert state == ()
            np.testing.assert_allclose(
                ops.convert_to_numpy(by_index),
                ops.convert_to_numpy(scheduler.step(out, int(t), x, z)),
                rtol=1e-6,
            )


@pytest.mark.parametrize("source", CONFIGURED, ids=lambda s: type(s).__name__)
@pytest.mark.parametrize("target", CLASSES, ids=lambda c: c.__name__)
def test_conversion_keeps_every_setting(source, target):
    config = source.get_config()
    converted = target.from_config(config)
    # The forward process and the shared settings carry over ...
    np.testing.assert_array_equal(
        converted.alphas_cumprod_np, source.alphas_cumprod_np
    )
    for key in (
        "prediction_type",
        "clip_sample",
        "thresholding",
        "timestep_spacing",
        "rescale_betas_zero_snr",
    ):
        assert converted.get_config()[key] == config[key]
    # ... and converting back restores the source's own settings too (the
    # target's own settings ride along as extra keys, as in diffusers).
    back = type(source).from_config(converted.get_config())
    assert type(back) is type(source)
    back_config = back.get_config()
    assert {k: back_config[k] for k in config} == config
    assert set(back_config) - set(config) == set(back.extra_config) - set(
        config
    )
    np.testing.assert_array_equal(
        back.set_timesteps(5), source.set_timesteps(5)
    )


def test_ddim_from_ddpm_and_back():
    ddpm = S.DDPMScheduler(variance_type="fixed_large", beta_schedule="cosine")
    ddim = S.DDIMScheduler.from_config(ddpm.get_config())
    assert ddim.eta == 0.0 and ddim.beta_schedule == "cosine"
    ddim.eta = 0.7
    again = S.DDPMScheduler.from_config(ddim.get_config())
    assert again.variance_type == "fixed_large"
    assert S.DDIMScheduler.from_config(again.get_config()).eta == 0.7


@pytest.mark.parametrize(
    "scheduler", CONFIGURED, ids=lambda s: type(s).__name__
)
def test_serialization_round_trip(scheduler):
    converted = S.DDPMScheduler.from_config(
        scheduler.get_config()
    )  # with foreign keys
    for original in (scheduler, converted):
        restored = keras.saving.deserialize_keras_object(
            keras.saving.serialize_keras_object(original)
        )
        assert type(restored) is type(original)
        assert restored.get_config() == original.get_config()


@pytest.mark.parametrize(
    "cls,kwargs,match",
    [
        (S.DDIMScheduler, dict(timestep_spacing="uniform"), "timestep_spacing"),
        (
            S.DDIMScheduler,
            dict(dynamic_thresholding_ratio=1.5),
            "dynamic_thresholding_ratio",
        ),
        (S.DDIMScheduler, dict(sample_max_value=0.5), "sample_max_value"),
        (S.DDIMScheduler, dict(eta=-1), "eta"),
        (S.DPMSolverMultistepScheduler, dict(solver_order=3), "solver_order"),
        (S.EulerScheduler, dict(rho=0.0), "rho"),
        (S.HeunScheduler, dict(sigma_min=-1.0), "sigma_min"),
        (S.ScoreSdeScheduler, dict(sde="subvp"), "sde"),
        (S.ScoreSdeScheduler, dict(snr=-0.1), "snr"),
        (
            S.ScoreSdeScheduler,
            dict(num_corrector_steps=-1),
            "num_corrector_steps",
        ),
    ],
)
def test_bad_arguments(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_unknown_argument_is_refused_by_the_constructor(cls):
    # `from_config` keeps foreign keys aside; the constructor refuses typos.
    with pytest.raises(TypeError):
        cls(etaa=0.5)


def test_dynamic_thresholding_per_sample():
    scheduler = S.DDIMScheduler(
        thresholding=True, dynamic_thresholding_ratio=0.5, sample_max_value=10.0
    )
    x0 = np.stack([np.linspace(-4, 4, 9), np.linspace(-0.5, 0.5, 9)]).reshape(
        2, 3, 3, 1
    )
    got = ops.convert_to_numpy(
        scheduler.threshold_sample(ops.convert_to_tensor(x0, "float32"))
    )
    s = np.array([2.0, 1.0])[
        :, None, None, None
    ]  # median |x̂_0| = 2, and at least 1
    np.testing.assert_allclose(got, np.clip(x0, -s, s) / s, rtol=1e-6)


@pytest.mark.parametrize(
    "cls", [S.DDIMScheduler, S.DPMSolverMultistepScheduler, S.EulerScheduler]
)
def test_trailing_spacing_gives_n_timesteps_for_every_n(cls):
    scheduler = cls(num_train_timesteps=200, timestep_spacing="trailing")
    for n in (
        29,
        31,
        58,
        97,
        116,
        193,
        199,
    ):  # np.arange(T, 0, -T / n) has n + 1 values
        timesteps = scheduler.set_timesteps(n)
        assert (
            len(timesteps) == n and timesteps.min() >= 0 and timesteps[0] == 199
        )
