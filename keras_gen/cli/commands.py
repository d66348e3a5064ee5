"""The sub-commands of `keras-gen` (imported once the backend is chosen)."""

import inspect
import json
import os
import time

import keras
import numpy as np

from keras_gen import callbacks as kg_callbacks
from keras_gen import metrics as kg_metrics
from keras_gen import models, presets
from keras_gen.cli import families
from keras_gen.cli.data import CommandError, load_data
from keras_gen.utils import atomic
from keras_gen.utils import images as image_utils

__all__ = ["CommandError", "run"]


def _say(text):
    print(text, flush=True)


# -- writing samples --------------------------------------------------------------


def _write_samples(samples, path, value_range, reference=None):
    """A PNG: an image grid, or a scatter of 2-D points (reference in grey)."""
    samples = np.asarray(samples)
    if samples.ndim == 2 and samples.shape[1] == 2:
        if reference is not None:
            reference = np.asarray(reference)[: len(samples)]
            points = np.concatenate([reference, samples])
            labels = np.repeat([-1, 0], [len(reference), len(samples)])
        else:
            points, labels = samples, None
        return image_utils.save_scatter(points, path, labels=labels)
    if samples.ndim != 4:
        raise CommandError(
            f"Samples of shape {samples.shape[1:]} cannot be drawn as an image grid "
            f"or a 2-D scatter. Received: samples.shape={samples.shape}"
        )
    if value_range is None:
        value_range = (float(samples.min()), float(samples.max()) + 1e-8)
    return image_utils.save_image_grid(samples, path, value_range=value_range)


def _sampling_options(model, steps):
    """`--steps` for the families whose sampler takes steps (DDIM for the
    diffusion families)."""
    parameters = inspect.signature(model.generate).parameters
    options = {}
    if "num_steps" in parameters:
        options["num_steps"] = steps
    if "scheduler" in parameters:
        options["scheduler"] = "ddim"
    return options


def _draw(model, num, seed, steps):
    """`num` samples from any keras_gen model that generates."""
    return model.generate(num, seed=seed, **_sampling_options(model, steps))


def _translations(model, x_a, path):
    """A translation family: domain-A images (top) over their translations."""
    x_a = np.asarray(x_a)[:8]
    grid = np.concatenate([x_a, model.generate(len(x_a), inputs=x_a)])
    image_utils.save_image_grid(
        grid, path, num_cols=len(x_a), value_range=model.value_range
    )
    return path


# -- train --------------------------------------------------------------------------


