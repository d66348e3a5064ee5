"""Classifier-free guidance sweep on a conditional digits DDPM.

    python benchmarks/guidance_sweep.py --backend jax                 # the built-in ddpm_digits preset
    python benchmarks/guidance_sweep.py --model demo_out/ddpm.keras   # the `make demo` model
    python benchmarks/guidance_sweep.py --samplers ddim ddpm dpm++ euler heun --scales 1 2 4

For each sampler and guidance scale s (ε̃ = ε_∅ + s (ε_c − ε_∅), Ho &
Salimans, 2022), draws `--num-samples` samples, `--num-samples / 10` per
class, from the same seed, and prints a table of

- class accuracy: the share of samples that the shipped digits classifier
  (`keras_gen.metrics.digits_classifier()`) reads as the requested class;
- classifier FD: the Fréchet distance between the classifier's features of
  the samples and of the test split (447 digits); a *classifier* Fréchet
  distance, not FID. The same number of real train digits gives the floor.

With guidance working, class accuracy rises (or stays flat) with s while the
classifier FD rises moderately (less diversity, as in Ho & Salimans' FID/IS
trade-off). The samplers `ddpm` and `ddim` run through `DDPM.generate` (what
users get); the others (`dpm++`, `euler`, `heun`, `ddim-keep-eps`: DDIM with
the model's unclipped ε, the behaviour before the fix and diffusers'
default; `sde-vp`, `sde-ve`: predictor-corrector, one corrector step;
and three DDIM variants that probe the cause: `ddim-dynamic`, dynamic
thresholding of x̂_0 (Saharia et al., 2022, p = 0.995, s uncapped);
`ddim-noclip`, no bound on x̂_0 inside the loop; `ddim-clip-branches`, each
branch's x̂_0 clipped before the guidance combination, then clipped again)
run
the same guided denoiser through
`keras_gen.schedulers.sampling.run_reverse_process` in one compiled
function (fractional Karras times rounded for the int-timestep U-Net).
`--num-steps` counts noise levels: Heun evaluates 2N − 1 times, the
predictor-corrector samplers 2N; the table gives the evaluations.

The backend is chosen with `--backend` (or `KERAS_BACKEND`); `--threads 1`
(the default) pins every library to one thread so runs on shared cores are
comparable. Prints one Markdown table; `--json` also writes the rows.
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# This checkout's keras_gen first (not another editable install), then the
# benchmark helpers.
sys.path[:0] = [os.path.dirname(HERE), HERE]
from bench_utils import thread_env  # noqa: E402

LOOP_SAMPLERS = (
    "dpm++",
    "euler",
    "heun",
    "ddim-keep-eps",
    "sde-vp",
    "sde-ve",
    "ddim-dynamic",
    "ddim-noclip",
    "ddim-clip-branches",
)
SAMPLERS = ("ddpm", "ddim") + LOOP_SAMPLERS


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--model",
        default="ddpm_digits",
        help="a preset name or a DDPM .keras file",
    )
    parser.add_argument(
        "--backend", choices=("jax", "tensorflow", "torch"), default=None
    )
    parser.add_argument(
        "--samplers", nargs="+", default=["ddim", "ddpm"], choices=SAMPLERS
    )
    parser.add_argument(
        "--scales", nargs="+", type=float, default=[1.0, 1.5, 2.0, 3.0, 4.0]
    )
    parser.add_argument(
        "--num-steps", type=int, default=50, help="sampler steps (noise levels)"
    )
    parser.add_argument("--num-samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="CPU threads per library (0: no cap)",
    )
    parser.add_argument(
        "--json", default=None, help="also write the rows to this JSON file"
    )
    parser.add_argument(
        "--diagnose",
        action="store_true",
        help="instead, print DDIM's per-step evidence at each scale (both conventions)",
    )
    return parser.parse_args(argv)


def guided_denoiser(
    network, num_classes, labels, scale, clip_branches_with=None
):
    """`denoise(x, t) -> ε̃` of a conditional DDPM's network with guidance
    `scale`, ε̃ = ε_∅ + s (ε_c − ε_∅), as `DDPM.generate` computes it.

    With `clip_branches_with` (an ε-prediction scheduler), the guidance
    combines instead the two branches' clipped x̂_0 and returns the ε̂ of
    the (clipped) result: the other order of guidance and clipping."""
    from keras import ops

    if clip_branches_with is not None:
        plain = guided_denoiser(network, num_classes, labels, 1.0)
        null_denoiser = guided_denoiser(
            network,
            num_classes,
            ops.full(ops.shape(labels), num_classes, "int32"),
            1.0,
        )
        sched = clip_branches_with

        def clipped_branches(x, t):
            t = ops.cast(ops.round(ops.cast(t, "float32")), "int32")
            x0_c, _ = sched.split_prediction(plain(x, t), t, x)
            x0_null, _ = sched.split_prediction(null_denoiser(x, t), t, x)
            x0_c, x0_null = (
                ops.clip(x0_c, -1.0, 1.0),
                ops.clip(x0_null, -1.0, 1.0),
            )
            x0 = ops.clip(x0_null + scale * (x0_c - x0_null), -1.0, 1.0)
            return sched.epsilon_from_sample(x0, t, x)

        return clipped_branches

    def denoise(x, t):
        # The U-Net takes int timesteps: round fractional (Karras) times.
        t = ops.cast(ops.round(ops.cast(t, "float32")), "int32")
        if scale == 1.0:
            return network([x, t, labels], training=False)
        null = ops.full(ops.shape(labels), num_classes, dtype="int32")
        both = network(
            [
                ops.concatenate([x, x]),
                ops.concatenate([t, t]),
                ops.concatenate([labels, null]),
            ],
            training=False,
        )
        n = ops.shape(x)[0]
        conditional, unconditional = both[:n], both[n:]
        return unconditional + scale * (conditional - unconditional)

    return denoise


def loop_scheduler(model, sampler, num_steps):
    """The scheduler of `sampler`, converted from the model's own (same
    forward process, clipping and prediction type)."""
    import keras_gen.schedulers as S

    config = model.scheduler.get_config()
    if sampler == "ddim-keep-eps":
        scheduler = S.DDIMScheduler.from_config(
            {**config, "use_clipped_model_output": False}
        )
    elif sampler == "ddim-dynamic":
        scheduler = S.DDIMScheduler.from_config(
            {**config, "thresholding": True, "sample_max_value": 1e6}
        )
    elif sampler == "ddim-noclip":
        scheduler = S.DDIMScheduler.from_config(
            {**config, "clip_sample": False}
        )
    elif sampler == "ddim-clip-branches":
        scheduler = S.DDIMScheduler.from_config(config)
    elif sampler == "dpm++":
        scheduler = S.DPMSolverMultistepScheduler.from_config(
            {**config, "timestep_spacing": "linspace"}
        )
    elif sampler in ("euler", "heun"):
        cls = S.EulerScheduler if sampler == "euler" else S.HeunScheduler
        scheduler = cls.from_config({**config, "timestep_spacing": "linspace"})
    else:
        scheduler = S.ScoreSdeScheduler.from_config(
            {
                **config,
                "sde": sampler[len("sde-") :],
                "timestep_spacing": "linspace",
            }
        )
    scheduler.set_timesteps(num_steps)
    return scheduler


def sample_with_loop(model, sampler, num_steps, labels, scale, seed):
    """Samples with `run_reverse_process` in one compiled function, the way
    `DDPM` can call it: the weights are arguments, mapped onto the network's
    variables inside the loop, and the noise stream's state is threaded."""
    import keras
    import numpy as np

    from keras_gen import backend
    from keras_gen.schedulers.sampling import run_reverse_process

    scheduler = loop_scheduler(model, sampler, num_steps)
    network = model.ema_denoiser
    variables = list(network.variables)
    noise_generator = keras.random.SeedGenerator(0)  # a stand-in for the stream

    def run(weights, x, seed_state, labels):
        clip_branches = scheduler if sampler == "ddim-clip-branches" else None
        denoise = guided_denoiser(
            network, model.num_classes, labels, scale, clip_branches
        )
        return run_reverse_process(
            denoise,
            scheduler,
            x,
            seed_state,
            0,
            len(scheduler.timesteps),
            noise_generator=noise_generator,
            state_mapping=list(zip(variables, weights)),
        )

    generator = keras.random.SeedGenerator(seed)
    x = (
        keras.random.normal((len(labels),) + model.data_shape, seed=generator)
        * scheduler.init_noise_sigma
    )
    x, _, _ = backend.compile_function(run)(
        [v.value for v in variables],
        x,
        generator.state.value,
        keras.ops.convert_to_tensor(labels, "int32"),
    )
    x = np.clip(
        model._to_data_space(keras.ops.convert_to_numpy(x)), *model.value_range
    )
    return x, len(scheduler.timesteps)


