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
    with pytest.raises(ValueError, match="kaggle://owner/model/framework/variation"):
        presets.resolve_handle("kaggle://owner/model")


@pytest.mark.parametrize(
    "handle, package, extra",
    [("hf://keras-gen/vae", "huggingface_hub", "hf"), ("kaggle://kg/vae/keras/digits", "kagglehub", "kaggle")],
)
def test_a_missing_hub_package_names_the_extra(monkeypatch, handle, package, extra):
    monkeypatch.setitem(sys.modules, package, None)  # makes `import package` fail
    with pytest.raises(ImportError, match=rf"pip install keras-gen\[{extra}\]"):
        presets.from_preset(handle)


def _fake_hub(monkeypatch, directory=None, error=None):
    calls = []

    def fetch(*args, **kwargs):
        calls.append((args, kwargs))
        if error is not None:
            raise error
        return directory

    monkeypatch.setitem(sys.modules, "huggingface_hub", types.SimpleNamespace(snapshot_download=fetch))
    monkeypatch.setitem(sys.modules, "kagglehub", types.SimpleNamespace(model_download=fetch))
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
    with pytest.raises(OSError, match="Could not fetch the preset 'hf://a/b'.*offline mode"):
        presets.from_preset("hf://a/b")
    with pytest.raises(OSError, match="Could not fetch the preset 'kaggle://a/b/keras/c'"):
        presets.from_preset("kaggle://a/b/keras/c")
