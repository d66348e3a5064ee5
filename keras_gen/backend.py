"""The per-backend training primitives: the only backend-specific code here.

Everything else in keras_gen is written once with `keras.ops`. Models that
train several networks with several optimizers write their algorithm as an
ordinary stateful Python function (`train_step_logic`) built from two
primitives:

- `optimize_step(loss_fn, variables, optimizer)`: one gradient step of
  `optimizer` on `variables` for the loss returned by `loss_fn()`.
- `input_gradient(fn, x)`: the gradient of `sum(fn(x))` with respect to the
  input `x`, differentiable again (gradient penalty, R1, path length, the
  contractive autoencoder, classifier guidance).
- `compile_function(fn)`: a pure inference function compiled for the
  backend (the diffusion sampling loop).

`run_train_step` / `run_test_step` adapt such a stateful function to each
backend's trainer. On TensorFlow and PyTorch they call it directly. On JAX the
trainer's step must be a pure function of its state, so the function runs
inside one `keras.StatelessScope` that maps every model variable to the
incoming state, and `optimize_step` differentiates with `jax.value_and_grad`
over an inner scope (see `docs/design.md`, section 2).
"""

import contextlib
import math
import threading

import keras
import numpy as np
from keras import ops

from keras_gen import compat

BACKEND = keras.backend.backend()

if BACKEND == "jax":
    import jax
elif BACKEND == "tensorflow":
    import tensorflow as tf
elif BACKEND == "torch":
    import torch

# The variables of the model whose step is being traced (JAX only): the inner
# scopes of `optimize_step` must map every one of them.
_step_context = threading.local()


def _split_loss(out):
    """`loss_fn` returns a scalar loss or a `(loss, aux)` pair."""
    if isinstance(out, (tuple, list)):
        if len(out) != 2:
            raise ValueError(
                "`loss_fn` must return a scalar loss or a `(loss, aux)` "
                f"pair. Received a sequence of length {len(out)}."
            )
        return out[0], out
    return out, out


def _stop_gradient(structure):
    return keras.tree.map_structure(
        lambda t: ops.stop_gradient(t) if t is not None else None, structure
    )


def _zeros_for_missing(grads, variables):
    # A variable the loss does not reach gets a zero gradient, so that every
    # optimizer sees the same variable list at every step (and on every
    # backend: JAX always returns zeros).
    return [
        ops.zeros(v.shape, dtype=v.dtype) if g is None else g
        for g, v in zip(grads, variables)
    ]


def _replica_scale():
    """Gradients are summed across `tf.distribute` replicas: pre-divide."""
    if BACKEND == "tensorflow" and tf.distribute.has_strategy():
        return 1.0 / tf.distribute.get_strategy().num_replicas_in_sync
    return None


def scale_loss_for_replicas(loss):
    """`loss` divided by the number of `tf.distribute` replicas in sync.

    Under a `tf.distribute` strategy the optimizer sums the gradients of
    the replicas, so a replica's mean loss must be divided by their number
    for the sum to be the gradient of the global batch's mean (what Keras'
    own losses do with `scale_loss_for_distribution`). Elsewhere `loss` is
    returned as is.
    """
    scale = _replica_scale()
    if scale is None:
        return loss
    return ops.multiply(loss, ops.cast(scale, loss.dtype))


def data_parallel_processes():
    """How many processes `optimize_step` averages gradients over.

    On PyTorch, the size of the default `torch.distributed` process group
    when one is initialised (see `keras_gen.distribution.torch_ddp`); 1
    otherwise.
    """
    if (
        BACKEND == "torch"
        and torch.distributed.is_available()
        and torch.distributed.is_initialized()
    ):
        return torch.distributed.get_world_size()
    return 1


