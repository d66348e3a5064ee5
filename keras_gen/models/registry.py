"""One registry of the model families and their named configurations.

Each family folder registers itself in its `__init__.py`: its model class
and its named configurations (a tiny one for the tests, and the ones for
the examples, presets, benchmarks and the command line). The command line,
the cross-family tests, the benchmarks and the preset training read this
registry, so adding a family is one folder and one `register(Family(...))`.

Example:

```python
from keras_gen.models import registry

family = registry.get("vae")
model = family.build("digits", seed=0)        # a VAE for the 8x8 digits
family.compile(model, "digits")
print(registry.names())
```
"""

import dataclasses

import numpy as np

_FAMILIES = {}


@dataclasses.dataclass(frozen=True)
class Configuration:
    """A named configuration of a family: constructor arguments for one use.

    Args:
        arguments: the constructor arguments (values that are `Nested`
            build a model of their own, e.g. LatentDiffusion's autoencoder).
        description: what the configuration is for.
        data: the data it is sized for: `"tiny"` (tests), `"digits"`,
            `"fashion_mnist"`, `"toy"` (2-D points), `"photos"`...
        batch_size: the batch size it trains with.
        learning_rate: the learning rate of its optimizers (`None`: the
            family's defaults).
        generate_options: keyword arguments for `generate` that suit it
            (e.g. few sampling steps for a tiny test model).
    """

    arguments: dict
    description: str
    data: str
    batch_size: int = 64
    learning_rate: float = None
    generate_options: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Nested:
    """A constructor argument that is a model of its own: `family`'s
    configuration `configuration`, with `overrides`."""

    family: str
    configuration: str
    overrides: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Family:
    """A model family: its class and named configurations.

    Args:
        name: the family's name (`keras-gen train <name>`).
        model_class: the `GenerativeModel` subclass.
        configurations: dict name -> `Configuration`; `"tiny"` is required
            (the shared tests build it).
        description: one line for listings.
        pairs: the model trains on two unpaired domains `(x_a, x_b)`
            (CycleGAN) instead of samples.
    """

    name: str
    model_class: type
    configurations: dict
    description: str = ""
    pairs: bool = False

    def configuration(self, name):
        if name not in self.configurations:
            raise ValueError(
                f"The family {self.name!r} has no configuration {name!r}; it has "
                f"{sorted(self.configurations)}. Received: configuration={name!r}"
            )
        return self.configurations[name]

    def arguments(self, configuration="tiny", **overrides):
        """The constructor arguments of a configuration, nested models built."""
        arguments = dict(self.configuration(configuration).arguments)
        arguments.update(overrides)
        seed = arguments.get("seed")
        for key, value in arguments.items():
            if isinstance(value, Nested):
                nested = dict(value.overrides)
                if seed is not None:
                    nested.setdefault("seed", seed)
                arguments[key] = get(value.family).build(
                    value.configuration, **nested
                )
        return arguments

    def build(self, configuration="tiny", **overrides):
        """A new model of this family in `configuration` (uncompiled)."""
        return self.model_class(**self.arguments(configuration, **overrides))

    def compile(
        self, model, configuration="tiny", learning_rate=None, **kwargs
    ):
        """Compiles `model` with the configuration's learning rate (or
        `learning_rate`), applied to every optimizer of the family's
        defaults; `kwargs` go to `compile` (e.g. `jit_compile`)."""
        rate = learning_rate or self.configuration(configuration).learning_rate
        names = getattr(model, "optimizer_names", ())
        if not names:
            optimizer = (
                None
                if rate is None
                else _with_rate(model.default_optimizer(), rate, 1.0)
            )
            model.compile(optimizer=optimizer, **kwargs)
            return model
        if rate is not None:
            defaults = model.default_optimizers()
            top = max(_rate(o) for o in defaults.values())
            kwargs.update(
                {
                    f"{n}_optimizer": _with_rate(o, rate, _rate(o) / top)
                    for n, o in defaults.items()
                }
            )
        model.compile(**kwargs)
        return model

    def sample_data(self, model, num_samples=8, seed=0):
        """Random training data for `model`: `(x, y)`, in its value range,
        with labels when conditional (`(x_a, x_b)` pairs for CycleGAN)."""
        rng = np.random.RandomState(seed)

        def samples(n):
            shape = (n,) + tuple(model.data_shape)
            if model.value_range is None:
                return rng.randn(*shape).astype("float32")
            low, high = model.value_range
            return rng.uniform(low, high, shape).astype("float32")

        if self.pairs:
            return (samples(num_samples), samples(num_samples)), None
        labels = None
        if model.num_classes is not None:
            labels = (np.arange(num_samples) % model.num_classes).astype(
                "int32"
            )
        return samples(num_samples), labels

    def generate_options(self, configuration="tiny", x=None):
        """Keyword arguments for `generate` beyond the contract's own: the
        configuration's (e.g. few steps for a tiny model), and the images
        to translate of a translation family (`inputs`, from the data `x`
        that `sample_data` gave)."""
        options = dict(self.configuration(configuration).generate_options)
        if self.pairs and x is not None:
            options["inputs"] = x[0]
        return options


def _rate(optimizer):
    rate = optimizer.learning_rate
    return float(np.asarray(rate.numpy() if hasattr(rate, "numpy") else rate))


def _with_rate(optimizer, rate, scale):
    config = optimizer.get_config()
    config["learning_rate"] = float(rate) * scale
    return optimizer.__class__.from_config(config)


def register(family):
    """Adds a `Family` to the registry (its name must be new)."""
    if not isinstance(family, Family):
        raise ValueError(
            f"`family` must be a `registry.Family`. Received: family={family!r}"
        )
    if "tiny" not in family.configurations:
        raise ValueError(
            f"The family {family.name!r} needs a 'tiny' configuration (the shared tests build it)."
        )
    if (
        family.name in _FAMILIES
        and _FAMILIES[family.name].model_class is not family.model_class
    ):
        raise ValueError(
            f"A family named {family.name!r} is registered already."
        )
    _FAMILIES[family.name] = family
    return family


def get(name):
    """The registered family `name`."""
    _load()
    if name not in _FAMILIES:
        raise ValueError(
            f"Unknown model family {name!r}; the families are {names()}. Received: family={name!r}"
        )
    return _FAMILIES[name]


def names():
    """The names of every registered family, sorted."""
    _load()
    return sorted(_FAMILIES)


def families():
    """Every registered `Family`, sorted by name."""
    return [get(name) for name in names()]


def family_of(model):
    """The family whose class `model` is (the most specific one)."""
    _load()
    matches = [
        f for f in _FAMILIES.values() if isinstance(model, f.model_class)
    ]
    if not matches:
        raise ValueError(
            f"No registered family holds a {type(model).__name__}."
        )
    return max(matches, key=lambda f: len(f.model_class.__mro__))


def _load():
    import keras_gen.models  # noqa: F401  (each family registers on import)
