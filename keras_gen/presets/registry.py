"""`list_presets`: the built-in presets, optionally for one model class."""

import json
import os

from keras_gen.presets import handles, loading, safety


def _resolve_class(model_class):
    if isinstance(model_class, type):
        return model_class
    if isinstance(model_class, str):
        from keras_gen import models

        cls = getattr(models, model_class, None)
        if isinstance(cls, type):
            return cls
    raise ValueError(
        "`model_class` must be a model class or the name of one in "
        f"`keras_gen.models` (e.g. 'VAE'). Received: model_class={model_class!r}"
    )


def list_presets(model_class=None):
    """Names of the built-in presets.

    Args:
        model_class: `None` for all of them, or a class (or the name of a
            `keras_gen.models` class): only presets holding that class or a
            subclass of it (`keras.Model` lists them all).

    Returns:
        A sorted list of names, each loadable with `from_preset(name)`.

    Example:

    ```python
    keras_gen.presets.list_presets()                        # every preset
    keras_gen.presets.list_presets(keras_gen.models.GAN)    # GAN and WGAN-GP
    ```
    """
    names = handles.builtin_names()
    if model_class is None:
        return names
    cls = _resolve_class(model_class)
    selected = []
    for name in names:
        with open(
            os.path.join(handles.BUILTIN_DIR, name, handles.CONFIG_FILE)
        ) as f:
            config = json.load(f)
        safety.check_config(config, f"the preset {name!r}")
        if issubclass(loading.preset_class(config), cls):
            selected.append(name)
    return selected