def mean_over_processes(tensors):
    """Averages `tensors` (a list) over the data-parallel processes.

    For statistics a model keeps of its batches (e.g. running moments):
    each process sees its own shard of the global batch, and the average of
    the shards' means is the global batch's mean (shards of equal size).
    Only PyTorch's process groups need it (see `data_parallel_processes`);
    under `keras.distribution` a mean over the batch axis is already
    global. Elsewhere `tensors` is returned as is.
    """
    if data_parallel_processes() == 1:
        return list(tensors)
    return _torch_all_reduce_mean(tensors)


def _loss_for_gradients(loss, optimizer):
    """The loss to differentiate: replica-scaled, then loss-scaled.

    `optimizer.scale_loss` multiplies by a `LossScaleOptimizer`'s dynamic
    scale (mixed_float16) or by a fixed `loss_scale_factor`; the optimizer's
    `apply` divides the gradients back and, for a `LossScaleOptimizer`,
    skips the step and halves the scale when they are not finite.
    """
    return optimizer.scale_loss(scale_loss_for_replicas(loss))


def optimize_step(loss_fn, variables, optimizer):
    """Take one gradient step of `optimizer` on `variables`.

    Args:
        loss_fn: callable with no arguments that calls the networks and
            returns a scalar loss, or a `(loss, aux)` pair where `aux` is any
            structure of tensors to carry out (e.g. the generated images).
        variables: list of the `keras.Variable`s to update. Only these move;
            every other variable keeps its value (apart from side effects of
            the forward pass such as BatchNorm statistics and seed states).
        optimizer: a built `keras.optimizers.Optimizer` whose variable list
            is `variables`, possibly a `keras.optimizers.LossScaleOptimizer`
            (mixed_float16): the loss is then multiplied by its dynamic
            scale, and its `apply` unscales the gradients, or skips the step
            and halves the scale when they overflow.

    Scaling out: under a `tf.distribute` strategy the loss is divided by the
    number of replicas (the optimizer sums their gradients); on PyTorch with
    an initialised `torch.distributed` process group the gradients are
    averaged over the processes before the update. Either way each step
    equals one device's step on the global batch.

    Returns:
        What `loss_fn` returned, with gradients stopped.
    """
    variables = list(variables)
    if BACKEND == "jax":
        out = _jax_optimize_step(loss_fn, variables, optimizer)
    elif BACKEND == "tensorflow":
        out = _tf_optimize_step(loss_fn, variables, optimizer)
    elif BACKEND == "torch":
        out = _torch_optimize_step(loss_fn, variables, optimizer)
    else:
        raise NotImplementedError(
            f"keras_gen does not support the backend {BACKEND!r}."
        )
    return _stop_gradient(out)


def input_gradient(fn, x):
    """Gradient of `sum(fn(x))` with respect to the tensor `x`.

    The result is itself differentiable with respect to the variables `fn`
    reads, so it can enter a loss (gradient penalty, R1, path length,
    contractive penalty). When the samples of a batch do not interact inside
    `fn`, row `i` of the result is the gradient of `fn(x)[i]` with respect to
    `x[i]`. State updates made by `fn` (BatchNorm statistics, seeds) are
    discarded.

    Args:
        fn: callable mapping a tensor shaped like `x` to a tensor.
        x: the input tensor.

    Returns:
        A tensor shaped like `x`.
    """
    if BACKEND == "jax":
        return _jax_input_gradient(fn, x)
    if BACKEND == "tensorflow":
        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = ops.sum(fn(x))
        return tape.gradient(y, x)
    if BACKEND == "torch":
        x = ops.convert_to_tensor(x)
        with torch.enable_grad():
            if not x.requires_grad:
                x = x.detach().requires_grad_(True)
            y = ops.sum(fn(x))
            (grad,) = torch.autograd.grad(y, x, create_graph=True)
        return grad
    raise NotImplementedError(
        f"keras_gen does not support the backend {BACKEND!r}."
    )


def _tf_accelerator():
    """Whether TensorFlow sees a device other than the CPU."""
    return any(
        d.device_type != "CPU" for d in tf.config.list_physical_devices()
    )


