"""keras_gen's schedulers against diffusers' per-step outputs.

The fixtures in `testdata/` are written by `benchmarks/scheduler_reference.py`
(diffusers 0.42.1) from fixed model outputs; see its docstring for the cases
where keras_gen's convention differs and which diffusers option matches.
"""

import glob
import json
import os

import numpy as np
import pytest
from keras import ops

from keras_gen import schedulers

FIXTURES = sorted(
    glob.glob(os.path.join(os.path.dirname(__file__), "testdata", "*.json"))
)


def load(path):
    with open(path) as f:
        return json.load(f)


def tensor(values, shape):
    return ops.convert_to_tensor(np.asarray(values, "float32").reshape(shape))


def assert_close(got, want, what, rtol=1e-5):
    got = ops.convert_to_numpy(got).astype("float64").reshape(-1)
    want = np.asarray(want, "float64")
    scale = max(1.0, float(np.abs(want).max()))
    error = float(np.abs(got - want).max())
    assert error <= rtol * scale, (
        f"{what}: max error {error:.3g} > {rtol} x {scale:.3g}"
    )


def test_fixtures_present():
    names = {os.path.basename(p)[: -len(".json")] for p in FIXTURES}
    for name in (
        "ddim_clipped_eps",
        "ddim_zero_snr_trailing",
        "ddpm_learned_range",
        "dpm_solver_2m",
        "euler_karras",
        "heun_karras",
        "score_sde_ve",
    ):
        assert name in names


@pytest.mark.parametrize(
    "path", FIXTURES, ids=lambda p: os.path.basename(p)[:-5]
)
def test_matches_diffusers_per_step(path):
    case = load(path)
    scheduler = getattr(schedulers, case["scheduler"])(**case["config"])
    scheduler.set_timesteps(case["num_inference_steps"])
    np.testing.assert_allclose(
        np.asarray(scheduler.timesteps, "float64"),
        case["timesteps"],
        rtol=1e-6,
        atol=1e-4,
    )
    # keras_gen starts σ-space samplers from √(σ_max² + 1); diffusers from
    # σ_max with the linspace and trailing spacings (2e-5 apart here).
    np.testing.assert_allclose(
        scheduler.init_noise_sigma, case["init_noise_sigma"], rtol=1e-4
    )
    shape = tuple(case["shape"])
    # A learned variance doubles the output's (last) axis.
    output_shape = tuple(case.get("model_output_shape", shape))
    state = scheduler.initial_state(tensor(case["steps"][0]["sample"], shape))
    for i, step in enumerate(case["steps"]):
        sample = tensor(step["sample"], shape)
        noise = (
            tensor(step["noise"], shape)
            if step["noise"] is not None
            else ops.zeros(shape)
        )
        assert_close(
            scheduler.scale_model_input(sample, i),
            step["model_input"],
            f"model input {i}",
        )
        prev, state = scheduler.step(
            tensor(step["model_output"], output_shape), i, sample, noise, state
        )
        assert_close(prev, step["prev_sample"], f"step {i}")