def diagnose(model, labels, scale, num_steps, seed, every=5):
    """Per-step evidence: DDIM from the same x_T with the model's ε kept
    after clipping (old) and with ε re-derived from the clipped x̂_0 (new).

    Per printed step: the share of pixels where the guided x̂_0 leaves
    [-1, 1]; the mean |ε̂ − ε̂(clipped x̂_0)|; and for each convention the
    largest |x̂_0 implied by the step − clipped x̂_0|, where the implied x̂_0
    solves x_{t'} = √ᾱ' x̂_0 + √(1 − ᾱ') (x_t − √ᾱ x̂_0) / √(1 − ᾱ).
    """
    import keras
    import numpy as np
    from keras import ops

    import keras_gen.schedulers as S

    config = model.scheduler.get_config()
    network = model.ema_denoiser
    labels_t = ops.convert_to_tensor(labels, "int32")
    denoise = guided_denoiser(network, model.num_classes, labels_t, scale)
    abar = model.scheduler.alphas_cumprod_np
    x_T = keras.random.normal(
        (len(labels),) + model.data_shape, seed=keras.random.SeedGenerator(seed)
    )
    runs = {}
    for name, rederive in (("old", False), ("new", True)):
        scheduler = S.DDIMScheduler.from_config(
            {**config, "use_clipped_model_output": rederive}
        )
        scheduler.set_timesteps(num_steps)
        x, rows = x_T, []
        for i, t in enumerate(scheduler.timesteps):
            out = denoise(x, ops.full((len(labels),), int(t), dtype="int32"))
            x0, eps = scheduler.split_prediction(out, int(t), x)
            x0c = ops.clip(x0, -1.0, 1.0)
            eps_c = scheduler.epsilon_from_sample(x0c, int(t), x)
            x_next, _ = scheduler.step(out, i, x, ops.zeros_like(x), ())
            a_t = abar[t]
            prev = scheduler.prev_timesteps_np[t]
            a_p = abar[prev] if prev >= 0 else 1.0
            c = np.sqrt(1 - a_p) / np.sqrt(1 - a_t)
            xn, xt = (
                ops.convert_to_numpy(v).astype("float64") for v in (x_next, x)
            )
            implied = (
                (xn - c * xt) / (np.sqrt(a_p) - c * np.sqrt(a_t))
                if prev >= 0
                else xn
            )
            rows.append(
                (
                    int(t),
                    float(np.mean(np.abs(ops.convert_to_numpy(x0)) > 1)),
                    float(np.mean(np.abs(ops.convert_to_numpy(eps - eps_c)))),
                    float(np.abs(implied - ops.convert_to_numpy(x0c)).max()),
                )
            )
            x = x_next
        samples = np.clip(
            model._to_data_space(ops.convert_to_numpy(x)), *model.value_range
        )
        runs[name] = (rows, samples)
    print(
        f"\n### DDIM-{num_steps}, guidance {scale:g}: per-step evidence (same x_T)\n"
    )
    print(
        "| t | x̂_0 outside [-1, 1] | mean abs(ε̂ − ε̂(clipped x̂_0)) | old: max abs(implied − clipped x̂_0) "
        "| new: max abs(implied − clipped x̂_0) |"
    )
    print("| --- | --- | --- | --- | --- |")
    for i, (old, new) in enumerate(zip(runs["old"][0], runs["new"][0])):
        if i % every == 0 or i == len(runs["old"][0]) - 1:
            print(
                f"| {old[0]} | {100 * old[1]:.1f} % | {old[2]:.4f} | {old[3]:.3g} | {new[3]:.2g} |"
            )
    return {name: samples for name, (_, samples) in runs.items()}