def compile_function(fn):
    """`fn` compiled for inference (sampling loops, likelihood bounds).

    JAX: `jax.jit`. TensorFlow: a `tf.function` graph, compiled with XLA
    where a GPU or TPU is visible (Keras' own rule for
    `jit_compile="auto"`): on a CPU-only machine TensorFlow's kernels
    sample 6-13 % faster than XLA's and compile in less time
    (`benchmarks/tf_sampling_graph_vs_xla_results.md`). PyTorch: eager
    under `torch.no_grad()` (dynamo's compile of a Keras model falls back
    to eager and warns, see docs/design.md, section 2). `fn` must be a
    pure function of its tensor arguments: pass model weights in as
    arguments and map them with a `keras.StatelessScope`, since JAX bakes
    closed-over arrays into the compiled program as constants.
    """
    if BACKEND == "jax":
        return jax.jit(fn)
    if BACKEND == "tensorflow":
        return tf.function(
            fn, jit_compile=_tf_accelerator(), reduce_retracing=True
        )
    if BACKEND == "torch":

        def run(*args, **kwargs):
            with torch.no_grad():
                return fn(*args, **kwargs)

        return run
    raise NotImplementedError(
        f"keras_gen does not support the backend {BACKEND!r}."
    )


def fused_group_norm(inputs, groups, gamma, beta, epsilon, axis):
    """GroupNorm through the backend's fused kernel, or `None` if it has none.

    torch's `group_norm` (one pass forward, one backward) for float32
    channels-first inputs; `None` (the caller uses Keras's ops) elsewhere:
    XLA fuses Keras's ops on JAX and TensorFlow.
    """
    if (
        BACKEND != "torch"
        or axis not in (1, 1 - len(inputs.shape))
        or len(inputs.shape) < 3
    ):
        return None
    inputs = ops.convert_to_tensor(inputs)
    if inputs.dtype != torch.float32:
        return None
    weight = None if gamma is None else ops.convert_to_tensor(gamma)
    bias = None if beta is None else ops.convert_to_tensor(beta)
    return torch.nn.functional.group_norm(inputs, groups, weight, bias, epsilon)


def check_image_data_format(network, name):
    """Refuses channels-first convolutions on TensorFlow.

    Keras 3.15's TensorFlow `ops.add` turns a bias-shaped addend into
    `tf.nn.bias_add` and picks NHWC whenever the last axis has the bias's
    length, so a channels-first `Conv2D` with as many channels as its
    feature map is wide adds its bias along the wrong axis: silently wrong
    outputs (keras/src/backend/tensorflow/numpy.py, `add`). The weights
    are layout-independent, so a channels-last copy is a rebuild away.
    """
    if BACKEND != "tensorflow":
        return
    for layer in network._flatten_layers(include_self=False):
        if getattr(layer, "data_format", None) == "channels_first" and hasattr(
            layer, "kernel"
        ):
            raise ValueError(
                f"`{name}` has channels-first convolutions (layer {layer.name!r}), which give wrong "
                "outputs on the TensorFlow backend (a Keras 3.15 bug in `ops.add`'s bias fusion). "
                "Rebuild it channels-last (e.g. `UNet(..., data_format='channels_last')`) and "
                "copy the weights: they have the same shapes. "
                f"Received: {name}.layers[{layer.name!r}].data_format='channels_first'"
            )


# Draws of at most this many values are sized (see `sized_draws`): a longer
# draw is taken at its own shape, so the padding stays under 4M values.
_SIZED_DRAW_MAX = 1 << 22
_SIZED_DRAW_MIN = 256
_SIZED_DRAW_FUNCTIONS = ("uniform", "normal", "truncated_normal")
_sized_lock = threading.Lock()
_sized_state = {"depth": 0, "originals": {}}


