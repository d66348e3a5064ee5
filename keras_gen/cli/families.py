"""How `keras-gen train` builds a family's model for `--data`.

Every family and its named configurations come from the model registry
(`keras_gen.models.registry`): `--data digits` takes the family's
`"digits"` configuration, `toy:<name>` its `"toy"` one, `photos` its
`"photos"` one, `fashion_mnist` its `"fashion_mnist"` one; an image folder
takes the image configuration of the family with the folder's image shape.
The data (loaded in [0, 1]) are mapped to the model's `value_range`.
"""

import inspect

from keras_gen.cli.data import CommandError
from keras_gen.models import registry

# `--data` kinds -> the configurations they may use, in order of preference.
_CANDIDATES = {
    "digits": ("digits",),
    "fashion_mnist": ("fashion_mnist",),
    "points": ("toy",),
    "photos": ("photos",),
    "images": ("digits", "fashion_mnist"),
    "pairs": ("photos", "fashion_mnist"),
}


def get_family(name):
    try:
        return registry.get(name)
    except ValueError as e:
        raise CommandError(f"argument family: {e}") from e


def _data_key(data_name, kind):
    if kind == "points":
        return "points"
    if data_name in ("digits", "fashion_mnist", "photos"):
        return data_name
    return kind


def configuration_name(family, data_name, kind):
    """The family's configuration for `--data` (`kind`: images, points, pairs)."""
    candidates = _CANDIDATES[_data_key(data_name, kind)]
    for name in candidates:
        if name in family.configurations:
            return name
    usable = sorted(set(family.configurations) - {"tiny"})
    raise CommandError(
        f"argument --data: {family.name} has no configuration for {data_name!r} (it has {', '.join(usable)}). "
        f"Received: --data={data_name}"
    )


def default_image_size(family_name, spec, pairs=False):
    """`--image-size` when not given: the configuration's image side."""
    family = get_family(family_name)
    kind = (
        "pairs"
        if pairs
        else ("points" if spec.startswith("toy:") else "images")
    )
    if kind == "points":
        return None
    try:
        configuration = family.configuration(
            configuration_name(family, spec, kind)
        )
    except CommandError:
        return 32
    shape = configuration.arguments.get("data_shape")
    if shape is None and "resolution" in configuration.arguments:
        return configuration.arguments["resolution"]
    return shape[0] if shape else 32


def _to_range(x, value_range):
    """Pixels in [0, 1] to `value_range` (unchanged when it is `None`)."""
    if value_range is None:
        return x
    low, high = value_range
    return low + (high - low) * x


def build(family_name, data, args):
    """The family's model for `data`, compiled.

    Returns:
        `(model, x, batch_size)`: `x` is the training data in the model's
        `value_range`, `batch_size` the configuration's.
    """
    family = get_family(family_name)
    if family.pairs != (data.kind == "pairs"):
        raise CommandError(
            f"argument --data: {family.name} cannot train on {data.name!r}"
            + (": it needs two image domains." if family.pairs else ".")
            + f" Received: --data={data.name}"
        )
    name = configuration_name(family, data.name, data.kind)
    configuration = family.configuration(name)
    sample = data.train[0] if data.kind == "pairs" else data.train
    overrides = {"seed": args.seed}
    shape = tuple(sample.shape[1:])
    if configuration.arguments.get("data_shape") not in (None, shape):
        overrides["data_shape"] = shape
    if args.latent_dim is not None:
        if (
            "latent_dim"
            not in inspect.signature(family.model_class.__init__).parameters
        ):
            raise CommandError(
                f"argument --latent-dim: {family.name} has no latent_dim. Received: --latent-dim={args.latent_dim}"
            )
        overrides["latent_dim"] = args.latent_dim
        if "w_dim" in configuration.arguments:
            overrides["w_dim"] = args.latent_dim
    try:
        model = family.build(name, **overrides)
    except ValueError as e:
        argument = "--image-size" if "data_shape" in overrides else "--data"
        raise CommandError(f"argument {argument}: {e}") from e
    family.compile(model, name, learning_rate=args.learning_rate)
    if data.kind == "pairs":
        x = tuple(_to_range(d, model.value_range) for d in data.train)
    elif data.kind == "points":
        x = data.train
    else:
        x = _to_range(data.train, model.value_range)
    return model, x, configuration.batch_size