def main(argv=None):
    args = parse_args(argv)
    if args.backend:
        os.environ["KERAS_BACKEND"] = args.backend
    os.environ.update(thread_env(args.threads))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import numpy as np

    import keras_gen

    if args.threads and keras.backend.backend() == "torch":
        import torch

        torch.set_num_threads(args.threads)
    if args.model.endswith(".keras"):
        model = keras.saving.load_model(args.model)
    else:
        model = keras_gen.models.DDPM.from_preset(args.model)
    if model.num_classes is None:
        raise ValueError(
            f"The guidance sweep needs a conditional DDPM. Received: model={args.model!r}"
        )
    classifier = keras_gen.metrics.digits_classifier()
    x_train = keras_gen.datasets.load_digits("train")
    x_test = keras_gen.datasets.load_digits("test")
    labels = np.repeat(
        np.arange(model.num_classes), -(-args.num_samples // model.num_classes)
    )[: args.num_samples]
    labels = labels.astype("int32")

    def scores(samples):
        accuracy = float(
            (classifier.predict(samples, verbose=0).argmax(-1) == labels).mean()
        )
        fd = keras_gen.metrics.evaluate(
            None, x_test, ["classifier_frechet_distance"], samples=samples
        )
        return accuracy, fd["classifier_frechet_distance"]

    if args.diagnose:
        for scale in args.scales:
            samples = diagnose(model, labels, scale, args.num_steps, args.seed)
            print(
                "\n"
                + ", ".join(
                    f"{name}: class accuracy {100 * scores(x)[0]:.1f} %"
                    for name, x in samples.items()
                )
            )
        return None
    floor = keras_gen.metrics.evaluate(
        None,
        x_test,
        ["classifier_frechet_distance"],
        samples=x_train[: args.num_samples],
    )["classifier_frechet_distance"]
    load = os.getloadavg()
    print(
        f"# guidance sweep: backend {keras.backend.backend()}, model {args.model}, "
        f"{args.num_samples} samples ({args.num_samples // model.num_classes} per class), "
        f"{args.num_steps} steps, seed {args.seed}, threads {args.threads or 'all'}, "
        f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(
        f"# floor: {args.num_samples} real train digits vs the test split, classifier FD {floor:.2f}"
    )
    print(
        "| scale | sampler | evaluations | class accuracy | classifier FD | seconds |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    rows = []
    for sampler in args.samplers:
        for scale in args.scales:
            start = time.time()
            if sampler in ("ddpm", "ddim"):
                samples = model.generate(
                    args.num_samples,
                    num_steps=args.num_steps,
                    sampler=sampler,
                    guidance_scale=scale,
                    labels=labels,
                    seed=args.seed,
                )
                evaluations = args.num_steps
            else:
                samples, evaluations = sample_with_loop(
                    model, sampler, args.num_steps, labels, scale, args.seed
                )
            seconds = time.time() - start
            accuracy, fd = scores(samples)
            rows.append(
                dict(
                    scale=scale,
                    sampler=sampler,
                    evaluations=evaluations,
                    class_accuracy=accuracy,
                    classifier_fd=fd,
                    seconds=seconds,
                )
            )
            print(
                f"| {scale:g} | {sampler} | {evaluations} | {100 * accuracy:.1f} % | {fd:.2f} | {seconds:.1f} |",
                flush=True,
            )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                dict(
                    backend=keras.backend.backend(),
                    model=args.model,
                    floor=floor,
                    load=load,
                    num_samples=args.num_samples,
                    num_steps=args.num_steps,
                    rows=rows,
                ),
                f,
                indent=1,
            )
    return rows


if __name__ == "__main__":
    main()