def _sized_draw(draw, module):
    def drawn(shape, *args, seed=None, **kwargs):
        seed = module.jax_draw_seed(seed)
        shape = tuple(shape)
        if isinstance(seed, jax.core.Tracer) or not all(
            type(d) is int for d in shape
        ):
            return draw(shape, *args, seed=seed, **kwargs)
        size = math.prod(shape)
        if size > _SIZED_DRAW_MAX:
            return draw(shape, *args, seed=seed, **kwargs)
        sized = max(_SIZED_DRAW_MIN, 1 << (size - 1).bit_length())
        flat = draw((sized,), *args, seed=seed, **kwargs)
        return jax.numpy.asarray(np.asarray(flat)[:size].reshape(shape))

    drawn.__wrapped__ = draw
    return drawn


@contextlib.contextmanager
def sized_draws():
    """Weight initialisers compile one program per size class on JAX.

    Every Keras initializer draws through `keras.random.uniform`, `normal`
    or `truncated_normal`, which JAX compiles once per shape: building a
    network with 25 kernel shapes compiles 25 programs (about 0.4 s each
    on a CPU core: most of the 13.3 s that `DDPM.from_preset(
    "ddpm_fashion_mnist")` took on JAX, against 3.0 s on torch; 5.5 s with
    this, `benchmarks/build_times_results.md`). Inside this
    block an eager draw of n values (at most 4M) draws the next power of two
    (at least 256) and keeps the first n, so shapes share programs. With
    `jax_threefry_partitionable` (JAX's default since 0.5) element i of a
    draw depends only on the key and i, so the values are bit for bit those
    of the draw at its own shape, and the seed generators advance as
    before. Draws inside a traced function are left alone. On the other
    backends, or with `jax_threefry_partitionable` off, it does nothing.

    keras_gen builds its default networks and loads presets inside it.
    The replacement is process-wide while any thread is inside the block;
    a draw in another thread meanwhile gives the same values too.

    Example:

    ```python
    with keras_gen.backend.sized_draws():
        network = keras.Sequential([keras.layers.Dense(64), keras.layers.Dense(8)])
        network.build((None, 16))
    ```
    """
    if BACKEND != "jax" or not jax.config.jax_threefry_partitionable:
        yield
        return
    module = compat.jax_random_functions()
    with _sized_lock:
        if _sized_state["depth"] == 0:
            for name in _SIZED_DRAW_FUNCTIONS:
                original = getattr(module, name)
                _sized_state["originals"][name] = original
                setattr(module, name, _sized_draw(original, module))
        _sized_state["depth"] += 1
    try:
        yield
    finally:
        with _sized_lock:
            _sized_state["depth"] -= 1
            if _sized_state["depth"] == 0:
                for name, original in _sized_state["originals"].items():
                    setattr(module, name, original)
                _sized_state["originals"].clear()


# --------------------------------------------------------------------------
# TensorFlow
# --------------------------------------------------------------------------


def _tf_optimize_step(loss_fn, variables, optimizer):
    with tf.GradientTape() as tape:
        out = loss_fn()
        loss, out = _split_loss(out)
        scaled = _loss_for_gradients(loss, optimizer)
    grads = tape.gradient(scaled, variables)
    optimizer.apply(_zeros_for_missing(grads, variables), variables)
    return out


# --------------------------------------------------------------------------
# PyTorch
# --------------------------------------------------------------------------


def _torch_optimize_step(loss_fn, variables, optimizer):
    with torch.enable_grad():
        out = loss_fn()
        loss, out = _split_loss(out)
        # `autograd.grad` returns the gradients instead of accumulating them
        # in `.grad`, so no phase can leak gradients into the next one.
        grads = torch.autograd.grad(
            _loss_for_gradients(loss, optimizer),
            [v.value for v in variables],
            allow_unused=True,
        )
    grads = _zeros_for_missing(grads, variables)
    if data_parallel_processes() > 1:
        grads = _torch_all_reduce_mean(grads)
    with torch.no_grad():
        optimizer.apply(grads, variables)
    return out


