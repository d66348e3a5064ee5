"""Per-step reference outputs of diffusers' schedulers, for the parity tests.

    .venv-bench/bin/python benchmarks/scheduler_reference.py   # rewrites keras_gen/schedulers/testdata/*.json
    .venv-bench/bin/python benchmarks/scheduler_reference.py ddpm_learned_range   # one case

Feeds FIXED model outputs (seeded standard normal arrays, the same whatever
the sample) through diffusers' schedulers, step by step, and records per
evaluation the input sample, the model output, the noise (where the step
draws any), the scaled model input and the next sample, with the timesteps
and `init_noise_sigma`, in small JSON files under
`keras_gen/schedulers/testdata/`. `keras_gen/schedulers/parity_test.py`
feeds the same inputs through keras_gen's schedulers on every backend and
compares each step to 1e-5 (relative to the step's largest value).

Where keras_gen deliberately differs, the fixture uses diffusers' matching
option and the case says so in `note`:

- DDIM re-derives ε from the clipped x̂_0: diffusers'
  `use_clipped_model_output=True` (the `ddim_keep_eps` case checks
  keras_gen's `use_clipped_model_output=False` against diffusers' default).
- `init_noise_sigma` of the σ-space samplers is √(σ_max² + 1) in keras_gen;
  diffusers returns σ_max for the "linspace" and "trailing" spacings (a
  2e-5 relative difference here); the fixtures record diffusers' value and
  the test allows for it.
- DDPM with `variance_type="learned_range"`: diffusers splits the model
  output on the channels of NCHW tensors, keras_gen on the last axis; the
  fixture records every tensor channels-last (`shape`, and
  `model_output_shape` with twice the channels).
- ScoreSdeVeScheduler is a native VE model's sampler (σ geometric between
  σ_min and σ_max, the model outputs the score). keras_gen's
  `ScoreSdeScheduler(sde="ve")` drives a VP-trained ε model as a VE SDE; the
  comparable part is the predictor and corrector updates for given σ's and
  scores, so the reference replaces diffusers' `discrete_sigmas` by the VP
  schedule's σ_t = √((1 − ᾱ_t) / ᾱ_t) at keras_gen's levels and feeds it
  the score −ε / σ_t. The corrector's step size uses batch-mean norms in
  both (Song et al.'s code).

diffusers computes ᾱ in float32, where 1 − ᾱ_t loses ~1e-3 of its value
to cancellation at small t (σ_min = √((1 − ᾱ_0) / ᾱ_0) is off by ~3e-4);
keras_gen computes its tables in float64 by design. So that the fixtures
test the update formulas, not float32 rounding, the reference gives each
diffusers scheduler ᾱ computed in float64 from the same betas
(`float64_alphas`) before `set_timesteps`; everything else runs as
diffusers does.

Run only in the benchmark environment (diffusers, torch); it needs no
network and no weights.
"""

import json
import os

import diffusers
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "keras_gen", "schedulers", "testdata")
SHAPE = (2, 1, 3, 3)
FORWARD = dict(
    num_train_timesteps=1000,
    beta_schedule="linear",
    beta_start=1e-4,
    beta_end=0.02,
)


def float64_alphas(scheduler, rescale_betas_zero_snr=False):
    """Replaces diffusers' float32 ᾱ by float64 ᾱ of the same betas."""
    betas = torch.linspace(
        FORWARD["beta_start"],
        FORWARD["beta_end"],
        FORWARD["num_train_timesteps"],
        dtype=torch.float64,
    )
    if rescale_betas_zero_snr:
        betas = diffusers.schedulers.scheduling_ddim.rescale_zero_terminal_snr(
            betas
        )
    scheduler.alphas_cumprod = torch.cumprod(1.0 - betas, dim=0)
    return scheduler


def as_list(x):
    return [float(f"{v:.9g}") for v in np.asarray(x, "float64").reshape(-1)]


def tensor(rng, scale=1.0):
    return torch.from_numpy(
        (scale * rng.standard_normal(SHAPE)).astype("float32")
    )


