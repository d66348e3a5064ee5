import os
import sys
import types

import pytest

from keras_gen import presets
from keras_gen.models import VAE
from keras_gen.presets import handles


def test_an_unknown_name_lists_the_built_in_presets():
    with pytest.raises(ValueError, match="Unknown preset 'vae_digitz'") as info:
        presets.from_preset("vae_digitz")
    for name in presets.list_presets():
        assert name in str(info.value)


def test_an_unknown_scheme_and_malformed_hub_handles_are_refused():
    with pytest.raises(ValueError, match="Unknown preset scheme"):
        presets.resolve_handle("s3://bucket/vae")
    with pytest.raises(ValueError, match="hf://owner/repo"):
        presets.resolve_handle("hf://just-a-name")
    with pytest.raises(
        ValueError, match="kaggle://owner/model/framework/variation"
    ):
        presets.resolve_handle("kaggle://owner/model")


@pytest.mark.parametrize(
    "handle, package, extra",
    [
        ("hf://keras-gen/vae", "huggingface_hub", "hf"),
        ("kaggle://kg/vae/keras/digits", "kagglehub", "kaggle"),
    ],
)
def test_a_missing_hub_package_names_the_extra(
    monkeypatch, handle, package, extra
):
    monkeypatch.setitem(
        sys.modules, package, None
    )  # makes `import package` fail
    with pytest.raises(ImportError, match=rf"pip install keras-gen\[{extra}\]"):
        presets.from_preset(handle)


def _fake_hub(monkeypatch, directory=None, error=None):
    calls = []

    def fetch(*args, **kwargs):
        calls.append((args, kwargs))
        if error is not None:
            raise error
        return directory

    monkeypatch.setitem(
        sys.modules,
        "huggingface_hub",
        types.SimpleNamespace(snapshot_download=fetch),
    )
    monkeypatch.setitem(
        sys.modules, "kagglehub", types.SimpleNamespace(model_download=fetch)
    )
    return calls


def test_hub_handles_load_from_a_prefilled_local_cache(monkeypatch, tmp_path):
    cache = str(tmp_path / "cache" / "snapshot")
    model = VAE(data_shape=(6,), latent_dim=2, seed=0)
    model.save_to_preset(cache)
    calls = _fake_hub(monkeypatch, directory=cache)
    loaded = VAE.from_preset("hf://keras-gen/vae_tiny")
    assert calls[-1][1]["repo_id"] == "keras-gen/vae_tiny"
    assert set(calls[-1][1]["allow_patterns"]) == set(handles.PRESET_FILES)
    assert presets.resolve_handle("kaggle://kg/vae/keras/tiny/2") == cache
    assert calls[-1][0] == ("kg/vae/keras/tiny/2",)
    assert loaded.latent_dim == 2


def test_an_offline_hub_miss_gives_a_clear_error(monkeypatch):
    _fake_hub(monkeypatch, error=RuntimeError("offline mode is enabled"))
    with pytest.raises(
        OSError, match="Could not fetch the preset 'hf://a/b'.*offline mode"
    ):
        presets.from_preset("hf://a/b")
    with pytest.raises(
        OSError, match="Could not fetch the preset 'kaggle://a/b/keras/c'"
    ):
        presets.from_preset("kaggle://a/b/keras/c")


@pytest.fixture
def local_gan_digits(tmp_path, monkeypatch):
    """A working directory with a local preset named like a built-in one."""
    monkeypatch.chdir(tmp_path)
    VAE(data_shape=(6,), latent_dim=2, seed=0).save_to_preset(
        str(tmp_path / "gan_digits")
    )
    return tmp_path / "gan_digits"


def test_an_explicit_path_wins_over_a_built_in_of_the_same_name(
    local_gan_digits,
):
    import pathlib
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # unambiguous: no warning
        for handle in (
            "./gan_digits",
            str(local_gan_digits),
            pathlib.Path("gan_digits"),
            "../" + local_gan_digits.parent.name + "/gan_digits",
        ):
            assert os.path.samefile(
                presets.resolve_handle(handle), local_gan_digits
            ), handle
        assert (
            type(presets.from_preset("./gan_digits", load_weights=False)) is VAE
        )


def test_a_bare_built_in_name_loads_the_built_in_and_says_so(local_gan_digits):
    with pytest.warns(
        UserWarning,
        match=r"'gan_digits' is both a built-in preset and a local directory.*loading the built-in preset.*'./gan_digits'",
    ):
        path = presets.resolve_handle("gan_digits")
    assert path == os.path.join(handles.BUILTIN_DIR, "gan_digits")
    with pytest.warns(UserWarning, match="built-in"):
        assert (
            type(presets.from_preset("gan_digits", load_weights=False)).__name__
            == "GAN"
        )


def test_no_warning_without_a_local_directory(tmp_path, monkeypatch):
    import warnings

    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        assert presets.resolve_handle("gan_digits") == os.path.join(
            handles.BUILTIN_DIR, "gan_digits"
        )


def test_a_missing_explicit_path_is_an_error_not_the_built_in(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(
        ValueError,
        match=r"The preset directory './vae_digits' does not exist \(for the built-in preset, pass the bare name 'vae_digits'\)",
    ):
        presets.from_preset("./vae_digits")


def test_saving_to_a_built_in_name_warns_how_to_load_it_back(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    with pytest.warns(UserWarning, match=r"from_preset\('./vae_digits'\)"):
        VAE(data_shape=(6,), latent_dim=2, seed=0).save_to_preset("vae_digits")
    assert type(presets.from_preset("./vae_digits", load_weights=False)) is VAE
