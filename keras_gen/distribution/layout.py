"""Layout maps for model parallelism with `keras.distribution` (JAX).

A `keras.distribution.LayoutMap` maps variable paths (regexes) to
`TensorLayout`s. keras_gen builds one per model family from a short list of
rules, each a `(path_regex, axes)` pair in which the placeholder `"model"`
marks the axis to shard and `None` an axis to replicate:

```python
(r".*dense[^/]*/kernel", (None, "model"))   # Dense: output units
```

The shared rules shard what is big in every family: `Dense` kernels and
embeddings on their output axis, convolution kernels on their output-channel
axis (axis 3 of a `Conv2D` kernel, axis 2 of a `Conv2DTranspose` kernel);
families add rules for their own layer names.

JAX shards an axis only when the mesh divides its size, and the last layer
of a generative network is narrow (one logit, one or three image channels).
A layout map sees only the variable's path, never its shape, so
`keras_gen.distribution.ModelParallel` (a drop-in for
`keras.distribution.ModelParallel`) replicates an axis the mesh does not
divide; `fit_layout` is that rule.
"""

import keras

from keras_gen.utils import validation

# The placeholder used in rules for the model-parallel mesh axis.
MODEL = "model"

# Layers of Keras itself, by their default names ("dense_3", "conv2d",
# "conv2d_transpose_1", "embedding"), also when nested ("flow_coupling_0/
# dense_1", "mapping/dense_0") or prefixed ("time_dense_1").
KERAS_LAYER_RULES = (
    (r".*dense[^/]*/kernel", (None, MODEL)),
    (r".*conv2d(_\d+)?/kernel", (None, None, None, MODEL)),
    # A transposed convolution's kernel is (h, w, out_channels, in_channels).
    (r".*conv2d_transpose(_\d+)?/kernel", (None, None, MODEL, None)),
    (r".*embedding(_\d+)?/embeddings", (None, MODEL)),
    # keras_gen.layers.UpsampleConv2D: its convolution, on output channels.
    (r".*upsample_conv2d(_\d+)?/conv/kernel", (None, None, None, MODEL)),
)


def _mesh_axis_size(device_mesh, axis):
    if axis is None:
        return 1
    return device_mesh.shape[device_mesh.axis_names.index(axis)]


