"""Resolution of a preset handle to a local directory.

A handle is one of:

- the name of a built-in preset (`"vae_digits"`), shipped in
  `keras_gen/presets/builtin/<name>/`;
- a local directory written by `save_to_preset`: a path (`"./vae_digits"`,
  `"runs/vae"`, an absolute path, a `pathlib.Path`) always means the
  directory, a bare name only when no built-in preset has it (see
  `resolve_handle`);
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
import warnings

BUILTIN_DIR = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "builtin"
)

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
        if _NAME.match(name)
        and os.path.isfile(os.path.join(BUILTIN_DIR, name, CONFIG_FILE))
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
    hint = (
        f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    )
    return ValueError(
        f"Unknown preset {handle!r}: it is neither a built-in preset nor an "
        f"existing local directory.{hint} Built-in presets: {', '.join(names) or 'none'}. "
        "Hub handles start with 'hf://' or 'kaggle://'."
    )


def is_builtin_name(handle):
    """Whether the string `handle` is the bare name of a built-in preset."""
    return (
        isinstance(handle, str)
        and bool(_NAME.match(handle))
        and handle in builtin_names()
    )


def is_explicit_path(handle):
    """Whether a string handle reads as a path rather than a name: it holds a
    separator (`./vae`, `runs/vae`), is absolute, or starts with `~` or `.`."""
    separators = [os.sep] + ([os.altsep] if os.altsep else [])
    return (
        any(sep in handle for sep in separators)
        or os.path.isabs(handle)
        or handle.startswith(("~", "."))
    )


def resolve_handle(handle):
    """The local directory holding the preset `handle`.

    Which preset a handle means:

    - a path (a `pathlib.Path`, or a string with a separator such as
      `"./gan_digits"`, `"runs/gan"` or an absolute path, or starting with
      `~` or `.`) is always that local directory, even when a built-in
      preset has the same name;
    - a bare name (`"gan_digits"`) is the built-in preset of that name; if
      a local directory of that name exists too, the built-in one is still
      loaded, with a warning that says so and how to load the directory
      (`"./gan_digits"`), so that a name means the same preset in every
      working directory;
    - any other bare name is a local directory;
    - `hf://...` and `kaggle://...` are fetched (or found in their cache).

    A local directory that an interrupted `save_to_preset` left without its
    preset (killed between its two renames) is restored first, and the
    temporary directories of killed saves are deleted.

    Args:
        handle: a built-in name, a local directory (str or path-like),
            `"hf://owner/repo"` or `"kaggle://owner/model/framework/variation"`.

    Returns:
        The path of a directory (its files are not checked here).
    """
    from keras_gen.presets import recovery

    explicit = isinstance(handle, os.PathLike)
    if explicit:
        handle = os.fspath(handle)
    if not isinstance(handle, str) or not handle:
        raise ValueError(
            "A preset handle must be a non-empty string or path. "
            f"Received: handle={handle!r}"
        )
    if handle.startswith("hf://"):
        return _resolve_hf(handle, handle[len("hf://") :])
    if handle.startswith("kaggle://"):
        return _resolve_kaggle(handle, handle[len("kaggle://") :])
    if "://" in handle:
        raise ValueError(
            "Unknown preset scheme: use a built-in name, a local directory, "
            f"'hf://' or 'kaggle://'. Received: handle={handle!r}"
        )
    if explicit or is_explicit_path(handle):
        path = os.path.expanduser(handle)
        recovery.recover(path)
        if os.path.isdir(path):
            return path
        hint = ""
        if is_builtin_name(os.path.basename(os.path.normpath(path))):
            name = os.path.basename(os.path.normpath(path))
            hint = f" (for the built-in preset, pass the bare name {name!r})"
        raise ValueError(
            f"The preset directory {handle!r} does not exist{hint}. "
            f"Received: handle={handle!r}"
        )
    recovery.recover(handle)
    if is_builtin_name(handle):
        if os.path.isdir(handle):
            warnings.warn(
                f"{handle!r} is both a built-in preset and a local directory "
                f"({os.path.abspath(handle)!r}); loading the built-in preset. To "
                f"load the local directory, pass a path: {'./' + handle!r}.",
                stacklevel=3,
            )
        return os.path.join(BUILTIN_DIR, handle)
    if os.path.isdir(handle):
        return handle
    raise unknown_preset_error(handle)
