"""Base class for models that train several networks with several optimizers."""

import keras

from keras_gen import backend, compat
from keras_gen.models.generative_model import GenerativeModel


@keras.saving.register_keras_serializable(package="keras_gen")
class MultiOptimizerModel(GenerativeModel):
    """A model trained by alternating updates of several networks.

    Subclasses (GANs, WGAN-GP, AAE, StyleGAN2, CycleGAN) write their
    algorithm once, statefully, in `train_step_logic(data)`, calling
    `self.optimize_step(name, loss_fn)` for each phase. The same code then
    trains under `fit` on TensorFlow, JAX and PyTorch.

    Every optimizer lives inside `self.optimizer`, a
    `keras.optimizers.MultiOptimizer`, so that the JAX trainer carries,
    shards and saves its state (an optimizer kept as a plain attribute never
    updates on JAX). Each inner optimizer is built in `compile()` on exactly
    the variables its phase updates, and `compile_from_config` rebuilds it
    when a `.keras` file is loaded, so optimizer state survives a reload.

    A subclass provides:
        - `optimizer_names`: tuple of phase names, e.g.
          `("discriminator", "generator")`.
        - `default_optimizers()`: dict name -> optimizer (the paper's);
          `compile(<name>_optimizer=...)` replaces one.
        - `phase_variables()`: dict name -> list of variables that phase
          updates. A variable may belong to several phases (e.g. the AAE
          encoder is trained for reconstruction and as a generator).
        - `loss_names`: names of the running means shown in the logs.
        - `train_step_logic(data)`, and optionally `test_step_logic(data)`.

    Args:
        seed: int or `None`, the seed of the model's random stream.
        **kwargs: passed to `keras.Model`.
    """

    optimizer_names = ()
    loss_names = ()

    def __init__(self, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.loss_trackers = {
            name: keras.metrics.Mean(name=name) for name in self.loss_names
        }
        self._compile_kwargs = None

    # -- subclass interface --------------------------------------------------

    def default_optimizers(self):
        raise NotImplementedError

    def phase_variables(self):
        raise NotImplementedError

    def train_step_logic(self, data):
        raise NotImplementedError

    def test_step_logic(self, data):
        raise NotImplementedError(
            f"{self.__class__.__name__} does not define an evaluation step: "
            "pass no `validation_data` to `fit` and do not call `evaluate`."
        )

    # -- compile --------------------------------------------------------------

    def compile(
        self,
        *,
        run_eagerly=False,
        jit_compile="auto",
        steps_per_execution=1,
        **phase_optimizers,
    ):
        """Configures the model for training.

        Each phase takes its optimizer as the keyword `<phase>_optimizer`
        (e.g. `generator_optimizer=`, `discriminator_optimizer=`; see
        `optimizer_names`); phases left out get the paper's default.
        Under the `"mixed_float16"` dtype policy each phase's optimizer is
        wrapped in a `keras.optimizers.LossScaleOptimizer` (unless it is one
        already), so every phase keeps its own dynamic loss scale.

        Args:
            run_eagerly, jit_compile, steps_per_execution: as in
                `keras.Model.compile`.
            **phase_optimizers: `<phase>_optimizer=` a
                `keras.optimizers.Optimizer`, an optimizer name or config.
        """
        keywords = {f"{name}_optimizer": name for name in self.optimizer_names}
        unknown = sorted(set(phase_optimizers) - set(keywords))
        if unknown:
            raise ValueError(
                f"{self.__class__.__name__}.compile takes the optimizers {sorted(keywords)} (and "
                "run_eagerly, jit_compile, steps_per_execution), as keywords. "
                f"Received: {', '.join(f'{k}={phase_optimizers[k]!r}' for k in unknown)}"
            )
        optimizers = {
            keywords[k]: v for k, v in phase_optimizers.items() if v is not None
        }
        defaults = self.default_optimizers()
        resolved = {}
        for name in self.optimizer_names:
            opt = optimizers.get(name)
            resolved[name] = (
                defaults[name] if opt is None else keras.optimizers.get(opt)
            )
        instances = list(resolved.values())
        for i, opt in enumerate(instances):
            if any(opt is other for other in instances[:i]):
                raise ValueError(
                    "Each phase needs its own optimizer instance (an "
                    "optimizer's state belongs to one set of variables). "
                    f"Received the same object twice: {opt!r}"
                )
        if self.dtype_policy.name == "mixed_float16":
            # float16 gradients underflow: each phase gets its own dynamic
            # loss scale, as Keras' `compile` gives a single optimizer.
            resolved = {
                name: opt
                if isinstance(opt, keras.optimizers.LossScaleOptimizer)
                else keras.optimizers.LossScaleOptimizer(opt)
                for name, opt in resolved.items()
            }

        self._build_networks()
        variables = self.phase_variables()
        for name, opt in resolved.items():
            if not opt.built:
                opt.build(list(variables[name]))
        # `MultiOptimizer` refuses a `LossScaleOptimizer` among its
        # optimizers (Keras 3.15): build it on the wrapped optimizers, then
        # put each wrapper in its optimizer's place.
        plain = {
            name: getattr(opt, "inner_optimizer", opt)
            for name, opt in resolved.items()
        }
        multi = keras.optimizers.MultiOptimizer(
            keras.optimizers.OptimizerMap(
                default_optimizer=plain[self.optimizer_names[0]],
                optimizer_map=plain,
            )
        )
        # Built eagerly, so a loaded model has optimizer variables to restore
        # into, and the trainer never rebuilds it.
        multi.build(self.trainable_variables)
        for i, name in enumerate(self.optimizer_names):
            compat.set_inner_optimizer(multi, i, resolved[name])
        super(GenerativeModel, self).compile(
            optimizer=multi,
            run_eagerly=run_eagerly,
            jit_compile=jit_compile,
            steps_per_execution=steps_per_execution,
            # Loss scaling is per phase (above), not around the container.
            auto_scale_loss=False,
        )
        # Optimizers are reached through `self.optimizer` only (one owner,
        # saved once); the rest is kept for `get_compile_config`.
        self._compile_kwargs = {
            "run_eagerly": run_eagerly,
            "jit_compile": jit_compile,
            "steps_per_execution": steps_per_execution,
        }

    def _build_networks(self):
        """Makes sure every sub-network has its variables before compile."""
        if not self.built:
            self.build()

    def build(self, input_shape=None):
        # Sub-networks are built when they are created; a model without
        # `call()` must say it is built.
        self.built = True

    def get_optimizer(self, name):
        """The optimizer of phase `name`."""
        if self._compile_kwargs is None:
            raise ValueError(
                f"{self.__class__.__name__} is not compiled: call "
                "`compile()` first."
            )
        if name not in self.optimizer_names:
            raise ValueError(
                f"Unknown optimizer name {name!r}; expected one of "
                f"{list(self.optimizer_names)}."
            )
        # The MultiOptimizer keeps its inner optimizers in the order of
        # `optimizer_names` (see `compile`).
        return self.optimizer.optimizers[self.optimizer_names.index(name)]

    def get_compile_config(self):
        if self._compile_kwargs is None:
            return None
        config = dict(self._compile_kwargs)
        config["optimizers"] = {
            name: keras.saving.serialize_keras_object(self.get_optimizer(name))
            for name in self.optimizer_names
        }
        return config

    # Phase names of earlier releases, for `.keras` files saved by them.
    renamed_phases = {}

    def compile_from_config(self, config):
        config = dict(config)
        optimizers = config.pop("optimizers")
        for name, opt in optimizers.items():
            name = self.renamed_phases.get(name, name)
            config[f"{name}_optimizer"] = keras.saving.deserialize_keras_object(
                opt
            )
        MultiOptimizerModel.compile(self, **config)

    # -- training -------------------------------------------------------------

    @property
    def metrics(self):
        # Only the running means of this model's losses: they reset at each
        # epoch, and no `loss` tracker that nothing updates.
        return list(self.loss_trackers.values())

    def optimize_step(self, name, loss_fn):
        """One gradient step of phase `name` on its variables.

        Args:
            name: the phase, one of `optimizer_names`.
            loss_fn: callable with no arguments returning the phase's scalar
                loss, or a `(loss, aux)` pair.

        Returns:
            What `loss_fn` returned, without gradient.
        """
        return backend.optimize_step(
            loss_fn, self.phase_variables()[name], self.get_optimizer(name)
        )

    def update_trackers(self, **values):
        """Adds this step's values to the running means of `loss_names`."""
        for name, value in values.items():
            self.loss_trackers[name].update_state(value)

    def _logs(self):
        return {name: m.result() for name, m in self.loss_trackers.items()}

    def _train_step(self, data):
        logs = self.train_step_logic(data)
        # The MultiOptimizer's own counter counts training steps: callbacks
        # and lazy regularisation schedules read it.
        self.optimizer.iterations.assign_add(1)
        return self._logs() if logs is None else logs

    def _test_step(self, data):
        logs = self.test_step_logic(data)
        return self._logs() if logs is None else logs

    def train_step(self, *args):
        return backend.run_train_step(self, self._train_step, args)

    def test_step(self, *args):
        return backend.run_test_step(self, self._test_step, args)