def record(
    name,
    scheduler_class,
    config,
    num_inference_steps,
    timesteps,
    init_noise_sigma,
    steps,
    note="",
    shape=SHAPE,
    model_output_shape=None,
):
    case = dict(
        scheduler=scheduler_class,
        config={**FORWARD, **config},
        num_inference_steps=num_inference_steps,
        shape=list(shape),
        timesteps=as_list(timesteps),
        init_noise_sigma=float(init_noise_sigma),
        steps=[
            {k: (None if v is None else as_list(v)) for k, v in step.items()}
            for step in steps
        ],
        diffusers_version=diffusers.__version__,
        note=note,
    )
    if model_output_shape is not None:
        case["model_output_shape"] = list(model_output_shape)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(case, f, indent=0)
        f.write("\n")
    print(f"{name}: {len(steps)} evaluations")


def ddim_case(
    name, seed, num_steps, diffusers_kwargs, ours, use_clipped, eta=0.0, note=""
):
    scheduler = diffusers.DDIMScheduler(**FORWARD, **diffusers_kwargs)
    float64_alphas(
        scheduler, diffusers_kwargs.get("rescale_betas_zero_snr", False)
    )
    scheduler.set_timesteps(num_steps)
    rng = np.random.default_rng(seed)
    sample = tensor(rng)
    steps = []
    for t in scheduler.timesteps:
        out = tensor(rng)
        noise = tensor(rng) if eta > 0 else None
        prev = scheduler.step(
            out,
            t,
            sample,
            eta=eta,
            use_clipped_model_output=use_clipped,
            variance_noise=noise,
        ).prev_sample
        steps.append(
            dict(
                sample=sample,
                model_output=out,
                noise=noise,
                model_input=sample,
                prev_sample=prev,
            )
        )
        sample = prev
    record(
        name,
        "DDIMScheduler",
        ours,
        num_steps,
        scheduler.timesteps,
        scheduler.init_noise_sigma,
        steps,
        note,
    )


def sequential_case(
    name, seed, num_steps, scheduler, scheduler_class, ours, note=""
):
    """Schedulers whose `step(out, t, sample)` draws no noise."""
    float64_alphas(scheduler)
    scheduler.set_timesteps(num_steps)
    rng = np.random.default_rng(seed)
    sample = tensor(rng, float(scheduler.init_noise_sigma))
    steps = []
    for t in scheduler.timesteps:
        model_input = scheduler.scale_model_input(sample, t)
        out = tensor(rng)
        prev = scheduler.step(out, t, sample).prev_sample
        steps.append(
            dict(
                sample=sample,
                model_output=out,
                noise=None,
                model_input=model_input,
                prev_sample=prev,
            )
        )
        sample = prev
    record(
        name,
        scheduler_class,
        ours,
        num_steps,
        scheduler.timesteps,
        scheduler.init_noise_sigma,
        steps,
        note,
    )


def noise_of(generator):
    """The draw `randn_tensor(SHAPE, generator=generator)` will make."""
    clone = torch.Generator().set_state(generator.get_state())
    return torch.randn(SHAPE, generator=clone, dtype=torch.float32)


def ddpm_learned_range_case(name, seed, num_steps):
    """The ancestral step with a learned variance: the model outputs the
    prediction and v (twice the channels, v in about [-1, 1])."""
    config = dict(clip_sample=True, variance_type="learned_range")
    scheduler = float64_alphas(diffusers.DDPMScheduler(**FORWARD, **config))
    scheduler.set_timesteps(num_steps)
    generator = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    sample = tensor(rng)
    batch, channels = SHAPE[0], SHAPE[1]
    last = lambda x: x.permute(0, 2, 3, 1)  # noqa: E731 NCHW -> NHWC
    steps = []
    for t in scheduler.timesteps:
        out = torch.cat([tensor(rng), torch.tanh(tensor(rng))], dim=1)
        noise = noise_of(generator) if t > 0 else None
        prev = scheduler.step(out, t, sample, generator=generator).prev_sample
        steps.append(
            dict(
                sample=last(sample),
                model_output=last(out),
                noise=None if noise is None else last(noise),
                model_input=last(sample),
                prev_sample=last(prev),
            )
        )
        sample = prev
    nhwc = (batch, SHAPE[2], SHAPE[3], channels)
    record(
        name,
        "DDPMScheduler",
        config,
        num_steps,
        scheduler.timesteps,
        scheduler.init_noise_sigma,
        steps,
        note="learned_range; tensors recorded channels-last (diffusers splits NCHW on dim 1)",
        shape=nhwc,
        model_output_shape=nhwc[:3] + (2 * channels,),
    )


