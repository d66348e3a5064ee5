"""Resolution of a preset handle to a local directory.

A handle is one of:

- the name of a built-in preset (`"vae_digits"`), shipped in
  `keras_gen/presets/builtin/<name>/`;
- a local directory written by `save_to_preset`;
- `"hf://owner/repo"`: a Hugging Face Hub model repository, fetched (or
  found in the local cache, e.g. with `HF_HUB_OFFLINE=1`) by the optional
  `huggingface_hub` package;
- `"kaggle://owner/model/keras/variation[/version]"`: a Kaggle Models
  handle, fetched (or found in the cache) by the optional `kagglehub`
  package.
"""

import difflib
import os
import re

BUILTIN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "builtin")

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
METADATA_FILE = "metadata.json"
PRESET_FILES = (CONFIG_FILE, WEIGHTS_FILE, METADATA_FILE)

_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")


def builtin_names():
    """Names of the built-in presets, sorted."""
    if not os.path.isdir(BUILTIN_DIR):
        return []
    return sorted(
        name
        for name in os.listdir(BUILTIN_DIR)
        if _NAME.match(name) and os.path.isfile(os.path.join(BUILTIN_DIR, name, CONFIG_FILE))
    )


def _missing_extra(handle, package, extra):
    return ImportError(
        f"Loading the preset {handle!r} needs the optional package `{package}`, "
        f"which is not installed: `pip install keras-gen[{extra}]` (or "
        f"`pip install {package}`)."
    )


def _resolve_hf(handle, path):
    parts = path.strip("/").split("/")
    if len(parts) != 2 or not all(parts):
        raise ValueError(
            "A Hugging Face handle must read 'hf://owner/repo'. "
            f"Received: handle={handle!r}"
        )
    try:
        import huggingface_hub
    except ImportError as e:
        raise _missing_extra(handle, "huggingface_hub", "hf") from e
    try:
        return huggingface_hub.snapshot_download(
            repo_id="/".join(parts), allow_patterns=list(PRESET_FILES)
        )
    except Exception as e:  # offline, unknown repo, no access, ...
        raise OSError(
            f"Could not fetch the preset {handle!r} from the Hugging Face Hub "
            f"({type(e).__name__}: {e}). Without a network (or with "
            "HF_HUB_OFFLINE=1) only presets already in the local cache load."
        ) from e


def _resolve_kaggle(handle, path):
    parts = path.strip("/").split("/")
    if len(parts) not in (4, 5) or not all(parts):
        raise ValueError(
            "A Kaggle handle must read "
            "'kaggle://owner/model/framework/variation[/version]'. "
            f"Received: handle={handle!r}"
        )
    try:
        import kagglehub
    except ImportError as e:
        raise _missing_extra(handle, "kagglehub", "kaggle") from e
    try:
        return kagglehub.model_download("/".join(parts))
    except Exception as e:
        raise OSError(
            f"Could not fetch the preset {handle!r} from Kaggle "
            f"({type(e).__name__}: {e}). Without a network only presets "
            "already in kagglehub's local cache load."
        ) from e


def unknown_preset_error(handle):
    names = builtin_names()
    close = difflib.get_close_matches(str(handle), names, n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return ValueError(
        f"Unknown preset {handle!r}: it is neither a built-in preset nor an "
        f"existing local directory.{hint} Built-in presets: {', '.join(names) or 'none'}. "
        "Hub handles start with 'hf://' or 'kaggle://'."
    )


def resolve_handle(handle):
    """The local directory holding the preset `handle`.

    Args:
        handle: a built-in name, a local directory (str or path-like),
            `"hf://owner/repo"` or `"kaggle://owner/model/framework/variation"`.

    Returns:
        The path of a directory (its files are not checked here).
    """
    if isinstance(handle, os.PathLike):
        handle = os.fspath(handle)
    if not isinstance(handle, str) or not handle:
        raise ValueError(
            "A preset handle must be a non-empty string or path. "
            f"Received: handle={handle!r}"
        )
    if handle.startswith("hf://"):
        return _resolve_hf(handle, handle[len("hf://"):])
    if handle.startswith("kaggle://"):
        return _resolve_kaggle(handle, handle[len("kaggle://"):])
    if "://" in handle:
        raise ValueError(
            "Unknown preset scheme: use a built-in name, a local directory, "
            f"'hf://' or 'kaggle://'. Received: handle={handle!r}"
        )
    if _NAME.match(handle) and handle in builtin_names():
        return os.path.join(BUILTIN_DIR, handle)
    if os.path.isdir(handle):
        return handle
    raise unknown_preset_error(handle)