def _torch_all_reduce_mean(grads):
    """Averages gradients over the processes of the default process group.

    Each process differentiates the mean loss of its own shard of the
    global batch; the average of these gradients is the gradient of the
    global batch's mean loss (shards of equal size), what one process would
    compute from the whole batch. One flat all-reduce per dtype.
    """
    world = torch.distributed.get_world_size()
    grads = [g.detach().contiguous() for g in grads]
    by_dtype = {}
    for i, g in enumerate(grads):
        by_dtype.setdefault(g.dtype, []).append(i)
    out = list(grads)
    for indices in by_dtype.values():
        flat = torch.cat([grads[i].reshape(-1) for i in indices])
        torch.distributed.all_reduce(flat, op=torch.distributed.ReduceOp.SUM)
        flat = flat / world
        start = 0
        for i in indices:
            n = grads[i].numel()
            out[i] = flat[start : start + n].reshape(grads[i].shape)
            start += n
    return out


# --------------------------------------------------------------------------
# JAX
# --------------------------------------------------------------------------


def _current_scope():
    from keras.src.backend.common.stateless_scope import get_stateless_scope

    return get_stateless_scope()


def _jax_optimize_step(loss_fn, variables, optimizer):
    outer = _current_scope()
    all_variables = getattr(_step_context, "variables", None)
    if outer is None or all_variables is None:
        raise RuntimeError(
            "On the JAX backend, `optimize_step` must run inside a keras_gen "
            "training step (`MultiOptimizerModel.train_step`)."
        )
    ids = {id(v) for v in variables}
    others = [v for v in all_variables if id(v) not in ids]
    other_values = [outer.get_current_value(v) for v in others]
    values = [outer.get_current_value(v) for v in variables]

    def compute(values):
        mapping = list(zip(variables, values)) + list(zip(others, other_values))
        with keras.StatelessScope(
            state_mapping=mapping, collect_losses=True
        ) as scope:
            out = loss_fn()
            loss, out = _split_loss(out)
            scaled = _loss_for_gradients(loss, optimizer)
        updates = [scope.get_current_value(v) for v in others]
        return scaled, (out, updates)

    (_, (out, updates)), grads = jax.value_and_grad(compute, has_aux=True)(
        values
    )
    # Side effects of the forward pass (BatchNorm statistics, seed states,
    # metrics) land in the outer scope, then the optimizer updates there too:
    # the equivalent of `optimizer.stateless_apply`.
    for v, new in zip(others, updates):
        v.assign(new)
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        # Its `apply` updates its scale inside `ops.cond` branches, which
        # would leak tracers out of `lax.cond`: use the stateless form.
        opt_variables = optimizer.variables
        new_values, new_opt_values = optimizer.stateless_apply(
            [outer.get_current_value(v) for v in opt_variables],
            grads,
            [outer.get_current_value(v) for v in variables],
        )
        for v, new in zip(
            variables + opt_variables, new_values + new_opt_values
        ):
            v.assign(new)
    else:
        optimizer.apply(grads, variables)
    return out


def _jax_input_gradient(fn, x):
    outer = _current_scope()
    x = ops.convert_to_tensor(x)

    def total(x):
        # A scope of its own: updates made under `jax.grad` are discarded
        # instead of leaking tracers into the caller's state.
        scope = keras.StatelessScope()
        if outer is not None:
            scope.state_mapping = dict(outer.state_mapping)
        with scope:
            return ops.sum(fn(x))

    return jax.grad(total)(x)


def _state_groups(model, with_optimizer):
    groups = [model.trainable_variables, model.non_trainable_variables]
    if with_optimizer:
        groups.append(model.optimizer.variables)
    groups.append(model.metrics_variables)
    return groups


@contextlib.contextmanager
def _jax_step_scope(model, state, with_optimizer):
    groups = _state_groups(model, with_optimizer)
    mapping = []
    for group, values in zip(groups, state):
        mapping.extend(zip(group, values))
    previous = getattr(_step_context, "variables", None)
    _step_context.variables = [v for group in groups for v in group]
    try:
        with keras.StatelessScope(state_mapping=mapping) as scope:
            yield scope, groups
    finally:
        _step_context.variables = previous