def score_sde_ve_case(name, seed, num_steps, snr, correct_steps):
    # keras_gen's levels: linspace timesteps, σ_t of the VP schedule, 0 last.
    betas = np.linspace(
        FORWARD["beta_start"],
        FORWARD["beta_end"],
        FORWARD["num_train_timesteps"],
    )
    a = np.cumprod(1.0 - betas)
    levels = np.round(
        np.linspace(0, FORWARD["num_train_timesteps"] - 1, num_steps)
    )[::-1].astype(int)
    sigmas = np.sqrt((1.0 - a[levels]) / a[levels])
    scheduler = diffusers.ScoreSdeVeScheduler(
        num_train_timesteps=num_steps, snr=snr, correct_steps=correct_steps
    )
    scheduler.set_timesteps(num_steps)
    scheduler.set_sigmas(num_steps)
    # diffusers indexes discrete_sigmas (ascending) by t * (N − 1).
    scheduler.discrete_sigmas = torch.tensor(
        sigmas[::-1].copy(), dtype=torch.float32
    )
    generator = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    sample = tensor(rng, float(np.sqrt(sigmas[0] ** 2 + 1.0)))
    steps, times = [], []
    for i, t in enumerate(scheduler.timesteps):
        index = int((t * (num_steps - 1)).long())
        assert index == num_steps - 1 - i, (index, i)
        sigma = sigmas[i]
        model_input = sample / np.sqrt(sigma**2 + 1.0)
        for _ in range(correct_steps):
            eps = tensor(rng)
            noise = noise_of(generator)
            prev = scheduler.step_correct(
                -eps / float(sigma), sample, generator=generator
            ).prev_sample
            steps.append(
                dict(
                    sample=sample,
                    model_output=eps,
                    noise=noise,
                    model_input=model_input,
                    prev_sample=prev,
                )
            )
            times.append(levels[i])
            sample = prev
            model_input = sample / np.sqrt(sigma**2 + 1.0)
        eps = tensor(rng)
        noise = noise_of(generator)
        output = scheduler.step_pred(
            -eps / float(sigma), t, sample, generator=generator
        )
        last = i == num_steps - 1
        # The last predictor step is the noise-free mean (Song et al.'s "denoise").
        prev = output.prev_sample_mean if last else output.prev_sample
        if not last:
            diffusion = np.sqrt(sigma**2 - sigmas[i + 1] ** 2)
            assert torch.allclose(
                output.prev_sample - output.prev_sample_mean,
                float(diffusion) * noise,
                atol=1e-3,
            )
        steps.append(
            dict(
                sample=sample,
                model_output=eps,
                noise=noise,
                model_input=model_input,
                prev_sample=prev,
            )
        )
        times.append(levels[i])
        sample = prev
    record(
        name,
        "ScoreSdeScheduler",
        dict(
            sde="ve",
            snr=snr,
            num_corrector_steps=correct_steps,
            timestep_spacing="linspace",
            clip_sample=False,
        ),
        num_steps,
        times,
        np.sqrt(sigmas[0] ** 2 + 1.0),
        steps,
        note="diffusers' ScoreSdeVeScheduler updates with discrete_sigmas replaced by the VP schedule's "
        "sigma_t at keras_gen's levels and the score -eps / sigma_t (see the module docstring)",
    )


