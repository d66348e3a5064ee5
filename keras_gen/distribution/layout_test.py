"""Layout rules and maps. Pure Python over variable paths and shapes, so they
run on every backend (training under the maps: `jax_parallel_test.py`)."""

import keras
import pytest

from keras_gen import distribution, models
from keras_gen.schedulers import DDPMScheduler


def fake_mesh(batch=1, model=2, names=("batch", "model")):
    # A mesh only needs device names to build layouts; nothing runs on them.
    devices = [f"cpu:{i}" for i in range(batch * model)]
    return keras.distribution.DeviceMesh((batch, model), names, devices)


def test_device_mesh_splits_devices_into_batch_and_model_axes():
    mesh = distribution.device_mesh(
        model=2, devices=[f"cpu:{i}" for i in range(8)]
    )
    assert mesh.shape == (4, 2)
    assert mesh.axis_names == ("batch", "model")
    with pytest.raises(ValueError, match="model=3"):
        distribution.device_mesh(model=3, devices=["cpu:0", "cpu:1"])
    with pytest.raises(ValueError, match="model_axis='batch'"):
        distribution.device_mesh(model=1, devices=["cpu:0"], model_axis="batch")


def test_rules_name_the_mesh_axis_and_reject_an_unknown_one():
    mesh = fake_mesh(names=("data", "tensor"))
    layout_map = distribution.layout_map_from_rules(
        mesh, [(r".*dense[^/]*/kernel", (None, "model"))], model_axis="tensor"
    )
    assert layout_map["encoder/dense_3/kernel"].axes == (None, "tensor")
    assert layout_map["dense_3/bias"] is None  # unmatched: replicated
    with pytest.raises(ValueError, match="model_axis='model'"):
        distribution.layout_map_from_rules(mesh, [])
    with pytest.raises(ValueError, match="device_mesh="):
        distribution.layout_map_from_rules("cpu", [])


def test_fit_layout_replicates_what_the_mesh_cannot_split():
    mesh = fake_mesh(batch=2, model=4)
    layout = keras.distribution.TensorLayout((None, "model"), mesh)
    assert distribution.fit_layout(layout, (16, 64)) is layout
    assert distribution.fit_layout(layout, (64, 1)).axes == (
        None,
        None,
    )  # one logit
    assert (
        distribution.fit_layout(layout, (3, 3, 8, 2)).axes == (None,) * 4
    )  # wrong rank
    assert distribution.fit_layout(None, (2, 4)) is None


def tiny_models():
    """One small model per family (conditional where it can be: label
    embeddings, projections), plus the DDPM U-Net."""
    import inspect

    from keras_gen.models import registry

    def build(name):
        family = registry.get(name)
        extra = (
            {"num_classes": 2}
            if "num_classes"
            in inspect.signature(family.model_class.__init__).parameters
            else {}
        )
        return lambda: family.build("tiny", **extra)

    models_ = {name: build(name) for name in registry.names()}
    models_["ddpm_unet"] = lambda: models.DDPM(
        data_shape=(8, 8, 1),
        value_range=(0.0, 1.0),
        width=8,
        channel_multipliers=(1, 2),
        num_res_blocks=1,
        num_classes=2,
        scheduler=DDPMScheduler(num_train_timesteps=10),
    )
    return models_


@pytest.mark.skipif(
    keras.backend.backend() == "jax",
    reason=(
        "Variable paths are the same on every backend, and building these "
        "models on JAX compiles each initializer (a minute on a 2-core CPU); "
        "jax_parallel_test.py checks the trained models' kernels on JAX."
    ),
)
@pytest.mark.parametrize("name", sorted(tiny_models()))
def test_every_kernel_of_every_family_has_exactly_one_rule(name):
    model = tiny_models()[name]()
    layout_map = type(model).get_layout_map(fake_mesh(model=2))
    weights = [
        v for v in model.weights if v.path.endswith(("/kernel", "/embeddings"))
    ]
    assert weights
    # `LayoutMap` raises when a path matches two rules; no kernel may be
    # left replicated by a missing rule, and each rule has the kernel's rank.
    unmatched, wrong_rank, sharded = [], [], 0
    for v in weights:
        layout = layout_map[v.path]
        if layout is None:
            unmatched.append(v.path)
        elif len(layout.axes) != len(v.shape):
            wrong_rank.append((v.path, layout.axes, tuple(v.shape)))
        else:
            sharded += distribution.fit_layout(layout, v.shape).axes.count(
                "model"
            )
    assert unmatched == [] and wrong_rank == []
    assert sharded >= len(weights) // 2  # only narrow heads stay replicated
