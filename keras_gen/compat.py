"""Every use of a private Keras internal, in one place.

keras_gen needs a few things Keras does not expose publicly. Each is
wrapped here, with the Keras version it was checked against, and
`compat_test.py` fails loudly when a Keras release changes one of them
(so an upgrade breaks one test, not training in a user's project).

Checked against Keras 3.15.1 (jax 0.10.2, tensorflow-cpu 2.21, torch 2.13).
"""

import contextlib
import random as python_random

CHECKED_KERAS_VERSION = "3.15.1"


def current_stateless_scope():
    """The innermost active `keras.StatelessScope`, or `None`.

    Keras 3.15: `keras.src.backend.common.stateless_scope.get_stateless_scope`
    (the public API has `in_stateless_scope` but no getter). The JAX
    training step reads the current values of variables from it.
    """
    from keras.src.backend.common.stateless_scope import get_stateless_scope

    return get_stateless_scope()


def set_inner_optimizer(multi_optimizer, index, optimizer):
    """Puts `optimizer` at position `index` of a `MultiOptimizer`.

    Keras 3.15's `MultiOptimizer` refuses a `LossScaleOptimizer` among its
    optimizers, so the container is built on the plain optimizers and each
    wrapper is then put in its optimizer's place (its scale is then
    carried, saved and restored with the other optimizer variables).
    Keras 3.15: the list `MultiOptimizer._inner_optimizers`.
    """
    multi_optimizer._inner_optimizers[index] = optimizer


def variable_storage(variable):
    """The backend array a `keras.Variable` holds (`None` once the JAX
    trainer has moved it into its state). Keras 3.15: `Variable._value`."""
    return variable._value


def set_variable_storage(variable, value):
    """Puts `value` back as a variable's storage, without an assignment
    (which would fail on a purged JAX variable). Keras 3.15:
    `Variable._value`."""
    variable._value = value


def sublayers(layer):
    """Every layer nested in `layer` (not `layer` itself), recursively.

    Keras 3.15: `Layer._flatten_layers(include_self=False)`.
    """
    return list(layer._flatten_layers(include_self=False))


# The trainer-side wrapper of `compute_loss` that every Keras 3.15 trainer
# calls from `train_step` (`Trainer._compute_loss`); `GenerativeModel`
# overrides it to scale the loss for `tf.distribute` replicas.
TRAINER_COMPUTE_LOSS = "_compute_loss"


def loss_tracker(model):
    """The `Mean` metric holding the trainer's running `loss`.

    Keras 3.15: `Trainer._loss_tracker`.
    """
    return model._loss_tracker


@contextlib.contextmanager
def seeded_initializers(seed):
    """Makes the initializers created inside the block follow `seed`.

    A Keras initializer (or dropout layer) created without a seed draws
    one from Python's global `random` (Keras 3.15:
    `keras.src.random.seed_generator.make_default_seed`, called by
    `RandomInitializer.__init__` and `SeedGenerator.__init__`). Seeding
    that stream while a model builds its default networks makes their
    initial weights a function of the model's `seed`, in any process and
    whatever else was built before; the caller's `random` state is put
    back afterwards. `seed=None` changes nothing.
    """
    if seed is None:
        yield
        return
    state = python_random.getstate()
    python_random.seed(int(seed))
    try:
        yield
    finally:
        python_random.setstate(state)


def producing_layer(tensor):
    """The layer whose call made the symbolic `tensor` of a functional
    graph, or `None`. Keras 3.15: `KerasTensor._keras_history[0]`."""
    history = getattr(tensor, "_keras_history", None)
    return None if history is None else history[0]


def inbound_tensors(layer):
    """The symbolic input tensors of every call of `layer` in functional
    graphs, one list per call. Keras 3.15: `Layer._inbound_nodes[i].input_tensors`."""
    return [
        list(node.input_tensors)
        for node in getattr(layer, "_inbound_nodes", [])
    ]


def own_variables(layer):
    """The variables `layer` created itself (not its sublayers'). Keras
    3.15: `Layer._trainable_variables + Layer._non_trainable_variables`."""
    return list(layer._trainable_variables) + list(
        layer._non_trainable_variables
    )


def snake_case(name):
    """Keras' own class-name-to-layer-name rule (`Conv2D` -> `conv2d`).
    Keras 3.15: `keras.src.utils.naming.to_snake_case`."""
    from keras.src.utils import naming

    return naming.to_snake_case(name)


def jax_random_functions():
    """The module holding Keras' JAX random functions (`uniform`, `normal`,
    `truncated_normal`...), which `keras.random` calls at each draw, and
    `jax_draw_seed`. The test suite wraps three of them
    (`conftest.py`, sized draws). Keras 3.15:
    `keras.src.backend.jax.random`."""
    from keras.src.backend.jax import random

    return random