def device_mesh(model=1, devices=None, batch_axis="batch", model_axis=MODEL):
    """A 2-D `keras.distribution.DeviceMesh`: data parallel × model parallel.

    Args:
        model: number of devices each weight is sharded over (the size of the
            `model_axis`); the other devices replicate the model and split the
            batch. `1` is pure data parallelism.
        devices: the devices, e.g. `keras.distribution.list_devices()` (the
            default: every device of every process).
        batch_axis: name of the data-parallel mesh axis.
        model_axis: name of the model-parallel mesh axis.

    Returns:
        A `DeviceMesh` of shape `(len(devices) // model, model)` with axis
        names `(batch_axis, model_axis)`.

    Example:

    ```python
    # 4 devices: 2 replicas of the batch, each weight split over 2 devices.
    mesh = keras_gen.distribution.device_mesh(model=2)
    layout_map = keras_gen.models.DDPM.get_layout_map(mesh)
    keras.distribution.set_distribution(
        keras_gen.distribution.ModelParallel(layout_map=layout_map)
    )
    ```
    """
    if devices is None:
        devices = keras.distribution.list_devices()
    devices = list(devices)
    model = validation.check_positive_int(model, "model")
    if not devices or len(devices) % model:
        raise ValueError(
            f"`model` must divide the number of devices ({len(devices)}). "
            f"Received: model={model}"
        )
    if batch_axis == model_axis:
        raise ValueError(
            "The batch and model axes need different names. Received: "
            f"batch_axis={batch_axis!r}, model_axis={model_axis!r}"
        )
    return keras.distribution.DeviceMesh(
        shape=(len(devices) // model, model),
        axis_names=(batch_axis, model_axis),
        devices=devices,
    )


def layout_map_from_rules(device_mesh, rules, model_axis=MODEL):
    """A `keras.distribution.LayoutMap` from `(path_regex, axes)` rules.

    Args:
        device_mesh: a `keras.distribution.DeviceMesh` with an axis named
            `model_axis`.
        rules: sequence of `(path_regex, axes)`; in `axes`, the placeholder
            `"model"` stands for `model_axis`. A variable path must match at
            most one regex (as `LayoutMap` requires); unmatched variables are
            replicated.
        model_axis: name of the mesh axis the weights are sharded over.

    Returns:
        A `keras.distribution.LayoutMap`.

    Example:

    ```python
    mesh = keras_gen.distribution.device_mesh(model=2)
    layout_map = keras_gen.distribution.layout_map_from_rules(
        mesh, [(r".*dense[^/]*/kernel", (None, "model"))]
    )
    layout_map["dense_1/kernel"].axes   # (None, "model")
    ```
    """
    if not isinstance(device_mesh, keras.distribution.DeviceMesh):
        raise ValueError(
            "`device_mesh` must be a `keras.distribution.DeviceMesh`. "
            f"Received: device_mesh={device_mesh!r}"
        )
    if model_axis not in device_mesh.axis_names:
        raise ValueError(
            f"`model_axis` must be one of the mesh's axis names "
            f"{list(device_mesh.axis_names)}. Received: model_axis={model_axis!r}"
        )
    layout_map = keras.distribution.LayoutMap(device_mesh)
    for regex, axes in rules:
        layout_map[regex] = tuple(model_axis if a == MODEL else a for a in axes)
    return layout_map


def fit_layout(layout, shape):
    """`layout` with every axis the mesh cannot split replicated.

    An axis stays sharded when the size of its mesh axis divides the
    variable's size along it; a layout of the wrong rank (a rule that
    matched a layer of another kind) is replaced by full replication.

    Args:
        layout: a `keras.distribution.TensorLayout` with a device mesh, or
            `None`.
        shape: the variable's shape.

    Returns:
        A `TensorLayout` (the same object when nothing changed), or `None`
        when `layout` is `None`.
    """
    if layout is None:
        return None
    shape = tuple(shape)
    mesh = layout.device_mesh
    if len(layout.axes) != len(shape):
        return keras.distribution.TensorLayout([None] * len(shape), mesh)
    axes = [
        axis
        if dim is not None and dim % _mesh_axis_size(mesh, axis) == 0
        else None
        for axis, dim in zip(layout.axes, shape)
    ]
    if tuple(axes) == tuple(layout.axes):
        return layout
    return keras.distribution.TensorLayout(axes, mesh)


class ModelParallel(keras.distribution.ModelParallel):
    """`keras.distribution.ModelParallel` that fits layouts to shapes.

    The same as Keras' class, except that an axis the mesh does not divide
    (a discriminator's single logit, an image's 1 or 3 channels) is
    replicated instead of failing in JAX with "should evenly divide the
    shape" (see `fit_layout`). Optimizer slots take their variable's layout,
    so they are sharded the same way.

    Args:
        layout_map: a `keras.distribution.LayoutMap`, e.g. from a model
            family's `get_layout_map(device_mesh)`.
        batch_dim_name: the mesh axis that splits the batch (default: the
            mesh's first axis).
        auto_shard_dataset: in several processes, let each process read its
            own shard of a `tf.data.Dataset` or `PyDataset`.

    Example:

    ```python
    mesh = keras_gen.distribution.device_mesh(model=2)
    distribution = keras_gen.distribution.ModelParallel(
        layout_map=keras_gen.models.GAN.get_layout_map(mesh),
        batch_dim_name="batch",
    )
    with distribution.scope():
        gan = keras_gen.models.GAN(data_shape=(8, 8, 1), latent_dim=32)
        gan.compile()
    gan.fit(x, batch_size=64)
    ```
    """

    def get_variable_layout(self, variable):
        if getattr(variable, "_layout", None) is not None:
            return variable._layout
        return fit_layout(super().get_variable_layout(variable), variable.shape)