def main(only=None):
    torch.set_num_threads(1)
    if only:
        cases = {
            "ddpm_learned_range": lambda: ddpm_learned_range_case(
                "ddpm_learned_range", 13, 5
            )
        }
        for name in only:
            cases[name]()
        return
    ddim_case(
        "ddim_clipped_eps",
        0,
        5,
        dict(clip_sample=True),
        dict(clip_sample=True),
        use_clipped=True,
        note="keras_gen re-derives eps from the clipped x0: diffusers use_clipped_model_output=True",
    )
    ddim_case(
        "ddim_keep_eps",
        1,
        5,
        dict(clip_sample=True),
        dict(clip_sample=True, use_clipped_model_output=False),
        use_clipped=False,
        note="diffusers' default (the model's eps kept after clipping)",
    )
    ddim_case(
        "ddim_eta1",
        2,
        4,
        dict(clip_sample=True),
        dict(clip_sample=True, eta=1.0),
        use_clipped=True,
        eta=1.0,
        note="use_clipped_model_output=True, variance_noise given",
    )
    zero_snr = dict(
        clip_sample=False,
        rescale_betas_zero_snr=True,
        timestep_spacing="trailing",
        prediction_type="v_prediction",
    )
    ddim_case(
        "ddim_zero_snr_trailing", 3, 5, zero_snr, zero_snr, use_clipped=False
    )
    ddim_case(
        "ddim_thresholding",
        4,
        4,
        dict(
            thresholding=True,
            dynamic_thresholding_ratio=0.9,
            sample_max_value=3.0,
        ),
        dict(
            thresholding=True,
            dynamic_thresholding_ratio=0.9,
            sample_max_value=3.0,
        ),
        use_clipped=True,
        note="dynamic thresholding, use_clipped_model_output=True",
    )
    dpm = dict(
        algorithm_type="dpmsolver++",
        solver_order=2,
        solver_type="midpoint",
        lower_order_final=True,
    )
    sequential_case(
        "dpm_solver_2m",
        5,
        6,
        diffusers.DPMSolverMultistepScheduler(**FORWARD, **dpm),
        "DPMSolverMultistepScheduler",
        dict(solver_order=2, clip_sample=False),
    )
    sequential_case(
        "dpm_solver_2m_v_thresholding",
        6,
        5,
        diffusers.DPMSolverMultistepScheduler(
            **FORWARD,
            **dpm,
            prediction_type="v_prediction",
            thresholding=True,
            dynamic_thresholding_ratio=0.9,
            sample_max_value=2.0,
        ),
        "DPMSolverMultistepScheduler",
        dict(
            solver_order=2,
            clip_sample=False,
            prediction_type="v_prediction",
            thresholding=True,
            dynamic_thresholding_ratio=0.9,
            sample_max_value=2.0,
        ),
    )
    sequential_case(
        "euler_karras",
        7,
        5,
        diffusers.EulerDiscreteScheduler(**FORWARD, use_karras_sigmas=True),
        "EulerScheduler",
        dict(use_karras_sigmas=True, clip_sample=False),
    )
    sequential_case(
        "euler_karras_v",
        8,
        4,
        diffusers.EulerDiscreteScheduler(
            **FORWARD, use_karras_sigmas=True, prediction_type="v_prediction"
        ),
        "EulerScheduler",
        dict(
            use_karras_sigmas=True,
            clip_sample=False,
            prediction_type="v_prediction",
        ),
    )
    sequential_case(
        "euler_linspace",
        9,
        4,
        diffusers.EulerDiscreteScheduler(**FORWARD),
        "EulerScheduler",
        dict(use_karras_sigmas=False, clip_sample=False),
    )
    sequential_case(
        "heun_karras",
        10,
        4,
        diffusers.HeunDiscreteScheduler(**FORWARD, use_karras_sigmas=True),
        "HeunScheduler",
        dict(use_karras_sigmas=True, clip_sample=False),
    )
    sequential_case(
        "heun_karras_clip",
        11,
        3,
        diffusers.HeunDiscreteScheduler(
            **FORWARD, use_karras_sigmas=True, clip_sample=True
        ),
        "HeunScheduler",
        dict(use_karras_sigmas=True, clip_sample=True),
    )
    score_sde_ve_case("score_sde_ve", 12, 4, snr=0.16, correct_steps=1)
    ddpm_learned_range_case("ddpm_learned_range", 13, 5)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