def _check_out_dir(out):
    """Checks `--out` before training, so that no trained model is thrown
    away at the end: a directory (or a path to create) whose `preset/`, if
    any, is a keras_gen preset that may be replaced."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise CommandError(
            f"argument --out: must be a directory, but it is a file. Received: --out={out}"
        )
    preset_dir = os.path.join(out, "preset")
    if os.path.lexists(preset_dir):
        is_preset = os.path.isdir(preset_dir) and os.path.isfile(
            os.path.join(preset_dir, "config.json")
        )
        if not is_preset and (
            not os.path.isdir(preset_dir) or os.listdir(preset_dir)
        ):
            raise CommandError(
                f"argument --out: {preset_dir!r} exists and is not a keras_gen preset; "
                "train would replace it. Choose another --out or move it away. "
                f"Received: --out={out}"
            )
    parent = os.path.dirname(os.path.abspath(out))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK):
        raise CommandError(
            f"argument --out: cannot create a directory under {parent!r}. Received: --out={out}"
        )


def train(args):
    _check_out_dir(args.out)
    pairs = families.get_family(args.family).pairs
    image_size = args.image_size or families.default_image_size(
        args.family, args.data, pairs
    )
    data = load_data(args.data, image_size, pairs=pairs)
    model, x, batch_size = families.build(args.family, data, args)
    value_range = model.value_range
    if args.max_samples:
        x = (
            tuple(d[: args.max_samples] for d in x)
            if pairs
            else x[: args.max_samples]
        )
    batch_size = args.batch_size or batch_size
    os.makedirs(args.out, exist_ok=True)
    _say(
        f"keras-gen train {args.family} on {args.data} ({keras.backend.backend()}): "
        f"{model.__class__.__name__}, {sum(int(np.prod(v.shape)) for v in model.trainable_weights):,} parameters, "
        f"{args.epochs} epochs, batch {batch_size}"
    )
    start = time.time()
    history = model.fit(
        x,
        epochs=args.epochs,
        batch_size=batch_size,
        verbose=args.verbose,
        callbacks=[kg_callbacks.NaNGuard()],
    )
    seconds = time.time() - start
    losses = {k: float(v[-1]) for k, v in history.history.items()}
    preset_dir = os.path.join(args.out, "preset")
    model.save_to_preset(
        preset_dir,
        metadata={
            "description": f"{model.__class__.__name__} trained by `keras-gen train {args.family}` on {args.data}.",
            "training_data": args.data,
            "cli_data": args.data,
            "training": f"{args.epochs} epochs, batch {batch_size}, seed {args.seed}",
            "final_losses": losses,
            "seconds": round(seconds, 1),
        },
    )
    atomic.write_text(
        os.path.join(args.out, "history.json"),
        json.dumps(
            {k: [float(v) for v in vs] for k, vs in history.history.items()},
            indent=1,
        ),
    )
    grid = os.path.join(args.out, "samples.png")
    if pairs:
        _translations(
            model, families._to_range(data.test[0], value_range), grid
        )
    else:
        samples = _draw(
            model, 64 if data.kind == "images" else 1000, args.seed, 50
        )
        _write_samples(
            samples,
            grid,
            value_range,
            reference=data.test if data.kind == "points" else None,
        )
    _say(
        f"trained in {seconds:.1f} s; final "
        + ", ".join(f"{k} {v:.4g}" for k, v in losses.items())
        + f"\nwrote {preset_dir}/ and {grid}"
    )
    return 0


# -- sample -------------------------------------------------------------------------


def _load(handle):
    try:
        metadata = presets.load_metadata(handle)
        model = models.GenerativeModel.from_preset(handle)
    except (ValueError, FileNotFoundError, OSError) as e:
        raise CommandError(f"argument preset: {e}") from e
    return model, metadata


def sample(args):
    if os.path.isdir(args.out):
        raise CommandError(
            f"argument --out: must be a PNG file's path, but it is a directory. Received: --out={args.out}"
        )
    model, metadata = _load(args.preset)
    value_range = model.value_range
    if (
        model.latent_shape is None
        and "inputs" in inspect.signature(model.generate).parameters
    ):
        # A translation model: translate held-out images of its training data.
        data = load_data(
            metadata.get("cli_data", "photos"), model.data_shape[0], pairs=True
        )
        path = _translations(
            model,
            families._to_range(data.test[0][: args.num], value_range),
            args.out,
        )
    elif not hasattr(model, "generate"):
        raise CommandError(
            f"argument preset: {args.preset!r} holds a {model.__class__.__name__}, "
            f"which does not generate samples. Received: preset={args.preset}"
        )
    else:
        path = _write_samples(
            _draw(model, args.num, args.seed, args.steps), args.out, value_range
        )
    _say(
        f"wrote {path} ({model.__class__.__name__}, seed {args.seed}, {keras.backend.backend()} backend)"
    )
    return 0


# -- evaluate -----------------------------------------------------------------------


def _default_metrics(data):
    shape = data.test.shape[1:]
    if data.kind == "points":
        return ["frechet_distance"]
    if shape[-1] == 1 and shape[0] == shape[1] and shape[0] % 8 == 0:
        return ["classifier_frechet_distance"]
    return ["frechet_distance"]


def _print_json(result):
    print(json.dumps(result, indent=2, sort_keys=True), flush=True)


def evaluate(args):
    model, metadata = _load(args.preset)
    value_range = model.value_range
    shape = model.data_shape
    if model.latent_shape is None and hasattr(model, "translate_a_to_b"):
        data = load_data(args.data, shape[0], pairs=True)
        test_a, test_b = (families._to_range(d, value_range) for d in data.test)
        # Cycle consistency on held-out images (Zhu et al., 2017, eq. 2).
        result = {
            "cycle_l1_a": float(
                np.abs(
                    model.translate_b_to_a(model.translate_a_to_b(test_a))
                    - test_a
                ).mean()
            ),
            "cycle_l1_b": float(
                np.abs(
                    model.translate_a_to_b(model.translate_b_to_a(test_b))
                    - test_b
                ).mean()
            ),
        }
        _print_json(result)
        return 0
    if not hasattr(model, "generate"):
        raise CommandError(
            f"argument preset: a {model.__class__.__name__} cannot be evaluated. Received: preset={args.preset}"
        )
    data = load_data(
        args.data, None if shape is None or len(shape) == 1 else shape[0]
    )
    if data.test.shape[1:] != tuple(shape):
        raise CommandError(
            f"argument --data: the model makes samples of shape {tuple(shape)}, the "
            f"data have shape {data.test.shape[1:]}. Received: --data={args.data}"
        )
    metrics = list(args.metrics or _default_metrics(data))
    if (
        data.kind == "points"
        and data.toy in ("8gaussians", "ring8", "grid25")
        and not args.metrics
    ):
        metrics.append(kg_metrics.ModeCoverage(data.toy))
    generate_kwargs = _sampling_options(model, args.steps)
    try:
        result = kg_metrics.evaluate(
            model,
            families._to_range(data.test, value_range),
            metrics,
            num_samples=args.num_samples,
            seed=args.seed,
            value_range=value_range,
            generate_kwargs=generate_kwargs,
        )
    except ValueError as e:
        raise CommandError(f"argument --metrics: {e}") from e
    result["feature_space"] = _feature_space(metrics, data)
    _print_json(result)
    return 0


def _feature_space(metrics, data):
    """What the printed distances compare, so no figure is mistaken for FID."""
    names = [
        m if isinstance(m, str) else getattr(m, "name", type(m).__name__)
        for m in metrics
    ]
    spaces = []
    if any(
        n.startswith("classifier_") or n == "inception_score" for n in names
    ):
        spaces.append(
            "classifier_* metrics: the penultimate features of keras_gen's shipped classifier for these images "
            "(a classifier Frechet distance; not FID, not comparable to Inception-based figures)"
        )
    if any(not n.startswith("classifier_") for n in names):
        spaces.append(
            "other distances: the raw "
            + (
                "coordinates of the points"
                if data.kind == "points"
                else "pixel values"
            )
        )
    return "; ".join(spaces)


# -- presets ------------------------------------------------------------------------


def _quality(metadata):
    figures = metadata.get("metrics") or {}
    return ", ".join(
        f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
        for k, v in figures.items()
    )


def list_builtin(args):
    rows = []
    for name in presets.list_presets():
        metadata = presets.load_metadata(name)
        rows.append(
            {
                "name": name,
                "class": metadata.get("class_name"),
                "metrics": metadata.get("metrics", {}),
                "description": metadata.get("description", ""),
            }
        )
    if args.json:
        _print_json(rows)
        return 0
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{width}}  {r['class']:<12} {_quality(r)}")
    return 0


def list_families(args):
    from keras_gen.models import registry

    rows = [
        {
            "name": f.name,
            "class": f.model_class.__name__,
            "description": f.description,
            "configurations": {
                name: c.description
                for name, c in f.configurations.items()
                if name != "tiny"
            },
        }
        for f in registry.families()
    ]
    if args.json:
        _print_json(rows)
        return 0
    for r in rows:
        print(f"{r['name']:<17} {r['class']:<16} {r['description']}")
        for name, description in r["configurations"].items():
            print(f"{'':<19}{name:<15} {description}")
    return 0


COMMANDS = {
    "train": train,
    "sample": sample,
    "evaluate": evaluate,
    "presets": list_builtin,
    "families": list_families,
}


def run(args):
    """Runs the parsed command `args.command`."""
    return COMMANDS[args.command](args)