def _run_step(model, step_fn, args, with_optimizer):
    if BACKEND != "jax":
        (data,) = args
        return step_fn(data)
    state, data = args
    with _jax_step_scope(model, state, with_optimizer) as (scope, groups):
        logs = step_fn(data)
    new_state = tuple(
        [scope.get_current_value(v) for v in group] for group in groups
    )
    return logs, new_state


def run_train_step(model, step_fn, args):
    """Runs the stateful `step_fn(data)` as the backend trainer's train step.

    `args` are the arguments the trainer passed to `train_step`: `(data,)` on
    TensorFlow and PyTorch, `(state, data)` on JAX, where the result is
    `(logs, new_state)`.
    """
    return _run_step(model, step_fn, args, with_optimizer=True)


@contextlib.contextmanager
def state_kept_on_error(model):
    """Keeps a model's variables when `fit` raises (a bad batch, Ctrl-C).

    The JAX trainer moves every variable's value into the step's state and
    empties the variable (to save memory); an exception before the state is
    written back would leave the model without weights. On error this puts
    back the state of the last completed step, or else the values from
    before `fit`. Other backends update variables in place: nothing to do.
    """
    if BACKEND != "jax":
        yield
        return
    groups = [
        model.trainable_variables,
        model.non_trainable_variables,
        model.metrics_variables,
    ]
    if getattr(model, "optimizer", None) is not None:
        groups.append(model.optimizer.variables)
    saved = [(v, v._value) for group in groups for v in group]
    try:
        yield
    except BaseException:
        try:
            model.jax_state_sync()
        except Exception:  # a stale or half-built state: fall back below
            pass
        for v, value in saved:
            if (
                v._value is None
                and value is not None
                and not value.is_deleted()
            ):
                v._value = value
        raise


def run_test_step(model, step_fn, args):
    """Like `run_train_step`, for `test_step` (no optimizer state)."""
    return _run_step(model, step_fn, args, with_optimizer=False)


def skipping_train_function(model, train_function, take_skip, logs_fn):
    """A stand-in for the trainer's `model.train_function` that reads one
    execution's batches (`steps_per_execution` of them) without a training
    step, while `take_skip()` says so, and returns `logs_fn()` as the logs.

    `keras_gen.callbacks.BackupAndRestore` uses it to resume mid-epoch: the
    batches already trained on before the backup are consumed in order, so
    that the next ones are the batches an uninterrupted run would train on.
    Once `take_skip()` is false it puts `train_function` back on the model
    and runs it. Each trainer calls its function differently: JAX with
    `(state, iterator)` and expects `(logs, state)`, TensorFlow with a
    dataset iterator, both read by the function; PyTorch with the batches,
    read already.
    """

    def restore_and_run(*args):
        model.train_function = train_function
        return train_function(*args)

    if BACKEND == "jax":

        def skip(state, iterator):
            if not take_skip():
                return restore_and_run(state, iterator)
            # The JAX trainer's function reads its batches from the
            # iterator itself (`next`), as many as `steps_per_execution`.
            if hasattr(iterator, "__next__"):
                next(iterator)
                for _ in range(model.steps_per_execution - 1):
                    if next(iterator, None) is None:
                        break
            return logs_fn(), state

    elif BACKEND == "tensorflow":

        def skip(iterator):
            if not take_skip():
                return restore_and_run(iterator)
            if isinstance(
                iterator, (tf.data.Iterator, tf.distribute.DistributedIterator)
            ):
                for i in range(model.steps_per_execution):
                    optional = iterator.get_next_as_optional()
                    if not bool(optional.has_value()):
                        if i == 0:
                            raise StopIteration  # the trainer's end of data
                        break
            return logs_fn()

    else:

        def skip(data):
            if not take_skip():
                return restore_and_run(data)
            return logs_fn()

    return skip
